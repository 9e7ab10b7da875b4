package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// countingSink is an OTLP/HTTP logs endpoint that only counts LogRecords by
// scanning the protobuf wire format: unmarshalling into pdata would cost the
// benchmark process more CPU than the collector spends, and both share 2 cores.
type countingSink struct {
	records atomic.Int64
	reqs    atomic.Int64
	bad     atomic.Int64

	mu     sync.Mutex
	target int64
	first  time.Time
	reach  time.Time
	done   chan struct{}
	bufs   sync.Pool
	srv    *http.Server
	ln     net.Listener
}

func startCountingSink() (*countingSink, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &countingSink{ln: ln, done: make(chan struct{})}
	s.bufs.New = func() any { b := make([]byte, 0, 1<<20); return &b }
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *countingSink) endpoint() string { return "http://" + s.ln.Addr().String() }
func (s *countingSink) close()           { _ = s.srv.Close() }

// expect resets the clock: timing starts at the first record after this call
// and ends when target more records have arrived.
func (s *countingSink) expect(target int64) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.target = s.records.Load() + target
	s.first, s.reach = time.Time{}, time.Time{}
	s.done = make(chan struct{})
	return s.done
}

// window is the time from the first record to the target-th.
func (s *countingSink) window() (first, reach time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, s.reach
}

func (s *countingSink) serve(w http.ResponseWriter, r *http.Request) {
	arrived := time.Now()
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	body, err := readAll((*bp)[:0], r.Body)
	*bp = body[:0]
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	n, err := countLogRecords(body)
	if err != nil {
		s.bad.Add(1)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.reqs.Add(1)
	total := s.records.Add(int64(n))
	s.mu.Lock()
	if s.first.IsZero() && n > 0 {
		s.first = arrived
	}
	if s.target > 0 && total >= s.target && s.reach.IsZero() {
		s.reach = time.Now()
		close(s.done)
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(http.StatusOK) // an empty ExportLogsServiceResponse
}

func readAll(buf []byte, r io.Reader) ([]byte, error) {
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

var errWire = errors.New("malformed protobuf")

// countLogRecords counts ExportLogsServiceRequest{1: ResourceLogs{2: ScopeLogs{2: LogRecord}}}.
func countLogRecords(b []byte) (int, error) {
	n := 0
	err := eachField(b, func(field int, msg []byte) error {
		if field != 1 {
			return nil
		}
		return eachField(msg, func(field int, scope []byte) error {
			if field != 2 {
				return nil
			}
			return eachField(scope, func(field int, _ []byte) error {
				if field == 2 {
					n++
				}
				return nil
			})
		})
	})
	return n, err
}

// eachField calls fn for every length-delimited field and skips the others.
func eachField(b []byte, fn func(field int, data []byte) error) error {
	for len(b) > 0 {
		key, k := uvarint(b)
		if k <= 0 {
			return errWire
		}
		b = b[k:]
		field, wt := int(key>>3), key&7
		switch wt {
		case 0:
			_, k = uvarint(b)
			if k <= 0 {
				return errWire
			}
			b = b[k:]
		case 1:
			if len(b) < 8 {
				return errWire
			}
			b = b[8:]
		case 5:
			if len(b) < 4 {
				return errWire
			}
			b = b[4:]
		case 2:
			l, k := uvarint(b)
			if k <= 0 || uint64(len(b)-k) < l {
				return errWire
			}
			data := b[k : k+int(l)]
			b = b[k+int(l):]
			if err := fn(field, data); err != nil {
				return err
			}
		default:
			return errWire
		}
	}
	return nil
}

func uvarint(b []byte) (uint64, int) {
	var x uint64
	for i := 0; i < len(b) && i < 10; i++ {
		c := b[i]
		x |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return x, i + 1
		}
	}
	return 0, 0
}
