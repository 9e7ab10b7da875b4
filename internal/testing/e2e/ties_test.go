package e2e

import (
	"testing"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// TestTiesSplitAcrossPages: Logto orders by createdAt only, so the order of
// records sharing a millisecond changes from one request to the next (the
// simulator shuffles ties like Postgres may). With small pages a tie group is
// split between pages; every record must still arrive exactly once.
func TestTiesSplitAcrossPages(t *testing.T) {
	collectorBinary(t)
	sim := startSimulator(t, simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: initialRecords, Seed: 3})
	sink := startSink(t)
	receivers := chaosrun.Select(chaosrun.BuiltinReceivers(sim.URL()), chaosrun.Logto)
	// Tie groups of 4 at one millisecond, far enough in the past to be in the first window.
	at := time.Now().Add(-30 * time.Minute)
	for i := 0; i < 5; i++ {
		sim.AddRecords(simulator.APILogtoLogs, "", 4, at.Add(time.Duration(i)*time.Second))
	}
	h := newHarness(t, chaosrun.Config{Receivers: receivers, SinkURL: sink.Endpoint(), PageSize: 3, RequestsPerMinute: 6000})
	h.start()
	waitFor(t, time.Minute, allDelivered(sim, sink, receivers, map[string]int{chaosrun.Logto: initialRecords + 20}))
	time.Sleep(2 * time.Second)
	requireExact(t, sim, sink, receivers)
	h.stop()
}
