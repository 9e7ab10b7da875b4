package httpclient

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLimiterBucket(t *testing.T) {
	l := NewLimiter(600, 2) // 10/s, burst 2
	ctx := context.Background()
	for range 2 {
		waited, err := l.Wait(ctx)
		require.NoError(t, err)
		assert.Zero(t, waited, "burst is free")
	}
	start := time.Now()
	for range 2 {
		_, err := l.Wait(ctx)
		require.NoError(t, err)
	}
	// Two more tokens at 10/s need ~200ms; allow clock slop only downwards.
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond)
}

func TestLimiterUnlimitedAndNil(t *testing.T) {
	l := NewLimiter(0, 0)
	for range 1000 {
		waited, err := l.Wait(context.Background())
		require.NoError(t, err)
		require.Zero(t, waited)
	}
	var nilL *Limiter
	nilL.PauseUntil(time.Now().Add(time.Hour))
	assert.True(t, nilL.PausedUntil().IsZero())
	_, err := nilL.Wait(context.Background())
	assert.NoError(t, err)
}

func TestLimiterPauseOnlyExtends(t *testing.T) {
	l := NewLimiter(0, 0)
	t1 := time.Now().Add(time.Hour)
	l.PauseUntil(t1)
	l.PauseUntil(t1.Add(-time.Minute))
	assert.Equal(t, t1, l.PausedUntil())
}

func TestLimiterPauseHoldsEveryWaiter(t *testing.T) {
	l := NewLimiter(6000, 10)
	until := time.Now().Add(300 * time.Millisecond)
	l.PauseUntil(until)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var done []time.Time
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			waited, err := l.Wait(context.Background())
			assert.NoError(t, err)
			assert.Positive(t, waited)
			mu.Lock()
			done = append(done, time.Now())
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, d := range done {
		assert.False(t, d.Before(until))
	}
}

func TestLimiterWaitHonoursContext(t *testing.T) {
	l := NewLimiter(0, 0)
	l.PauseUntil(time.Now().Add(time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := l.Wait(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 10*time.Second)
}

// A bucket of b requests refilled at perMinute-b a minute never sends more
// than perMinute in any 60 seconds, whatever the vendor's window.
func TestLimiterKeepsEveryMinuteWithinTheLimit(t *testing.T) {
	for _, c := range []struct {
		perMinute float64
		burst     int
		refill    float64
	}{{60, 0, 59}, {60, 1, 59}, {1000, 10, 990}, {120, 200, 60}, {1, 1, 0.5}} {
		l := NewLimiter(c.perMinute, c.burst)
		assert.InDelta(t, c.refill, l.PerMinute(), 1e-9, "%v/min burst %d", c.perMinute, c.burst)
		// Requests come whole: at most floor(burst + refill) in any minute.
		assert.LessOrEqual(t, math.Floor(float64(l.bucket.Burst())+l.PerMinute()), c.perMinute)
	}
	l := NewLimiter(60, 1)
	l.SetLimit(30, 1)
	assert.InDelta(t, 29, l.PerMinute(), 1e-9, "a shared budget lowers to the lowest member")
}

// Secondary requests never take a request a list request is waiting for.
func TestLimiterSecondaryYieldsToWaitingListRequests(t *testing.T) {
	l := NewLimiter(60, 1)
	_, err := l.Wait(context.Background()) // the free request
	require.NoError(t, err)
	listDone := make(chan struct{})
	go func() {
		defer close(listDone)
		_, waitErr := l.Wait(context.Background()) // about a second
		assert.NoError(t, waitErr)
	}()
	require.Eventually(t, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.waiting == 1
	}, time.Second, time.Millisecond)
	_, err = l.WaitSecondary(context.Background(), time.Now().Add(300*time.Millisecond))
	assert.ErrorIs(t, err, ErrNoBudget)
	<-listDone
}

// Secondary requests get at most SecondaryShare of the budget. A fake
// clock: the share refills a request every 20.3 ms, less than a busy
// machine may take between two calls.
func TestLimiterSecondaryShare(t *testing.T) {
	clock := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	l := NewLimiter(6000, 100) // refill (6000-100)/60 = 98.33/s; the share 49.17/s
	l.now = func() time.Time { return clock }
	secondary := func() error {
		_, err := l.WaitSecondary(context.Background(), clock) // a deadline of now: never sleeps
		return err
	}
	require.NoError(t, secondary())
	require.ErrorIs(t, secondary(), ErrNoBudget, "no second one at the same instant")
	clock = clock.Add(20 * time.Millisecond)
	require.ErrorIs(t, secondary(), ErrNoBudget, "20 ms later: not yet (one per 20.34 ms)")
	clock = clock.Add(time.Millisecond)
	require.NoError(t, secondary(), "21 ms later: the share has one again")
	for range 50 {
		waited, err := l.Wait(context.Background())
		require.NoError(t, err)
		require.Zero(t, waited, "list requests still have the bucket")
	}
	// Tried every millisecond for 10 s: the share holds one request at most,
	// refilled 20.34 ms after it was taken, so one is taken every 21 ms:
	// at 42, 63, ... 10,017 ms, 476 in all, under the share's 491.7.
	taken := 0
	for range 10_000 {
		clock = clock.Add(time.Millisecond)
		if secondary() == nil {
			taken++
		}
	}
	assert.Equal(t, 476, taken)
	assert.LessOrEqual(t, float64(taken), SecondaryShare*l.PerMinute()/6, "at most the share of 10 s of refill")

	var nilL *Limiter
	_, err := nilL.WaitSecondary(context.Background(), time.Now())
	assert.NoError(t, err)
}

// The server's count of its window holds requests back before it says 429,
// and its last request is kept for a list request.
func TestLimiterServerQuota(t *testing.T) {
	l := NewLimiter(0, 0)
	reset := time.Now().Add(300 * time.Millisecond)
	l.ServerQuota(3, reset)
	l.ServerQuota(5, reset) // an older answer of the same window does not raise the count
	_, err := l.Wait(context.Background())
	require.NoError(t, err)
	_, err = l.Wait(context.Background())
	require.NoError(t, err)
	_, err = l.WaitSecondary(context.Background(), time.Now().Add(100*time.Millisecond))
	require.ErrorIs(t, err, ErrNoBudget, "one request left: kept for the list walk")
	_, err = l.Wait(context.Background())
	require.NoError(t, err)
	start := time.Now()
	_, err = l.Wait(context.Background())
	require.NoError(t, err)
	assert.False(t, time.Now().Before(reset), "the fourth request waits for the window to reset (waited %s)", time.Since(start))
}

// A server that counts its own window in X-RateLimit headers is never
// pushed into a 429: the client stops at its count and waits for the reset.
func TestClientStopsAtTheServersCountBefore429(t *testing.T) {
	const limit, window = 4, 700 * time.Millisecond
	var mu sync.Mutex
	var windowStart time.Time
	used, throttled := 0, 0
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		now := time.Now()
		if now.Sub(windowStart) >= window {
			windowStart, used = now, 0
		}
		reset := windowStart.Add(window)
		// Milliseconds since the epoch: the receiver reads epoch ms, epoch s or delta seconds.
		w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(reset.UnixMilli()+1, 10))
		if used >= limit {
			throttled++
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		used++
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(limit-used))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	})
	c, _, _ := newTestClient(t, srv, nil) // no client-side budget: only the server's word
	for range 3*limit + 1 {
		_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
		require.NoError(t, err)
	}
	mu.Lock()
	defer mu.Unlock()
	assert.Zero(t, throttled, "no request was sent past the server's count")
	assert.Equal(t, int64(3*limit+1), srv.hits.Load(), "one request for each call")
}

