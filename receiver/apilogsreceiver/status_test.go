package apilogsreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"

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
