package apilogsreceiver

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadatatest"
)

// flakyClient is an in-memory storage client whose first failGets reads fail.
type flakyClient struct {
	mu       sync.Mutex
	data     map[string][]byte
	failGets int
	gets     int
}

var errStorageDown = errors.New("storage backend unreachable")

func (c *flakyClient) Get(_ context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gets++
	if c.gets <= c.failGets {
		return nil, errStorageDown
	}
	return c.data[key], nil
}

func (c *flakyClient) Set(_ context.Context, key string, value []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data[key] = append([]byte(nil), value...)
	return nil
}

func (c *flakyClient) Delete(_ context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.data, key)
	return nil
}

func (c *flakyClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		if op.Type != storage.Set {
			return errors.New("unexpected operation")
		}
		if err := c.Set(ctx, op.Key, op.Value); err != nil {
			return err
		}
	}
	return nil
}

func (c *flakyClient) Close(context.Context) error { return nil }

type flakyStorage struct {
	component.StartFunc
	component.ShutdownFunc
	client *flakyClient
}

func (s *flakyStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return s.client, nil
}

// storageHost is a statusHost with one storage extension.
type storageHost struct {
	*statusHost
	id  component.ID
	ext component.Component
}

func (h *storageHost) GetExtensions() map[component.ID]component.Component {
	return map[component.ID]component.Component{h.id: h.ext}
}

// A storage extension that fails the first two reads: the stream waits
// (nothing delivered from start_at, the receiver's status is a recoverable
// error naming the storage, api_logs_cursor_read_errors counts 2), then
// reads the stored cursor and resumes: the component is OK again and the
// records after the stored cursor arrive, once.
func TestStorageReadFailureIsARecoverableWait(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sim := startSim(t, simulator.Options{})
	client := &flakyClient{data: map[string][]byte{}}
	id := component.MustNewID("flaky_storage")
	cfg := tinesConfig(sim, simulator.DefaultKeys().Tines)
	cfg.Storage = &id
	set := metadatatest.NewSettings(tt)

	// A first run stores the cursor after the 25 records of history.
	first := &consumertest.LogsSink{}
	rcv := newTestReceiver(t, set, cfg, first)
	require.NoError(t, rcv.Start(context.Background(), &storageHost{statusHost: &statusHost{}, id: id, ext: &flakyStorage{client: client}}))
	require.Eventually(t, func() bool { return first.LogRecordCount() == 25 }, 15*time.Second, 20*time.Millisecond)
	require.NoError(t, rcv.Shutdown(context.Background()))

	// The restart meets a storage that fails its first two reads.
	client.mu.Lock()
	client.gets, client.failGets = 0, 2
	client.mu.Unlock()
	sim.AddRecords(simulator.APITinesActionLogs, "1001", 5, time.Now())
	second := &consumertest.LogsSink{}
	host := &storageHost{statusHost: &statusHost{}, id: id, ext: &flakyStorage{client: client}}
	rcv2 := newTestReceiver(t, set, cfg, second)
	require.NoError(t, rcv2.Start(context.Background(), host))
	shutdownOnCleanup(t, rcv2)
	require.Eventually(t, func() bool { return host.count(componentstatus.StatusOK) == 1 }, 30*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool { return second.LogRecordCount() >= 5 }, 15*time.Second, 20*time.Millisecond)

	assert.Len(t, uids(second), 5, "only the records after the stored cursor, not start_at's history")
	assert.ElementsMatch(t, simIDs(sim, simulator.APITinesActionLogs, "1001"), append(uids(first), uids(second)...))
	events := host.snapshot()
	require.Len(t, events, 2, "one recoverable error while the storage fails, then OK")
	assert.Equal(t, componentstatus.StatusRecoverableError, events[0].Status())
	require.EqualError(t, events[0].Err(), "1 of the streams failing; stream 1001: storage extension: cannot read the stored cursor")
	assert.Equal(t, componentstatus.StatusOK, events[1].Status())
	stream := attribute.NewSet(attribute.String("receiver", set.ID.String()), attribute.String("stream", "1001"))
	metadatatest.AssertEqualAPILogsCursorReadErrors(t, tt, []metricdata.DataPoint[int64]{{Attributes: stream, Value: 2}}, metricdatatest.IgnoreTimestamp())
}
