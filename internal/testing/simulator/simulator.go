package simulator

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Simulator serves every vendor API under its own prefix plus the /_sim control API.
type Simulator struct {
	opts Options
	// makeRuns counts the Make scenario runs created (MakePendingLists).
	makeRuns atomic.Int64
	// What the modes of real servers did, for Stats.
	cappedRequests, tieGroups, tieGroupRecords, logtoTieReads atomic.Int64
	disordered, future                                        atomic.Int64

	stores map[string]*apiStore
	mux    *http.ServeMux

	stats    *statsTracker
	requests *requestTracker
	faults   *faultSet
	limiter  *rateLimiter
	tokens   *tokenStore
	refresh  refreshGrant
	bench    *benchAction
	foreign  *foreignServer
	access   access

	paused  atomic.Bool
	reqSeq  atomic.Int64 // numbers requests for deterministic per-request randomness
	closing chan struct{}
	wg      sync.WaitGroup

	mu       sync.Mutex
	srv      *http.Server
	url      string
	closed   bool
	closeErr error
}

// New builds a simulator, starts its foreign-origin listener and its record generator.
func New(opts Options) (*Simulator, error) {
	if err := opts.applyDefaults(); err != nil {
		return nil, err
	}
	s := &Simulator{
		opts:     opts,
		stores:   map[string]*apiStore{},
		stats:    newStatsTracker(),
		requests: newRequestTracker(),
		faults:   newFaultSet(opts.Seed),
		limiter:  newRateLimiter(opts.RatePerMinute),
		tokens:   newTokenStore(opts.TokenTTL),
		closing:  make(chan struct{}),
	}
	s.paused.Store(opts.Paused)
	for _, f := range opts.Faults {
		if err := s.faults.set(f); err != nil {
			return nil, err
		}
	}
	s.registerStores()
	if opts.Mode == ModeBench {
		s.bench = newBenchAction(opts.BenchActionID, opts.BenchRecords, time.Now())
		// Ordinary Tines action ids continue after the bench ids so ids stay globally increasing.
		s.stores[APITinesActionLogs].seq.Store(int64(opts.BenchRecords) + 1000 + s.idBase())
	}
	// Singleton streams exist from the start; per-id streams appear on first use.
	for _, as := range s.stores {
		if !as.lazy {
			s.stream(as.name, "")
		}
	}
	fs, err := newForeignServer()
	if err != nil {
		return nil, err
	}
	s.foreign = fs
	s.mux = s.routes()
	s.wg.Add(1)
	go s.generate()
	return s, nil
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves until Close.
func (s *Simulator) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("simulator: listen %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.mux, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ln.Close()
		return errors.New("simulator: closed")
	}
	s.srv = srv
	s.url = "http://" + ln.Addr().String()
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = srv.Serve(ln)
	}()
	return nil
}

// URL is the base URL of the listener started by Start.
func (s *Simulator) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// ForeignURL is the base URL of the second, "foreign" origin.
func (s *Simulator) ForeignURL() string { return s.foreign.url }

// Handler serves everything; use with httptest.NewServer.
func (s *Simulator) Handler() http.Handler { return s.mux }

// Options returns the effective options (defaults applied).
func (s *Simulator) Options() Options { return s.opts }

// Close stops generation and both listeners. Safe to call twice.
func (s *Simulator) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return s.closeErr
	}
	s.closed = true
	srv := s.srv
	s.mu.Unlock()
	close(s.closing)
	var errs []error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		cancel()
	}
	errs = append(errs, s.foreign.close())
	s.wg.Wait()
	s.closeErr = errors.Join(errs...)
	return s.closeErr
}

// Pause stops continuous record creation; Resume restarts it.
func (s *Simulator) Pause()  { s.paused.Store(true) }
func (s *Simulator) Resume() { s.paused.Store(false) }

// AddRecords creates n records at one timestamp in a stream (ties at the API's precision).
// For singleton APIs (tines_audit_logs, stackone_action_logs, logto_logs, oms_action_logs)
// the stream is ignored. Make module streams are named "<scenarioId>/<moduleId>".
func (s *Simulator) AddRecords(api, streamName string, n int, at time.Time) {
	as := s.stores[api]
	if as == nil {
		return
	}
	if !as.lazy {
		streamName = ""
	}
	st := s.stream(api, streamName)
	as.add(st, n, at)
}

// stream returns (creating lazily with history) a stream of an API.
func (s *Simulator) stream(api, name string) *stream {
	as := s.stores[api]
	return as.get(name, true, func(st *stream) {
		st.rng = rand.New(rand.NewSource(s.streamSeed(api, name)))
		s.seedHistory(as, st)
	})
}

func (s *Simulator) streamSeed(api, name string) int64 {
	h := fnv.New64a()
	if s.opts.RunID != 0 {
		fmt.Fprintf(h, "%d/%d/%s/%s", s.opts.Seed, s.opts.RunID, api, name)
	} else {
		fmt.Fprintf(h, "%d/%s/%s", s.opts.Seed, api, name)
	}
	return int64(h.Sum64() & (1<<63 - 1))
}

// requestRand is a deterministic random source for one request.
func (s *Simulator) requestRand() *rand.Rand {
	return rand.New(rand.NewSource(s.opts.Seed*7919 + s.reqSeq.Add(1)))
}

func (s *Simulator) inclusive() bool { return !s.opts.ExclusiveFilters }

// sleep waits d unless the request or the simulator ends first.
func (s *Simulator) sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	case <-s.closing:
	}
}
