package e2e

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// TestRequestEconomyEveryAPI: through the built collector, with 80 ms of
// latency on every answer, a backlog of 150 records per stream spread over
// 70 hours costs at most ceil(150/page)+2 list requests per stream, every
// idle poll afterwards costs exactly one, nothing is answered 429 and every
// record arrives exactly once (chaosrun.RunEconomy, also `make bench`).
func TestRequestEconomyEveryAPI(t *testing.T) {
	requireEconomy(t, chaosrun.EconomyOptions{})
}

// TestRequestEconomyCappedPages: the same with every API giving at most 37
// records a page whatever page_size asks, without saying so. A short page
// ends a walk only on the API's own signal, so the backlog costs at most
// ceil(150/37)+2 = 7 list requests per stream and an idle poll still one.
func TestRequestEconomyCappedPages(t *testing.T) {
	requireEconomy(t, chaosrun.EconomyOptions{CapPageSize: 37})
}

// requireEconomy runs chaosrun.RunEconomy with o (its collector, records,
// idle polls and log set here) and checks its figures against their exact
// bounds.
func requireEconomy(t *testing.T, o chaosrun.EconomyOptions) *chaosrun.EconomyResult {
	t.Helper()
	bin := collectorBinary(t)
	const records, idlePolls = 150, 5
	o.Collector, o.Dir, o.Records, o.IdlePolls, o.Log = bin, t.TempDir(), records, idlePolls, testLog{t}
	res, err := chaosrun.RunEconomy(context.Background(), o)
	require.NoError(t, err)
	var table strings.Builder
	res.Print(&table)
	t.Log(table.String())
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(res.CollectorLog())
			t.Logf("collector output:\n%s", tail(string(b), 200))
		}
	})
	require.Empty(t, res.Problems)

	bound := map[string]int{}
	for _, a := range res.APIs {
		page := a.PageSize
		bound[a.API] = (records+page-1)/page + 2
		assert.Equal(t, a.Streams*records, a.Tally.Created, "%s: expected %d records in the simulator", a.API, a.Streams*records)
		tally := a.Tally
		tally.Lost -= a.Ahead // dated after the run: an API with a time filter returns them once they are due
		assert.True(t, tally.OK(), "%s: expected every record delivered exactly once (but %d not due yet): %s", a.API, a.Ahead, a.Tally)
		assert.Zero(t, a.Throttled, "%s: expected 0 requests answered 429", a.API)
	}
	require.Len(t, res.Streams, 12, "expected 12 streams over the 8 built-in APIs")
	for _, s := range res.Streams {
		name := s.API + " stream " + s.Stream
		assert.Equal(t, records, s.Records, "%s: records in the simulator", name)
		assert.LessOrEqual(t, s.BacklogList, bound[s.API],
			"%s: expected at most ceil(%d/page)+2 = %d list requests for the backlog, got %d in %d polls", name, records, bound[s.API], s.BacklogList, s.BacklogPolls)
		assert.GreaterOrEqual(t, s.IdlePolls, idlePolls, "%s: expected at least %d idle polls", name, idlePolls)
		assert.Equal(t, s.IdlePolls, s.IdleList,
			"%s: expected exactly %d list requests for %d idle polls (one each), got %d, at most %d in one poll", name, s.IdlePolls, s.IdlePolls, s.IdleList, s.IdleMax)
		assert.Equal(t, 1, s.IdleMax, "%s: expected exactly 1 list request in every idle poll", name)
		assert.GreaterOrEqual(t, s.IdleMinGap, res.Options.Interval,
			"%s: idle polls start a collection_interval after the previous poll; a shorter gap means a poll's requests were split apart", name)
	}
	assert.Zero(t, res.Total429, "expected 0 answers 429 from the simulator in all")
	assert.Empty(t, res.Failures())
	return res
}

// TestTwoMakeReceiversShareOneBudget: two receivers on the same Make token and
// host (scenario logs of team 7, which discovers 3 scenarios, and the audit
// logs of organization 21), each with Make's default 60 requests a minute,
// polling every 2 s: together they want about 120 list requests a minute, so
// they must share one budget. Over three minutes the simulator, which counts
// 60 a minute per token, never answers 429, no 60-second window holds more
// than 60 Make requests (list, enrichment and discovery), and every record
// arrives exactly once.
func TestTwoMakeReceiversShareOneBudget(t *testing.T) {
	collectorBinary(t)
	const (
		perMinute = 60
		records   = 40
		runFor    = 3 * time.Minute
	)
	sim := startSimulator(t, simulator.Options{
		Mode: simulator.ModeDemo, Paused: true, Seed: 11,
		InitialRecords: records, HistorySpan: 2 * time.Hour, Latency: 80 * time.Millisecond,
		RatePerMinute: map[string]int{"make": perMinute},
	})
	sink := startSink(t)
	receivers := chaosrun.Select(chaosrun.BuiltinReceivers(sim.URL()), chaosrun.MakeScenarios, chaosrun.MakeAudit)
	require.Len(t, receivers, 2)
	h := newHarness(t, chaosrun.Config{
		Receivers: receivers, SinkURL: sink.Endpoint(),
		CollectionInterval: "2s", StartAt: "-3h", LogLevel: "debug",
	})
	minCreated := map[string]int{}
	for _, r := range receivers {
		minCreated[r.ID] = r.Streams * records
	}

	start := time.Now()
	h.start()
	waitFor(t, runFor, allDelivered(sim, sink, receivers, minCreated))
	delivered := time.Since(start)
	time.Sleep(time.Until(start.Add(runFor)))
	h.stop()
	elapsed := time.Since(start)

	tallies := requireExact(t, sim, sink, receivers)
	for _, tally := range tallies {
		assert.Equal(t, minCreated[tally.Receiver], tally.Created, "%s: expected %d records", tally.Receiver, minCreated[tally.Receiver])
	}

	makeAPIs := []string{simulator.APIMakeScenarioLogs, simulator.APIMakeModuleLogs, simulator.APIMakeAuditLogs, "make_scenarios"}
	var list, detail, other, throttled int64
	for _, api := range makeAPIs {
		for _, c := range sim.StreamRequests(api) {
			list += c.List
			detail += c.Detail
			other += c.Other
			throttled += c.Throttled
		}
	}
	var all429 int64
	for _, byCode := range sim.Stats().Requests {
		all429 += byCode["429"]
	}
	times := chaosrun.VendorRequestTimes(sim, makeAPIs...)
	most, at := chaosrun.MaxInWindow(times, time.Minute)
	t.Logf("%s run (records delivered after %s): %d Make requests (%d list, %d enrichment, %d discovery), %d answered 429; "+
		"expected at most %d in any 60 s, the most in one was %d (from %s)",
		elapsed.Round(time.Second), delivered.Round(100*time.Millisecond), len(times), list, detail, other, throttled,
		perMinute, most, at.Sub(start).Round(time.Millisecond))
	assert.Zero(t, throttled, "expected 0 Make requests answered 429")
	assert.Zero(t, all429, "expected 0 answers 429 from the simulator")
	assert.Equal(t, list+detail+other, int64(len(times)), "every counted request has a time")
	assert.LessOrEqual(t, most, perMinute,
		"expected at most %d Make requests (list + detail + discovery) in any 60-second window, got %d in the one from %s",
		perMinute, most, at.Sub(start).Round(time.Millisecond))
	assert.Contains(t, h.col.Log(), "Sharing one request budget", "the receivers say they share the Make budget")
}

// testLog writes progress lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
