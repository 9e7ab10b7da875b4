package main

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// simServer serves the simulator behind a handler that counts, per Tines
// action, the requests and the polls (a poll starts with page 1) and the gaps
// between consecutive polls.
type simServer struct {
	sim  *simulator.Simulator
	srv  *http.Server
	url  string
	late time.Duration // a gap between polls above this is a late poll

	mu      sync.Mutex
	actions map[string]*actionStats
}

type actionStats struct {
	reqs, polls int64
	lastPoll    time.Time
	maxGap      time.Duration
	late        int
	events      []reqEvent // only for actions named in trace
	trace       bool
}

type reqEvent struct {
	at    time.Time
	first bool // page 1: a poll starts
}

const tinesActionsPrefix = "/tines/api/v1/actions/"

func startSimServer(opts simulator.Options, late time.Duration, trace ...string) (*simServer, error) {
	sim, err := simulator.New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = sim.Close()
		return nil, err
	}
	s := &simServer{sim: sim, url: "http://" + ln.Addr().String(), late: late, actions: map[string]*actionStats{}}
	for _, id := range trace {
		s.actions[id] = &actionStats{trace: true}
	}
	inner := sim.Handler()
	s.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, tinesActionsPrefix); ok {
			if id, ok := strings.CutSuffix(rest, "/logs"); ok {
				p := r.URL.Query().Get("page")
				s.count(id, p == "" || p == "1", time.Now())
			}
		}
		inner.ServeHTTP(w, r)
	})}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

func (s *simServer) count(id string, first bool, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.actions[id]
	if a == nil {
		a = &actionStats{}
		s.actions[id] = a
	}
	a.reqs++
	if a.trace {
		a.events = append(a.events, reqEvent{at: now, first: first})
	}
	if !first {
		return
	}
	if !a.lastPoll.IsZero() {
		gap := now.Sub(a.lastPoll)
		a.maxGap = max(a.maxGap, gap)
		if gap > s.late {
			a.late++
		}
	}
	a.polls++
	a.lastPoll = now
}

// action returns a copy of one action's counters.
func (s *simServer) action(id string) actionStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.actions[id]; a != nil {
		c := *a
		c.events = append([]reqEvent(nil), a.events...)
		return c
	}
	return actionStats{}
}

// pollSummary aggregates every action that was polled at least once. A
// stream whose last poll is older than the late threshold at `now` counts as
// late too (its next poll is overdue).
type pollSummary struct {
	streams, polledOnce int
	reqs, polls         int64
	late, overdue       int
	maxGap              time.Duration
}

func (s *simServer) summary(now time.Time) pollSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	var p pollSummary
	for _, a := range s.actions {
		if a.polls == 0 {
			continue
		}
		p.streams++
		if a.polls == 1 {
			p.polledOnce++
		}
		p.reqs += a.reqs
		p.polls += a.polls
		p.late += a.late
		p.maxGap = max(p.maxGap, a.maxGap)
		if gap := now.Sub(a.lastPoll); gap > s.late {
			p.overdue++
			p.maxGap = max(p.maxGap, gap)
		}
	}
	return p
}

func (s *simServer) close() {
	_ = s.srv.Close()
	_ = s.sim.Close()
}

// totalRequests sums the simulator's own per-API request counters.
func totalRequests(st simulator.Stats, api string) int64 {
	var n int64
	for _, c := range st.Requests[api] {
		n += c
	}
	return n
}
