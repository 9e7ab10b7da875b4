package apilogsreceiver

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
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

// TestStartDoesNoIO: Start sends no request to the API and neither reads
// nor writes the storage (it only takes its client, as contrib receivers
// do); the polls it launches do both, after it returned. The storage holds
// every read and write until the test opens it, and the engine reads the
// cursor before it sends any request: so while the storage is closed,
// whatever reaches the API or the storage came from Start itself, and a
// Start that read the storage would never return.
func TestStartDoesNoIO(t *testing.T) {
	var requests atomic.Int32
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer api.Close()
	store := &gatedStorage{gate: make(chan struct{})}
	storageID := storagetest.NewStorageID("gated")
	host := storagetest.NewStorageHost().WithExtension(storageID, store)

	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API = "tines_action_logs" // streams from the config: no discovery request
	cfg.ActionIDs = []int64{1001}
	cfg.ClientConfig.Endpoint = api.URL
	cfg.APIKey = "k"
	cfg.Storage = &storageID
	cfg.BackOff.Enabled = false
	rcv := newTestReceiver(t, nopSettings(), cfg, consumertest.NewNop())
	started := make(chan error, 1)
	go func() { started <- rcv.Start(context.Background(), host) }()
	select {
	case err := <-started:
		require.NoError(t, err)
	case <-time.After(30 * time.Second): // a bound for a loaded machine, not a measurement
		close(store.gate)
		require.FailNow(t, "Start waited on the storage")
	}
	assert.Zero(t, requests.Load(), "requests to the API during Start")
	assert.Equal(t, int32(1), store.clients.Load(), "Start takes one storage client")

	// The counters see what the polls do once the storage opens.
	close(store.gate)
	require.Eventually(t, func() bool { return store.calls.Load() > 0 && requests.Load() > 0 }, 30*time.Second, 10*time.Millisecond,
		"the first poll reads its cursor and reaches the API")
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
