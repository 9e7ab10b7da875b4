package httpclient

import (
	"context"
	"sync"
	"time"
)

// Limiter is a token bucket shared by every stream of one source, plus a
// server-imposed pause (429 Retry-After, X-RateLimit-Remaining: 0) that holds
// back all of them: the vendor's limit is per key, not per stream.
// A nil *Limiter never waits.
type Limiter struct {
	mu      sync.Mutex
	perSec  float64 // 0 = no client-side limit
	burst   float64
	tokens  float64
	last    time.Time
	pauseTo time.Time
}

// NewLimiter allows perMinute requests per minute with the given burst
// (minimum 1). perMinute <= 0 disables the bucket but keeps PauseUntil.
func NewLimiter(perMinute float64, burst int) *Limiter {
	if burst < 1 {
		burst = 1
	}
	l := &Limiter{burst: float64(burst), tokens: float64(burst), last: time.Now()}
	if perMinute > 0 {
		l.perSec = perMinute / 60
	}
	return l
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

// Wait blocks until a request may be sent, or ctx is done. It returns how long
// it actually slept (0 if it did not have to).
func (l *Limiter) Wait(ctx context.Context) (time.Duration, error) {
	if l == nil {
		return 0, ctx.Err()
	}
	var start time.Time
	for {
		if err := ctx.Err(); err != nil {
			return sinceOrZero(start), err
		}
		d := l.reserve(time.Now())
		if d <= 0 {
			return sinceOrZero(start), nil
		}
		if start.IsZero() {
			start = time.Now()
		}
		// Re-check after sleeping instead of pre-booking a slot: a pause may
		// have been set meanwhile, and it must win.
		if err := sleepCtx(ctx, d); err != nil {
			return sinceOrZero(start), err
		}
	}
}

// reserve takes a token and returns 0, or returns how long to wait first.
func (l *Limiter) reserve(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.pauseTo) {
		return l.pauseTo.Sub(now)
	}
	if l.perSec == 0 {
		return 0
	}
	if el := now.Sub(l.last).Seconds(); el > 0 {
		l.tokens = min(l.burst, l.tokens+el*l.perSec)
		l.last = now
	}
	const eps = 1e-9 // float refill rounding must not cost an extra sleep
	if l.tokens >= 1-eps {
		l.tokens--
		return 0
	}
	d := time.Duration((1 - l.tokens) / l.perSec * float64(time.Second))
	return max(d, time.Millisecond)
}

func sinceOrZero(t time.Time) time.Duration {
	if t.IsZero() {
		return 0
	}
	return time.Since(t)
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
