package engine

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/mapper"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// churnStore is an in-memory storage client that counts the writes of
// every key.
type churnStore struct {
	mu   sync.Mutex
	data map[string][]byte
	sets map[string]int
}

func newChurnStore() *churnStore {
	return &churnStore{data: map[string][]byte{}, sets: map[string]int{}}
}

func (c *churnStore) Get(_ context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.data[key], nil
}

func (c *churnStore) Set(_ context.Context, key string, value []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data[key] = append([]byte(nil), value...)
	c.sets[key]++
	return nil
}

func (c *churnStore) Delete(_ context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.data, key)
	return nil
}

func (c *churnStore) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		var err error
		switch op.Type {
		case storage.Get:
			op.Value, err = c.Get(ctx, op.Key)
		case storage.Set:
			err = c.Set(ctx, op.Key, op.Value)
		case storage.Delete:
			err = c.Delete(ctx, op.Key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (*churnStore) Close(context.Context) error { return nil }

func (c *churnStore) saves(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sets[key]
}

// removalObserver counts StreamRemoved per stream.
type removalObserver struct {
	nopObserver
	mu      sync.Mutex
	removed map[string]int
}

func (o *removalObserver) StreamRemoved(stream string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.removed == nil {
		o.removed = map[string]int{}
	}
	o.removed[stream]++
}

func (o *removalObserver) count(stream string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.removed[stream]
}

// churnRig is a Make source discovering team 7 (scenarios 7001 and 7002; 7003
// is hidden) with two workers and a frozen clock, whose first request of
// scenario 7001 hangs until release is closed.
type churnRig struct {
	*rig
	data     *churnStore
	status   *statusRecorder
	observer *removalObserver
	s7001    apiCase
	s7002    apiCase
	blocked  chan struct{} // closed when the first 7001 request hangs
	release  chan struct{}

	mu sync.Mutex
	// whileBlocked counts the 7001 requests that arrived while the first
	// one hung: each is a second poll of that key at the same time.
	whileBlocked int
	hanging      bool
}

const churnInterval = time.Minute

func newChurnRig(t *testing.T) *churnRig {
	t.Helper()
	srv := newSimServer(t, simulator.Options{})
	srv.sim.HideScenario(7003, true)
	c := caseOf(t, simulator.APIMakeScenarioLogs)
	c2 := c
	c2.stream, c2.simStream = "7002", "7002"
	base := baseTime()
	for i := range 12 {
		addTo(srv, c, 1, base.Add(time.Duration(i)*time.Second))
	}
	for i := range 6 {
		addTo(srv, c2, 1, base.Add(time.Duration(i)*time.Second))
	}
	data := newChurnStore()
	r := newRig(t, srv, c, cursor.NewStore(data), &fakeClock{now: base.Add(time.Minute)}, withPageSize(5),
		func(s *Settings, _ *httpclientConfig) {
			s.StreamIDs = nil
			s.Vars.Set("team_id", "7")
			s.DiscoveryEvery = time.Hour // the test lists again itself
			s.Interval = churnInterval
			s.Workers = 2
		})
	cr := &churnRig{
		rig: r, data: data, status: &statusRecorder{}, observer: &removalObserver{},
		s7001: c, s7002: c2, blocked: make(chan struct{}), release: make(chan struct{}),
	}
	r.src.deps.Status, r.src.deps.Observer = cr.status, cr.observer
	first := true
	h := srv.sim.Handler()
	srv.mu.Lock()
	srv.serve = func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path == "/make/api/v2/scenarios/7001/logs" {
			cr.mu.Lock()
			hang := first
			first = false
			if cr.hanging {
				cr.whileBlocked++
			}
			cr.hanging = cr.hanging || hang
			cr.mu.Unlock()
			if hang {
				close(cr.blocked)
				<-cr.release
				cr.mu.Lock()
				cr.hanging = false
				cr.mu.Unlock()
			}
		}
		h.ServeHTTP(w, req)
	}
	srv.mu.Unlock()
	t.Cleanup(func() {
		select {
		case <-cr.release:
		default:
			close(cr.release)
		}
	})
	return cr
}

func (cr *churnRig) start() {
	cr.t.Helper()
	cr.src.Start()
	cr.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(cr.t, cr.src.Stop(ctx))
	})
	select {
	case <-cr.blocked:
	case <-time.After(30 * time.Second):
		cr.t.Fatal("scenario 7001 was never polled")
	}
	// 7002's first poll ends and it waits for its next one.
	require.Eventually(cr.t, func() bool { return cr.queued("7002") }, 30*time.Second, 5*time.Millisecond)
}

// list renews the streams from the listing, as the discovery loop does.
func (cr *churnRig) list() {
	cr.t.Helper()
	var parser fastjson.Parser
	ids, err := cr.src.discover(context.Background(), &parser)
	require.NoError(cr.t, err)
	cr.src.setStreams(ids)
}

func (cr *churnRig) object(id string) *stream {
	cr.src.mu.Lock()
	defer cr.src.mu.Unlock()
	return cr.src.streams[id]
}

