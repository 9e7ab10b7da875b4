package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// TestSurvivesFailingAndHostileAPIs: rate limits, outages, hangs, broken and
// foreign pages and expiring tokens cost time, never records, credentials or
// the process.
func TestSurvivesFailingAndHostileAPIs(t *testing.T) {
	collectorBinary(t)
	const p = 0.08
	faults := []simulator.Fault{
		{Kind: simulator.Fault429Seconds, Probability: p, RetryAfter: time.Second},
		{Kind: simulator.Fault429Date, Probability: p, RetryAfter: time.Second},
		{Kind: simulator.Fault429RateLimit, Probability: p, RetryAfter: time.Second},
		{Kind: simulator.Fault503, Probability: p},
		{Kind: simulator.FaultSlow, Probability: p, Slow: 3 * time.Second}, // beyond the receiver's 2s timeout
		{Kind: simulator.FaultTruncated, Probability: p},
		{Kind: simulator.FaultHTML, Probability: p},
		{Kind: simulator.FaultForeignNext, Probability: 0.3},
		{Kind: simulator.FaultTokenExpiry, Probability: 0.2, API: simulator.APILogtoLogs},
	}
	sim := startSimulator(t, simulator.Options{
		Mode: simulator.ModeDemo, NewRecordEvery: time.Second,
		InitialRecords: initialRecords, Seed: 7, Faults: faults,
	})
	sink := startSink(t)
	// Logto reads pages of 10 like the others, and holds tie groups of 4
	// records in one millisecond, which such pages split (the simulator
	// shuffles ties like Postgres may): split ties and faults together lose
	// nothing.
	at := time.Now().Add(-30 * time.Minute)
	for i := 0; i < 5; i++ {
		sim.AddRecords(simulator.APILogtoLogs, "", 4, at.Add(time.Duration(i)*time.Second))
	}

	receivers := chaosrun.Select(chaosrun.BuiltinReceivers(sim.URL()),
		chaosrun.TinesActions, chaosrun.Logto, chaosrun.OMS, chaosrun.MakeScenarios)
	h := newHarness(t, chaosrun.Config{
		Receivers: receivers, SinkURL: sink.Endpoint(),
		CollectionInterval: "1s", StartAt: "-24h", Timeout: "2s",
		// Small pages make walks long enough for faults to land mid-walk.
		PageSize: 10, RequestsPerMinute: 6000, RetryOnFailure: true, LogLevel: "debug",
	})
	h.start()

	time.Sleep(25 * time.Second)
	require.True(t, h.col.Running(), "the collector must survive the faults")
	sim.ClearFaults()
	sim.Pause()

	minCreated := map[string]int{}
	for _, r := range receivers {
		minCreated[r.ID] = r.Streams * initialRecords
	}
	minCreated[chaosrun.Logto] += 5 * 4
	waitFor(t, 2*time.Minute, allDelivered(sim, sink, receivers, minCreated))
	time.Sleep(3 * time.Second) // duplicates, if any, would arrive now
	for _, tally := range requireExact(t, sim, sink, receivers) {
		t.Log(tally)
	}

	st := sim.Stats()
	assert.Zero(t, st.ForeignRequestsWithAuth, "credentials were sent to the foreign origin")
	var faulted int64
	for _, byCode := range st.Requests {
		for _, code := range []string{"429", "503", "401"} {
			faulted += byCode[code]
		}
	}
	assert.Positive(t, faulted, "the faults never fired: %v", st.Requests)

	assert.Equal(t, http.StatusOK, collectorproc.HealthStatus(context.Background(), h.health))
	assert.True(t, h.col.Running(), "the collector must still be running")
	h.stop()

	out := h.col.Log()
	require.Contains(t, out, "debug", "the collector ran with debug logs")
	for _, r := range receivers {
		for _, secret := range r.Secrets {
			assert.NotContains(t, out, secret, "%s: a configured secret appears in the collector output", r.ID)
		}
	}
}
