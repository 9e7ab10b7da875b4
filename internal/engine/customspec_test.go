package engine

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// eventsAPI is a windowed log API that a custom spec describes: GET
// /events?since=&until=&page=&per_page= (unix seconds, since inclusive,
// until exclusive), newest first, pages numbered from firstPage, and
// has_more on every page. Its records are whatever the test adds.
type eventsAPI struct {
	mu        sync.Mutex
	firstPage int
	records   []map[string]any // each has "ts" (unix seconds)
	requests  int
	windows   map[[2]int64]int // requests per (since, until)
}

func (a *eventsAPI) add(recs ...map[string]any) {
	a.mu.Lock()
	a.records = append(a.records, recs...)
	a.mu.Unlock()
}

func (a *eventsAPI) serve(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests++
	q := r.URL.Query()
	since, _ := strconv.ParseInt(q.Get("since"), 10, 64)
	until, _ := strconv.ParseInt(q.Get("until"), 10, 64)
	page, _ := strconv.Atoi(q.Get("page"))
	size, _ := strconv.Atoi(q.Get("per_page"))
	if a.windows == nil {
		a.windows = map[[2]int64]int{}
	}
	a.windows[[2]int64{since, until}]++
	var in []map[string]any
	for i := len(a.records) - 1; i >= 0; i-- { // newest added first among equal times
		if ts := a.records[i]["ts"].(int64); ts >= since && ts < until {
			in = append(in, a.records[i])
		}
	}
	slices.SortStableFunc(in, func(x, y map[string]any) int { return int(y["ts"].(int64) - x["ts"].(int64)) })
	from := (page - a.firstPage) * size
	var out []map[string]any
	if from >= 0 && from < len(in) {
		out = in[from:min(from+size, len(in))]
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": out, "has_more": from >= 0 && from+size < len(in)})
}

// eventsSpec is the custom spec of eventsAPI; extra holds the lines of the
// pagination and records sections that differ between tests.
func eventsSpec(t *testing.T, pagination, records string) *apispec.Spec {
	t.Helper()
	spec, err := apispec.Parse([]byte(`
request:
  path: /events
  query: {since: "{{window_start}}", until: "{{window_end}}", page: "{{page}}", per_page: "{{page_size}}"}
time_filter: {format: unix_s}
pagination:
  type: page
  next_path: has_more
` + pagination + `
records:
  path: data
  order: newest_first
  time_field: ts
  time_format: unix_s
  time_precision: 1s
` + records))
	require.NoError(t, err)
	require.NoError(t, spec.ValidateAt(""))
	return spec
}

func withSpec(spec *apispec.Spec) rigOption {
	return func(s *Settings, _ *httpclientConfig) { s.Spec, s.API = spec, apispec.Custom }
}

// customRun polls a custom spec over eventsAPI: a backlog, then a restart
// (a new source on the same store) after each batch of new records.
type customRun struct {
	t     *testing.T
	api   *eventsAPI
	srv   *simServer
	store *cursor.Store
	clock *fakeClock
	spec  *apispec.Spec
	rigs  []*rig
}

func newCustomRun(t *testing.T, api *eventsAPI, spec *apispec.Spec, now time.Time) *customRun {
	srv := newSimServer(t, simulator.Options{})
	srv.serve = api.serve
	return &customRun{t: t, api: api, srv: srv, store: cursor.NewStore(nil), clock: &fakeClock{now: now}, spec: spec}
}

// restart starts a new source on the run's store and drains it.
func (c *customRun) restart() {
	r := newRig(c.t, c.srv, caseOf(c.t, simulator.APITinesAuditLogs), c.store, c.clock, withSpec(c.spec), withPageSize(5))
	r.drain()
	c.rigs = append(c.rigs, r)
}

// delivered is every record delivered by every source of the run, in
// order: its body's field, and its uid.
func (c *customRun) delivered(field string) (values, uids []string) {
	for _, r := range c.rigs {
		for _, lr := range r.consumer.logRecords() {
			v, _ := lr.Body().Map().Get(field)
			values = append(values, v.AsString())
		}
		uids = append(uids, r.consumer.uids()...)
	}
	return values, uids
}

// An API whose pages count from 0 is read from page 0: first_page: 0 was
// read as 1 and the newest page of every window was lost (the old code
// delivered 60 of 70 records here, in 13 requests: the 5 newest of each
// window never).
func TestCustomFirstPageZero(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	api := &eventsAPI{firstPage: 0}
	var want []string
	add := func(n int, from time.Time) {
		for i := range n {
			id := fmt.Sprintf("ev-%d", len(want))
			want = append(want, id)
			api.add(map[string]any{"id": id, "ts": from.Add(time.Duration(i) * 37 * time.Second).Unix()})
		}
	}
	add(42, now.Add(-100*time.Minute)) // the backlog: 9 pages of 5 from page 0
	spec := eventsSpec(t, "  first_page: 0", "  id_field: id")
	require.Equal(t, 0, spec.Pagination.First())
	run := newCustomRun(t, api, spec, now)
	run.restart()
	add(28, now.Add(time.Minute)) // the next window: 6 pages of 5
	run.clock.Add(time.Hour)
	run.restart()

	got, uids := run.delivered("id")
	assert.ElementsMatch(t, want, got, "every record once")
	assert.Len(t, got, 70)
	assert.ElementsMatch(t, want, uids)
	assert.Len(t, api.windows, 2, "one window per poll")
	assert.Equal(t, 9+6, api.requests, "ceil(42/5) + ceil(28/5) pages, each asked once")
}

// Records without an id: the time as the id (the old workaround) makes
// records of the same second one id, while id_fields and id: hash give
// each record its own, and each is delivered exactly once across polls,
// restarts and the one-second overlap of consecutive windows.
func TestCustomRecordsWithoutID(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	// Three records a second, some seconds at the very end of a window (the
	// overlap re-reads them); a number and a string that print alike.
	batch := func(api *eventsAPI, from time.Time, seconds int, seq *int) {
		for s := range seconds {
			for k, user := range []any{"alice", 7, "7"} {
				*seq++
				api.add(map[string]any{"ts": from.Add(time.Duration(s) * time.Second).Unix(), "user": user, "action": "login", "n": strconv.Itoa(*seq), "k": k})
			}
		}
	}
	cases := []struct {
		name      string
		records   string
		uniqueIDs int
		delivered int
	}{
		// 40 seconds, 40 ids; the overlap's dedup drops 24 records.
		{"time as id", "  id_field: ts", 40, 96},
		{"id_fields", "  id_fields: [ts, user, action]", 120, 120},
		{"hash", "  id: hash", 120, 120},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := &eventsAPI{firstPage: 1}
			var seq int
			batch(api, now.Add(-30*time.Minute), 20, &seq)
			batch(api, now.Add(-2*time.Second), 2, &seq) // the last closed seconds
			run := newCustomRun(t, api, eventsSpec(t, "", tc.records), now)
			run.restart()
			batch(api, now.Add(time.Minute), 18, &seq)
			run.clock.Add(30 * time.Minute)
			run.restart()
			run.restart() // caught up, no time passed: no request

			got, uids := run.delivered("n")
			distinct := map[string]bool{}
			for _, u := range uids {
				distinct[u] = true
			}
			require.Equal(t, 120, seq)
			// 63 records before the first poll's closed end, 13 pages; then
			// the 3 of its last second again (the overlap), the 3 of the
			// second it left open and the 54 new, 12 pages.
			assert.Equal(t, 13+12, api.requests)
			assert.Len(t, api.windows, 2)
			assert.Len(t, distinct, tc.uniqueIDs, "distinct log.record.uid")
			assert.Len(t, got, tc.delivered)
			if tc.uniqueIDs < seq {
				return
			}
			want := make([]string, seq)
			for i := range want {
				want[i] = strconv.Itoa(i + 1)
			}
			assert.ElementsMatch(t, want, got, "every record exactly once")
		})
	}
}
