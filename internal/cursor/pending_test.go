package cursor

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// Runs that have not finished (records.unfinished): a fake windowed,
// newest-first API whose runs carry a status, 0 while they run.

type fakeRun struct {
	id     string
	sec    int
	status int
}

type fakeAPI struct {
	runs     []fakeRun
	requests int
}

func (a *fakeAPI) set(id string, status int) {
	for i := range a.runs {
		if a.runs[i].id == id {
			a.runs[i].status = status
		}
	}
}

// page answers a request: the runs within its inclusive bounds, newest
// first, page by page.
func (a *fakeAPI) page(r Request) *decode.Page {
	a.requests++
	var in []fakeRun
	for _, run := range a.runs {
		if k := at(run.sec); k >= r.Start && k <= r.End {
			in = append(in, run)
		}
	}
	slices.SortStableFunc(in, func(x, y fakeRun) int { return y.sec - x.sec })
	lo := min(len(in), (r.Position.Page-1)*r.PageSize)
	hi := min(len(in), lo+r.PageSize)
	p := &decode.Page{Size: r.PageSize}
	for _, run := range in[lo:hi] {
		v := fastjson.MustParse(fmt.Sprintf(`{"id":%q,"status":%d}`, run.id, run.status))
		p.Records = append(p.Records, decode.Record{ID: run.id, Time: at(run.sec), Key: at(run.sec), Value: v})
	}
	return p
}

type pendingRig struct {
	t   *testing.T
	m   *Machine
	c   *Cursor
	api *fakeAPI
	// got counts deliveries per id; status is the status each was delivered with.
	got     map[string]int
	status  map[string]int
	held    int
	expired int
}

func newPendingRig(t *testing.T, maxPending time.Duration, maxWindow time.Duration) *pendingRig {
	s := spec(func(s *apispec.Spec) {
		s.Records.Unfinished = &apispec.Unfinished{Field: "status", Values: []string{"0"}}
	})
	m := NewMachine(s, 3, 0, maxWindow)
	m.SetMaxPending(maxPending)
	return &pendingRig{t: t, m: m, c: m.Fresh("id", t0), api: &fakeAPI{}, got: map[string]int{}, status: map[string]int{}}
}

// poll walks until the poll ending at until is done; it returns the
// requests it made.
func (r *pendingRig) poll(until int) int {
	r.t.Helper()
	before := r.api.requests
	for range 100 {
		if r.c.State.Walk == nil && !r.m.Begin(r.c, at(until)) {
			break
		}
		page := r.api.page(r.m.Request(r.c))
		out, err := r.m.Process(r.c, page, false)
		require.NoError(r.t, err)
		for _, i := range out.Deliver {
			rec := &page.Records[i]
			r.got[rec.ID]++
			r.status[rec.ID] = rec.Value.GetInt("status")
		}
		r.held += out.Held
		r.expired += out.Expired
		r.m.Apply(r.c, out)
		if out.Done && !r.m.Behind(r.c, at(until)) {
			break
		}
	}
	return r.api.requests - before
}

func (r *pendingRig) requireOnce(ids ...string) {
	r.t.Helper()
	for _, id := range ids {
		assert.Equal(r.t, 1, r.got[id], "deliveries of %s", id)
	}
}

// A run listed while it runs is held back, and the cursor with it, until
// it finishes after one, two or ten polls; meanwhile the runs after it are
// delivered once, and every idle poll costs one request.
func TestMachineHoldsUnfinishedRuns(t *testing.T) {
	for _, polls := range []int{1, 2, 10} {
		t.Run(fmt.Sprintf("finishes after %d polls", polls), func(t *testing.T) {
			r := newPendingRig(t, time.Hour, 0)
			r.api.runs = []fakeRun{{"a", 5, 1}, {"run", 10, 0}, {"b", 12, 3}}
			until := 20
			assert.Equal(t, 2, r.poll(until), "a full page, then an empty one")
			r.requireOnce("a", "b")
			assert.Zero(t, r.got["run"])
			assert.Equal(t, at(9), r.c.State.Key, "the key stays below the unfinished run")
			assert.Equal(t, at(until), r.c.State.Reached)
			assert.Zero(t, r.poll(until), "no request while no new time closed")
			for i := 1; i < polls; i++ {
				until += 10
				r.api.runs = append(r.api.runs, fakeRun{fmt.Sprintf("n%d", i), until - 1, 1})
				// While the run is held, each poll re-reads everything since
				// it: one request per three records here (page size 3).
				assert.Equal(t, (i+2)/3+1, r.poll(until), "poll %d", i)
				assert.Zero(t, r.got["run"])
				r.requireOnce(fmt.Sprintf("n%d", i))
			}
			r.api.set("run", 3)
			until += 10
			assert.Equal(t, (polls+1)/3+1, r.poll(until))
			r.requireOnce("a", "b", "run")
			assert.Equal(t, 3, r.status["run"], "delivered with its final status")
			assert.Equal(t, at(until), r.c.State.Key, "the key moves on once the run is final")
			assert.Zero(t, r.c.State.Reached)
			until += 10
			assert.Equal(t, 1, r.poll(until))
			assert.Len(t, r.got, 3+polls-1, "nothing delivered twice")
			r.requireOnce("a", "b", "run")
		})
	}
}

