// Package otlpsink is an OTLP/HTTP logs endpoint for tests, the chaos run and
// the benchmarks: it counts records and, when asked, remembers which ones it
// got so that losses and duplicates can be counted.
package otlpsink

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// Sink receives OTLP logs on POST /v1/logs (protobuf or JSON, optionally gzip).
type Sink struct {
	track   bool
	records atomic.Int64
	reqs    atomic.Int64

	mu   sync.Mutex
	seen map[string]map[string]int // api -> stream+"/"+uid -> times received
	// note, when set, describes each tracked record; notes keeps the
	// non-empty descriptions by api and stream+"/"+uid, one per arrival.
	note  func(api string, lr plog.LogRecord) string
	notes map[string]map[string][]string

	srv *http.Server
	ln  net.Listener
}

// New makes a sink; with track it remembers every record by api, stream and
// log.record.uid (memory grows with the records, so benchmarks leave it off).
func New(track bool) *Sink {
	return &Sink{track: track, seen: map[string]map[string]int{}, notes: map[string]map[string][]string{}}
}

// NoteWith makes a tracking sink keep what note says of each record it
// receives (empty: nothing), for Notes. Call it before Start.
func (s *Sink) NoteWith(note func(api string, lr plog.LogRecord) string) { s.note = note }

// Notes returns, for one api, the notes of the records that got one, by
// stream/uid, in the order of arrival.
func (s *Sink) Notes(api string) map[string][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string][]string, len(s.notes[api]))
	for k, v := range s.notes[api] {
		out[k] = append([]string(nil), v...)
	}
	return out
}

// Start listens on addr (e.g. 127.0.0.1:0).
func (s *Sink) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.ln = ln
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/logs", s.handleLogs)
	mux.HandleFunc("/stats", s.handleStats)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return nil
}

// Endpoint is the base URL for an otlphttp exporter.
func (s *Sink) Endpoint() string { return "http://" + s.ln.Addr().String() }

// Close stops the server.
func (s *Sink) Close() error {
	if s.srv == nil {
		return nil
	}
	return s.srv.Close()
}

// Records is the number of log records received, duplicates included.
func (s *Sink) Records() int64 { return s.records.Load() }

// Requests is the number of export requests received.
func (s *Sink) Requests() int64 { return s.reqs.Load() }

// Received returns, for one api, how many times each stream/uid arrived.
func (s *Sink) Received(api string) map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.seen[api]))
	for k, v := range s.seen[api] {
		out[k] = v
	}
	return out
}

func (s *Sink) handleLogs(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		defer gz.Close()
		body = gz
	}
	raw, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := plogotlp.NewExportRequest()
	isJSON := strings.Contains(r.Header.Get("Content-Type"), "json")
	if isJSON {
		err = req.UnmarshalJSON(raw)
	} else {
		err = req.UnmarshalProto(raw)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.count(req.Logs())
	resp := plogotlp.NewExportResponse()
	var out []byte
	if isJSON {
		out, _ = resp.MarshalJSON()
		w.Header().Set("Content-Type", "application/json")
	} else {
		out, _ = resp.MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
	}
	_, _ = w.Write(out)
}

func (s *Sink) count(ld plog.Logs) {
	s.reqs.Add(1)
	s.records.Add(int64(ld.LogRecordCount()))
	if !s.track {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rls := ld.ResourceLogs()
	for i := 0; i < rls.Len(); i++ {
		rl := rls.At(i)
		api, stream := "", ""
		if v, ok := rl.Resource().Attributes().Get("api_logs.api"); ok {
			api = v.Str()
		}
		if v, ok := rl.Resource().Attributes().Get("api_logs.stream"); ok {
			stream = v.Str()
		}
		m := s.seen[api]
		if m == nil {
			m = map[string]int{}
			s.seen[api] = m
		}
		sls := rl.ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				lr := lrs.At(k)
				uid := ""
				if v, ok := lr.Attributes().Get("log.record.uid"); ok {
					uid = v.AsString()
				}
				m[stream+"/"+uid]++
				if s.note != nil {
					if n := s.note(api, lr); n != "" {
						s.addNote(api, stream+"/"+uid, n)
					}
				}
			}
		}
	}
}

func (s *Sink) addNote(api, key, note string) {
	m := s.notes[api]
	if m == nil {
		m = map[string][]string{}
		s.notes[api] = m
	}
	m[key] = append(m[key], note)
}

func (s *Sink) handleStats(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]int64{"records": s.Records(), "requests": s.Requests()})
}
