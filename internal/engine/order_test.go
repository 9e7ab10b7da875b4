package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// A stream whose pages come plainly in the reverse of the declared order
// (a wrong spec) fails its poll with an error that names the stream and
// what was seen; its cursor does not move and nothing is delivered, poll
// after poll. The other stream of the same API goes on.
func TestReversedPagesFailTheirPoll(t *testing.T) {
	srv := newSimServer(t, simulator.Options{OutOfOrder: []string{simulator.APITinesActionLogs + "/1001"}})
	good := caseOf(t, simulator.APITinesActionLogs)
	bad := good
	good.stream, good.simStream = "1002", "1002"
	base := baseTime()
	for i := range 12 {
		addTo(srv, bad, 1, base.Add(-time.Duration(12-i)*time.Minute))
		addTo(srv, good, 1, base.Add(-time.Duration(12-i)*time.Minute))
	}
	clock := &fakeClock{now: base}
	store := cursor.NewStore(nil)
	r := newRig(t, srv, bad, store, clock, withPageSize(20))
	for range 2 {
		before := srv.totalRequests()
		_, records, err := r.poll()
		assert.Equal(t, 1, srv.totalRequests()-before, "the poll stops at the page that contradicts the order")
		require.ErrorIs(t, err, cursor.ErrOrder)
		assert.Zero(t, records)
		assert.Contains(t, err.Error(), "stream 1001")
		assert.Contains(t, err.Error(), "GET /tines/api/v1/actions/1001/logs")
		assert.Contains(t, err.Error(), "declares newest first, but 11 of the 11 neighboring records")
		assert.Nil(t, r.stored(), "the cursor never moved")
		assert.Empty(t, r.got())
		clock.Add(time.Minute)
	}

	g := newRig(t, srv, good, store, clock, withPageSize(20))
	before := srv.totalRequests()
	_, records, err := g.poll()
	require.NoError(t, err)
	assert.Equal(t, 1, srv.totalRequests()-before, "twelve records, one short page")
	assert.Equal(t, 12, records)
	requireExactlyOnce(t, g.want(), g.got())
}

// Akinon OMS lists by id while the cursor follows created_at: a record
// written a few milliseconds "late" by a concurrent worker sits after a
// newer one, here across a page boundary. With the default settle that is
// within what the overlap absorbs: no error, and every record exactly once
// (the record after the boundary is newer than the walk's edge, and told
// apart from the delivered ones by id).
func TestSmallDisorderAcrossPagesIsDelivered(t *testing.T) {
	c := caseOf(t, simulator.APIOMSActionLogs)
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	// Inserted in id order; newest id first gives F E | D C | B A by page of
	// two, and D was created 3 ms after E.
	for _, at := range []time.Duration{
		-10 * time.Second,                   // A
		-9 * time.Second,                    // B
		-8 * time.Second,                    // C
		-7*time.Second + 3*time.Millisecond, // D
		-7 * time.Second,                    // E
		-6 * time.Second,                    // F
	} {
		addTo(srv, c, 1, base.Add(at))
	}
	clock := &fakeClock{now: base}
	r := newRig(t, srv, c, nil, clock, withPageSize(2), func(s *Settings, _ *httpclientConfig) { s.Settle = 2 * time.Second })
	_, records, err := r.poll()
	require.NoError(t, err)
	assert.Equal(t, 6, records)
	clock.Add(time.Minute)
	r.drain()
	requireExactlyOnce(t, r.want(), r.got())
}

