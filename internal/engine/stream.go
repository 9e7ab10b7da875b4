package engine

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// stream is one cursor: one Tines action, one Make scenario, or the whole
// source when the API has no streams.
type stream struct {
	src      *Source
	id       string
	identity string
	key      string
	vars     apispec.Vars

	cur *cursor.Cursor // nil until the first poll loads it

	notBefore     time.Time // set by a 429 that asked for a long wait, or by a permanent error
	lastErr       string    // the error of the last failed poll; "" after a success
	failingSince  time.Time
	lastErrLogged time.Time
	warnedFilter  bool
	requests      atomic.Int64 // requests of the current poll (prefetch and enrichment included), for the debug line

	partial map[string]struct{} // ids of a page accepted in part (see mapPage)

	// scheduler fields
	due     time.Time
	index   int
	removed bool
}

func newStream(src *Source, id string) *stream {
	set := src.set
	label := set.ResetLabels[id]
	if label == "" {
		label = set.ResetLabels["*"]
	}
	identity := set.API + "\x00" + set.Endpoint.String() + "\x00" + id + "\x00" + label
	vars := make(apispec.Vars, len(set.Vars)+8)
	for k, v := range set.Vars {
		vars[k] = v
	}
	vars.Set(apispec.VarStream, id)
	vars.Set(apispec.VarPageSize, strconv.Itoa(set.PageSize))
	return &stream{
		src:      src,
		id:       id,
		identity: identity,
		key:      cursor.Key(set.API, identity),
		vars:     vars,
		index:    -1,
	}
}

// load reads the stored cursor. Missing or unusable state is never fatal:
// the stream warns and starts from start_at.
func (st *stream) load(ctx context.Context) {
	log := st.src.deps.Logger.With(zap.String("stream", st.id))
	m := st.src.machine
	fresh := func() *cursor.Cursor {
		return m.Fresh(st.identity, st.src.set.StartAt(st.src.set.Now()))
	}
	raw, err := st.src.deps.Store.Load(ctx, st.key)
	switch {
	case err != nil:
		log.Warn("Cannot read the stored cursor; starting from start_at", zap.Error(err))
		st.cur = fresh()
	case raw == nil:
		st.cur = fresh()
	default:
		state, err := cursor.Unmarshal(raw)
		switch {
		case err != nil:
			log.Warn("Stored cursor is unusable; starting from start_at", zap.Error(err))
			st.cur = fresh()
		case state.Identity != st.identity:
			log.Info("Stored cursor belongs to another api, endpoint or reset label; starting from start_at")
			st.cur = fresh()
		default:
			st.cur = cursor.Resume(state)
		}
	}
}

// save persists the state. It runs even when the poll is being cancelled:
// the pipeline already has the page, so the checkpoint must follow it.
func (st *stream) saveState(ctx context.Context, state *cursor.State) {
	state.UpdatedAt = st.src.set.Now().UnixNano()
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := st.src.deps.Store.Save(saveCtx, st.key, state); err != nil {
		st.src.deps.Observer.CheckpointError(st.id)
		st.src.deps.Logger.Warn("Cannot write the cursor; the pages since the last write may be read again after a restart",
			zap.String("stream", st.id), zap.Error(err))
	}
}

// poll runs one poll and reports its outcome.
func (st *stream) poll(ctx context.Context, w *worker) {
	started := time.Now()
	var keyBefore int64
	if st.cur != nil {
		keyBefore = st.cur.State.Key
	}
	st.requests.Store(0)
	pages, records, err := st.pollOnce(ctx, w)
	if ctx.Err() != nil && err != nil {
		return // shutting down: not a stream failure
	}
	st.src.deps.Observer.Poll(st.id, pages, records, err)
	if st.cur != nil {
		st.src.deps.Observer.CursorLag(st.id, st.src.set.Now().Sub(time.Unix(0, st.cur.State.Key)))
		if keyBefore == 0 {
			keyBefore = st.cur.State.Key
		}
		if log := st.src.deps.Logger; log.Core().Enabled(zap.DebugLevel) {
			log.Debug("Polled", zap.String("stream", st.id), zap.Int("pages", pages), zap.Int("records", records),
				zap.Int64("requests", st.requests.Load()), zap.Time("cursor_before", time.Unix(0, keyBefore).UTC()),
				zap.Time("cursor_after", time.Unix(0, st.cur.State.Key).UTC()), zap.Bool("walk_open", st.cur.State.Walk != nil),
				zap.Duration("duration", time.Since(started)), zap.Bool("failed", err != nil))
		}
	}
	st.report(err)
}

// failureRepeat is how often a stream that keeps failing with the same error
// logs it again, so that a log reader knows it is still broken.
const failureRepeat = 15 * time.Minute

// report logs a failure once per distinct error and reports status.
func (st *stream) report(err error) {
	log := st.src.deps.Logger
	now := st.src.set.Now()
	switch err {
	case nil:
		st.src.deps.Observer.LastSuccess(st.id, now)
		if st.lastErr != "" {
			log.Info("Stream recovered", zap.String("stream", st.id), zap.Duration("failed_for", now.Sub(st.failingSince)))
		}
		st.lastErr = ""
	default:
		if te, ok := httpclient.IsThrottled(err); ok && te.Until.After(st.notBefore) {
			st.notBefore = te.Until
		}
		if httpclient.IsPermanent(err) {
			// Credentials need a human; polling at the normal rate would only flood the API and the log.
			st.notBefore = now.Add(slowRetry(st.src.set.Interval))
		}
		switch msg := err.Error(); {
		case msg != st.lastErr:
			log.Error("Poll failed; the cursor is unchanged and the stream retries on its next interval",
				zap.String("stream", st.id), zap.Error(err))
			st.lastErr, st.failingSince, st.lastErrLogged = msg, now, now
		case now.Sub(st.lastErrLogged) >= failureRepeat:
			log.Error("Poll still failing; the cursor is unchanged",
				zap.String("stream", st.id), zap.Duration("since", now.Sub(st.failingSince)), zap.Error(err))
			st.lastErrLogged = now
		default:
			log.Debug("Poll failed again", zap.String("stream", st.id), zap.Error(err))
		}
	}
	if st.src.deps.Status != nil {
		st.src.deps.Status.StreamStatus(st.id, err)
	}
}

func slowRetry(interval time.Duration) time.Duration {
	d := 10 * interval
	if d > 15*time.Minute {
		d = 15 * time.Minute
	}
	if d < interval {
		d = interval
	}
	return d
}
