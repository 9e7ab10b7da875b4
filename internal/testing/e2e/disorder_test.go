package e2e

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// collectorWarnings counts the collector's warn lines that contain msg.
func collectorWarnings(t *testing.T, res *chaosrun.EconomyResult, msg string) int {
	t.Helper()
	b, err := os.ReadFile(res.CollectorLog())
	require.NoError(t, err)
	n := 0
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, "warn") && strings.Contains(line, msg) {
			n++
		}
	}
	return n
}

// TestRequestEconomyDisorder: the request economy of every built-in API
// with the simulator's disorder habit: every fifth record of the backlog
// is dated 20 s before the record created before it, and the APIs that list
// by id (Tines, OMS) show it where its id puts it (Logto, StackOne and Make
// sort by time: there it is only a record in its place). Before, the Tines
// and OMS streams failed every poll on their first page ("records out of
// the declared order") and delivered none of their records. Now every
// record arrives exactly once, the backlog costs at most ceil(150/page)+2
// list requests per stream and every idle poll exactly one (the widened
// re-read of 40 s holds no more than a page), and each Tines and OMS stream
// warns once.
func TestRequestEconomyDisorder(t *testing.T) {
	res := requireEconomy(t, chaosrun.EconomyOptions{DisorderBy: 20 * time.Second})
	assert.Equal(t, int64(30*len(res.Streams)), res.Modes.Disordered, "every fifth of 150 records in each of the %d streams", len(res.Streams))
	idOrdered := 0
	for _, s := range res.Streams {
		switch s.API {
		case simulator.APITinesActionLogs, simulator.APITinesAuditLogs, simulator.APIOMSActionLogs:
			idOrdered++
		}
	}
	require.Positive(t, idOrdered)
	assert.Equal(t, idOrdered, collectorWarnings(t, res, "out of the declared order"), "one warning per stream whose list showed the disorder")
	assert.Zero(t, collectorWarnings(t, res, "Poll failed"))
}

// TestRequestEconomyFutureRecords: the request economy of every built-in
// API with every 50th backlog record dated three hours after its time
// (simulator FutureBy): the newest of each stream ends up ahead of the
// clock (the backlog's newest records are up to an hour old). Before, the
// streams without a time filter (Tines action logs, OMS, Make module logs)
// moved their cursor to that record and stalled for hours. Now they deliver it once, with one warning per
// stream, and their cursor stays at the clock; the APIs with a time filter
// return it once it is due (hours later, after this run: counted as not
// due, never as delivered). Every other record arrives exactly once, the
// backlog costs at most ceil(150/page)+2 list requests per stream and
// every idle poll exactly one.
func TestRequestEconomyFutureRecords(t *testing.T) {
	res := requireEconomy(t, chaosrun.EconomyOptions{FutureBy: 3 * time.Hour})
	assert.Equal(t, int64(3*len(res.Streams)), res.Modes.Future, "every 50th of 150 records in each of the %d streams", len(res.Streams))
	unfiltered := 0
	for _, a := range res.APIs {
		spec, err := apispec.Builtin(a.API)
		require.NoError(t, err)
		if spec.TimeFilter != nil {
			assert.Equal(t, a.Streams, a.Ahead, "%s: the record dated ahead of each stream is not due", a.API)
			continue
		}
		unfiltered += a.Streams
		assert.Zero(t, a.Ahead, "%s", a.API)
		assert.Zero(t, a.Tally.Lost, "%s: every record, the one dated ahead too: %s", a.API, a.Tally)
	}
	require.Positive(t, unfiltered)
	assert.Equal(t, unfiltered, collectorWarnings(t, res, "dated after the clock"), "one warning per stream without a time filter")
	assert.Zero(t, collectorWarnings(t, res, "Stream stalled"))
}

// TestFutureRecordThenNewRecordsEveryAPI: through the built collector, every
// built-in API with a record dated an hour ahead on top of a short history,
// then 15 new records per stream. Before, the streams without a time filter
// (Tines action logs, OMS, Make module logs) moved their cursor to the
// record an hour ahead and delivered none of the 15 new ones. Now every
// record arrives once, the one dated ahead at once where the API has no
// time filter (an API with one returns it once it is due: after this test),
// and every idle poll afterwards costs exactly one list request.
func TestFutureRecordThenNewRecordsEveryAPI(t *testing.T) {
	collectorBinary(t)
	sim := startSimulator(t, simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: -1, Seed: 61})
	sink := startSink(t)
	receivers := chaosrun.BuiltinReceivers(sim.URL())
	for i := range receivers {
		if receivers[i].ID == chaosrun.MakeScenarios {
			receivers[i].Settings = append(receivers[i].Settings, "enrich_executions: false") // list requests only
		}
	}
	const interval = 2 * time.Second
	h := newHarness(t, chaosrun.Config{Receivers: receivers, SinkURL: sink.Endpoint(), RequestsPerMinute: 600, Settle: "2s", CollectionInterval: interval.String()})
	notDue := map[string]int{} // receiver -> records dated ahead that its API does not return yet
	minCreated := map[string]int{}
	add := func(n int, at func(i int) time.Time) {
		for _, r := range receivers {
			for _, s := range r.SimStreams {
				for i := range n {
					sim.AddRecords(r.SimAPI, s, 1, at(i))
				}
			}
			minCreated[r.ID] += n * r.Streams
		}
	}
	start := time.Now()
	add(5, func(i int) time.Time { return start.Add(-5*time.Minute + time.Duration(i)*10*time.Second) })
	add(1, func(int) time.Time { return start.Add(time.Hour) })
	for _, r := range receivers {
		spec, err := apispec.Builtin(r.API)
		require.NoError(t, err)
		if spec.TimeFilter != nil {
			notDue[r.ID] = r.Streams
		}
	}
	delivered := func() string {
		var pending []string
		for _, tally := range chaosrun.CountAll(sim, sink, receivers) {
			if tally.Created < minCreated[tally.Receiver] || tally.Lost != notDue[tally.Receiver] || tally.Duplicated > 0 || tally.Unexpected > 0 {
				pending = append(pending, tally.String())
			}
		}
		return strings.Join(pending, "; ")
	}
	h.start()
	waitFor(t, time.Minute, delivered)
	add(15, func(i int) time.Time { return time.Now().Add(time.Duration(i) * 10 * time.Millisecond) })
	waitFor(t, time.Minute, delivered)
	done := time.Now()
	time.Sleep(4*interval + interval/2)
	assert.Empty(t, delivered(), "nothing more, nothing twice")
	for _, r := range receivers {
		for _, s := range r.SimStreams {
			var idle []time.Time
			for _, at := range sim.ListRequestTimes(r.SimAPI, s) {
				if at.After(done) {
					idle = append(idle, at)
				}
			}
			polls := chaosrun.PollGroups(idle, interval/2)
			require.GreaterOrEqual(t, len(polls), 3, "%s/%s: idle polls", r.SimAPI, s)
			for i, p := range polls {
				assert.Len(t, p, 1, "%s/%s: list requests of idle poll %d", r.SimAPI, s, i)
			}
		}
	}
	h.stop()
	assert.Zero(t, strings.Count(h.col.Log(), "Stream stalled"))
}