// queued reports whether stream id was polled and waits in the scheduler
// for its next poll, due later than now.
func (cr *churnRig) queued(id string) bool {
	st := cr.object(id)
	if st == nil {
		return false
	}
	cr.src.sched.mu.Lock()
	defer cr.src.sched.mu.Unlock()
	return st.index >= 0 && st.due.After(cr.clock.Now())
}

func (cr *churnRig) requests(c apiCase) int {
	cr.srv.mu.Lock()
	defer cr.srv.mu.Unlock()
	return cr.srv.requests["/make/api/v2/scenarios/"+c.stream+"/logs"]
}

// delivered lists the uids delivered for one scenario.
func (cr *churnRig) delivered(c apiCase) []string {
	var out []string
	for _, ld := range cr.consumer.sink.AllLogs() {
		for i := 0; i < ld.ResourceLogs().Len(); i++ {
			rl := ld.ResourceLogs().At(i)
			if v, _ := rl.Resource().Attributes().Get("api_logs.stream"); v.AsString() != c.stream {
				continue
			}
			for j := 0; j < rl.ScopeLogs().Len(); j++ {
				lrs := rl.ScopeLogs().At(j).LogRecords()
				for k := 0; k < lrs.Len(); k++ {
					v, _ := lrs.At(k).Attributes().Get(mapper.AttrUID)
					out = append(out, v.AsString())
				}
			}
		}
	}
	return out
}

// pollSentinel lets the clock reach 7002's next poll and waits for it: the
// scheduler hands streams out in the order they are due, and a stream due
// before 7002 (a second 7001 object, due at once) is polled first.
func (cr *churnRig) pollSentinel(requestsBefore int) {
	cr.t.Helper()
	cr.clock.Add(churnInterval)
	cr.src.sched.poke()
	require.Eventually(cr.t, func() bool {
		return cr.requests(cr.s7002) == requestsBefore+1 && cr.queued("7002")
	}, 30*time.Second, 5*time.Millisecond)
}

// A scenario listing that flickers (absent, then present again) while the
// scenario's poll hangs must not start a second poll of its cursor key: the
// same stream object goes on, every record arrives once, and each page is
// saved once.
func TestListingFlickerDuringAPollKeepsOneStream(t *testing.T) {
	cr := newChurnRig(t)
	cr.start()
	polling := cr.object("7001")
	require.NotNil(t, polling)

	cr.srv.sim.HideScenario(7001, true)
	cr.list()
	cr.srv.sim.HideScenario(7001, false)
	cr.list()
	assert.Same(t, polling, cr.object("7001"), "the listing came back while the poll ran: the same stream object goes on")

	cr.pollSentinel(2)
	cr.mu.Lock()
	assert.Zero(t, cr.whileBlocked, "requests of scenario 7001 from a second poll while the first hung")
	cr.mu.Unlock()

	close(cr.release)
	require.Eventually(t, func() bool { return cr.queued("7001") }, 30*time.Second, 5*time.Millisecond)
	// 12 records in pages of 5: 5, 5, 2.
	assert.Equal(t, 3, cr.requests(cr.s7001))
	assert.Equal(t, 3, cr.data.saves(polling.key))
	requireExactlyOnce(t, cr.srv.expected(cr.s7001), cr.delivered(cr.s7001))
	// 6 records: 5, 1; then the sentinel's poll finds nothing new.
	assert.Equal(t, 3, cr.requests(cr.s7002))
	requireExactlyOnce(t, cr.srv.expected(cr.s7002), cr.delivered(cr.s7002))
	assert.Zero(t, cr.observer.count("7001"), "a stream that came back was never forgotten")
}

// A scenario dropped from the listing while its poll hangs is forgotten
// when that poll ends, not before: its outcome leaves the status and its
// gauges then, and the scenario listed again later resumes from its stored
// cursor.
func TestStreamDroppedDuringAPollIsForgottenAfterIt(t *testing.T) {
	cr := newChurnRig(t)
	cr.start()
	polling := cr.object("7001")

	cr.srv.sim.HideScenario(7001, true)
	cr.list()
	assert.Same(t, polling, cr.object("7001"), "kept until its poll ends")
	assert.Zero(t, cr.observer.count("7001"))

	close(cr.release)
	require.Eventually(t, func() bool { return cr.object("7001") == nil }, 30*time.Second, 5*time.Millisecond)
	assert.Equal(t, 1, cr.observer.count("7001"))
	cr.status.mu.Lock()
	assert.NotContains(t, cr.status.last, "7001", "the dropped stream left the status")
	assert.Contains(t, cr.status.last, "7002")
	cr.status.mu.Unlock()
	assert.Equal(t, 3, cr.requests(cr.s7001))
	assert.Equal(t, 3, cr.data.saves(polling.key))

	// Listed again: a new object, due at once, reads from the stored cursor.
	cr.srv.sim.HideScenario(7001, false)
	cr.list()
	require.Eventually(t, func() bool { return cr.queued("7001") }, 30*time.Second, 5*time.Millisecond)
	assert.NotSame(t, polling, cr.object("7001"))
	assert.Equal(t, 3, cr.requests(cr.s7001), "no request: the stored cursor is at the frozen clock (from start_at it would read all 12 again)")
	requireExactlyOnce(t, cr.srv.expected(cr.s7001), cr.delivered(cr.s7001))
	assert.Equal(t, 2, cr.requests(cr.s7002))
}
