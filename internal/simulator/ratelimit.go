package simulator

import (
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

// allow charges one request to every budget that covers it; when one is spent
// it returns how long until that window resets.
func (l *rateLimiter) allow(keys ...string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.limits) == 0 {
		return true, 0
	}
	now := time.Now()
	for _, k := range keys {
		lim, ok := l.limits[k]
		if !ok {
			continue
		}
		start := l.window[k]
		if now.Sub(start) >= time.Minute {
			l.window[k], l.used[k], start = now, 0, now
		}
		if l.used[k] >= lim {
			return false, start.Add(time.Minute).Sub(now)
		}
	}
	for _, k := range keys {
		if _, ok := l.limits[k]; ok {
			l.used[k]++
		}
	}
	return true, 0
}
