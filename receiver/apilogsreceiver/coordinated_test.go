package apilogsreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"

	"github.com/otelcol-api-logs/otelcol-api-logs/extension/apilogscoordinatorextension"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/etcdtest"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

var coordinatorID = component.MustNewID("api_logs_coordinator")

// collector is one collector of a coordinated pair: its coordinator
// extension and its receiver.
type collector struct {
	ext  extension.Extension
	rcv  interface{ Shutdown(context.Context) error }
	sink *consumertest.LogsSink
}

type extensionsHost struct {
	component.Host
	exts map[component.ID]component.Component
}

func (h extensionsHost) GetExtensions() map[component.ID]component.Component { return h.exts }

func startCollector(t *testing.T, endpoints []string, member string, cfg *Config) *collector {
	t.Helper()
	f := apilogscoordinatorextension.NewFactory()
	ecfg := f.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"endpoints": endpoints, "member_id": member, "lease_ttl": "2s",
	}).Unmarshal(ecfg))
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), ecfg)
	require.NoError(t, err)
	host := extensionsHost{Host: componenttest.NewNopHost(), exts: map[component.ID]component.Component{coordinatorID: ext}}
	require.NoError(t, ext.Start(context.Background(), host))
	c := &collector{ext: ext, sink: &consumertest.LogsSink{}}
	rcv := newTestReceiver(t, nopSettings(), cfg, c.sink)
	require.NoError(t, rcv.Start(context.Background(), host))
	c.rcv = rcv
	t.Cleanup(func() { c.stop(t) })
	return c
}

// stop is the collector's shutdown order: receivers, then extensions.
func (c *collector) stop(t *testing.T) {
	if c.rcv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, c.rcv.Shutdown(ctx))
	require.NoError(t, c.ext.Shutdown(ctx))
	c.rcv = nil
}

// TestCoordinatedReceiversOneOwner: two collectors with the same receiver
// and a coordinator on one etcd: exactly one polls (every record once,
// list requests of one poller); when it shuts down, the other resumes from
// the cursor in etcd and delivers only the new records.
func TestCoordinatedReceiversOneOwner(t *testing.T) {
	etcd := etcdtest.Run(t, 1)
	sim := startSim(t, simulator.Options{})
	cfg := tinesConfig(sim, simulator.DefaultKeys().Tines)
	cfg.Coordinator = &coordinatorID
	a := startCollector(t, etcd.Endpoints(), "a", cfg)
	b := startCollector(t, etcd.Endpoints(), "b", cfg)
	total := func() int { return a.sink.LogRecordCount() + b.sink.LogRecordCount() }
	require.Eventually(t, func() bool { return total() >= 25 }, time.Minute, 20*time.Millisecond)

	owner, other := a, b
	if b.sink.LogRecordCount() > 0 {
		owner, other = b, a
	}
	assert.Equal(t, 0, other.sink.LogRecordCount(), "only the owner polls")
	// Three idle polls of the owner (collection_interval 1s).
	before := sim.StreamRequests(simulator.APITinesActionLogs)["1001"].List
	require.Eventually(t, func() bool {
		return sim.StreamRequests(simulator.APITinesActionLogs)["1001"].List >= before+3
	}, time.Minute, 20*time.Millisecond)
	assert.Equal(t, 0, other.sink.LogRecordCount(), "the other collector never polled")

	owner.stop(t)
	sim.AddRecords(simulator.APITinesActionLogs, "1001", 5, time.Now())
	require.Eventually(t, func() bool { return other.sink.LogRecordCount() >= 5 }, time.Minute, 20*time.Millisecond)
	assert.Len(t, uids(other.sink), 5, "the new owner resumes at the cursor the first one wrote")
	assert.ElementsMatch(t, simIDs(sim, simulator.APITinesActionLogs, "1001"), append(uids(owner.sink), uids(other.sink)...))
}

