package engine

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"
)

// Stop is bounded whatever the pipeline does. The collector calls a
// receiver's Shutdown first, before the exporters', with a context that has
// no deadline (otelcol v0.165 on SIGTERM): a poll waiting on ConsumeLogs
// that waits on an exporter whose endpoint never answers (sending_queue
// off, retry_on_failure on: up to max_elapsed_time, 300s by default, of 30s
// attempts) would hold the collector for minutes. exporterhelper gives up at
// once when the request's context is cancelled (retry_sender.go: the
// backoff wait selects on ctx.Done(); each attempt's HTTP request carries
// ctx), so Stop cancels it, after a grace period.
const (
	// deliveryGrace is how long Stop lets the pages already handed to the
	// pipeline (at most two per poll: one in ConsumeLogs, one mapped behind
	// it) be accepted and checkpointed, so that a graceful stop of a healthy
	// pipeline repeats nothing.
	deliveryGrace = 2 * time.Second
	// abandonWorkers is how long Stop then waits for polls whose
	// ConsumeLogs it cancelled; past it, a consumer that ignores its context
	// is left behind (see Stop).
	abandonWorkers = 3 * time.Second
)

// deliveryContext is the context of ConsumeLogs and of checkpoints: the
// source's (cancelled by Stop after deliveryGrace) once Start ran; for a
// poll run on its own (tests), the poll's without its cancellation.
func (s *Source) deliveryContext(ctx context.Context) context.Context {
	if s.deliver != nil {
		return s.deliver
	}
	return context.WithoutCancel(ctx)
}

// Stop ends the polls in two steps:
//  1. the polls' context is cancelled: requests and their retries and
//     rate-limit waits, decoding, mapping, discovery and reads of the store
//     end; pages already handed to the pipeline may still be accepted and
//     checkpointed for deliveryGrace;
//  2. then ConsumeLogs' context is cancelled: a page whose delivery did not
//     finish is not checkpointed and is read again after a restart
//     (at-least-once), and Stop waits abandonWorkers more for the polls.
//
// Once every poll ended, a cursor a failed write left in memory is written
// once more. Stop returns when ctx ends, whatever the step. A poll stuck in
// a consumer that ignores its cancelled context cannot be ended from here:
// Stop returns an error saying so, the receiver closes the store, which
// refuses every later operation (cursor.ErrClosed), and that poll's
// goroutine ends, writing nothing, when the consumer returns.
func (s *Source) Stop(ctx context.Context) error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	grace := time.NewTimer(s.deliveryGrace)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
	case <-ctx.Done():
	}
	if n := s.consuming.Load(); n > 0 {
		s.deps.Logger.Warn("Shutting down: the pipeline has not accepted the pages in flight; their delivery is cancelled and they are read again after the restart",
			zap.Int64("deliveries", n), zap.Duration("waited", s.deliveryGrace))
	}
	s.cancelDeliver()
	abandon := time.NewTimer(s.abandonWorkers)
	defer abandon.Stop()
	select {
	case <-done:
	default:
		select {
		case <-done:
		case <-abandon.C:
			return s.stuck(context.DeadlineExceeded)
		case <-ctx.Done():
			return s.stuck(ctx.Err())
		}
	}
	s.flushUnsaved(ctx)
	return nil
}

// stuck is Stop's error when polls did not end.
func (s *Source) stuck(cause error) error {
	if n := s.consuming.Load(); n > 0 {
		return fmt.Errorf("%s: stopping: %d ConsumeLogs calls did not return after their context was cancelled; "+
			"their pages are not checkpointed (the store refuses writes from now on) and are read again after a restart: %w",
			s.set.SourceID, n, cause)
	}
	return fmt.Errorf("%s: stopping: the polls did not end in time: %w", s.set.SourceID, cause)
}

// flushUnsaved writes, once, the cursors failed writes left in memory, at
// most for abandonWorkers: the last chance before a restart reads the
// older stored ones (at-least-once either way).
func (s *Source) flushUnsaved(ctx context.Context) {
	s.mu.Lock()
	var pending []*stream
	for _, st := range s.streams {
		if st.unsaved != nil {
			pending = append(pending, st)
		}
	}
	s.mu.Unlock()
	if len(pending) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, s.abandonWorkers)
	defer cancel()
	for _, st := range pending {
		if err := st.flushUnsaved(ctx); err != nil {
			s.deps.Logger.Warn("Cannot write the cursor the stream held in memory; the pages since its last write are read again after the restart",
				zap.String("stream", st.id), zap.Error(err))
		}
	}
}
