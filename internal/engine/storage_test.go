package engine

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

var errStorage = errors.New("storage unavailable")

// faultyStorage is a storage client that fails the next failGet Get, the
// failSet Set after the next okSets, and the next failBatch Batch calls,
// counts its calls, and remembers writes that came after Close.
type faultyStorage struct {
	mu                          sync.Mutex
	data                        map[string][]byte
	failGet, failSet, failBatch int
	okSets                      int
	gets, sets, batches         int
	closed                      bool
	writesAfterClose            int
}

func newFaultyStorage() *faultyStorage { return &faultyStorage{data: map[string][]byte{}} }

func (f *faultyStorage) Get(_ context.Context, key string) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets++
	if f.failGet > 0 {
		f.failGet--
		return nil, errStorage
	}
	return append([]byte(nil), f.data[key]...), nil
}

func (f *faultyStorage) Set(_ context.Context, key string, value []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sets++
	if f.closed {
		f.writesAfterClose++
	}
	switch {
	case f.okSets > 0:
		f.okSets--
	case f.failSet > 0:
		f.failSet--
		return errStorage
	}
	f.data[key] = append([]byte(nil), value...)
	return nil
}

func (f *faultyStorage) Delete(_ context.Context, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.data, key)
	return nil
}

func (f *faultyStorage) Batch(_ context.Context, ops ...*storage.Operation) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches++
	if f.closed {
		f.writesAfterClose++
	}
	if f.failBatch > 0 {
		f.failBatch--
		return errStorage
	}
	for _, op := range ops {
		switch op.Type {
		case storage.Get:
			op.Value = f.data[op.Key]
		case storage.Set:
			f.data[op.Key] = append([]byte(nil), op.Value...)
		case storage.Delete:
			delete(f.data, op.Key)
		}
	}
	return nil
}

func (f *faultyStorage) Close(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	return nil
}

func (f *faultyStorage) set(fn func(f *faultyStorage)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// raw is what the client holds under key, read without a fault.
func (f *faultyStorage) raw(key string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.data[key]
}

// keys lists what the client holds.
func (f *faultyStorage) keys() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.data {
		out = append(out, k)
	}
	return out
}

// state decodes what the client holds under key (nil when nothing).
func (f *faultyStorage) state(t *testing.T, key string) *cursor.State {
	t.Helper()
	b := f.raw(key)
	if b == nil {
		return nil
	}
	st, err := cursor.Unmarshal(b)
	require.NoError(t, err)
	return st
}

// storageObserver counts the storage measurements.
type storageObserver struct {
	nopObserver
	mu                           sync.Mutex
	readErrors, writeErrors, set int
}

func (o *storageObserver) CursorReadError(string) { o.add(&o.readErrors) }
func (o *storageObserver) CheckpointError(string) { o.add(&o.writeErrors) }
func (o *storageObserver) CursorSetAside(string)  { o.add(&o.set) }

func (o *storageObserver) add(n *int) {
	o.mu.Lock()
	*n++
	o.mu.Unlock()
}

func (o *storageObserver) counts() (reads, writes, setAside int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.readErrors, o.writeErrors, o.set
}

