package simulator

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Request kinds, declared per route in routes.go.
const (
	kindList      = "list"      // a page of records
	kindDetail    = "detail"    // one record, or a Make execution's detail
	kindToken     = "token"     // Logto access token
	kindDiscovery = "discovery" // Make scenario listing
)

// RequestCounts are the requests one stream received. Other is token and
// discovery requests; Throttled is the requests of any kind answered 429.
type RequestCounts struct {
	List      int64 `json:"list"`
	Detail    int64 `json:"detail"`
	Other     int64 `json:"other"`
	Throttled int64 `json:"throttled"`
}

type streamKey struct{ api, stream string }

// requestTracker counts requests per stream so tests can tell what a receiver
// spends on each stream, and keeps arrival times: of list requests so they can
// tell polls apart, of every request so they can check a budget over time.
type requestTracker struct {
	mu        sync.Mutex
	counts    map[streamKey]*RequestCounts
	listTimes map[streamKey][]time.Time
	allTimes  map[streamKey][]time.Time
}

func newRequestTracker() *requestTracker {
	return &requestTracker{counts: map[streamKey]*RequestCounts{}, listTimes: map[streamKey][]time.Time{}, allTimes: map[streamKey][]time.Time{}}
}

func (t *requestTracker) entry(k streamKey) *RequestCounts {
	c := t.counts[k]
	if c == nil {
		c = &RequestCounts{}
		t.counts[k] = c
	}
	return c
}

// arrive reads the clock under the lock so list times are recorded in order.
func (t *requestTracker) arrive(k streamKey, kind string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	t.allTimes[k] = append(t.allTimes[k], now)
	c := t.entry(k)
	switch kind {
	case kindList:
		c.List++
		t.listTimes[k] = append(t.listTimes[k], now)
	case kindDetail:
		c.Detail++
	default:
		c.Other++
	}
}

func (t *requestTracker) throttled(k streamKey) {
	t.mu.Lock()
	t.entry(k).Throttled++
	t.mu.Unlock()
}

// snapshot is api -> stream -> counts.
func (t *requestTracker) snapshot() map[string]map[string]RequestCounts {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := map[string]map[string]RequestCounts{}
	for k, c := range t.counts {
		m := out[k.api]
		if m == nil {
			m = map[string]RequestCounts{}
			out[k.api] = m
		}
		m[k.stream] = *c
	}
	return out
}

// requestStream names the stream a request reads, as AddRecords and
// /_sim/records name it; APIs with a single stream use "".
func requestStream(api string, r *http.Request) string {
	switch api {
	case APITinesActionLogs:
		return r.PathValue("action_id")
	case APIMakeScenarioLogs:
		return canonicalID(r.PathValue("sid"))
	case APIMakeModuleLogs:
		return canonicalID(r.PathValue("sid")) + "/" + canonicalID(r.PathValue("mid"))
	case APIMakeAuditLogs:
		return canonicalID(r.PathValue("oid"))
	}
	return ""
}

// canonicalID writes a numeric id the way the handlers name its stream ("007" is stream "7").
func canonicalID(v string) string {
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return strconv.Itoa(n)
	}
	return v
}

// StreamRequests returns, per stream of api, the requests that reached the
// simulator's handlers (those answered 429 or with an injected fault included).
func (s *Simulator) StreamRequests(api string) map[string]RequestCounts {
	out := s.requests.snapshot()[api]
	if out == nil {
		out = map[string]RequestCounts{}
	}
	return out
}

// ListRequestTimes returns the arrival time of every list request of one
// stream, oldest first; a receiver's polls show up as bursts separated by gaps.
func (s *Simulator) ListRequestTimes(api, stream string) []time.Time {
	s.requests.mu.Lock()
	defer s.requests.mu.Unlock()
	return append([]time.Time(nil), s.requests.listTimes[streamKey{api, stream}]...)
}

// RequestTimes returns the arrival time of every request of one stream of
// api, of any kind (list, detail, token, discovery; those answered 429
// included), oldest first. Token requests are api "logto_token" and Make's
// scenario listing "make_scenarios", both with stream "".
func (s *Simulator) RequestTimes(api, stream string) []time.Time {
	s.requests.mu.Lock()
	defer s.requests.mu.Unlock()
	return append([]time.Time(nil), s.requests.allTimes[streamKey{api, stream}]...)
}
