package engine

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// tinesBacklog is a simulator (with opts) holding n Tines action logs one second apart
// from baseTime(), and a clock an hour after the first.
func tinesBacklog(t *testing.T, opts simulator.Options, n int) (*simServer, apiCase, time.Time, *fakeClock) {
	t.Helper()
	srv := newSimServer(t, opts)
	c := caseOf(t, simulator.APITinesActionLogs)
	base := baseTime()
	for i := range n {
		addTo(srv, c, 1, base.Add(time.Duration(i)*time.Second))
	}
	return srv, c, base, &fakeClock{now: base.Add(time.Hour)}
}

// A backfill cut by a pipeline failure resumes from the persisted walk in a
// new source: nothing is lost and the refused page is the only one read twice
// (and delivered once, since it was never accepted).
func TestResumableBackfillTinesActionLogs(t *testing.T) {
	srv, c, base, clock := tinesBacklog(t, simulator.Options{}, 60)
	store := cursor.NewStore(nil)
	r := newRig(t, srv, c, store, clock, withPageSize(5))
	const k = 4
	r.consumer.failWith(k+1, errPipeline)
	pages, records, err := r.poll()
	require.ErrorIs(t, err, errPipeline)
	assert.Equal(t, k, pages)
	assert.Equal(t, k*5, records)
	st := r.stored()
	require.NotNil(t, st.Walk)
	assert.Equal(t, k, st.Walk.Pages)
	assert.Equal(t, k+1, st.Walk.Next.Page)
	assert.True(t, st.Walk.HasTop)
	assert.Equal(t, base.Add(59*time.Second).UnixNano(), st.Walk.Top)

	r2 := newRig(t, srv, c, store, clock, withPageSize(5))
	r2.drain()
	assert.Len(t, r2.got(), 60-k*5)
	requireExactlyOnce(t, r.want(), r.got(), r2.got())
	final := r2.stored()
	assert.Nil(t, final.Walk)
	assert.Equal(t, base.Add(59*time.Second).UnixNano(), final.Key)
}

func TestMaxPagesPerPollBound(t *testing.T) {
	srv, c, _, clock := tinesBacklog(t, simulator.Options{}, 30)
	r := newRig(t, srv, c, nil, clock, withPageSize(5), withMaxPages(2))
	polls := 0
	for {
		pages, _, err := r.poll()
		require.NoError(t, err)
		require.LessOrEqual(t, pages, 2)
		polls++
		if r.st.cur.State.Walk == nil {
			break
		}
		require.Less(t, polls, 20)
	}
	assert.Equal(t, 3, polls, "30 records in pages of 5, two pages per poll (the last page of 0 or 5 ends the walk)")
	requireExactlyOnce(t, r.want(), r.got())
}

// An API that ignores the page parameter serves page 1 forever: the poll
// must fail after a few repeats instead of looping, and must not end the walk
// (which would count the unread pages as read).
func TestRepeatedPageFailsThePollInsteadOfLooping(t *testing.T) {
	srv, c, _, clock := tinesBacklog(t, simulator.Options{}, 12)
	var requests atomic.Int32
	srv.setHook(func(r *http.Request) {
		requests.Add(1)
		q := r.URL.Query()
		q.Set("page", "1")
		r.URL.RawQuery = q.Encode()
	})
	r := newRig(t, srv, c, nil, clock, withPageSize(5))
	_, records, err := r.poll()
	require.ErrorIs(t, err, cursor.ErrRepeatedPage)
	assert.Contains(t, err.Error(), "/api/v1/actions/")
	assert.Equal(t, 5, records, "page 1 is delivered once")
	assert.Equal(t, int32(cursor.MaxRepeatedPages+2), requests.Load(), "page 1, the repeats walked through, the one that fails")
	require.NotNil(t, r.st.cur.State.Walk, "the walk must stay open: its lower pages were never read")

	requests.Store(0)
	_, records, err = r.poll()
	require.ErrorIs(t, err, cursor.ErrRepeatedPage)
	assert.Zero(t, records)
	assert.Equal(t, int32(1), requests.Load(), "a later poll fails on its first request")
	assert.Len(t, r.got(), 5)
}

