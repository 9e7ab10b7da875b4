package apilogscoordinatorextension

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/otelcol-api-logs/otelcol-api-logs/extension/apilogscoordinatorextension/internal/metadatatest"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/coord"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/etcdtest"
)

const deadline = 60 * time.Second

type statusHost struct {
	component.Host
	mu     sync.Mutex
	events []*componentstatus.Event
}

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, ev)
}

func (h *statusHost) last() *componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.events) == 0 {
		return nil
	}
	return h.events[len(h.events)-1]
}

type ownership struct {
	mu sync.Mutex
	o  coord.Ownership
}

func (h *ownership) Acquired(o coord.Ownership) { h.mu.Lock(); h.o = o; h.mu.Unlock() }
func (h *ownership) Lost(context.Context)       { h.mu.Lock(); h.o = nil; h.mu.Unlock() }
func (h *ownership) get() coord.Ownership {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.o
}

// TestUnreachableEtcdStatus: with no etcd at the endpoint, the extension
// starts (no blocking I/O) and reports a recoverable error that says etcd
// cannot be reached and nothing is owned.
func TestUnreachableEtcdStatus(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.Endpoints = []string{"http://127.0.0.1:1"}
	cfg.LeaseTTL = 2 * time.Second
	cfg.DialTimeout = 500 * time.Millisecond
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	ext, err := NewFactory().Create(context.Background(), metadatatest.NewSettings(tt), cfg)
	require.NoError(t, err)
	host := &statusHost{Host: componenttest.NewNopHost()}
	require.NoError(t, ext.Start(context.Background(), host))
	defer func() { require.NoError(t, ext.Shutdown(context.Background())) }()
	require.Eventually(t, func() bool { return host.last() != nil }, deadline, 20*time.Millisecond)
	ev := host.last()
	assert.Equal(t, componentstatus.StatusRecoverableError, ev.Status())
	assert.Contains(t, ev.Err().Error(), "owns no unit: cannot reach etcd")
}

// TestOwnsAndCounts: with etcd, a joined unit is owned (the owned_units
// gauge says 1, one acquired change), a cursor written through the
// ownership is stored under key_prefix; Shutdown releases it.
func TestOwnsAndCounts(t *testing.T) {
	c := etcdtest.Run(t, 1)
	cfg := createDefaultConfig()
	cfg.Endpoints = c.Endpoints()
	cfg.LeaseTTL = 2 * time.Second
	cfg.MemberID = "collector-0"
	tt := componenttest.NewTelemetry()
	defer func() { require.NoError(t, tt.Shutdown(context.Background())) }()
	ext, err := NewFactory().Create(context.Background(), metadatatest.NewSettings(tt), cfg)
	require.NoError(t, err)
	host := &statusHost{Host: componenttest.NewNopHost()}
	require.NoError(t, ext.Start(context.Background(), host))
	h := &ownership{}
	leave, err := ext.(coord.Coordinator).Join("budget", h)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return h.get() != nil }, deadline, 20*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	require.NoError(t, h.get().Client().Set(ctx, "cursor/x", []byte("c")))

	metadatatest.AssertEqualAPILogsCoordinatorOwnedUnits(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	require.NoError(t, leave(ctx))
	require.NoError(t, ext.Shutdown(ctx))
	metadatatest.AssertEqualAPILogsCoordinatorOwnedUnits(t, tt, []metricdata.DataPoint[int64]{{Value: 0}}, metricdatatest.IgnoreTimestamp())
	assert.Nil(t, host.last(), "no error to report (the collector reports StatusOK after Start)")
}
