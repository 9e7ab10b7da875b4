package apilogsreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

func configopaqueString(s string) configopaque.String { return configopaque.String(s) }

func TestStartDoesNoIO(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API = "oms_action_logs"
	cfg.ClientConfig.Endpoint = "http://127.0.0.1:1" // nothing listens there
	cfg.APIKey = "k"
	rcv := newTestReceiver(t, nopSettings(), cfg, consumertest.NewNop())
	start := time.Now()
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()), "an unreachable API is a poll failure, not a start failure")
	assert.Less(t, time.Since(start), time.Second)
	require.NoError(t, rcv.Shutdown(context.Background()))
}

func TestShutdownWithoutStart(t *testing.T) {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API = "oms_action_logs"
	cfg.ClientConfig.Endpoint = "http://127.0.0.1:1"
	cfg.APIKey = "k"
	rcv := newTestReceiver(t, nopSettings(), cfg, consumertest.NewNop())
	require.NoError(t, rcv.Shutdown(context.Background()))
}

func TestRecordsArriveWithResourceAttributes(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	sink := &consumertest.LogsSink{}
	set := nopSettings()
	rcv := newTestReceiver(t, set, tinesConfig(sim, simulator.DefaultKeys().Tines), sink)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	shutdownOnCleanup(t, rcv)

	require.Eventually(t, func() bool { return sink.LogRecordCount() >= 25 }, 15*time.Second, 20*time.Millisecond)
	assert.ElementsMatch(t, simIDs(sim, simulator.APITinesActionLogs, "1001"), uids(sink))
	res := sink.AllLogs()[0].ResourceLogs().At(0).Resource().Attributes().AsRaw()
	assert.Equal(t, set.ID.String(), res["api_logs.source"])
	assert.Equal(t, "tines_action_logs", res["api_logs.api"])
	assert.Equal(t, "1001", res["api_logs.stream"])
	assert.Equal(t, "1001", res["tines.action.id"])
	assert.Equal(t, "127.0.0.1", res["server.address"])
}

func TestStorageResumesAcrossReceivers(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	storageID := storagetest.NewStorageID("checkpoints")
	newHost := func() component.Host {
		return storagetest.NewStorageHost().WithFileBackedStorageExtension("checkpoints", dir)
	}
	cfg := tinesConfig(sim, simulator.DefaultKeys().Tines)
	cfg.Storage = &storageID

	// The storage client is keyed by the component id: both instances are
	// the same receiver of the same collector, restarted.
	set := nopSettings()
	first := &consumertest.LogsSink{}
	rcv := newTestReceiver(t, set, cfg, first)
	require.NoError(t, rcv.Start(context.Background(), newHost()))
	require.Eventually(t, func() bool { return first.LogRecordCount() >= 25 }, 15*time.Second, 20*time.Millisecond)
	require.NoError(t, rcv.Shutdown(context.Background()))

	sim.AddRecords(simulator.APITinesActionLogs, "1001", 5, time.Now())
	second := &consumertest.LogsSink{}
	rcv2 := newTestReceiver(t, set, cfg, second)
	require.NoError(t, rcv2.Start(context.Background(), newHost()))
	shutdownOnCleanup(t, rcv2)
	require.Eventually(t, func() bool { return second.LogRecordCount() >= 5 }, 15*time.Second, 20*time.Millisecond)

	assert.Len(t, uids(second), 5, "the second receiver resumes after what the first delivered")
	all := append(uids(first), uids(second)...)
	assert.ElementsMatch(t, simIDs(sim, simulator.APITinesActionLogs, "1001"), all)
}

func TestMissingStorageExtension(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	cfg := tinesConfig(sim, simulator.DefaultKeys().Tines)
	id := storagetest.NewStorageID("absent")
	cfg.Storage = &id
	rcv := newTestReceiver(t, nopSettings(), cfg, consumertest.NewNop())
	err := rcv.Start(context.Background(), componenttest.NewNopHost())
	require.ErrorContains(t, err, "storage")
	require.ErrorContains(t, err, "absent")
	require.NoError(t, rcv.Shutdown(context.Background()))
}

func TestNonStorageExtension(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	cfg := tinesConfig(sim, simulator.DefaultKeys().Tines)
	id := storagetest.NewNonStorageID("other")
	cfg.Storage = &id
	rcv := newTestReceiver(t, nopSettings(), cfg, consumertest.NewNop())
	err := rcv.Start(context.Background(), storagetest.NewStorageHost().WithNonStorageExtension("other"))
	require.ErrorContains(t, err, `"storage"`)
	require.ErrorContains(t, err, "is not a storage extension")
	require.NoError(t, rcv.Shutdown(context.Background()))
}