// Exactly one page of new records arriving between two requests of a
// newest-first walk by page number makes the next page equal to the last
// one. That is not a loop: the walk must go on and read the rest.
func TestPageShiftedByExactlyOnePageLosesNothing(t *testing.T) {
	srv, c, base, clock := tinesBacklog(t, simulator.Options{}, 30)
	var shifted atomic.Int32
	srv.setHook(func(r *http.Request) {
		// Before pages 3 and 4: one page of newer records each time.
		if p := r.URL.Query().Get("page"); (p == "3" || p == "4") && shifted.Load() < 2 {
			n := shifted.Add(1)
			addTo(srv, c, 5, base.Add(time.Duration(40+n)*time.Second))
		}
	})
	r := newRig(t, srv, c, nil, clock, withPageSize(5))
	_, _, err := r.poll()
	require.NoError(t, err)
	require.Equal(t, int32(2), shifted.Load())
	r.drain()
	requireExactlyOnce(t, r.want(), r.got())
}

// A next link the walk already followed is a loop: the poll fails before
// the page is applied and retries from the same place.
func TestNextLinkLoopFailsThePoll(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	var requests atomic.Int32
	srv.serve = func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		// Every page links to page 2, page 2 to itself.
		next := "http://" + r.Host + r.URL.Path + "?page=2&page_size=3"
		_, _ = w.Write([]byte(`{"count":3,"next":"` + next + `","previous":null,"results":[` +
			`{"id":3,"created_at":"2024-01-01T00:00:03.000000Z","level":20},` +
			`{"id":2,"created_at":"2024-01-01T00:00:02.000000Z","level":20},` +
			`{"id":1,"created_at":"2024-01-01T00:00:01.000000Z","level":20}]}`))
	}
	c := caseOf(t, simulator.APIOMSActionLogs)
	clock := &fakeClock{now: time.Date(2024, 1, 1, 1, 0, 0, 0, time.UTC)}
	r := newRig(t, srv, c, nil, clock, withPageSize(3), func(s *Settings, _ *httpclientConfig) {
		spec := *s.Spec
		spec.Pagination.Type = "next_url"
		s.Spec = &spec
	})
	_, records, err := r.poll()
	require.ErrorIs(t, err, cursor.ErrLinkLoop)
	assert.Equal(t, 3, records)
	assert.Equal(t, int32(2), requests.Load())
	require.NotNil(t, r.st.cur.State.Walk)
	assert.Contains(t, r.st.cur.State.Walk.Next.URL, "page=2")
}

func TestTinesStringNullNextPage(t *testing.T) {
	srv, c, _, clock := tinesBacklog(t, simulator.Options{StringNullNextPage: true}, 10)
	r := newRig(t, srv, c, nil, clock, withPageSize(5))
	pages, records, err := r.poll()
	require.NoError(t, err)
	assert.Equal(t, 2, pages, `"null" as next_page ends the walk on page 2`)
	assert.Equal(t, 10, records)
	requireExactlyOnce(t, r.want(), r.got())
}

func TestLogtoPre140(t *testing.T) {
	srv := newSimServer(t, simulator.Options{LogtoPre140: true})
	c := caseOf(t, simulator.APILogtoLogs)
	base := baseTime()
	clock := &fakeClock{now: base}
	r := newRig(t, srv, c, nil, clock, withPageSize(4))
	for round := range 5 {
		for i := range 3 {
			addTo(srv, c, 1, base.Add(time.Duration(round*10+i)*time.Millisecond))
		}
		clock.Set(base.Add(time.Duration(round*10+5) * time.Millisecond))
		r.drain()
	}
	requireExactlyOnce(t, r.want(), r.got())
}

