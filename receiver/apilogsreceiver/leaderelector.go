package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/engine"
)

// leaderElector is the interface of contrib's k8s_leader_elector extension
// (its StartCallback and StopCallback are aliases of these func types), so
// that extension, or any with the same method, fits without importing it.
type leaderElector interface {
	SetCallBackFuncs(onStartLeading func(context.Context), onStopLeading func())
}

// leaderStopTimeout bounds the stop of the polls when leadership ends (the
// extension's callback has no deadline of its own).
const leaderStopTimeout = 10 * time.Second

// joinLeaderElector polls the receiver's streams only while the extension
// says this collector leads. It fences nothing: a former leader that has
// not yet noticed may still deliver and checkpoint, and the storage must be
// shared by the replicas for the new leader to resume where the old one
// stopped.
func (lr *logsReceiver) joinLeaderElector(host component.Host) error {
	id := *lr.cfg.K8sLeaderElector
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return fmt.Errorf("\"k8s_leader_elector\": extension %q not found; add it under extensions and service.extensions", id.String())
	}
	le, ok := ext.(leaderElector)
	if !ok {
		return fmt.Errorf("\"k8s_leader_elector\": extension %q is not a leader elector (it has no SetCallBackFuncs)", id.String())
	}
	// Sources are built at each term; building one now reports a problem
	// at Start rather than at the first term.
	if _, err := lr.newSource(lr.store, lr.next); err != nil {
		return err
	}
	if lr.cfg.Storage == nil {
		lr.set.Logger.Warn("k8s_leader_elector without storage: a replica that becomes leader starts from start_at and delivers again what the former leader delivered; use a storage extension the replicas share, or coordinator for fenced cursors")
	}
	lr.leader = &leaderTerm{lr: lr}
	le.SetCallBackFuncs(lr.leader.start, lr.leader.stop)
	return nil
}

// leaderTerm runs a source while this collector leads; the cursor store
// outlives the terms (the receiver closes it in Shutdown).
type leaderTerm struct {
	lr      *logsReceiver
	leading atomic.Bool

	mu     sync.Mutex
	source *engine.Source
	closed bool
}

func (t *leaderTerm) start(context.Context) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || t.source != nil {
		return
	}
	source, err := t.lr.newSource(t.lr.store, &gatedConsumer{next: t.lr.next, open: t.leading.Load})
	if err != nil {
		// joinLeaderElector built one with the same settings.
		t.lr.set.Logger.Error("Cannot build the source for this term of leadership", zap.Error(err))
		return
	}
	t.leading.Store(true)
	t.source = source
	// The previous leader may have spent the budget of the last minute.
	t.lr.limiter.Drain()
	source.Start() //nolint:contextcheck // the polls run until leadership or the receiver ends
	t.lr.set.Logger.Info("This collector leads now: polling")
}

func (t *leaderTerm) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), leaderStopTimeout)
	defer cancel()
	if err := t.end(ctx, false); err != nil {
		t.lr.set.Logger.Warn("Stopping the polls at the end of leadership", zap.Error(err))
	}
}

// end stops the term's source; closing also refuses later terms.
func (t *leaderTerm) end(ctx context.Context, closing bool) error {
	t.leading.Store(false)
	t.mu.Lock()
	source := t.source
	t.source = nil
	t.closed = t.closed || closing
	t.mu.Unlock()
	if source == nil {
		return nil
	}
	err := source.Stop(ctx)
	t.lr.status.clear()
	t.lr.set.Logger.Info("This collector no longer leads: stopped polling")
	return err
}