// Past max_pending a run is delivered as it stands, once; its later final
// state is not delivered.
func TestMachineDeliversRunsPendingPastMaxPending(t *testing.T) {
	r := newPendingRig(t, 30*time.Second, 0)
	r.api.runs = []fakeRun{{"run", 10, 0}, {"b", 15, 1}}
	r.poll(20)
	assert.Zero(t, r.got["run"])
	assert.Equal(t, 1, r.held)
	r.poll(39)
	assert.Zero(t, r.got["run"], "29 s old: still held")
	r.poll(41)
	r.requireOnce("run", "b")
	assert.Equal(t, 0, r.status["run"], "delivered as it stands")
	assert.Equal(t, 1, r.expired)
	assert.Equal(t, at(41), r.c.State.Key)
	r.api.set("run", 2)
	r.poll(50)
	r.poll(60)
	r.requireOnce("run", "b")
}

// The oldest of several unfinished runs holds the key; a run that finishes
// while an older one still runs is delivered, once.
func TestMachineOldestUnfinishedRunHoldsTheKey(t *testing.T) {
	r := newPendingRig(t, time.Hour, 0)
	r.api.runs = []fakeRun{{"old", 10, 0}, {"mid", 12, 1}, {"new", 14, 0}}
	r.poll(20)
	assert.Equal(t, at(9), r.c.State.Key)
	r.api.set("new", 2)
	r.poll(30)
	r.requireOnce("mid", "new")
	assert.Equal(t, at(9), r.c.State.Key)
	r.api.set("old", 1)
	r.poll(40)
	r.requireOnce("old", "mid", "new")
	assert.Equal(t, at(40), r.c.State.Key)
}

// With max_window, a held key does not make the poll read the same window
// again and again: each window reaches past the last one's end.
func TestMachineHoldWithMaxWindow(t *testing.T) {
	r := newPendingRig(t, 2*time.Hour, time.Minute)
	r.api.runs = []fakeRun{{"run", 10, 0}, {"b", 70, 1}, {"c", 150, 1}}
	assert.Equal(t, 4, r.poll(160), "three windows of at most a minute, the last one of a full page")
	r.requireOnce("b", "c")
	assert.Equal(t, at(9), r.c.State.Key)
	assert.Equal(t, at(160), r.c.State.Reached)
	assert.False(t, r.m.Behind(r.c, at(160)))
	r.api.set("run", 1)
	r.poll(170)
	r.requireOnce("run", "b", "c")
	assert.Equal(t, at(170), r.c.State.Key)
}

// An API without records.unfinished delivers status 0 like any other.
func TestMachineWithoutUnfinishedDeliversEverything(t *testing.T) {
	m := NewMachine(spec(nil), 3, 0, 0)
	v := fastjson.MustParse(`{"status":0}`)
	assert.False(t, m.Unfinished(&decode.Record{ID: "x", Value: v}))
}

// A checkpoint keeps the hold: a walk stored mid-way resumes with it.
func TestStateKeepsHold(t *testing.T) {
	s := &State{Key: 5, Reached: 9, Walk: &Walk{Windowed: true, Start: 1, End: 9, Clock: 9, Hold: 7, HasHold: true}}
	b, err := Marshal(s)
	require.NoError(t, err)
	back, err := Unmarshal(b)
	require.NoError(t, err)
	assert.Equal(t, s, back)
}