// A storage read that fails at start is not a missing cursor: the stream
// sends no request, delivers nothing and writes nothing until a read
// succeeds, then resumes from the stored cursor. Before, it started from
// start_at and the first write replaced the good cursor: a replay.
func TestStorageReadFailureWaitsForTheStoredCursor(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	clock := &fakeClock{now: base.Add(10 * time.Second)}
	c := caseOf(t, simulator.APITinesAuditLogs)
	fs := newFaultyStorage()
	store := cursor.NewStore(fs)
	first := newRig(t, srv, c, store, clock)
	srv.sim.AddRecords(c.api, "", 3, base.Add(2*time.Second))
	first.drain()
	require.Len(t, first.got(), 3)
	good := fs.state(t, first.st.key)
	require.Equal(t, base.Add(9*time.Second).UnixNano(), good.Key)

	// A restart while the storage fails three reads.
	srv.sim.AddRecords(c.api, "", 2, base.Add(12*time.Second))
	clock.Set(base.Add(20 * time.Second))
	r := newRig(t, srv, c, store, clock)
	obs := &storageObserver{}
	r.src.deps.Observer = obs
	status := &statusRecorder{}
	r.src.deps.Status = status
	fs.set(func(f *faultyStorage) { f.failGet = 3 })
	requestsBefore := srv.totalRequests()
	ctx := context.Background()
	for i := range 3 {
		r.st.poll(ctx, r.w)
		assert.Nil(t, r.st.cur, "poll %d: the cursor stays unknown", i+1)
		assert.Equal(t, requestsBefore, srv.totalRequests(), "poll %d: no request before the cursor is known", i+1)
		assert.Empty(t, r.got(), "poll %d: nothing delivered", i+1)
		assert.Equal(t, good, fs.state(t, r.st.key), "poll %d: the stored cursor does not move", i+1)
		var se *StreamError
		require.ErrorAs(t, status.of(c.stream), &se, "poll %d", i+1)
		assert.Equal(t, "storage extension: cannot read the stored cursor", se.Class)
		// Retried after a backoff (1s, doubling, randomized by half), well
		// before the hour of collection_interval.
		due := r.st.nextDue(clock.Now())
		assert.True(t, !due.Before(clock.Now().Add(time.Second/2)) && !due.After(clock.Now().Add(6*time.Second)),
			"poll %d: next try at %s", i+1, due.Sub(clock.Now()))
	}
	reads, writes, _ := obs.counts()
	assert.Equal(t, 3, reads)
	assert.Zero(t, writes)

	r.st.poll(ctx, r.w)
	require.NoError(t, status.of(c.stream), "the stream recovers once the read succeeds")
	assert.Equal(t, requestsBefore+1, srv.totalRequests(), "one request: the two new records")
	assert.Len(t, r.got(), 2, "only the records after the stored cursor")
	requireExactlyOnce(t, r.want(), first.got(), r.got())
	assert.Equal(t, base.Add(19*time.Second).UnixNano(), fs.state(t, r.st.key).Key)
	assert.Equal(t, clock.Now().Add(time.Hour), r.st.nextDue(clock.Now()), "back to collection_interval")
}

// A failed write keeps the cursor of the accepted page in memory: the poll
// fails (status and metric), reads no further, and the next poll writes it
// before any request. Nothing is read twice and the stored cursor never
// moves back or past what the pipeline accepted.
func TestStorageWriteFailureKeepsTheCursorInMemory(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	clock := &fakeClock{now: base.Add(10 * time.Second)}
	c := caseOf(t, simulator.APITinesAuditLogs)
	fs := newFaultyStorage()
	r := newRig(t, srv, c, cursor.NewStore(fs), clock, withPageSize(2))
	obs := &storageObserver{}
	r.src.deps.Observer = obs
	status := &statusRecorder{}
	r.src.deps.Status = status
	r.drain()
	start := fs.state(t, r.st.key)

	for i := range 6 {
		srv.sim.AddRecords(c.api, "", 1, base.Add(time.Duration(11+i)*time.Second))
	}
	clock.Set(base.Add(20 * time.Second))
	// The first page's write succeeds, the second page's and the first
	// retry fail.
	fs.set(func(f *faultyStorage) { f.okSets, f.failSet = 1, 2 })
	requestsBefore := srv.totalRequests()
	ctx := context.Background()
	r.st.poll(ctx, r.w)
	assert.Len(t, r.got(), 4, "two pages accepted")
	stored := fs.state(t, r.st.key)
	require.NotNil(t, stored.Walk)
	assert.Equal(t, 1, stored.Walk.Pages, "stored: the first page")
	assert.Equal(t, start.Key, stored.Key)
	require.NotNil(t, r.st.unsaved)
	assert.Equal(t, 2, r.st.unsaved.Walk.Pages, "in memory: the second page")
	assert.Equal(t, 2, r.st.cur.State.Walk.Pages, "the cursor is the accepted page's, not one mapped ahead")
	// Pages 1 and 2, and page 3 fetched ahead while page 2 was mapped.
	assert.Equal(t, requestsBefore+3, srv.totalRequests())
	var se *StreamError
	require.ErrorAs(t, status.of(c.stream), &se)
	assert.Equal(t, "storage extension: cannot write the cursor", se.Class)

	requestsBefore = srv.totalRequests()
	r.st.poll(ctx, r.w)
	assert.Equal(t, requestsBefore, srv.totalRequests(), "no request while the cursor is not written")
	assert.Len(t, r.got(), 4)
	assert.Equal(t, stored, fs.state(t, r.st.key))
	require.ErrorAs(t, status.of(c.stream), &se)

	r.st.poll(ctx, r.w)
	require.NoError(t, status.of(c.stream))
	assert.Nil(t, r.st.unsaved)
	assert.Equal(t, requestsBefore+1, srv.totalRequests(), "the third page, once")
	requireExactlyOnce(t, r.want(), r.got())
	final := fs.state(t, r.st.key)
	assert.Nil(t, final.Walk)
	assert.Equal(t, base.Add(19*time.Second).UnixNano(), final.Key)
	_, writes, _ := obs.counts()
	assert.Equal(t, 2, writes)

	// A new source on the same storage reads nothing again.
	r2 := newRig(t, srv, c, cursor.NewStore(fs), clock, withPageSize(2))
	r2.drain()
	assert.Empty(t, r2.got())
}

