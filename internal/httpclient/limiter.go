package httpclient

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter is one request budget as the vendor counts it: a token bucket
// (golang.org/x/time/rate) shared by every stream, and every receiver, that
// spends the same budget, plus what the server said of it: a pause (429
// Retry-After, X-RateLimit-Remaining: 0) and the requests its window has
// left. List requests always go first; secondary requests (enrichment) take
// only what the list walks leave, and at most a share of the budget.
// A nil *Limiter never waits.
type Limiter struct {
	bucket    *rate.Limiter // nil: no client-side limit
	secondary *rate.Limiter // nil: secondary requests are bounded by bucket alone

	mu       sync.Mutex
	pauseTo  time.Time
	waiting  int       // list requests waiting for the bucket
	left     int       // requests the server's window has left, counting ours since its answer
	leftTill time.Time // when the server's window resets; zero: no word from the server

	now func() time.Time // time.Now; tests set a fake clock
}

// SecondaryShare is the part of a budget that secondary requests may use at
// most, when the list walks leave it free.
const SecondaryShare = 0.5

// ErrNoBudget means a secondary request found no free request in time; it
// was not sent.
var ErrNoBudget = errors.New("no request left in the budget for a secondary request")

// NewLimiter allows at most perMinute requests in any 60 seconds: a bucket
// of burst requests refilled at perMinute-burst a minute, so that neither a
// fixed nor a sliding one-minute window at the vendor ever counts more than
// perMinute. perMinute <= 0 disables the bucket but keeps the pauses.
func NewLimiter(perMinute float64, burst int) *Limiter {
	l := &Limiter{now: time.Now}
	l.SetLimit(perMinute, burst)
	return l
}

// SetLimit changes the budget (receivers that share one agree on the lowest).
func (l *Limiter) SetLimit(perMinute float64, burst int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if perMinute <= 0 {
		l.bucket, l.secondary = nil, nil
		return
	}
	burst = max(1, min(burst, int(perMinute/2)))
	refill := max(perMinute-float64(burst), perMinute/2) / 60
	if l.bucket == nil {
		l.bucket = rate.NewLimiter(rate.Limit(refill), burst)
		l.secondary = rate.NewLimiter(rate.Limit(refill*SecondaryShare), 1)
		return
	}
	l.bucket.SetLimit(rate.Limit(refill))
	l.bucket.SetBurst(burst)
	l.secondary.SetLimit(rate.Limit(refill * SecondaryShare))
}

// Drain spends every request the bucket holds now, so that the next ones
// come at the refill rate only. A collector that takes a budget over from
// another member of a cluster (coordinator, leader election) drains it
// first: the previous owner may have spent the budget of the last minute,
// and a full bucket on top of that would put up to burst requests too many
// in the 60 s around the handover; from empty, any 60 s holds at most the
// refill (perMinute-burst) and a request, whoever sent it.
func (l *Limiter) Drain() {
	if l == nil {
		return
	}
	l.mu.Lock()
	bucket := l.bucket
	l.mu.Unlock()
	if bucket == nil {
		return
	}
	now := l.now()
	if n := int(bucket.TokensAt(now)); n > 0 {
		bucket.ReserveN(now, n)
	}
}

// PerMinute is the refill rate of the bucket in requests a minute (0: none).
func (l *Limiter) PerMinute() float64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.bucket == nil {
		return 0
	}
	return float64(l.bucket.Limit()) * 60
}

// PauseUntil makes every waiter wait until t. Pauses only ever extend.
func (l *Limiter) PauseUntil(t time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	if t.After(l.pauseTo) {
		l.pauseTo = t
	}
	l.mu.Unlock()
}

