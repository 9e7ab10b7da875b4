package apilogsreceiver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/engine"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// A failing API yields one RecoverableError however many polls fail, and
// StatusOK once it answers again.
func TestStatusRecoverableOnceThenOK(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	require.NoError(t, sim.SetFault(simulator.Fault{Kind: simulator.Fault503, API: simulator.APITinesActionLogs}))
	host := &statusHost{Host: componenttest.NewNopHost()}
	sink := &consumertest.LogsSink{}
	rcv := newTestReceiver(t, nopSettings(), tinesConfig(sim, simulator.DefaultKeys().Tines), sink)
	require.NoError(t, rcv.Start(context.Background(), host))
	shutdownOnCleanup(t, rcv)

	require.Eventually(t, func() bool { return simRequests(sim, simulator.APITinesActionLogs) >= 3 }, 15*time.Second, 20*time.Millisecond)
	events := host.snapshot()
	require.Len(t, events, 1, "one status change, not one event per failed poll")
	assert.Equal(t, componentstatus.StatusRecoverableError, events[0].Status())
	require.ErrorContains(t, events[0].Err(), "503")

	sim.ClearFaults()
	require.Eventually(t, func() bool { return host.count(componentstatus.StatusOK) == 1 }, 15*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return sink.LogRecordCount() == 25 }, 15*time.Second, 20*time.Millisecond)
	assert.Equal(t, 1, host.count(componentstatus.StatusRecoverableError))
}

func TestStatusPermanentOnUnauthorized(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	host := &statusHost{Host: componenttest.NewNopHost()}
	rcv := newTestReceiver(t, nopSettings(), tinesConfig(sim, "not-the-key"), consumertest.NewNop())
	require.NoError(t, rcv.Start(context.Background(), host))
	shutdownOnCleanup(t, rcv)

	require.Eventually(t, func() bool { return host.count(componentstatus.StatusPermanentError) == 1 }, 15*time.Second, 20*time.Millisecond)
	events := host.snapshot()
	require.Len(t, events, 1)
	assert.ErrorContains(t, events[0].Err(), "401")
}

// A server that spends its quota window until a reset a day away stalls
// every stream of the source: the component status says so, with the time
// the stream reads again and the reason, and nothing of the answer.
func TestStatusSaysAStreamStalls(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", "86400")
		fmt.Fprint(w, `{"action_logs":[],"meta":{"next_page":null}}`)
	}))
	t.Cleanup(srv.Close)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API = "tines_action_logs"
	cfg.ClientConfig.Endpoint = srv.URL
	cfg.APIKey = "tines-key"
	cfg.ActionIDs = []int64{1001}
	cfg.CollectionInterval = time.Second
	core, logs := zapobserver.New(zapcore.InfoLevel)
	set := nopSettings()
	set.Logger = zap.New(core)
	host := &statusHost{Host: componenttest.NewNopHost()}
	rcv := newTestReceiver(t, set, cfg, consumertest.NewNop())
	require.NoError(t, rcv.Start(context.Background(), host))
	shutdownOnCleanup(t, rcv)

	require.Eventually(t, func() bool { return host.count(componentstatus.StatusRecoverableError) == 1 }, 15*time.Second, 20*time.Millisecond)
	events := host.snapshot()
	ev := events[len(events)-1]
	require.Equal(t, componentstatus.StatusRecoverableError, ev.Status())
	assert.Contains(t, ev.Err().Error(), "stream 1001: stalled until ")
	assert.Contains(t, ev.Err().Error(), "rate limited by the API")
	stalled := logs.FilterMessageSnippet("Stream stalled").All()
	require.Len(t, stalled, 1)
	assert.Equal(t, zapcore.WarnLevel, stalled[0].Level)
	resume, ok := stalled[0].ContextMap()["resume_at"].(time.Time)
	require.True(t, ok)
	assert.WithinDuration(t, time.Now().Add(24*time.Hour), resume, time.Minute)
	assert.Contains(t, ev.Err().Error(), resume.Format(time.RFC3339))
}

// TestStatusClearedWhenPollingMovesAway: a receiver whose streams stopped
// here (the unit went to another collector) reports StatusOK instead of its
// last failure.
func TestStatusClearedWhenPollingMovesAway(t *testing.T) {
	host := &statusHost{Host: componenttest.NewNopHost()}
	s := newStatusReporter(host, "api_logs/x")
	s.StreamStatus("1001", &engine.StreamError{Class: "network error"})
	s.clear()
	s.clear()
	events := host.snapshot()
	require.Len(t, events, 2)
	assert.Equal(t, componentstatus.StatusRecoverableError, events[0].Status())
	assert.Equal(t, componentstatus.StatusOK, events[1].Status())
}