// TestCoordinatorImportsStorageCursor: the one-time migration. A receiver
// with file storage delivers the history; the same receiver with a
// coordinator and that storage delivers only the records added since (the
// cursor is imported into etcd, no replay); a collector with the
// coordinator alone then resumes from etcd (only the newest records).
func TestCoordinatorImportsStorageCursor(t *testing.T) {
	etcd := etcdtest.Run(t, 1)
	sim := startSim(t, simulator.Options{})
	dir := t.TempDir()
	storageID := storagetest.NewStorageID("checkpoints")
	cfg := tinesConfig(sim, simulator.DefaultKeys().Tines)
	cfg.Storage = &storageID
	// The storage client is keyed by the receiver's id: the same receiver,
	// before and after the coordinator is added.
	set := nopSettings()
	alone := &consumertest.LogsSink{}
	rcv := newTestReceiver(t, set, cfg, alone)
	fileHost := storagetest.NewStorageHost().WithFileBackedStorageExtension("checkpoints", dir)
	require.NoError(t, rcv.Start(context.Background(), fileHost))
	require.Eventually(t, func() bool { return alone.LogRecordCount() >= 25 }, time.Minute, 20*time.Millisecond)
	require.NoError(t, rcv.Shutdown(context.Background()))

	sim.AddRecords(simulator.APITinesActionLogs, "1001", 5, time.Now())
	migrating := *cfg
	migrating.Coordinator = &coordinatorID
	require.NoError(t, migrating.Validate(), "coordinator with storage: the migration")
	f := apilogscoordinatorextension.NewFactory()
	ecfg := f.CreateDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"endpoints": etcd.Endpoints(), "member_id": "a", "lease_ttl": "2s"}).Unmarshal(ecfg))
	ext, err := f.Create(context.Background(), extensiontest.NewNopSettings(f.Type()), ecfg)
	require.NoError(t, err)
	host := extensionsHost{Host: storagetest.NewStorageHost().WithFileBackedStorageExtension("checkpoints", dir), exts: map[component.ID]component.Component{}}
	for id, c := range host.Host.GetExtensions() {
		host.exts[id] = c
	}
	host.exts[coordinatorID] = ext
	require.NoError(t, ext.Start(context.Background(), host))
	imported := &consumertest.LogsSink{}
	rcv = newTestReceiver(t, set, &migrating, imported)
	require.NoError(t, rcv.Start(context.Background(), host))
	require.Eventually(t, func() bool { return imported.LogRecordCount() >= 5 }, time.Minute, 20*time.Millisecond)
	require.NoError(t, rcv.Shutdown(context.Background()))
	require.NoError(t, ext.Shutdown(context.Background()))
	assert.Len(t, uids(imported), 5, "the imported cursor resumes where storage left off")

	sim.AddRecords(simulator.APITinesActionLogs, "1001", 3, time.Now())
	etcdOnly := tinesConfig(sim, simulator.DefaultKeys().Tines)
	etcdOnly.Coordinator = &coordinatorID
	b := startCollector(t, etcd.Endpoints(), "b", etcdOnly)
	require.Eventually(t, func() bool { return b.sink.LogRecordCount() >= 3 }, time.Minute, 20*time.Millisecond)
	assert.Len(t, uids(b.sink), 3, "the cursor is in etcd now")
	all := append(append(uids(alone), uids(imported)...), uids(b.sink)...)
	assert.ElementsMatch(t, simIDs(sim, simulator.APITinesActionLogs, "1001"), all)
}

// TestMissingCoordinatorExtension: Start names the key and the extension.
func TestMissingCoordinatorExtension(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	cfg := tinesConfig(sim, simulator.DefaultKeys().Tines)
	cfg.Coordinator = &coordinatorID
	rcv := newTestReceiver(t, nopSettings(), cfg, consumertest.NewNop())
	err := rcv.Start(context.Background(), componenttest.NewNopHost())
	require.EqualError(t, err, `"coordinator": extension "api_logs_coordinator" not found; add it under extensions and service.extensions`)
	require.NoError(t, rcv.Shutdown(context.Background()))
}
