package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/coord"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/engine"
)

// joinCoordinator makes the receiver a participant of its budget group's
// unit in the coordinator extension: its streams are polled only while this
// collector owns the unit.
func (lr *logsReceiver) joinCoordinator(host component.Host) error {
	id := *lr.cfg.Coordinator
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return fmt.Errorf("\"coordinator\": extension %q not found; add it under extensions and service.extensions", id.String())
	}
	c, ok := ext.(coord.Coordinator)
	if !ok {
		return fmt.Errorf("\"coordinator\": extension %q is not an api_logs_coordinator extension", id.String())
	}
	// The source is built at each tenure; building one now reports a
	// problem at Start rather than at the first tenure.
	if _, err := lr.newSource(cursor.NewStore(nil), lr.next); err != nil {
		return err
	}
	leave, err := c.Join(lr.budget, &tenureHandler{lr: lr})
	if err != nil {
		return fmt.Errorf("\"coordinator\": %w", err)
	}
	lr.leave = leave
	return nil
}

// tenureHandler polls the receiver's streams while the coordinator says this
// collector owns their unit: a fresh source per tenure, whose cursors are
// read from etcd at its first poll of each stream (another member may have
// moved them) and written only while the tenure lasts.
type tenureHandler struct {
	lr *logsReceiver

	mu     sync.Mutex
	source *engine.Source
	store  *cursor.Store
}

func (h *tenureHandler) Acquired(o coord.Ownership) {
	lr := h.lr
	client := o.Client()
	if lr.importFrom != nil {
		client = &importingClient{Client: client, from: lr.importFrom, log: lr.set.Logger}
	}
	store := cursor.NewStore(client)
	source, err := lr.newSource(store, &gatedConsumer{next: lr.next, open: o.Valid})
	if err != nil {
		// joinCoordinator built one with the same settings.
		lr.set.Logger.Error("Cannot build the source for the unit this collector owns now", zap.Error(err))
		return
	}
	h.mu.Lock()
	h.source, h.store = source, store
	h.mu.Unlock()
	// The previous owner may have spent the budget of the last minute.
	lr.limiter.Drain()
	source.Start()
	lr.set.Logger.Info("This collector owns the receiver's budget group now: polling its streams")
}

func (h *tenureHandler) Lost(ctx context.Context) {
	h.mu.Lock()
	source, store := h.source, h.store
	h.source, h.store = nil, nil
	h.mu.Unlock()
	if source == nil {
		return
	}
	err := errors.Join(source.Stop(ctx), store.Close(ctx))
	h.lr.status.clear()
	log := h.lr.set.Logger
	if err != nil {
		log.Warn("Stopped polling the budget group this collector no longer owns", zap.Error(err))
		return
	}
	log.Info("Stopped polling the budget group this collector no longer owns")
}

// gatedConsumer delivers a page only while open says so: a member whose
// lease may have expired (paused, cut off from etcd), or a collector that
// no longer leads, emits nothing, and the page is read again by the next
// poller (a failed delivery never moves the cursor).
type gatedConsumer struct {
	next consumer.Logs
	open func() bool
}

func (c *gatedConsumer) Capabilities() consumer.Capabilities { return c.next.Capabilities() }

func (c *gatedConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	if !c.open() {
		return coord.ErrNotValid
	}
	return c.next.ConsumeLogs(ctx, ld)
}

// importingClient is the one-time migration from a storage extension to
// etcd: a cursor etcd lacks is read from the storage extension and written
// into etcd (fenced, like every write) before the stream uses it, so the
// stream neither replays nor skips; every write goes to etcd only, and the
// storage extension is left as it was.
type importingClient struct {
	storage.Client // the tenure's etcd client
	from           storage.Client
	log            *zap.Logger
}

func (c *importingClient) Get(ctx context.Context, key string) ([]byte, error) {
	value, err := c.Client.Get(ctx, key)
	if err != nil || value != nil {
		return value, err
	}
	stored, err := c.from.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("reading the cursor to import from \"storage\": %w", err)
	}
	if stored == nil {
		return nil, nil
	}
	if err := c.Set(ctx, key, stored); err != nil {
		return nil, fmt.Errorf("importing the cursor of \"storage\" into etcd: %w", err)
	}
	c.log.Info("Imported a stream's cursor from the storage extension into etcd; once every stream has one, remove storage", zap.String("key", key))
	return stored, nil
}
