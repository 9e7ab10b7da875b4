package engine

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
)

// Storage faults never move a cursor:
//   - a failed read leaves the stream without a cursor: it does not poll
//     (no request, no delivery, no write) and reads again after a backoff,
//     so that a storage blip at start neither replays from start_at nor
//     overwrites the good cursor;
//   - a failed write keeps the accepted cursor in memory (unsaved): the
//     stream reads no further, and writes it again at its next try, before
//     any request;
//   - only a read that returned unusable bytes starts from start_at, once
//     those bytes are kept aside under cursor.AsideKey.
// Each is a poll failure with a *StorageError, so the stream's status says
// so (a recoverable condition) until a poll succeeds.

// Storage operations that fail a poll.
//
//nolint:gosec // G101: words for messages, not credentials
const (
	opRead     = "read the stored cursor"
	opWrite    = "write the cursor"
	opSetAside = "keep an unusable cursor aside"
)

// saveTimeout bounds one write of a cursor.
const saveTimeout = 10 * time.Second

// StorageError is a failed operation of the storage extension.
type StorageError struct {
	// Op says what failed, in a few fixed words (component status).
	Op  string
	Key string
	Err error
}

func (e *StorageError) Error() string {
	return "storage extension: cannot " + e.Op + " (key " + e.Key + "): " + e.Err.Error()
}

func (e *StorageError) Unwrap() error { return e.Err }

// ready makes the stream's cursor known and stored before a poll walks: it
// loads it, or writes the one a failed write left in memory.
func (st *stream) ready(ctx context.Context) error {
	if st.cur == nil {
		return st.load(ctx)
	}
	return st.flushUnsaved(ctx)
}

// load reads the stored cursor. Missing state starts from start_at; so does
// unusable state, once its bytes are kept aside; a storage error leaves the
// cursor unknown (nil) and fails the poll.
func (st *stream) load(ctx context.Context) error {
	src := st.src
	raw, err := src.deps.Store.Load(ctx, st.key)
	if err != nil {
		src.deps.Observer.CursorReadError(st.id)
		return &StorageError{Op: opRead, Key: st.key, Err: err}
	}
	log := src.deps.Logger.With(zap.String("stream", st.id))
	now := src.set.Now()
	fresh := src.machine.Fresh(st.identity, src.set.StartAt(now))
	if raw == nil {
		st.cur = fresh
		return nil
	}
	state, err := cursor.Unmarshal(raw)
	switch {
	case err != nil:
		// The fresh state replaces the bytes in the same Batch that keeps
		// them, so a restart neither sets them aside twice nor recomputes
		// start_at from a later clock.
		aside := cursor.AsideKey(st.key, now)
		fresh.State.UpdatedAt = now.UnixNano()
		setCtx, cancel := context.WithTimeout(ctx, saveTimeout)
		defer cancel()
		if serr := src.deps.Store.SetAside(setCtx, st.key, aside, raw, fresh.State); serr != nil {
			src.deps.Observer.CheckpointError(st.id)
			return &StorageError{Op: opSetAside, Key: st.key, Err: serr}
		}
		src.deps.Observer.CursorSetAside(st.id)
		log.Warn("The stored cursor is unusable: its bytes are kept under aside_key and the stream starts from start_at",
			zap.String("key", st.key), zap.String("aside_key", aside), zap.Int("bytes", len(raw)), zap.Error(err))
		st.cur = fresh
	case state.Identity != st.identity:
		log.Info("Stored cursor belongs to another api, endpoint or reset label; starting from start_at")
		st.cur = fresh
	default:
		st.dropForeignLink(log, state)
		st.cur = cursor.Resume(state)
	}
	return nil
}

// saveState writes a state, at most for saveTimeout.
func (st *stream) saveState(ctx context.Context, state *cursor.State) error {
	state.UpdatedAt = st.src.set.Now().UnixNano()
	saveCtx, cancel := context.WithTimeout(ctx, saveTimeout)
	defer cancel()
	if err := st.src.deps.Store.Save(saveCtx, st.key, state); err != nil {
		st.src.deps.Observer.CheckpointError(st.id)
		return &StorageError{Op: opWrite, Key: st.key, Err: err}
	}
	return nil
}

// flushUnsaved writes the cursor a failed write left in memory.
func (st *stream) flushUnsaved(ctx context.Context) error {
	if st.unsaved == nil {
		return nil
	}
	if err := st.saveState(ctx, st.unsaved); err != nil {
		return err
	}
	st.unsaved = nil
	st.src.deps.Logger.Info("Wrote the cursor the stream held in memory while the storage extension failed",
		zap.String("stream", st.id))
	return nil
}

// storageRetry notes the outcome of a poll for the storage backoff: after a
// storage error, the stream polls again after the next backoff interval
// (sooner than collection_interval, so that a blip costs seconds); any
// other outcome resets it.
func (st *stream) storageRetry(err error, now time.Time) (time.Time, bool) {
	var se *StorageError
	if err == nil || !errors.As(err, &se) {
		st.storageBackoff, st.storageRetryAt = nil, time.Time{}
		return time.Time{}, false
	}
	if st.storageBackoff == nil {
		// From 1s, doubling, up to collection_interval but at most a minute.
		maxInterval := min(max(st.src.set.Interval, time.Second), time.Minute)
		st.storageBackoff = &backoff.ExponentialBackOff{
			InitialInterval:     min(time.Second, maxInterval),
			RandomizationFactor: backoff.DefaultRandomizationFactor,
			Multiplier:          2,
			MaxInterval:         maxInterval,
		}
		st.storageBackoff.Reset()
	}
	st.storageRetryAt = now.Add(st.storageBackoff.NextBackOff())
	return st.storageRetryAt, true
}

// nextDue is when the scheduler hands the stream out again after a poll
// that ended at now.
func (st *stream) nextDue(now time.Time) time.Time {
	due := now.Add(st.src.set.Interval)
	if !st.storageRetryAt.IsZero() && st.storageRetryAt.Before(due) {
		due = st.storageRetryAt
	}
	if st.notBefore.After(due) {
		due = st.notBefore
	}
	return due
}

// failureMessage is the log line of a failed poll.
func failureMessage(err error) string {
	var se *StorageError
	if errors.As(err, &se) {
		switch se.Op {
		case opWrite:
			return "Cannot write the cursor; the stream keeps it in memory, reads no further and writes it again at retry_at"
		default:
			return "Cannot read the stored cursor; the stream does not poll (nor start from start_at) until it can, and tries again at retry_at"
		}
	}
	return "Poll failed; the cursor is unchanged and the stream retries at retry_at"
}
