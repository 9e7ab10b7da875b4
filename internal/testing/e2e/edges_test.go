package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/otlpsink"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// The edges of the real services (issue 13) through the built collector,
// with graceful restarts and SIGKILLs: Logto tie groups larger than a page,
// servers that cap the page size silently, Make runs listed before they
// finish. Each test walks a backlog with graceful restarts in the middle,
// checks that every record arrived exactly once, then walks a second
// backlog with SIGKILLs in the middle and checks that nothing was lost and
// at most one page per stream per kill was repeated. The receivers' request
// budgets are small so that the walks take seconds and the interruptions
// land inside them.

// kill sends SIGKILL and starts the collector again.
func (h *harness) kill() {
	h.t.Helper()
	h.col.Kill()
	h.start()
}

// restart stops the collector gracefully and starts it again.
func (h *harness) restart() {
	h.t.Helper()
	h.stop()
	h.start()
}

// interruptWhen interrupts the collector (restart or kill) at each of len(at)
// moments: once at[i] says so, checked every 100 ms, after the sink received
// at least one record since the previous interruption. It returns what at
// said at each moment, for the test's own checks.
func interruptWhen(t *testing.T, sink *otlpsink.Sink, interrupt func(), at ...func() (bool, string)) []string {
	t.Helper()
	var notes []string
	last := sink.Records()
	for i, ready := range at {
		end := time.Now().Add(2 * time.Minute)
		for {
			ok, note := ready()
			if ok && sink.Records() > last {
				notes = append(notes, note)
				break
			}
			require.True(t, time.Now().Before(end), "interruption %d never came due: %s", i+1, note)
			time.Sleep(100 * time.Millisecond)
		}
		interrupt()
		last = sink.Records()
	}
	return notes
}

// atRecords is an interruptWhen moment: the sink holds at least n records.
func atRecords(sink *otlpsink.Sink, n int64) func() (bool, string) {
	return func() (bool, string) {
		got := sink.Records()
		return got >= n, fmt.Sprintf("%d records in the sink", got)
	}
}

// requireKillBound checks a phase with SIGKILLs: nothing lost, nothing
// unexpected or in a wrong state, at most one page (of pageOf the
// receiver) per stream per kill delivered twice.
func requireKillBound(t *testing.T, sim *simulator.Simulator, sink chaosrun.Sink, rs []chaosrun.Receiver, kills int, pageOf func(chaosrun.Receiver) int) {
	t.Helper()
	for i, tally := range chaosrun.CountAll(sim, sink, rs) {
		assert.Zero(t, tally.Lost, "%s", tally)
		assert.Zero(t, tally.Unexpected, "%s", tally)
		assert.Zero(t, tally.WrongState, "%s", tally)
		assert.LessOrEqual(t, tally.Duplicated, kills*pageOf(rs[i])*rs[i].Streams, "%s", tally)
	}
}

// tieGroups are the times of the Logto tie groups a test created, with their sizes.
type tieGroups struct {
	sim    *simulator.Simulator
	sink   *otlpsink.Sink
	groups map[int64]int // unix ms -> records
}

// add creates n tied records at `at` and records the group.
func (g *tieGroups) add(n int, at time.Time) {
	g.sim.AddRecords(simulator.APILogtoLogs, "", n, at)
	g.groups[at.UnixMilli()] = n
}

// partial is an interruptWhen moment: some group arrived in part.
func (g *tieGroups) partial() (bool, string) {
	got := g.sink.Received(simulator.APILogtoLogs)
	delivered := map[int64]int{}
	for _, ref := range g.sim.Records(simulator.APILogtoLogs) {
		if _, ok := g.groups[ref.Time.UnixMilli()]; ok && got["default/"+ref.ID] > 0 {
			delivered[ref.Time.UnixMilli()]++
		}
	}
	var state []string
	for ms, n := range g.groups {
		if d := delivered[ms]; d > 0 && d < n {
			return true, fmt.Sprintf("group of %d at %d: %d delivered", n, ms, d)
		}
		state = append(state, fmt.Sprintf("%d/%d", delivered[ms], n))
	}
	return false, "groups delivered: " + strings.Join(state, " ")
}