// The OMS: a record with a higher id is 20 s older than the one
// after it (Django sets created_at before the row gets its id). Before,
// every poll failed on that page for good and none of the 15 records
// created in the next 40 s was delivered. Now every record arrives once,
// including one that shows up 15 s below the cursor, the stream warns once
// naming the records, keeps the widened re-read in its cursor, and an idle
// poll still costs one request.
func TestDisorderedOMSKeepsFlowing(t *testing.T) {
	c := caseOf(t, simulator.APIOMSActionLogs)
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	for i := range 10 {
		addTo(srv, c, 1, base.Add(-60*time.Second+time.Duration(i)*2*time.Second))
	}
	addTo(srv, c, 1, base.Add(-42*time.Second-20*time.Second)) // the slow request: 20 s older than the last one
	clock := &fakeClock{now: base}
	requests := listRequests(srv, clock)
	core, logs := observer.New(zapcore.InfoLevel)
	settle := func(s *Settings, _ *httpclientConfig) { s.Settle = 2 * time.Second }
	r := newLoggingRig(t, srv, c, nil, clock, zap.New(core), withPageSize(20), settle)
	_, records, err := r.poll()
	require.NoError(t, err)
	assert.Equal(t, 11, records)
	assert.Equal(t, int64(1), requests.Load(), "eleven records, one short page")

	for i := range 15 {
		clock.Set(base.Add(time.Duration(i+1) * 40 * time.Second / 15))
		at := clock.Now().Add(-time.Second)
		if i == 7 {
			at = at.Add(-15 * time.Second) // visible 15 s after its time: below the cursor
		}
		addTo(srv, c, 1, at)
		before := requests.Load()
		_, records, err := r.poll()
		require.NoError(t, err, "poll %d", i)
		assert.Equal(t, 1, records, "poll %d", i)
		assert.Equal(t, int64(1), requests.Load()-before, "list requests of poll %d: the newest 20 records reach twice the span below the cursor", i)
	}
	requireExactlyOnce(t, r.want(), r.got())

	warned := logs.FilterMessageSnippet("out of the declared order").All()
	require.Len(t, warned, 1, "one warning, not one per poll")
	f := warned[0].ContextMap()
	assert.Equal(t, zapcore.WarnLevel, warned[0].Level)
	assert.Equal(t, 20*time.Second, f["disorder"])
	assert.Equal(t, 40*time.Second, f["reread_below_cursor"])
	assert.Equal(t, base.Add(-42*time.Second).UTC(), f["record_time"], "the record after the slow one")
	assert.Equal(t, base.Add(-62*time.Second).UTC(), f["preceding_time"], "the slow one")
	assert.NotEmpty(t, f["record_id"])
	assert.NotEmpty(t, f["preceding_id"])
	assert.Equal(t, int64(40*time.Second), r.stored().Disorder, "kept in the cursor")
}

// The timeline: the OMS stream is caught up when the slow
// request's record appears (its id the highest, its created_at 20 s before
// the record after it, below the cursor), then 15 records over 40 s, a
// poll after each. Before, every poll failed from the first one on and
// none of the 16 was delivered. Now all arrive once, the slow one too (it
// is listed before the first record of the previous walk: inserted since),
// one poll costs one request, and the stream warns once.
func TestDisorderedOMSCaughtUpStream(t *testing.T) {
	c := caseOf(t, simulator.APIOMSActionLogs)
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	for i := range 10 {
		addTo(srv, c, 1, base.Add(-60*time.Second+time.Duration(i)*2*time.Second))
	}
	clock := &fakeClock{now: base}
	requests := listRequests(srv, clock)
	core, logs := observer.New(zapcore.InfoLevel)
	settle := func(s *Settings, _ *httpclientConfig) { s.Settle = 2 * time.Second }
	r := newLoggingRig(t, srv, c, nil, clock, zap.New(core), withPageSize(20), settle)
	_, records, err := r.poll()
	require.NoError(t, err)
	require.Equal(t, 10, records)

	clock.Add(time.Second)
	addTo(srv, c, 1, base.Add(-62*time.Second)) // 20 s older than the last record, 62 s below the cursor
	for i := range 16 {
		if i > 0 {
			clock.Set(base.Add(time.Second + time.Duration(i)*40*time.Second/15))
			addTo(srv, c, 1, clock.Now().Add(-time.Second))
		}
		before := requests.Load()
		_, records, err := r.poll()
		require.NoError(t, err, "poll %d", i)
		assert.Equal(t, 1, records, "poll %d", i)
		assert.Equal(t, int64(1), requests.Load()-before, "list requests of poll %d", i)
	}
	requireExactlyOnce(t, r.want(), r.got())
	warned := logs.FilterMessageSnippet("out of the declared order").All()
	require.Len(t, warned, 1, "one warning, not one per poll")
	assert.Equal(t, base.Add(-62*time.Second).UTC(), warned[0].ContextMap()["preceding_time"], "the slow one")
	assert.Equal(t, int64(40*time.Second), r.stored().Disorder)
}

// sortsByTime: Logto, StackOne and Make sort by time (Make by imtId, which
// begins with the time), so a record the simulator dates out of step shows
// there as a late one only, which settle is for.
func sortsByTime(api string) bool {
	return api == simulator.APILogtoLogs || api == simulator.APIStackOneActionLogs || strings.HasPrefix(api, "make_")
}