// PausedUntil returns the end of the current server-imposed pause (zero or in
// the past when not paused).
func (l *Limiter) PausedUntil() time.Time {
	if l == nil {
		return time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.pauseTo
}

// BlockedUntil is when the server's word stops holding requests back: the
// end of a pause, or of a quota window with no request left. It is zero or
// not after now when nothing holds them back.
func (l *Limiter) BlockedUntil(now time.Time) time.Time {
	if l == nil {
		return time.Time{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	var until time.Time
	if now.Before(l.pauseTo) {
		until = l.pauseTo
	}
	if l.left <= 0 && now.Before(l.leftTill) && l.leftTill.After(until) {
		until = l.leftTill
	}
	return until
}

// ServerQuota records the server's own count: remaining requests until its
// window resets at reset. Requests sent since that answer are already
// counted here, so the lower of the two counts wins within one window.
func (l *Limiter) ServerQuota(remaining int, reset time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	sameWindow := !l.leftTill.IsZero() && reset.Sub(l.leftTill).Abs() < time.Second
	if sameWindow && l.left < remaining {
		return
	}
	l.left, l.leftTill = remaining, reset
}

// blockedFor is how long the server's word holds every request back.
func (l *Limiter) blockedFor(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.pauseTo) {
		return l.pauseTo.Sub(now)
	}
	if !l.leftTill.IsZero() {
		if !now.Before(l.leftTill) {
			l.leftTill = time.Time{} // a new window: no count known
		} else if l.left <= 0 {
			return l.leftTill.Sub(now)
		}
	}
	return 0
}

// sent counts one request against the server's window.
func (l *Limiter) sent() {
	l.mu.Lock()
	if !l.leftTill.IsZero() {
		l.left--
	}
	l.mu.Unlock()
}

// Wait blocks until a list request may be sent, or ctx is done. It returns
// how long it actually slept (0 if it did not have to).
func (l *Limiter) Wait(ctx context.Context) (time.Duration, error) {
	if l == nil {
		return 0, ctx.Err()
	}
	waited, err := l.waitServer(ctx)
	if err != nil {
		return waited, err
	}
	l.mu.Lock()
	bucket := l.bucket
	l.waiting++
	l.mu.Unlock()
	if bucket != nil {
		// A reservation, not bucket.Wait: it says whether a sleep is needed,
		// so that an unthrottled request reports no wait at all.
		now := l.now()
		r := bucket.ReserveN(now, 1)
		if d := r.DelayFrom(now); d > 0 {
			start := time.Now()
			err = sleepCtx(ctx, d)
			waited += time.Since(start)
			if err != nil {
				r.CancelAt(l.now())
			}
		}
	}
	l.mu.Lock()
	l.waiting--
	l.mu.Unlock()
	if err != nil {
		return waited, err
	}
	// A pause set while this request waited for its token still wins.
	w, err := l.waitServer(ctx)
	waited += w
	if err != nil {
		return waited, err
	}
	l.sent()
	return waited, nil
}

// waitServer sleeps while the server's word holds requests back.
func (l *Limiter) waitServer(ctx context.Context) (time.Duration, error) {
	var waited time.Duration
	for {
		if err := ctx.Err(); err != nil {
			return waited, err
		}
		d := l.blockedFor(l.now())
		if d <= 0 {
			return waited, nil
		}
		start := time.Now()
		err := sleepCtx(ctx, d)
		waited += time.Since(start)
		if err != nil {
			return waited, err
		}
	}
}

// WaitSecondary takes a request for secondary work (enrichment) only when no
// list request is waiting, the bucket has a request free now and the
// secondary share allows it; it waits for that at most until deadline and
// returns ErrNoBudget then.
func (l *Limiter) WaitSecondary(ctx context.Context, deadline time.Time) (time.Duration, error) {
	if l == nil {
		return 0, ctx.Err()
	}
	var waited time.Duration
	for {
		if err := ctx.Err(); err != nil {
			return waited, err
		}
		now := l.now()
		d := l.trySecondary(now)
		if d == 0 {
			l.sent()
			return waited, nil
		}
		if now.Add(d).After(deadline) {
			return waited, ErrNoBudget
		}
		start := time.Now()
		err := sleepCtx(ctx, d)
		waited += time.Since(start)
		if err != nil {
			return waited, err
		}
	}
}

// secondaryPoll is how often a waiting secondary request looks again while
// list requests hold the budget.
const secondaryPoll = 50 * time.Millisecond

// trySecondary takes a request and returns 0, or returns how long to wait
// before trying again.
func (l *Limiter) trySecondary(now time.Time) time.Duration {
	if d := l.blockedFor(now); d > 0 {
		return d
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.waiting > 0 {
		return secondaryPoll
	}
	if !l.leftTill.IsZero() && l.left <= 1 {
		return l.leftTill.Sub(now) // the last request of the server's window is kept for a list request
	}
	if l.bucket == nil {
		return 0
	}
	if l.bucket.TokensAt(now) < 1 {
		return max(secondaryPoll, time.Duration((1-l.bucket.TokensAt(now))/float64(l.bucket.Limit())*float64(time.Second)))
	}
	r := l.secondary.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return max(secondaryPoll, d)
	}
	if !l.bucket.AllowN(now, 1) { // a list request took the free one meanwhile
		r.CancelAt(now)
		return secondaryPoll
	}
	return 0
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
