package engine

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// stuckConsumer blocks every ConsumeLogs: until its context is cancelled
// (an exporter whose endpoint never answers, retrying), or, with
// ignoreContext, until the test releases it, and then accepts the page.
type stuckConsumer struct {
	ignoreContext bool
	entered       chan struct{}
	release       chan struct{}

	mu        sync.Mutex
	calls     int
	cancelled int
	accepted  int
}

func newStuckConsumer(ignoreContext bool) *stuckConsumer {
	return &stuckConsumer{ignoreContext: ignoreContext, entered: make(chan struct{}, 1), release: make(chan struct{})}
}

func (c *stuckConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (c *stuckConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
	select {
	case c.entered <- struct{}{}:
	default:
	}
	if c.ignoreContext {
		<-c.release
	} else {
		select {
		case <-ctx.Done():
			c.mu.Lock()
			c.cancelled++
			c.mu.Unlock()
			return ctx.Err()
		case <-c.release:
		}
	}
	c.mu.Lock()
	c.accepted += ld.LogRecordCount()
	c.mu.Unlock()
	return nil
}

func (c *stuckConsumer) counts() (calls, cancelled, accepted int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls, c.cancelled, c.accepted
}

// within runs fn and fails the test if it has not returned after a deadline
// far above what it needs (the bound asserted is "returns", not a time).
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not return within 30s", what)
	}
}

// stuckRig is a started source whose only poll is inside ConsumeLogs.
func stuckRig(t *testing.T, ignoreContext bool) (*rig, *faultyStorage, *stuckConsumer) {
	t.Helper()
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	clock := &fakeClock{now: base.Add(10 * time.Second)}
	c := caseOf(t, simulator.APITinesAuditLogs)
	srv.sim.AddRecords(c.api, "", 3, base.Add(2*time.Second))
	fs := newFaultyStorage()
	r := newRig(t, srv, c, cursor.NewStore(fs), clock)
	cons := newStuckConsumer(ignoreContext)
	r.src.deps.Consumer = cons
	r.src.Start()
	select {
	case <-cons.entered:
	case <-time.After(30 * time.Second):
		t.Fatal("the poll never reached ConsumeLogs")
	}
	return r, fs, cons
}

// Shutdown cancels a ConsumeLogs blocked on its context (after the grace
// that lets a healthy pipeline finish a page): Stop returns without error,
// nothing was checkpointed, nothing is written after the store is closed,
// and a restart delivers the page (at-least-once). Before, ConsumeLogs got
// a context Stop never cancelled, and Stop waited until its own deadline.
func TestStopCancelsAConsumerBlockedOnItsContext(t *testing.T) {
	r, fs, cons := stuckRig(t, false)
	// No grace; and room for a loaded machine to end the poll once its
	// delivery is cancelled (Stop returns as soon as it has ended).
	r.src.deliveryGrace, r.src.abandonWorkers = 0, 20*time.Second
	var err error
	within(t, "Stop", func() { err = r.src.Stop(context.Background()) })
	require.NoError(t, err)
	calls, cancelled, accepted := cons.counts()
	assert.Equal(t, 1, calls)
	assert.Equal(t, 1, cancelled, "ConsumeLogs' context was cancelled")
	assert.Zero(t, accepted)
	assert.Nil(t, fs.state(t, r.st.key), "the page was not accepted: the cursor does not move")
	require.NoError(t, r.store.Close(context.Background()))
	assert.Zero(t, fs.writesAfterClose)
	assert.Equal(t, 1, r.srv.totalRequests())

	r2 := newRig(t, r.srv, r.c, cursor.NewStore(fs), r.clock)
	r2.drain()
	requireExactlyOnce(t, r.want(), r2.got())
	assert.Equal(t, 2, r.srv.totalRequests(), "the page, read again once")
}

// A consumer that ignores its cancelled context cannot hold Shutdown: Stop
// returns an error that says so once abandonWorkers has passed, the store
// is closed, and when the consumer finally returns (accepting the page) the
// poll ends without writing: the page is delivered again after a restart
// (at-least-once), and no goroutine is left once the consumer returned
// (goleak in TestMain).
func TestStopReturnsWhenTheConsumerIgnoresItsContext(t *testing.T) {
	r, fs, cons := stuckRig(t, true)
	r.src.deliveryGrace, r.src.abandonWorkers = 0, 10*time.Millisecond
	var err error
	within(t, "Stop", func() { err = r.src.Stop(context.Background()) })
	require.ErrorContains(t, err, "1 ConsumeLogs calls did not return after their context was cancelled")
	require.NoError(t, r.store.Close(context.Background()))

	close(cons.release)
	within(t, "the abandoned poll", r.src.wg.Wait)
	_, _, accepted := cons.counts()
	assert.Equal(t, 3, accepted, "the consumer accepted the page after Shutdown")
	assert.Zero(t, fs.writesAfterClose, "no write after the store was closed")
	assert.Nil(t, fs.state(t, r.st.key))

	r2 := newRig(t, r.srv, r.c, cursor.NewStore(fs), r.clock)
	r2.drain()
	requireExactlyOnce(t, r.want(), r2.got())
	assert.Equal(t, 2, r.srv.totalRequests())
}

// Stop with a deadline returns by it even with the default grace.
func TestStopHonoursItsDeadline(t *testing.T) {
	r, fs, cons := stuckRig(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var err error
	within(t, "Stop", func() { err = r.src.Stop(ctx) })
	require.ErrorIs(t, err, context.Canceled)
	require.NoError(t, r.store.Close(context.Background()))
	close(cons.release)
	within(t, "the abandoned poll", r.src.wg.Wait)
	assert.Zero(t, fs.writesAfterClose)
}