// A millisecond holding more Logto records than its largest page (100),
// returned in a new order on every request (or, 1.42/stable_order, in the
// same order every time), is read until as many ids as
// Total-Number counts were seen, on Logto 1.42 (inclusive bounds) and
// 1.40-1.41 (exclusive bounds, 400 on start_time = end_time). Groups of
// 90 to 250 records at page_size 20, with graceful restarts and SIGKILLs
// while a group is half delivered: every record once after the restarts,
// none lost after the kills, and no group reported short (the reads
// allowed, cursor.TieReadBound, miss a record of a group in a new order on
// every request with a chance below one in a billion; the 20 reads allowed
// before missed one of a group of 250 about once in sixteen groups).
func TestLogtoTieGroupsLargerThanAPageWithRestartsAndKills(t *testing.T) {
	collectorBinary(t)
	for _, v := range []struct {
		name         string
		v140, stable bool
	}{{"1.42", false, false}, {"1.40", true, false}, {"1.42/stable_order", false, true}} {
		t.Run(v.name, func(t *testing.T) {
			sim := startSimulator(t, simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: -1, Seed: 13, Logto140: v.v140, LogtoStableTies: v.stable})
			sink := startSink(t)
			receivers := chaosrun.Select(chaosrun.BuiltinReceivers(sim.URL()), chaosrun.Logto)
			// Two requests a second: a group of 200 takes about ten reads.
			h := newHarness(t, chaosrun.Config{Receivers: receivers, SinkURL: sink.Endpoint(), PageSize: 20, RequestsPerMinute: 120})
			g := &tieGroups{sim: sim, sink: sink, groups: map[int64]int{}}
			// Backlog: each group below single records a millisecond apart,
			// the first of them right above the group (a tie read on 1.40
			// asks from one millisecond below to one above, exclusive).
			backlog := func(base time.Time, sizes ...int) int {
				n := 0
				for i, size := range sizes {
					at := base.Add(time.Duration(i) * time.Second)
					for k := range 15 {
						sim.AddRecords(simulator.APILogtoLogs, "", 1, at.Add(time.Duration(k+1)*time.Millisecond))
					}
					g.add(size, at)
					n += 15 + size
				}
				return n
			}
			want := backlog(time.Now().Add(-30*time.Minute), 90, 150, 250)
			h.start()
			notes := interruptWhen(t, sink, h.restart, g.partial, g.partial)
			t.Logf("graceful restarts: %v", notes)
			waitFor(t, 2*time.Minute, allDelivered(sim, sink, receivers, map[string]int{chaosrun.Logto: want}))
			time.Sleep(2 * time.Second) // a duplicate would arrive now
			requireExact(t, sim, sink, receivers)

			// A second backlog above the cursor, with SIGKILLs.
			want += backlog(time.Now().Add(100*time.Millisecond), 120, 250)
			notes = interruptWhen(t, sink, h.kill, g.partial, g.partial)
			t.Logf("SIGKILLs: %v", notes)
			waitFor(t, 2*time.Minute, allDelivered(sim, sink, receivers, map[string]int{chaosrun.Logto: want}))
			time.Sleep(2 * time.Second)
			// A kill repeats at most the page in flight: a tie read's page is 100.
			requireKillBound(t, sim, sink, receivers, 2, func(r chaosrun.Receiver) int { return max(20, r.TiePageSize) })
			h.stop()
			assert.Zero(t, strings.Count(h.col.Log(), "still missed some"), "tie groups read as often as allowed and still short (collector log)")
		})
	}
}

// capAt is the page size the capping server gives whatever it is asked.
const capAt = 37

// A server that caps every list page at 37 records without saying so,
// while every built-in API (and a custom spec) asks for its default page
// size (its largest): a short page ends no walk unless the API's own
// signal, total or echoed size says so. Each API's records (ties of one to
// three at its precision) arrive once across graceful restarts in the middle
// of the walks, and none is lost across SIGKILLs.
func TestCappedPagesEveryAPIWithRestartsAndKills(t *testing.T) {
	collectorBinary(t)
	sim := startSimulator(t, simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: -1, Seed: 37, CapPageSize: capAt})
	sink := startSink(t)
	receivers := append(chaosrun.BuiltinReceivers(sim.URL()), chaosrun.CustomTinesAudit(sim.URL()))
	for i := range receivers {
		if receivers[i].ID == chaosrun.MakeScenarios {
			// Execution details would take most of the small budget (and a
			// page waits up to 10 s for them): this test is about list pages.
			receivers[i].Settings = append(receivers[i].Settings, "enrich_executions: false")
		}
	}
	// Four requests a second per budget (the Make receivers share one).
	h := newHarness(t, chaosrun.Config{Receivers: receivers, SinkURL: sink.Endpoint(), RequestsPerMinute: 240, Settle: "2s"})
	const perStream = 120
	minCreated := map[string]int{}
	// backlog adds perStream records to every stream, in ties of one to
	// three, step apart from start on.
	backlog := func(start time.Time, step time.Duration) int64 {
		total := int64(0)
		for _, r := range receivers {
			minCreated[r.ID] += perStream * r.Streams
			total += int64(perStream * r.Streams)
		}
		done := map[string]bool{}
		for _, r := range receivers {
			for _, s := range r.SimStreams {
				if done[r.SimAPI+"|"+s] {
					continue
				}
				done[r.SimAPI+"|"+s] = true
				at := start
				for i := 0; i < perStream; {
					k := min(1+i%3, perStream-i)
					sim.AddRecords(r.SimAPI, s, k, at)
					at = at.Add(step)
					i += k
				}
			}
		}
		return total
	}
	// Seven seconds apart over the last hours: Tines counts seconds.
	total := backlog(time.Now().Add(-3*time.Hour), 7*time.Second)
	h.start()
	notes := interruptWhen(t, sink, h.restart, atRecords(sink, total/5), atRecords(sink, total/2))
	t.Logf("graceful restarts at: %v of %d", notes, total)
	waitFor(t, 2*time.Minute, allDelivered(sim, sink, receivers, minCreated))
	time.Sleep(3 * time.Second)
	requireExact(t, sim, sink, receivers)
	before := sink.Records()

	// A second backlog above every cursor, over the next two seconds (the
	// Tines APIs get ties of about 40 in one second, more than the cap).
	total += backlog(time.Now().Add(200*time.Millisecond), 30*time.Millisecond)
	notes = interruptWhen(t, sink, h.kill, atRecords(sink, before+(total-before)/5), atRecords(sink, before+(total-before)/2))
	t.Logf("SIGKILLs at: %v of %d", notes, total)
	waitFor(t, 2*time.Minute, allDelivered(sim, sink, receivers, minCreated))
	time.Sleep(3 * time.Second)
	requireKillBound(t, sim, sink, receivers, 2, func(chaosrun.Receiver) int { return capAt })
	st := sim.Stats()
	assert.Positive(t, st.Modes.CappedRequests, "no request was capped")
	h.stop()
}

