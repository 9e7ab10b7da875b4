package simulator

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// rateLimiter is a fixed one-minute window budget per vendor or API name.
type rateLimiter struct {
	mu     sync.Mutex
	limits map[string]int
	window map[string]time.Time
	used   map[string]int
}

func newRateLimiter(limits map[string]int) *rateLimiter {
	l := &rateLimiter{limits: map[string]int{}, window: map[string]time.Time{}, used: map[string]int{}}
	for k, v := range limits {
		if v > 0 {
			l.limits[k] = v
		}
	}
	return l
}

// rateVerdict is what allow decided, plus the state of the tightest budget
// that covers the request so the answer can advertise it.
type rateVerdict struct {
	ok       bool
	budgeted bool          // some budget covers the request; the fields below describe the tightest
	limit    int           // that budget per minute
	left     int           // what is left of it in the current window after this request
	reset    time.Duration // until its window resets (Retry-After when !ok)
}

// allow charges one request to every budget that covers it. When one is spent
// nothing is charged and the verdict names the spent budget that resets last,
// so a client waiting reset is not refused again by another spent one.
func (l *rateLimiter) allow(keys ...string) rateVerdict {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.limits) == 0 {
		return rateVerdict{ok: true}
	}
	now := time.Now()
	v := rateVerdict{ok: true}
	for _, k := range keys {
		lim, ok := l.limits[k]
		if !ok {
			continue
		}
		if now.Sub(l.window[k]) >= time.Minute {
			l.window[k], l.used[k] = now, 0
		}
		if l.used[k] >= lim {
			reset := l.window[k].Add(time.Minute).Sub(now)
			if v.ok || reset > v.reset {
				v = rateVerdict{budgeted: true, limit: lim, reset: reset}
			}
		}
	}
	if !v.ok {
		return v
	}
	for _, k := range keys {
		lim, ok := l.limits[k]
		if !ok {
			continue
		}
		l.used[k]++
		// Tightest = fewest requests left; the first key (the vendor) wins ties.
		if left := lim - l.used[k]; !v.budgeted || left < v.left {
			v = rateVerdict{ok: true, budgeted: true, limit: lim, left: left, reset: l.window[k].Add(time.Minute).Sub(now)}
		}
	}
	return v
}

// setHeaders advertises the tightest budget the way many vendors do (the
// GitHub-style trio), with Reset as whole seconds rounded up.
func (v rateVerdict) setHeaders(h http.Header) {
	if !v.budgeted {
		return
	}
	h.Set("X-RateLimit-Limit", strconv.Itoa(v.limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(v.left))
	h.Set("X-RateLimit-Reset", strconv.Itoa(int(math.Ceil(v.reset.Seconds()))))
}
