package apilogsreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// fakeElector has the shape of contrib's k8s_leader_elector extension: the
// test plays the election.
type fakeElector struct {
	onStart func(context.Context)
	onStop  func()
}

func (*fakeElector) Start(context.Context, component.Host) error { return nil }
func (*fakeElector) Shutdown(context.Context) error              { return nil }
func (f *fakeElector) SetCallBackFuncs(onStart func(context.Context), onStop func()) {
	f.onStart, f.onStop = onStart, onStop
}

var electorID = component.MustNewID("k8s_leader_elector")

type notElector struct{}

func (notElector) Start(context.Context, component.Host) error { return nil }
func (notElector) Shutdown(context.Context) error              { return nil }

// TestLeaderElectorGatesPolling: nothing is polled before the extension says
// this collector leads; records arrive while it leads; after the stop
// callback returns no list request is made; the next term resumes at the
// cursor (only the new records arrive).
func TestLeaderElectorGatesPolling(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	cfg := tinesConfig(sim, simulator.DefaultKeys().Tines)
	cfg.K8sLeaderElector = &electorID
	elector := &fakeElector{}
	host := extensionsHost{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{electorID: elector}}
	sink := &consumertest.LogsSink{}
	rcv := newTestReceiver(t, nopSettings(), cfg, sink)
	require.NoError(t, rcv.Start(context.Background(), host))
	shutdownOnCleanup(t, rcv)
	require.NotNil(t, elector.onStart, "Start registers the callbacks")
	lists := func() int64 { return sim.StreamRequests(simulator.APITinesActionLogs)["1001"].List }
	assert.Zero(t, lists(), "no poll before leading")

	elector.onStart(context.Background())
	require.Eventually(t, func() bool { return sink.LogRecordCount() >= 25 }, time.Minute, 20*time.Millisecond)
	elector.onStop()
	stoppedAt := lists()
	sim.AddRecords(simulator.APITinesActionLogs, "1001", 5, time.Now())
	// A clock made of requests: a receiver without an elector polls action
	// 1002 every second; three of its polls pass while this one stays
	// stopped.
	clockCfg := tinesConfig(sim, simulator.DefaultKeys().Tines)
	clockCfg.ActionIDs = []int64{1002}
	clock := newTestReceiver(t, nopSettings(), clockCfg, consumertest.NewNop())
	require.NoError(t, clock.Start(context.Background(), componenttest.NewNopHost()))
	shutdownOnCleanup(t, clock)
	require.Eventually(t, func() bool {
		return sim.StreamRequests(simulator.APITinesActionLogs)["1002"].List >= 3
	}, time.Minute, 20*time.Millisecond)
	assert.Equal(t, stoppedAt, lists(), "no list request after the stop callback returned")
	assert.Equal(t, 25, sink.LogRecordCount())

	elector.onStart(context.Background())
	require.Eventually(t, func() bool { return sink.LogRecordCount() >= 30 }, time.Minute, 20*time.Millisecond)
	assert.ElementsMatch(t, simIDs(sim, simulator.APITinesActionLogs, "1001"), uids(sink), "every record once across the terms")
}

func TestLeaderElectorConfig(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API = "tines_audit_logs"
	cfg.ClientConfig.Endpoint = "https://acme.tines.com"
	cfg.APIKey = "k"
	cfg.Coordinator, cfg.K8sLeaderElector = &coordinatorID, &electorID
	require.EqualError(t, cfg.Validate(), `"k8s_leader_elector" and "coordinator" cannot be set together: the coordinator elects an owner per budget group itself`)

	sim := startSim(t, simulator.Options{})
	cfg = tinesConfig(sim, simulator.DefaultKeys().Tines)
	cfg.K8sLeaderElector = &electorID
	rcv := newTestReceiver(t, nopSettings(), cfg, consumertest.NewNop())
	err := rcv.Start(context.Background(), extensionsHost{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{electorID: notElector{}}})
	require.EqualError(t, err, `"k8s_leader_elector": extension "k8s_leader_elector" is not a leader elector (it has no SetCallBackFuncs)`)
	require.NoError(t, rcv.Shutdown(context.Background()))
}