// Every built-in API under the simulator's disorder habit (every fifth
// record dated 20 s before the one created before it): a history, then
// two records a poll, some of them dated below the cursor. Every record
// arrives once, every poll costs one request at the API's largest page, and
// the APIs that list by id (Tines, OMS) report the disorder they showed.
// Logto, StackOne and Make sort by time: there the habit makes late
// records, which a settle of 25 s covers.
func TestDisorderEveryAPI(t *testing.T) {
	for _, c := range apiCases {
		t.Run(c.api, func(t *testing.T) {
			srv := newSimServer(t, simulator.Options{DisorderBy: 20 * time.Second})
			base := baseTime()
			for i := range 30 {
				addTo(srv, c, 1+i%2, base.Add(-time.Duration(30-i)*17*time.Second))
			}
			clock := &fakeClock{now: base}
			requests := listRequests(srv, clock)
			settle := time.Duration(0)
			if sortsByTime(c.api) {
				settle = 25 * time.Second
			}
			r := newRig(t, srv, c, nil, clock, withPageSize(maxPageSize(t, c.api)), func(s *Settings, _ *httpclientConfig) { s.Settle = settle })
			_, records, err := r.poll()
			require.NoError(t, err)
			require.Equal(t, 45, records, "the first poll reads the whole history")
			require.Equal(t, int64(1), requests.Load())

			for poll := 1; poll <= 10; poll++ {
				clock.Add(15 * time.Second)
				addTo(srv, c, 2, clock.Now().Add(-time.Second))
				before := requests.Load()
				_, records, err := r.poll()
				require.NoError(t, err)
				assert.Equal(t, 2, records, "poll %d", poll)
				assert.Equal(t, int64(1), requests.Load()-before, "list requests of poll %d", poll)
			}
			requireExactlyOnce(t, r.want(), r.got())
			assert.Equal(t, int64(13), srv.sim.Stats().Modes.Disordered, "every fifth of 65 records")
			if sortsByTime(c.api) {
				assert.Zero(t, r.stored().Disorder, "a list sorted by time shows no disorder")
			} else {
				assert.Equal(t, int64(40*time.Second), r.stored().Disorder, "twice the 20 s the list showed")
			}
		})
	}
}

// A record dated an hour ahead (a vendor's clock, a bad import) never takes
// the cursor past the clock plus settle, on every built-in API: an API
// with a time filter returns it in the window that reaches its date, one
// without delivers it at once and keeps its id while it stays above the
// cursor; the 15 records created after it in the next 40 s arrive at once.
// Before, Tines action logs, OMS and Make module logs moved the cursor to
// the record and stalled for the hour: 0 of the 15 delivered.
func TestFutureRecordEveryAPI(t *testing.T) {
	for _, c := range apiCases {
		t.Run(c.api, func(t *testing.T) {
			srv := newSimServer(t, simulator.Options{})
			base := baseTime()
			for i := range 10 {
				addTo(srv, c, 1, base.Add(-time.Duration(10-i)*10*time.Second))
			}
			future := base.Add(time.Hour)
			addTo(srv, c, 1, future)
			futureID := srv.expected(c)[10]
			clock := &fakeClock{now: base}
			core, logs := observer.New(zapcore.InfoLevel)
			settle := 2 * time.Second
			r := newLoggingRig(t, srv, c, nil, clock, zap.New(core), withPageSize(maxPageSize(t, c.api)), func(s *Settings, _ *httpclientConfig) { s.Settle = settle })
			spec, err := apispec.Builtin(c.api)
			require.NoError(t, err)
			filtered := spec.TimeFilter != nil

			for i := range 16 {
				if i > 0 {
					clock.Set(base.Add(time.Duration(i) * 40 * time.Second / 15))
					addTo(srv, c, 1, clock.Now().Add(-time.Second))
				}
				_, _, err := r.poll()
				require.NoError(t, err)
				assert.LessOrEqual(t, r.st.cur.State.Key, clock.Now().Add(settle).UnixNano(), "poll %d: the cursor is not past the clock plus settle", i)
			}
			got := r.got()
			wantNow := slicesWithout(r.want(), futureID)
			if filtered {
				requireExactlyOnce(t, wantNow, got)
				assert.Zero(t, logs.FilterMessageSnippet("dated after the clock").Len())
				clock.Set(future.Add(time.Minute))
				r.drain()
				requireExactlyOnce(t, r.want(), r.got())
				return
			}
			requireExactlyOnce(t, r.want(), got)
			warned := logs.FilterMessageSnippet("dated after the clock").All()
			require.Len(t, warned, 1, "one warning")
			assert.Equal(t, future.UTC().Truncate(precisionOf(t, c)), warned[0].ContextMap()["example_time"])
			assert.Zero(t, logs.FilterMessageSnippet("Stream stalled").Len())
		})
	}
}

func slicesWithout(list []string, drop string) []string {
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}
