package httpclient

import (
	"context"
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
