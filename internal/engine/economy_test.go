package engine

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// requestLatency is how far the fake clock moves while one request is in
// flight: a realistic network and database, far longer than the millisecond
// precision of most APIs.
const requestLatency = 80 * time.Millisecond

// listRequests counts the list requests the rig's server answers (Logto's
// token exchanges are not list requests) and moves the clock by
// requestLatency for each, as a real round trip would.
func listRequests(srv *simServer, clock *fakeClock) *atomic.Int64 {
	var n atomic.Int64
	srv.setHook(func(r *http.Request) {
		clock.Add(requestLatency)
		if !strings.HasSuffix(r.URL.Path, "/oidc/token") {
			n.Add(1)
		}
	})
	return &n
}

func maxPageSize(t *testing.T, api string) int {
	t.Helper()
	spec, err := apispec.Builtin(api)
	require.NoError(t, err)
	return spec.Pagination.MaxPageSize
}

func withStartAt(d time.Duration) rigOption {
	return func(s *Settings, _ *httpclientConfig) {
		s.StartAt = func(now time.Time) time.Time { return now.Add(d) }
	}
}

// A caught-up stream costs exactly one request per poll on every built-in
// API, although every request takes 80 ms of a clock that counts in
// milliseconds: a poll reads up to the end that was closed when it started.
func TestIdlePollCostsOneRequestWhateverTheLatency(t *testing.T) {
	for _, c := range apiCases {
		t.Run(c.api, func(t *testing.T) {
			srv := newSimServer(t, simulator.Options{})
			base := baseTime()
			for i := range 30 {
				addTo(srv, c, 1+i%2, base.Add(-time.Duration(30-i)*17*time.Second))
			}
			clock := &fakeClock{now: base}
			requests := listRequests(srv, clock)
			r := newRig(t, srv, c, nil, clock, withPageSize(maxPageSize(t, c.api)))
			_, records, err := r.poll()
			require.NoError(t, err)
			require.Equal(t, len(r.want()), records, "the first poll reads the whole history")

			for poll := 1; poll <= 5; poll++ {
				clock.Add(15 * time.Second)
				before := requests.Load()
				_, records, err := r.poll()
				require.NoError(t, err)
				assert.Zero(t, records)
				assert.Equal(t, int64(1), requests.Load()-before, "list requests of idle poll %d", poll)
			}
			requireExactlyOnce(t, r.want(), r.got())
		})
	}
}

// A backlog of 150 records spread over 70 hours costs ceil(150/page size)
// list requests, plus one when the last page is exactly full: its span
// costs nothing.
func TestSparseBacklogCostsWhatItsRecordsNeed(t *testing.T) {
	const n = 150
	for _, c := range apiCases {
		t.Run(c.api, func(t *testing.T) {
			srv := newSimServer(t, simulator.Options{})
			base := baseTime()
			step := 70 * time.Hour / n
			for i := 0; i < n; {
				k := 1
				if i%10 == 0 && i+2 <= n {
					k = 2 // a few ties at the API's precision
				}
				addTo(srv, c, k, base.Add(-70*time.Hour+time.Duration(i)*step))
				i += k
			}
			clock := &fakeClock{now: base}
			requests := listRequests(srv, clock)
			size := maxPageSize(t, c.api)
			r := newRig(t, srv, c, nil, clock, withPageSize(size), withStartAt(-72*time.Hour))
			_, records, err := r.poll()
			require.NoError(t, err)
			assert.Equal(t, n, records, "one poll reads the whole backlog")
			assert.LessOrEqual(t, requests.Load(), int64((n+size-1)/size+1), "list requests for %d records at page size %d", n, size)
			requireExactlyOnce(t, r.want(), r.got())
		})
	}
}

// max_window still slices a backlog for users who want it.
func TestMaxWindowSlicesTheBacklog(t *testing.T) {
	c := caseOf(t, simulator.APITinesAuditLogs)
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	for i := range 6 {
		addTo(srv, c, 1, base.Add(-time.Duration(6-i)*time.Hour+time.Minute))
	}
	clock := &fakeClock{now: base}
	requests := listRequests(srv, clock)
	r := newRig(t, srv, c, nil, clock, withStartAt(-6*time.Hour), func(s *Settings, _ *httpclientConfig) { s.MaxWindow = time.Hour })
	_, records, err := r.poll()
	require.NoError(t, err)
	assert.Equal(t, 6, records)
	assert.Equal(t, int64(6), requests.Load(), "six windows of at most an hour")
	requireExactlyOnce(t, r.want(), r.got())
}

// Enrichment takes only requests the list walk leaves free: with a budget
// spent by the list request, failed runs are delivered on time without their
// details, marked with the reason, and no detail request is sent.
func TestEnrichmentNeverTakesTheListWalksBudget(t *testing.T) {
	srv := newSimServer(t, simulator.Options{Seed: 3})
	c := caseOf(t, simulator.APIMakeScenarioLogs)
	base := baseTime()
	clock := &fakeClock{now: base.Add(time.Minute)}
	for i := range 6 {
		addTo(srv, c, 1, base.Add(time.Duration(i)*time.Millisecond))
	}
	var details atomic.Int64
	srv.setHook(func(r *http.Request) {
		if strings.Contains(r.URL.Path, "/executions/") {
			details.Add(1)
		}
	})
	r := newRig(t, srv, c, nil, clock, withPageSize(50), func(s *Settings, hc *httpclientConfig) {
		s.Enrich = true
		hc.RequestsPerMinute, hc.Burst = 6, 1 // the list request spends the only free request for 12 s
	})
	_, records, err := r.poll()
	require.NoError(t, err)
	require.Equal(t, 6, records)
	candidates := 0
	for _, lr := range r.consumer.logRecords() {
		status := fieldOf(lr, "make", "status")
		if status.Int() < 2 {
			continue
		}
		candidates++
		why, ok := lr.Attributes().Get("api_logs.enrich.error")
		require.True(t, ok, "a record that could not be enriched says why")
		assert.Contains(t, why.AsString(), "no request left in the budget")
	}
	require.Positive(t, candidates, "seed must produce failed or warned runs")
	assert.Zero(t, details.Load(), "no detail request was sent")
}
