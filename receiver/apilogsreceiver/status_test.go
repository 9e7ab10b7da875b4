package apilogsreceiver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/engine"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadatatest"
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

// A 401 is a RecoverableError like any other stream failure: the
// collector's status machine never lets PermanentError go back to OK, and
// credentials can be mended without a restart.
func TestStatusRecoverableOnUnauthorized(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	host := &statusHost{Host: componenttest.NewNopHost()}
	rcv := newTestReceiver(t, nopSettings(), tinesConfig(sim, "not-the-key"), consumertest.NewNop())
	require.NoError(t, rcv.Start(context.Background(), host))
	shutdownOnCleanup(t, rcv)

	require.Eventually(t, func() bool { return len(host.snapshot()) > 0 }, 15*time.Second, 20*time.Millisecond)
	events := host.snapshot()
	require.Len(t, events, 1)
	assert.Equal(t, componentstatus.StatusRecoverableError, events[0].Status())
	assert.ErrorContains(t, events[0].Err(), "401")
}

// makeTeamConfig discovers the scenarios of the simulator's team 7 every
// second and polls each every 5 s (so a 403's slow retry is 50 s away).
func makeTeamConfig(sim *simulator.Simulator) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API = "make_scenario_logs"
	cfg.ClientConfig.Endpoint = sim.URL() + "/make"
	cfg.APIKey = configopaqueString(simulator.DefaultKeys().Make)
	cfg.TeamID = 7
	cfg.CollectionInterval = 5 * time.Second
	cfg.DiscoveryInterval = time.Second
	cfg.StartAt = "-2h"
	cfg.BackOff = configretry.BackOffConfig{Enabled: false}
	return cfg
}

// gaugeStreams lists the stream attribute of every series of a gauge.
func gaugeStreams(t *testing.T, tt *componenttest.Telemetry, name string) []string {
	t.Helper()
	m, err := tt.GetMetric(name)
	if err != nil {
		return nil
	}
	var out []string
	add := func(set attribute.Set) {
		v, _ := set.Value(attrStream)
		out = append(out, v.AsString())
	}
	switch g := m.Data.(type) {
	case metricdata.Gauge[float64]:
		for _, dp := range g.DataPoints {
			add(dp.Attributes)
		}
	case metricdata.Gauge[int64]:
		for _, dp := range g.DataPoints {
			add(dp.Attributes)
		}
	}
	sort.Strings(out)
	return out
}

// A scenario the token lost (403) makes the component RecoverableError;
// once discovery no longer lists it, its failure leaves the status (back to
// OK) and its series leave the gauges, while the other scenarios deliver.
func TestStatusAndGaugesForgetADroppedStream(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	sim.Revoke(simulator.APIMakeScenarioLogs, "7002", http.StatusForbidden)
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	host := &statusHost{Host: componenttest.NewNopHost()}
	sink := &consumertest.LogsSink{}
	rcv := newTestReceiver(t, metadatatest.NewSettings(tt), makeTeamConfig(sim), sink)
	require.NoError(t, rcv.Start(context.Background(), host))
	shutdownOnCleanup(t, rcv)

	// Each scenario has 25 records of history (created at its first request).
	require.Eventually(t, func() bool {
		return host.count(componentstatus.StatusRecoverableError)+host.count(componentstatus.StatusPermanentError) > 0 &&
			sink.LogRecordCount() == 50 && len(gaugeStreams(t, tt, "otelcol_api_logs_cursor_lag")) == 3
	}, 15*time.Second, 20*time.Millisecond)
	want := append(simIDs(sim, simulator.APIMakeScenarioLogs, "7001"), simIDs(sim, simulator.APIMakeScenarioLogs, "7003")...)
	require.Len(t, want, 50)
	events := host.snapshot()
	failed := events[len(events)-1]
	assert.Equal(t, componentstatus.StatusRecoverableError, failed.Status())
	require.ErrorContains(t, failed.Err(), "stream 7002: GET /make/api/v2/scenarios/{{stream}}/logs: status 403")
	assert.Equal(t, []string{"7001", "7002", "7003"}, gaugeStreams(t, tt, "otelcol_api_logs_cursor_lag"))
	assert.Equal(t, []string{"7001", "7003"}, gaugeStreams(t, tt, "otelcol_api_logs_last_success"))

	sim.HideScenario(7002, true)
	assert.Eventually(t, func() bool {
		events := host.snapshot()
		return events[len(events)-1].Status() == componentstatus.StatusOK
	}, 15*time.Second, 20*time.Millisecond, "the dropped stream's failure must leave the status")
	assert.Equal(t, []string{"7001", "7003"}, gaugeStreams(t, tt, "otelcol_api_logs_cursor_lag"))
	assert.Equal(t, []string{"7001", "7003"}, gaugeStreams(t, tt, "otelcol_api_logs_last_success"))
	assert.Zero(t, host.count(componentstatus.StatusPermanentError))
	assert.Equal(t, int64(1), sim.Stats().Requests[simulator.APIMakeScenarioLogs]["403"], "one poll of the revoked scenario: the next was 50 s away")
	assert.ElementsMatch(t, want, uids(sink))
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

// Once Shutdown began the collector has reported Stopping, from which OK is
// no valid transition: a poll that ends then reports nothing.
func TestStatusSilentAfterShutdownBegan(t *testing.T) {
	host := &statusHost{Host: componenttest.NewNopHost()}
	s := newStatusReporter(host, "api_logs/test")
	s.StreamStatus("1001", &engine.StreamError{Class: "GET /api/v1/actions/{{stream}}/logs: status 503"})
	s.stop()
	s.StreamStatus("1001", nil)
	s.StreamRemoved("1001")
	events := host.snapshot()
	require.Len(t, events, 1)
	assert.Equal(t, componentstatus.StatusRecoverableError, events[0].Status())
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