// Make scenario runs listed before they finish (status 0), finishing after
// 1, 2 and 10 list answers (about as many polls), while runs keep coming:
// the cursor holds below the oldest unfinished run, across graceful
// restarts and SIGKILLs. Every run arrives once, with its final status
// (never 0, never marked api_logs.unfinished), failed runs with their
// failure from the execution details; nothing lost after the kills.
func TestMakeUnfinishedRunsWithRestartsAndKills(t *testing.T) {
	collectorBinary(t)
	// History within the last 10 minutes: a pending run older than
	// max_pending (1 h) would rightly be delivered as it stands.
	sim := startSimulator(t, simulator.Options{
		Mode: simulator.ModeChaos, ChaosRatePerSecond: 4, InitialRecords: 20, HistorySpan: 10 * time.Minute, Seed: 8,
		MakePendingLists: []int{0, 1, 2, 10},
	})
	sink := startSink(t)
	tp := startTap(t, sink.Endpoint())
	receivers := chaosrun.Select(chaosrun.BuiltinReceivers(sim.URL()), chaosrun.MakeScenarios)
	h := newHarness(t, chaosrun.Config{Receivers: receivers, SinkURL: tp.url, PageSize: 20, RequestsPerMinute: 6000, Settle: "2s"})
	minCreated := map[string]int{chaosrun.MakeScenarios: 3 * 20}

	h.start()
	time.Sleep(4 * time.Second)
	h.restart()
	time.Sleep(4 * time.Second)
	h.restart()
	time.Sleep(2 * time.Second)
	sim.Pause()
	waitFor(t, 2*time.Minute, allDelivered(sim, sink, receivers, minCreated))
	time.Sleep(3 * time.Second)
	requireExact(t, sim, sink, receivers)
	mid := sim.Stats().Modes
	assert.Positive(t, mid.PendingRuns)
	assert.Zero(t, mid.StillPending, "every pending run was listed until it finished")

	sim.Resume()
	time.Sleep(4 * time.Second)
	h.kill()
	time.Sleep(4 * time.Second)
	h.kill()
	time.Sleep(2 * time.Second)
	sim.Pause()
	waitFor(t, 2*time.Minute, allDelivered(sim, sink, receivers, minCreated))
	time.Sleep(3 * time.Second)
	requireKillBound(t, sim, sink, receivers, 2, func(chaosrun.Receiver) int { return 20 })
	h.stop()

	st := sim.Stats().Modes
	assert.Zero(t, st.StillPending, "every pending run was listed until it finished")
	t.Logf("%d runs created pending, listed pending %d times", st.PendingRuns, st.PendingListings)
	failed, enriched := 0, 0
	for _, rec := range tp.records(simulator.APIMakeScenarioLogs) {
		// The run's fields, enrichment included, are in the "make" attribute.
		run, ok := rec.record.Attributes().Get("make")
		require.True(t, ok, "%s: no make attribute", rec.uid)
		status, ok := attrPath(run, "status")
		require.True(t, ok, "%s: no status", rec.uid)
		require.NotZero(t, status.Int(), "%s: delivered unfinished", rec.uid)
		_, unfinished := rec.record.Attributes().Get("api_logs.unfinished")
		require.False(t, unfinished, rec.uid)
		exec, hasExec := attrPath(run, "execution", "status")
		if hasExec {
			assert.NotEqual(t, "RUNNING", exec.AsString(), "%s: enriched while it ran", rec.uid)
		}
		if status.Int() == 3 {
			failed++
			if hasExec && exec.AsString() == "ERROR" {
				if _, ok := attrPath(run, "execution", "error", "name"); ok {
					enriched++
				}
			}
		}
	}
	require.Positive(t, failed, "the seed must produce failed runs")
	assert.Positive(t, enriched, "no failed run arrived with its failure")
}

// attrPath is the value at path inside the map v, and whether it is there.
func attrPath(v pcommon.Value, path ...string) (pcommon.Value, bool) {
	for _, key := range path {
		if v.Type() != pcommon.ValueTypeMap {
			return pcommon.Value{}, false
		}
		next, ok := v.Map().Get(key)
		if !ok {
			return pcommon.Value{}, false
		}
		v = next
	}
	return v, true
}
