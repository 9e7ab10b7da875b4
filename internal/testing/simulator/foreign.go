package simulator

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// ForeignRequest is one request that reached the foreign origin.
type ForeignRequest struct {
	Method, Path string
	HadAuth      bool // carried Authorization or X-User-Token
}

// foreignServer is a second origin that next links can point to. A client that
// follows such a link must not send its credentials there; this records whether it did.
type foreignServer struct {
	url string
	srv *http.Server
	wg  sync.WaitGroup

	mu   sync.Mutex
	reqs []ForeignRequest
}

func newForeignServer() (*foreignServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f := &foreignServer{url: "http://" + ln.Addr().String()}
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serve), ReadHeaderTimeout: 10 * time.Second}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		_ = f.srv.Serve(ln)
	}()
	return f, nil
}

func (f *foreignServer) serve(w http.ResponseWriter, r *http.Request) {
	had := r.Header.Get("Authorization") != "" || r.Header.Get("X-User-Token") != ""
	f.mu.Lock()
	f.reqs = append(f.reqs, ForeignRequest{Method: r.Method, Path: r.URL.RequestURI(), HadAuth: had})
	f.mu.Unlock()
	writeJSON(w, http.StatusForbidden, map[string]string{"error": "foreign origin: this host is not the API"})
}

func (f *foreignServer) counts() (total, withAuth int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range f.reqs {
		total++
		if r.HadAuth {
			withAuth++
		}
	}
	return total, withAuth
}

func (f *foreignServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := f.srv.Shutdown(ctx)
	f.wg.Wait()
	return err
}

// ForeignRequests lists every request the foreign origin received.
func (s *Simulator) ForeignRequests() []ForeignRequest {
	s.foreign.mu.Lock()
	defer s.foreign.mu.Unlock()
	return append([]ForeignRequest(nil), s.foreign.reqs...)
}
