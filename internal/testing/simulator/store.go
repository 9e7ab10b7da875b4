package simulator

import (
	"math/rand"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// record is one immutable log record. Its JSON is rendered once at creation so
// serving a page is concatenation, not encoding.
type record struct {
	seq    int64     // per-API creation counter: Tines/OMS integer id and the tie-breaker
	id     string    // external id as reported by /_sim/records
	stream string    // stream the record belongs to
	t      time.Time // creation time at the API's precision
	level  int       // Tines level, Make status, OMS level, StackOne status code
	tags   map[string]string
	n1, n2 int64  // API-specific sort keys (StackOne: start ms, duration)
	body   []byte // rendered JSON object
	// pending, when set, is a run that has not finished yet (Make).
	pending *pendingRun
}

// pendingRun is a Make run still running: list answers show pendingBody
// (status 0) and the execution details RUNNING while left > 0, and every
// list answer that shows it counts one down.
type pendingRun struct {
	left  atomic.Int64
	lists int64 // left at creation
	body  []byte
}

// running reports whether r is still running, without counting.
func (r *record) running() bool { return r.pending != nil && r.pending.left.Load() > 0 }

// appendListed appends r as a list answer shows it, counting down a
// pending run.
func appendListed(buf []byte, r *record) []byte {
	if p := r.pending; p != nil && p.left.Add(-1) >= 0 {
		return append(buf, p.body...)
	}
	return append(buf, r.body...)
}

// less orders by (time, seq): the natural "oldest first" order.
func (r *record) less(o *record) bool {
	if !r.t.Equal(o.t) {
		return r.t.Before(o.t)
	}
	return r.seq < o.seq
}

// stream holds one stream's records in an append-mostly slice.
type stream struct {
	name string
	mu   sync.RWMutex
	recs []*record // ascending (t, seq); insertion order for byInsertion APIs
	byID map[string]*record
	rng  *rand.Rand // content generator, guarded by mu

	// generator state, touched only by the generator goroutine
	carry    float64
	nextDue  time.Time
	groupDue time.Time // next TieGroups group

	// made and prevT count the records created and keep the time asked for
	// the last one, for the dating habits (see disorder.go); under mu.
	made  int64
	prevT time.Time
}

// buildFunc renders a new record for a stream. It runs under the stream lock.
type buildFunc func(st *stream, seq int64, t time.Time) *record

// apiStore is every stream of one API.
type apiStore struct {
	name        string
	precision   time.Duration
	byInsertion bool // OMS orders by id only, so keep insertion order
	lazy        bool // streams come into existence on first use
	seq         atomic.Int64
	build       buildFunc
	created     atomic.Int64
	// dated, when set, changes the time of each new record (disorder.go).
	dated func(st *stream, t time.Time) time.Time

	mu      sync.RWMutex
	streams map[string]*stream
	order   []*stream

	allMu sync.Mutex
	all   []*record // every record ever created, for /_sim/records
}

func newAPIStore(name string, precision time.Duration, seqStart int64, build buildFunc) *apiStore {
	as := &apiStore{name: name, precision: precision, build: build, streams: map[string]*stream{}}
	as.seq.Store(seqStart)
	return as
}

// get returns a stream, creating it when asked. init (rng, history) runs before the
// stream is published so no reader sees a half-built stream.
func (as *apiStore) get(name string, create bool, init func(*stream)) *stream {
	as.mu.RLock()
	st := as.streams[name]
	as.mu.RUnlock()
	if st != nil || !create {
		return st
	}
	as.mu.Lock()
	if st = as.streams[name]; st != nil {
		as.mu.Unlock()
		return st
	}
	st = &stream{name: name, byID: map[string]*record{}}
	if init != nil {
		init(st)
	}
	as.streams[name] = st
	as.order = append(as.order, st)
	as.mu.Unlock()
	return st
}

func (as *apiStore) snapshotStreams() []*stream {
	as.mu.RLock()
	defer as.mu.RUnlock()
	return append([]*stream(nil), as.order...)
}

// add creates n records at time t in stream st (ties when n > 1).
func (as *apiStore) add(st *stream, n int, t time.Time) {
	if n <= 0 {
		return
	}
	t = t.UTC().Truncate(as.precision)
	made := make([]*record, 0, n)
	st.mu.Lock()
	for i := 0; i < n; i++ {
		seq := as.seq.Add(1)
		at := t
		if as.dated != nil {
			at = as.dated(st, t).UTC().Truncate(as.precision)
		}
		r := as.build(st, seq, at)
		r.seq, r.stream, r.t = seq, st.name, at
		as.insert(st, r)
		made = append(made, r)
	}
	st.mu.Unlock()
	as.created.Add(int64(n))
	as.allMu.Lock()
	as.all = append(as.all, made...)
	as.allMu.Unlock()
}

// insert keeps recs sorted; new records almost always go at the end.
func (as *apiStore) insert(st *stream, r *record) {
	st.byID[r.id] = r
	n := len(st.recs)
	if as.byInsertion || n == 0 || !r.less(st.recs[n-1]) {
		st.recs = append(st.recs, r)
		return
	}
	i := sort.Search(n, func(i int) bool { return r.less(st.recs[i]) })
	st.recs = append(st.recs, nil)
	copy(st.recs[i+1:], st.recs[i:])
	st.recs[i] = r
}

// timeRange is an optional [lo, hi] window with per-end inclusivity.
type timeRange struct {
	lo, hi       time.Time
	hasLo, hasHi bool
	inclusive    bool
}

// oneMilli reports whether the range holds a single millisecond: from T to
// T with inclusive bounds, from T-1 to T+1 with exclusive ones (a tie read).
func (tr timeRange) oneMilli() bool {
	if !tr.hasLo || !tr.hasHi {
		return false
	}
	d := tr.hi.Sub(tr.lo)
	return tr.inclusive && d == 0 || !tr.inclusive && d == 2*time.Millisecond
}

func (tr timeRange) contains(t time.Time) bool {
	if tr.hasLo && (t.Before(tr.lo) || (!tr.inclusive && t.Equal(tr.lo))) {
		return false
	}
	if tr.hasHi && (t.After(tr.hi) || (!tr.inclusive && t.Equal(tr.hi))) {
		return false
	}
	return true
}

// query returns the stream's records inside tr that pass keep, oldest first
// (insertion order for byInsertion APIs). The result is a private copy.
func (as *apiStore) query(st *stream, tr timeRange, keep func(*record) bool) []*record {
	if st == nil {
		return nil
	}
	st.mu.RLock()
	recs := st.recs
	if !as.byInsertion {
		// Sorted by time: narrow with binary search before the linear filter.
		if tr.hasLo {
			i := sort.Search(len(recs), func(i int) bool { return !recs[i].t.Before(tr.lo) })
			recs = recs[i:]
		}
		if tr.hasHi {
			j := sort.Search(len(recs), func(i int) bool { return recs[i].t.After(tr.hi) })
			recs = recs[:j]
		}
	}
	out := make([]*record, 0, len(recs))
	for _, r := range recs {
		if tr.contains(r.t) && (keep == nil || keep(r)) {
			out = append(out, r)
		}
	}
	st.mu.RUnlock()
	return out
}

func (as *apiStore) lookup(st *stream, id string) *record {
	if st == nil {
		return nil
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.byID[id]
}

func (as *apiStore) allRecords() []*record {
	as.allMu.Lock()
	defer as.allMu.Unlock()
	return as.all[:len(as.all):len(as.all)]
}

func reverse(recs []*record) {
	for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
		recs[i], recs[j] = recs[j], recs[i]
	}
}

// window returns recs[off:off+limit] clamped to bounds.
func window(recs []*record, off, limit int) []*record {
	if off >= len(recs) || off < 0 {
		return nil
	}
	end := off + limit
	if end > len(recs) {
		end = len(recs)
	}
	return recs[off:end]
}

// appendArray writes recs as a JSON array of their pre-rendered bodies.
func appendArray(buf []byte, recs []*record) []byte {
	buf = append(buf, '[')
	for i, r := range recs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, r.body...)
	}
	return append(buf, ']')
}