// A budget handed from collector to collector (coordinator takeovers,
// leader elections) keeps every 60 s within the limit when each new owner
// drains its bucket first: three owners in turn within a minute (at 0, 20
// and 40 s), each spending all it may; a fake clock.
func TestLimiterDrainKeepsTheMinuteAcrossHandovers(t *testing.T) {
	const perMinute, burst = 600, 10
	most := func(drain bool) int {
		base := time.Unix(1_700_000_000, 0)
		clock := base
		var sent []time.Time
		for i, until := range []time.Duration{20 * time.Second, 40 * time.Second, 2 * time.Minute} {
			owner := NewLimiter(perMinute, burst)
			owner.now = func() time.Time { return clock }
			if drain {
				owner.Drain()
			}
			for ; clock.Before(base.Add(until)); clock = clock.Add(10 * time.Millisecond) {
				for owner.bucket.AllowN(clock, 1) {
					sent = append(sent, clock)
				}
			}
			require.NotEmpty(t, sent, "owner %d", i)
		}
		best, j := 0, 0
		for i := range sent {
			for j < len(sent) && sent[j].Sub(sent[i]) < time.Minute {
				j++
			}
			best = max(best, j-i)
		}
		return best
	}
	drained, full := most(true), most(false)
	t.Logf("the most requests in any 60 s: %d drained, %d not (limit %d)", drained, full, perMinute)
	assert.LessOrEqual(t, drained, perMinute, "drained at each takeover")
	assert.Greater(t, full, perMinute, "a full bucket at each takeover spends its burst on top of the others' minute")
}

func TestLimiterDrain(t *testing.T) {
	clock := time.Unix(1_700_000_000, 0)
	l := NewLimiter(600, 10) // burst 10, refill 590 a minute
	l.now = func() time.Time { return clock }
	assert.InDelta(t, 10, l.bucket.TokensAt(clock), 1e-9, "a new bucket is full")
	l.Drain()
	assert.Less(t, l.bucket.TokensAt(clock), 1.0, "drained")
	assert.InDelta(t, 590.0/60, l.bucket.TokensAt(clock.Add(time.Second)), 1e-6, "refilled at the rate only")
	var none *Limiter
	none.Drain()
	NewLimiter(0, 0).Drain() // no bucket: nothing to drain
}
