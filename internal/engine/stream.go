package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
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
	warnedFuture  bool
	warnedNoNext  bool
	requests      atomic.Int64 // requests of the current poll (prefetch and enrichment included), for the debug line

	// stalled is the reason the stream reads nothing for longer than a few
	// intervals (zero when it does not), since stallSince and until stallUntil.
	stalled    stallReason
	stallSince time.Time
	stallUntil time.Time
	partial    map[string]struct{} // ids of a page accepted in part (see mapPage)

	// Storage faults (storage.go): the accepted state a failed write left
	// in memory, and the backoff of a stream whose storage fails.
	unsaved        *cursor.State
	storageBackoff *backoff.ExponentialBackOff
	storageRetryAt time.Time

	// scheduler fields, guarded by the scheduler's mutex
	due     time.Time
	index   int
	busy    bool // handed to a worker, until done
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

// dropForeignLink keeps a stored walk from following a next link the client
// would refuse (another origin, or userinfo), which would fail every poll
// for good: such a link is never stored now, but a state written by an
// older version may hold one. The walk goes on from its first page; what it
// delivered is on the delivered side of its edge and is not delivered again.
func (st *stream) dropForeignLink(log *zap.Logger, state *cursor.State) {
	if p := state.Resume; p != nil && p.URL != "" && !sameOrigin(st.src.set.Endpoint, p.URL) {
		log.Warn("The stored cursor holds a position to resume from that links to another origin or has userinfo; the stream starts again from the time of its last record",
			zap.String("link_origin", originOnly(p.URL)))
		state.Resume, state.Walk = nil, nil
		return
	}
	w := state.Walk
	if w == nil || w.Next.URL == "" || sameOrigin(st.src.set.Endpoint, w.Next.URL) {
		return
	}
	log.Warn("The stored cursor holds a next-page link to another origin or with userinfo; the walk goes on from its first page",
		zap.String("link_origin", originOnly(w.Next.URL)))
	if st.src.machine.Resumes() {
		state.Walk = nil // the next walk starts from the stored position or the time
		return
	}
	w.Next = cursor.NewPager(st.src.set.Spec.Pagination, st.src.set.PageSize).First()
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
	// The error may quote the API's answer (a body, record ids and times, a
	// link): from here on it only travels redacted.
	err = st.src.deps.Redactor.Error(err)
	st.src.deps.Observer.Poll(st.id, pages, records, err)
	if st.cur != nil {
		st.src.deps.Observer.CursorLag(st.id, st.src.set.Now().Sub(time.Unix(0, st.cur.State.Key)))
		st.src.deps.Observer.DisorderWindow(st.id, time.Duration(st.cur.State.Disorder))
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

// stallAfter is how long a stream may go without reading before it says so:
// a few intervals, and at least a minute so that the clock skew of an API
// or a short Retry-After is no news.
func stallAfter(interval time.Duration) time.Duration {
	return max(3*interval, time.Minute)
}

// stallReason says why a stream reads nothing: in a few words for the
// component status, in full for the warning.
type stallReason struct{ short, long string }

var (
	stallRateLimit = stallReason{
		short: "rate limited by the API",
		long:  "the API's rate limit (Retry-After, or X-RateLimit-Remaining: 0 until X-RateLimit-Reset) holds every request of this source back",
	}
	stallFuture = stallReason{
		short: "the cursor is ahead of the clock",
		long: "the cursor is ahead of the clock (a clock jump, an edited state, or a cursor an earlier version moved to a record dated in the future): " +
			"the stream reads nothing until the clock reaches it, and records dated before that are never read; " +
			"give the stream a new reset_cursors label to read again from start_at",
	}
)

// report logs a failure once per distinct error, says when the stream stalls
// and when it resumes, and reports status.
func (st *stream) report(err error) {
	log := st.src.deps.Logger
	set := &st.src.set
	now := set.Now()
	var status error
	if err == nil {
		st.storageRetry(nil, now)
		st.src.deps.Observer.LastSuccess(st.id, now)
		if st.lastErr != "" {
			log.Info("Stream recovered", zap.String("stream", st.id), zap.Duration("failed_for", now.Sub(st.failingSince)))
		}
		st.lastErr = ""
		if until, ok := st.futureCursor(now); ok {
			status = st.stall(now, stallFuture, until, nil)
		} else {
			st.endStall(now)
		}
	} else {
		te, throttled := httpclient.IsThrottled(err)
		if throttled && te.Until.After(st.notBefore) {
			st.notBefore = te.Until
		}
		if httpclient.IsPermanent(err) {
			// Credentials need a human; polling at the normal rate would only flood the API and the log.
			st.notBefore = now.Add(slowRetry(set.Interval))
		}
		retryAt := now.Add(set.Interval)
		if at, ok := st.storageRetry(err, now); ok {
			retryAt = at
		}
		if st.notBefore.After(retryAt) {
			retryAt = st.notBefore
		}
		status = &StreamError{Class: st.describe(err), Err: err}
		if throttled && retryAt.Sub(now) > stallAfter(set.Interval) {
			// The server asked for the wait: a stall, not a failure to log
			// as an error at every poll.
			status = st.stall(now, stallRateLimit, retryAt, err)
		} else {
			st.endStall(now)
			st.logFailure(err, now, retryAt)
		}
	}
	if st.src.deps.Status != nil {
		st.src.deps.Status.StreamStatus(st.id, status)
	}
}

// logFailure logs a failed poll: at error level when the error is new or
// every failureRepeat, at debug level otherwise.
func (st *stream) logFailure(err error, now, retryAt time.Time) {
	log := st.src.deps.Logger
	switch msg := err.Error(); {
	case msg != st.lastErr:
		log.Error(failureMessage(err),
			zap.String("stream", st.id), zap.Time("retry_at", retryAt.UTC()), zap.Error(err))
		st.lastErr, st.failingSince, st.lastErrLogged = msg, now, now
	case now.Sub(st.lastErrLogged) >= failureRepeat:
		log.Error("Poll still failing; the cursor is unchanged",
			zap.String("stream", st.id), zap.Duration("since", now.Sub(st.failingSince)),
			zap.Time("retry_at", retryAt.UTC()), zap.Error(err))
		st.lastErrLogged = now
	default:
		log.Debug("Poll failed again", zap.String("stream", st.id), zap.Time("retry_at", retryAt.UTC()), zap.Error(err))
	}
}

// stall notes that the stream reads nothing until until, for reason. It
// warns once per stall: when one begins, when its reason changes, or when a
// new one begins after the time the last one announced. err is the poll's
// error, if any.
func (st *stream) stall(now time.Time, reason stallReason, until time.Time, err error) *StreamError {
	if st.stalled != reason || !now.Before(st.stallUntil) {
		fields := []zap.Field{
			zap.String("stream", st.id), zap.String("reason", reason.long),
			zap.Time("resume_at", until.UTC()), zap.Duration("stalled_for", until.Sub(now).Round(time.Second)),
		}
		if err != nil {
			fields = append(fields, zap.Error(err))
		}
		st.src.deps.Logger.Warn("Stream stalled: it reads nothing until resume_at", fields...)
		if st.stalled == (stallReason{}) {
			st.stallSince = now
		}
	}
	st.stalled, st.stallUntil = reason, until
	return &StreamError{
		Class: "stalled until " + until.UTC().Format(time.RFC3339) + ": " + reason.short,
		Until: until, Err: err,
	}
}

// endStall notes that the stream reads again.
func (st *stream) endStall(now time.Time) {
	if st.stalled == (stallReason{}) {
		return
	}
	st.src.deps.Logger.Info("Stream resumed after a stall", zap.String("stream", st.id),
		zap.String("reason", st.stalled.short), zap.Duration("stalled_for", now.Sub(st.stallSince).Round(time.Second)))
	st.stalled, st.stallSince, st.stallUntil = stallReason{}, time.Time{}, time.Time{}
}

// futureCursor reports whether the cursor is so far ahead of the clock that
// the stream reads nothing for longer than stallAfter, and when it reads
// again: once the time unit after the cursor has closed (cursor.Machine.Begin
// opens no window before).
func (st *stream) futureCursor(now time.Time) (time.Time, bool) {
	if st.cur == nil || st.cur.State.Walk != nil || st.src.machine.Resumes() {
		return time.Time{}, false // a walk from the server's position does not wait for the clock
	}
	p := st.src.machine.Precision()
	resume := time.Unix(0, st.cur.State.Key+2*p)
	return resume, resume.Sub(now) > stallAfter(st.src.set.Interval)
}

// StreamError is what the component status says of a stream: Class is a
// fixed description of the failure (the configured request and the status
// code, "network error", "records path not found", "stalled until ..."),
// never content of the API's answer. Err is the redacted error behind it,
// nil for a stream stalled by its cursor.
type StreamError struct {
	Class string
	// Until, when set, is when a stalled stream reads again.
	Until time.Time
	Err   error
}

func (e *StreamError) Error() string { return e.Class }

func (e *StreamError) Unwrap() error { return e.Err }

// describe classifies a poll's error into a fixed description. The request
// it names is the configured one (method, endpoint path and the spec's path
// template), never a link from a response.
func (st *stream) describe(err error) string {
	set := &st.src.set
	method := set.Spec.Request.Method
	if method == "" {
		method = http.MethodGet
	}
	req := method + " " + strings.TrimSuffix(set.Endpoint.Path, "/") + set.Spec.Request.Path
	var (
		se *httpclient.StatusError
		te *httpclient.TransportError
	)
	switch {
	case errors.As(err, &se) && se.TokenEndpoint:
		return fmt.Sprintf("token request POST %s: status %d", se.Path, se.Status)
	case errors.As(err, &te) && strings.HasPrefix(te.Method, "token request"):
		return te.Method + " " + te.Path + ": network error"
	}
	var storeErr *StorageError
	if errors.As(err, &storeErr) {
		return "storage extension: cannot " + storeErr.Op
	}
	if _, ok := httpclient.IsThrottled(err); ok {
		return req + ": rate limited by the API"
	}
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("%s: status %d", req, se.Status)
	case errors.Is(err, httpclient.ErrForeignOrigin),
		// poll.go's error for a refused link: our own words, matched only
		// after every typed error above.
		strings.Contains(err.Error(), "refused a next-page link"):
		return req + ": refused a next-page link to another origin or with userinfo"
	case errors.As(err, &te):
		return req + ": network error"
	case errors.Is(err, context.DeadlineExceeded):
		return req + ": timeout"
	case errors.Is(err, httpclient.ErrBodyTooLarge):
		return req + ": response body above max_body_size"
	case errors.Is(err, httpclient.ErrUnexpectedContentType):
		return req + ": an HTML page instead of JSON"
	case errors.Is(err, decode.ErrNotJSON):
		return req + ": response is not valid JSON"
	case errors.Is(err, decode.ErrNoRecords):
		return req + ": records path not found"
	case errors.Is(err, cursor.ErrOrder):
		return req + ": records out of the declared order"
	case errors.Is(err, cursor.ErrLinkLoop), errors.Is(err, cursor.ErrRepeatedPage):
		return req + ": pagination loop"
	}
	return "poll failed (the log says why)"
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