// omsFake serves two pages: page 1 says a next page exists, page 2 is the
// DRF "Invalid page." 404 (the list shrank, or the count was off).
func omsFake() http.HandlerFunc {
	var body strings.Builder
	body.WriteString(`{"count":3,"next":"NEXT","previous":null,"results":[`)
	for i := 3; i >= 1; i-- {
		if i < 3 {
			body.WriteString(",")
		}
		body.WriteString(`{"id":` + strconv.Itoa(i) + `,"created_at":"2024-01-01T00:00:0` + strconv.Itoa(i) + `.000000Z","level":20}`)
	}
	body.WriteString("]}")
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("page") == "2" {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"detail":"Invalid page."}`))
			return
		}
		next := "http://" + r.Host + r.URL.Path + "?page=2&page_size=3"
		_, _ = w.Write([]byte(strings.Replace(body.String(), "NEXT", next, 1)))
	}
}

func TestOMS404PastTheEndEndsTheWalk(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	srv.serve = omsFake()
	c := caseOf(t, simulator.APIOMSActionLogs)
	clock := &fakeClock{now: time.Date(2024, 1, 1, 1, 0, 0, 0, time.UTC)}
	r := newRig(t, srv, c, nil, clock, withPageSize(3))
	pages, records, err := r.poll()
	require.NoError(t, err, "a 404 past the last page is the end of the list, not an error")
	assert.Equal(t, 2, pages)
	assert.Equal(t, 3, records)
	st := r.stored()
	assert.Nil(t, st.Walk)
	assert.Equal(t, time.Date(2024, 1, 1, 0, 0, 3, 0, time.UTC).UnixNano(), st.Key)
}

func TestMakeEnrichmentAddsErrorAttributes(t *testing.T) {
	srv := newSimServer(t, simulator.Options{Seed: 3})
	c := caseOf(t, simulator.APIMakeScenarioLogs)
	base := baseTime()
	clock := &fakeClock{now: base.Add(time.Minute)}
	for i := range 40 {
		addTo(srv, c, 1, base.Add(time.Duration(i)*time.Millisecond))
	}
	r := newRig(t, srv, c, nil, clock, withPageSize(50), func(s *Settings, _ *httpclientConfig) { s.Enrich = true })
	r.drain()
	failed, ok := 0, 0
	for _, lr := range r.consumer.logRecords() {
		status := fieldOf(lr, "make", "status")
		hasName := present(fieldOf(lr, "make", "execution.error.name"))
		hasMsg := present(fieldOf(lr, "make", "execution.error.message"))
		// The message is written again once the details are in: the
		// run's scenario (the stream), its type, its status and its error.
		run := "scenario " + c.stream + " " + fieldOf(lr, "make", "type").Str() + " run: "
		assert.Equal(t, "make.scenario_log", lr.EventName())
		switch status.Int() {
		case 3:
			failed++
			assert.True(t, hasName && hasMsg, "status 3 records carry make: {execution: {error: ...}}")
			assert.Equal(t, "ConnectionError", fieldOf(lr, "make", "execution.error.name").AsString())
			assert.Equal(t, "http:ActionSendData", fieldOf(lr, "make", "execution.error.module").AsString())
			assert.Equal(t, run+"error: ConnectionError: Request failed with status code 502 (module http:ActionSendData)", lr.Body().Str())
		case 2:
			assert.Equal(t, run+"warning: BundleValidationError: Validation failed for 1 parameter(s). (module json:ParseJSON)", lr.Body().Str())
		case 1:
			ok++
			assert.False(t, hasName, "successful executions are not enriched")
			assert.Equal(t, run+"success", lr.Body().Str())
		}
	}
	require.Positive(t, failed, "seed must produce some failed executions")
	require.Positive(t, ok)
}

// With team_id and no scenario ids, the source lists the team's scenarios
// and polls each of them.
func TestMakeDiscoveryByTeam(t *testing.T) {
	srv := newSimServer(t, simulator.Options{InitialRecords: 3})
	c := caseOf(t, simulator.APIMakeScenarioLogs)
	clock := &fakeClock{now: time.Now()}
	r := newRig(t, srv, c, nil, clock, func(s *Settings, _ *httpclientConfig) {
		s.StreamIDs = nil
		s.Vars.Set("team_id", "7")
		s.Interval = time.Hour
		s.Now = time.Now
		s.DiscoveryEvery = time.Hour
	})
	require.NotNil(t, r.src.disc, "discovery is wanted when team_id is set and no scenario_ids")
	r.src.Start()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, r.src.Stop(ctx))
	})
	require.Eventually(t, func() bool {
		r.src.mu.Lock()
		defer r.src.mu.Unlock()
		return len(r.src.streams) == 3
	}, 10*time.Second, 20*time.Millisecond)
	r.src.mu.Lock()
	for _, id := range []string{"7001", "7002", "7003"} {
		assert.Contains(t, r.src.streams, id)
	}
	r.src.mu.Unlock()
	// Every discovered scenario's history (3 records each) arrives.
	require.Eventually(t, func() bool { return len(r.consumer.uids()) == 9 }, 10*time.Second, 20*time.Millisecond)
}

func TestStopDuringHangingRequest(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	c := caseOf(t, simulator.APITinesActionLogs)
	addTo(srv, c, 3, time.Now().Add(-time.Minute))
	require.NoError(t, srv.sim.SetFault(simulator.Fault{Kind: simulator.FaultSlow, Slow: time.Minute}))
	inFlight := make(chan struct{}, 1)
	srv.setHook(func(*http.Request) {
		select {
		case inFlight <- struct{}{}:
		default:
		}
	})
	clock := &fakeClock{now: time.Now()}
	r := newRig(t, srv, c, nil, clock, func(s *Settings, _ *httpclientConfig) { s.Now = time.Now })
	r.src.Start()
	select {
	case <-inFlight:
	case <-time.After(10 * time.Second):
		t.Fatal("no request was sent")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, r.src.Stop(ctx))
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Empty(t, r.got())
	assert.Nil(t, r.stored(), "nothing was delivered, so nothing was checkpointed")
}

func TestStopWithoutStart(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	r := newRig(t, srv, caseOf(t, simulator.APITinesActionLogs), nil, &fakeClock{now: time.Now()})
	require.NoError(t, r.src.Stop(context.Background()))
}

// A next link to another origin is refused; once the API serves proper links
// again the stream must make progress instead of retrying the stored foreign
// link forever.
func TestForeignNextLinkDoesNotWedgeTheStream(t *testing.T) {
	srv, c, _, clock := tinesBacklog(t, simulator.Options{}, 12)
	require.NoError(t, srv.sim.SetFault(simulator.Fault{Kind: simulator.FaultForeignNext, API: c.api, Count: 1}))
	r := newRig(t, srv, c, nil, clock, withPageSize(5), func(s *Settings, _ *httpclientConfig) {
		s.Spec.Pagination.Type = "next_url"
	})
	_, _, err := r.poll()
	require.ErrorContains(t, err, "refused a next-page link")
	assert.Empty(t, srv.sim.ForeignRequests())

	// The fault fired once; the API's links are fine from now on.
	for range 3 {
		_, _, _ = r.poll()
	}
	requireExactlyOnce(t, r.want(), r.got())
	if st := r.stored(); st.Walk != nil {
		assert.NotContains(t, st.Walk.Next.URL, srv.sim.ForeignURL(), "a foreign link must never be checkpointed")
	}
}

// The enrichment budget is per poll, across all the pages of the poll.
func TestMakeEnrichmentBudgetIsPerPoll(t *testing.T) {
	srv := newSimServer(t, simulator.Options{Seed: 3})
	c := caseOf(t, simulator.APIMakeScenarioLogs)
	base := baseTime()
	clock := &fakeClock{now: base.Add(time.Minute)}
	for i := range 40 {
		addTo(srv, c, 1, base.Add(time.Duration(i)*time.Millisecond))
	}
	r := newRig(t, srv, c, nil, clock, withPageSize(5), func(s *Settings, _ *httpclientConfig) {
		spec := *s.Spec
		enrich := *spec.Enrich
		enrich.MaxPerPoll = 2
		spec.Enrich = &enrich
		s.Spec, s.Enrich = &spec, true
	})
	pages, _, err := r.poll()
	require.NoError(t, err)
	require.Greater(t, pages, 1, "the poll must span several pages")
	candidates, enriched := 0, 0
	for _, lr := range r.consumer.logRecords() {
		status := fieldOf(lr, "make", "status")
		if status.Int() == 2 || status.Int() == 3 {
			candidates++
		}
		if present(fieldOf(lr, "make", "execution.status")) {
			enriched++
		}
	}
	require.Greater(t, candidates, 2, "seed must produce more failed or warned executions than the budget")
	assert.Equal(t, 2, enriched)
}
