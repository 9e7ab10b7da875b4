package simulator

import (
	"strconv"
	"sync"
)

// Stats is the body of GET /_sim/stats.
type Stats struct {
	Requests                map[string]map[string]int64 `json:"requests"`
	ForeignRequests         int64                       `json:"foreign_requests"`
	ForeignRequestsWithAuth int64                       `json:"foreign_requests_with_auth"`
	RecordsCreated          map[string]int64            `json:"records_created"`
	BenchRecords            int64                       `json:"bench_records,omitempty"`
	// StreamRequests is api -> stream -> requests of each kind (see Simulator.StreamRequests).
	StreamRequests map[string]map[string]RequestCounts `json:"stream_requests"`
	Modes          ModeStats                           `json:"modes"`
}

// ModeStats is what the modes of real servers did, so that a run can show
// they were exercised.
type ModeStats struct {
	// CappedRequests are list requests that asked for more than CapPageSize.
	CappedRequests int64 `json:"capped_requests"`
	// TieGroups and TieGroupRecords count the TieGroups groups created.
	TieGroups       int64 `json:"tie_groups"`
	TieGroupRecords int64 `json:"tie_group_records"`
	// LogtoTieReads are Logto list requests for a single millisecond (a
	// receiver's tie reads), whatever created the records there.
	LogtoTieReads int64 `json:"logto_tie_reads"`
	// PendingRuns are the Make runs created unfinished (MakePendingLists);
	// PendingListings how often a list answer showed one unfinished;
	// StillPending those not final yet.
	PendingRuns     int64 `json:"pending_runs"`
	PendingListings int64 `json:"pending_listings"`
	StillPending    int64 `json:"still_pending"`
	// Disordered and Future count the records dated out of step
	// (DisorderBy, FutureBy).
	Disordered int64 `json:"disordered"`
	Future     int64 `json:"future"`
}

type statsTracker struct {
	mu       sync.Mutex
	requests map[string]map[int]int64
}

func newStatsTracker() *statsTracker {
	return &statsTracker{requests: map[string]map[int]int64{}}
}

func (t *statsTracker) count(api string, code int) {
	t.mu.Lock()
	m := t.requests[api]
	if m == nil {
		m = map[int]int64{}
		t.requests[api] = m
	}
	m[code]++
	t.mu.Unlock()
}

// Stats returns request counts by API and status, foreign-origin hits and records created.
func (s *Simulator) Stats() Stats {
	st := Stats{Requests: map[string]map[string]int64{}, RecordsCreated: map[string]int64{}}
	s.stats.mu.Lock()
	for api, m := range s.stats.requests {
		out := map[string]int64{}
		for code, n := range m {
			out[strconv.Itoa(code)] = n
		}
		st.Requests[api] = out
	}
	s.stats.mu.Unlock()
	st.StreamRequests = s.requests.snapshot()
	st.ForeignRequests, st.ForeignRequestsWithAuth = s.foreign.counts()
	for _, api := range recordAPIs() {
		st.RecordsCreated[api] = s.stores[api].created.Load()
	}
	if s.bench != nil {
		st.BenchRecords = int64(s.bench.n)
	}
	st.Modes = ModeStats{
		CappedRequests: s.cappedRequests.Load(), TieGroups: s.tieGroups.Load(), TieGroupRecords: s.tieGroupRecords.Load(),
		LogtoTieReads: s.logtoTieReads.Load(), Disordered: s.disordered.Load(), Future: s.future.Load(),
	}
	for _, r := range s.stores[APIMakeScenarioLogs].allRecords() {
		if p := r.pending; p != nil {
			st.Modes.PendingRuns++
			left := p.left.Load()
			st.Modes.PendingListings += p.lists - max(left, 0)
			if left > 0 {
				st.Modes.StillPending++
			}
		}
	}
	return st
}