// The last write of a poll fails and the stream is stopped before its next
// poll: Stop writes the cursor held in memory, so the restart repeats
// nothing. Before, the stored cursor stayed one page behind and the page
// was delivered again.
func TestStopWritesTheCursorHeldInMemory(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	clock := &fakeClock{now: base.Add(10 * time.Second)}
	c := caseOf(t, simulator.APITinesAuditLogs)
	fs := newFaultyStorage()
	store := cursor.NewStore(fs)
	r := newRig(t, srv, c, store, clock)
	r.drain()
	srv.sim.AddRecords(c.api, "", 3, base.Add(12*time.Second))
	clock.Set(base.Add(20 * time.Second))
	fs.set(func(f *faultyStorage) { f.failSet = 1 })
	_, records, err := r.poll()
	require.ErrorAs(t, err, new(*StorageError))
	assert.Equal(t, 3, records)
	require.NotNil(t, r.st.unsaved)

	// The rig's stream is the source's only one (Start does not schedule a
	// stream it already has).
	r.st = r.src.streamFor(t, r.st)
	r.src.Start()
	require.NoError(t, r.src.Stop(context.Background()))
	require.NoError(t, store.Close(context.Background()))
	assert.Equal(t, base.Add(19*time.Second).UnixNano(), fs.state(t, r.st.key).Key)

	r2 := newRig(t, srv, c, cursor.NewStore(fs), clock)
	r2.drain()
	requireExactlyOnce(t, r.want(), r.got(), r2.got())
}

// streamFor registers st as the source's stream (replacing the one Start
// would create) and returns it.
func (s *Source) streamFor(t *testing.T, st *stream) *stream {
	t.Helper()
	s.set.StreamIDs = []string{st.id}
	s.mu.Lock()
	s.streams[st.id] = st
	s.mu.Unlock()
	return st
}

// A stored cursor that cannot be decoded is kept aside, in the same Batch
// that writes the fresh one, before anything is read: while that Batch
// fails, the stream waits; then it reads from start_at, with a warning that
// names the key the bytes are under.
func TestCorruptCursorIsKeptAside(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	clock := &fakeClock{now: base.Add(10 * time.Second)}
	c := caseOf(t, simulator.APITinesAuditLogs)
	srv.sim.AddRecords(c.api, "", 3, base.Add(2*time.Second))
	fs := newFaultyStorage()
	core, logs := observer.New(zapcore.InfoLevel)
	r := newLoggingRig(t, srv, c, cursor.NewStore(fs), clock, zap.New(core))
	obs := &storageObserver{}
	r.src.deps.Observer = obs
	corrupt := []byte(`{"version":1,"identity":"` + r.st.identity + `","key":`)
	fs.set(func(f *faultyStorage) {
		f.data[r.st.key] = corrupt
		f.failBatch = 2
	})

	for i := range 2 {
		_, _, err := r.poll()
		require.ErrorAs(t, err, new(*StorageError), "poll %d", i+1)
		assert.Nil(t, r.st.cur)
		assert.Equal(t, corrupt, fs.raw(r.st.key), "poll %d: the bytes are not overwritten before they are kept", i+1)
		assert.Equal(t, []string{r.st.key}, fs.keys())
		assert.Zero(t, srv.totalRequests())
	}
	_, records, err := r.poll()
	require.NoError(t, err)
	assert.Equal(t, 3, records, "from start_at")
	aside := cursor.AsideKey(r.st.key, clock.Now())
	assert.Equal(t, r.st.key+".corrupt."+strconv.FormatInt(clock.Now().Unix(), 10), aside)
	assert.Equal(t, corrupt, fs.raw(aside), "the unusable bytes, kept")
	assert.Equal(t, base.Add(9*time.Second).UnixNano(), fs.state(t, r.st.key).Key)
	_, _, setAside := obs.counts()
	assert.Equal(t, 1, setAside)
	warned := logs.FilterMessageSnippet("kept under aside_key").All()
	require.Len(t, warned, 1)
	assert.Equal(t, zapcore.WarnLevel, warned[0].Level)
	assert.Equal(t, aside, warned[0].ContextMap()["aside_key"])
}
