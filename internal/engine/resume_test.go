package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
)

// feed is an oldest-first event feed that streams by position, served in
// the three shapes of issue #20 item 3: record i is "e<i>", dated base + i s
// unless added with a time of its own.
type feed struct {
	mu    sync.Mutex
	base  time.Time
	times []time.Time
	// inclusive: after_id=X lists X again (the last_id shape).
	inclusive bool
	// refused: positions that continue at these records are refused (an
	// expired cursor, a link or id the API no longer knows).
	refused map[int]bool
	// noLastCursor: the cursor shape leaves the cursor out of its last page.
	noLastCursor bool
	bodies       []string // request bodies, in order (the POST shape)
}

func newFeed(n int) *feed {
	f := &feed{base: baseTime(), refused: map[int]bool{}}
	for i := range n {
		f.times = append(f.times, f.base.Add(time.Duration(i)*time.Second))
	}
	return f
}

// add appends k records dated base + their index in seconds.
func (f *feed) add(k int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range k {
		f.times = append(f.times, f.base.Add(time.Duration(len(f.times))*time.Second))
	}
}

// addAt appends k records dated at, at + 1 s, ...
func (f *feed) addAt(k int, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range k {
		f.times = append(f.times, at.Add(time.Duration(i)*time.Second))
	}
}

func (f *feed) refuse(at ...int) {
	f.mu.Lock()
	for _, i := range at {
		f.refused[i] = true
	}
	f.mu.Unlock()
}

// since is the first record dated at or after t.
func (f *feed) since(t time.Time) int {
	return sort.Search(len(f.times), func(i int) bool { return !f.times[i].Before(t) })
}

// items is the JSON of records from..from+limit, and where the next page
// starts.
func (f *feed) items(from, limit int, timeKey string) (string, int) {
	to := min(from+limit, len(f.times))
	recs := make([]string, 0, max(to-from, 0))
	for i := from; i < to; i++ {
		recs = append(recs, fmt.Sprintf(`{"id":"e%d",%q:%q}`, i, timeKey, f.times[i].UTC().Format(time.RFC3339)))
	}
	return "[" + strings.Join(recs, ",") + "]", max(to, from)
}

// onePassword: POST, a first body with start_time, then {"cursor": ...}
// alone; the answer carries a cursor on every page and has_more.
func (f *feed) onePassword(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	raw, _ := io.ReadAll(r.Body)
	f.bodies = append(f.bodies, string(raw))
	var req struct {
		Limit     int    `json:"limit"`
		StartTime string `json:"start_time"`
		Cursor    string `json:"cursor"`
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	limit, from := 100, 0
	if req.Cursor != "" {
		var err error
		if from, err = strconv.Atoi(strings.TrimPrefix(req.Cursor, "c")); err != nil || f.refused[from] {
			http.Error(w, `{"error":"cursor expired"}`, http.StatusGone)
			return
		}
	} else {
		t, err := time.Parse(time.RFC3339, req.StartTime)
		if err != nil || req.Limit <= 0 {
			http.Error(w, "a first request needs limit and start_time", http.StatusBadRequest)
			return
		}
		limit, from = req.Limit, f.since(t)
	}
	items, next := f.items(from, limit, "timestamp")
	more := next < len(f.times)
	if f.noLastCursor && !more {
		_, _ = fmt.Fprintf(w, `{"has_more":false,"items":%s}`, items)
		return
	}
	_, _ = fmt.Fprintf(w, `{"cursor":"c%d","has_more":%t,"items":%s}`, next, more, items)
}

// okta: GET since= first, then the Link rel="next" of every page, also an
// empty one, forever.
func (f *feed) okta(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	from := 0
	if a := q.Get("after"); a != "" {
		from, _ = strconv.Atoi(a)
		if f.refused[from] {
			http.Error(w, `{"errorCode":"E0000031"}`, http.StatusBadRequest)
			return
		}
	} else {
		t, err := time.Parse(time.RFC3339, q.Get("since"))
		if err != nil || q.Get("sortOrder") != "ASCENDING" {
			http.Error(w, "since and sortOrder=ASCENDING expected", http.StatusBadRequest)
			return
		}
		from = f.since(t)
	}
	items, next := f.items(from, limit, "published")
	w.Header().Set("Link", fmt.Sprintf(`</api/v1/logs?after=%d&limit=%d>; rel="next"`, next, limit))
	_, _ = io.WriteString(w, items)
}

// lastID: GET /events?after_id=eK&limit=N, oldest first, from the start of
// the feed without after_id.
func (f *feed) lastID(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	from := 0
	if a := q.Get("after_id"); a != "" {
		k, err := strconv.Atoi(strings.TrimPrefix(a, "e"))
		if err != nil || f.refused[k+1] {
			http.Error(w, "unknown id", http.StatusNotFound)
			return
		}
		from = k + 1
		if f.inclusive {
			from = k
		}
	}
	items, _ := f.items(from, limit, "ts")
	_, _ = fmt.Fprintf(w, `{"data":%s}`, items)
}

func (f *feed) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]string, len(f.times))
	for i := range ids {
		ids[i] = fmt.Sprintf("e%d", i)
	}
	return ids
}

const onePasswordSpec = `
request:
  method: POST
  path: /api/v1/signinattempts
  body: '{"limit": {{page_size}}, "start_time": "{{window_start}}"}'
  continue:
    body: '{"cursor": "{{cursor}}"}'
time_filter: {format: rfc3339}
pagination: {type: cursor, next_path: cursor, has_more_path: has_more}
resume: {from: next%s}
records: {path: items, order: oldest_first, id_field: id, time_field: timestamp, time_format: rfc3339, time_precision: 1s}
`

const oktaSpec = `
request:
  path: /api/v1/logs
  query: {since: "{{window_start}}", sortOrder: ASCENDING, limit: "{{page_size}}"}
time_filter: {format: rfc3339}
pagination: {type: link_header}
resume: {from: next}
records: {order: oldest_first, id_field: id, time_field: published, time_format: rfc3339, time_precision: 1s}
`

const lastIDSpec = `
request:
  path: /events
  query: {after_id: "{{last_id}}", limit: "{{page_size}}"}
pagination: {type: none}
resume: {from: last_id}
records: {path: data, order: oldest_first, id_field: id, time_field: ts, time_format: rfc3339, time_precision: 1s}
`

// resumeShape is one of the three shapes with the requests its backlog of
// 250 records costs in pages of 100.
type resumeShape struct {
	name      string
	spec      string
	serve     func(f *feed) http.HandlerFunc
	inclusive bool
	backlog   int // requests for the backlog of 250
}

func resumeShapes() []resumeShape {
	return []resumeShape{
		// 100, 100, 50 with has_more false on the third: 3.
		{name: "cursor and has_more", spec: fmt.Sprintf(onePasswordSpec, ""), serve: func(f *feed) http.HandlerFunc { return f.onePassword }, backlog: 3},
		// 100, 100, 50, then the empty page the next link leads to: 4.
		{name: "next link on every page", spec: oktaSpec, serve: func(f *feed) http.HandlerFunc { return f.okta }, backlog: 4},
		// 100, 100, 50, then the empty page after the last id: 4.
		{name: "after the last id", spec: lastIDSpec, serve: func(f *feed) http.HandlerFunc { return f.lastID }, backlog: 4},
		// 100, 100 (the 100th again), 52, then the last record alone: 4.
		{name: "after the last id, inclusive", spec: lastIDSpec, serve: func(f *feed) http.HandlerFunc { return f.lastID }, inclusive: true, backlog: 4},
	}
}

// resumeRig is a stream of a resume spec against a feed, with its
// storage, so that a restart (a new source on the same storage) resumes.
type resumeRig struct {
	t     *testing.T
	shape resumeShape
	feed  *feed
	api   *customAPI
	clock *fakeClock
	store *cursor.Store
	rig   *rig
	edit  func(*Settings, *Deps)
	uids  []string // delivered by every source so far
}

func newResumeRig(t *testing.T, shape resumeShape, records int, edit func(*Settings, *Deps)) *resumeRig {
	t.Helper()
	f := newFeed(records)
	f.inclusive = shape.inclusive
	rr := &resumeRig{t: t, shape: shape, feed: f, clock: &fakeClock{now: f.base.Add(time.Hour)}, store: cursor.NewStore(nil), edit: edit}
	rr.api = newCustomAPI(t, shape.serve(f))
	rr.restart()
	return rr
}

// restart stands for a collector restart: a new source on the same storage.
func (rr *resumeRig) restart() {
	if rr.rig != nil {
		rr.uids = append(rr.uids, rr.rig.consumer.uids()...)
	}
	rr.rig = newCustomRigOn(rr.t, rr.shape.spec, rr.api, rr.clock, 100, rr.store, rr.edit)
}

// poll polls once and returns the requests it sent.
func (rr *resumeRig) poll() int {
	rr.t.Helper()
	before := len(rr.api.sent())
	_, _, err := rr.rig.poll()
	require.NoError(rr.t, err)
	return len(rr.api.sent()) - before
}

func (rr *resumeRig) delivered() []string {
	return append(append([]string(nil), rr.uids...), rr.rig.consumer.uids()...)
}

// A feed read by position: the backlog costs what its pages need, an idle
// poll one request, new records are delivered once, a restart resumes
// from the stored position with nothing twice.
func TestResumeFromTheServersPosition(t *testing.T) {
	for _, shape := range resumeShapes() {
		t.Run(shape.name, func(t *testing.T) {
			rr := newResumeRig(t, shape, 250, nil)
			assert.Equal(t, shape.backlog, rr.poll(), "requests for a backlog of 250 in pages of 100")
			requireExactlyOnce(t, rr.feed.ids(), rr.delivered())
			st := rr.rig.stored()
			require.NotNil(t, st.Resume, "the position to continue from is stored")
			assert.Nil(t, st.Walk)
			assert.Equal(t, rr.clock.Now().Add(-time.Second).UnixNano(), st.Key, "caught up: the key is the clock the walk began at")

			for range 3 {
				rr.clock.Add(time.Minute)
				assert.Equal(t, 1, rr.poll(), "an idle poll costs one request")
			}
			rr.feed.add(30)
			rr.clock.Add(time.Minute)
			assert.Equal(t, shape.backlog-2, rr.poll(), "30 new records: one page, and the request that finds the end where the API says it on an empty page")
			requireExactlyOnce(t, rr.feed.ids(), rr.delivered())

			rr.restart()
			rr.feed.add(5)
			assert.Equal(t, shape.backlog-2, rr.poll(), "a restart resumes from the stored position")
			rr.clock.Add(time.Minute)
			assert.Equal(t, 1, rr.poll(), "then idles at one request")
			requireExactlyOnce(t, rr.feed.ids(), rr.delivered())
			assert.Len(t, rr.delivered(), 285)
		})
	}
}

// The first request of all reads from start_at with no end bound; every
// later one continues from the server's cursor alone (request.continue).
func TestResumeContinueBody(t *testing.T) {
	rr := newResumeRig(t, resumeShapes()[0], 150, nil)
	rr.poll()
	rr.poll()
	start := rr.clock.Now().Add(-2*time.Hour - time.Second).UTC().Format(time.RFC3339)
	assert.Equal(t, []string{
		`{"limit": 100, "start_time": "` + start + `"}`,
		`{"cursor": "c100"}`,
		`{"cursor": "c150"}`,
	}, rr.feed.bodies)
}

// A kill after a page was delivered and before its checkpoint was stored
// repeats that page and nothing else.
func TestResumeKillRepeatsAtMostThePageInFlight(t *testing.T) {
	for _, shape := range resumeShapes() {
		t.Run(shape.name, func(t *testing.T) {
			rr := newResumeRig(t, shape, 250, func(s *Settings, _ *Deps) { s.MaxPagesPerPoll = 1 })
			rr.poll()
			afterFirst, err := rr.store.Load(context.Background(), rr.rig.st.key)
			require.NoError(t, err)
			rr.poll() // the second page, whose checkpoint the kill loses
			require.NoError(t, rr.store.Save(context.Background(), rr.rig.st.key, mustUnmarshal(t, afterFirst)))
			rr.restart()
			for range 6 {
				rr.poll()
			}
			got := rr.delivered()
			count := map[string]int{}
			for _, id := range got {
				count[id]++
			}
			twice := 0
			for id, n := range count {
				require.LessOrEqual(t, n, 2, id)
				if n == 2 {
					twice++
				}
			}
			inFlight := 100 // the second page's records
			if shape.inclusive {
				inFlight = 99 // its first record is the first page's last
			}
			assert.Equal(t, inFlight, twice, "the page in flight, delivered again")
			assert.Len(t, count, 250, "every record")
		})
	}
}

func mustUnmarshal(t *testing.T, raw []byte) *cursor.State {
	t.Helper()
	st, err := cursor.Unmarshal(raw)
	require.NoError(t, err)
	return st
}

// refusalObserver counts the stored positions the API refused.
type refusalObserver struct {
	nopObserver
	refused atomic.Int64
}

func (o *refusalObserver) PositionRefused(string) { o.refused.Add(1) }

// A stored position the API refuses (an expired cursor, an id it no longer
// knows): one warning, the metric, and a new walk from the spec's first
// request at the last key less the overlap; nothing lost, nothing twice.
func TestResumeRefusedPositionRestartsFromTheLastTime(t *testing.T) {
	for _, tc := range []struct {
		shape    resumeShape
		requests int // the refused request, then the walk from the time
	}{
		// refused, then 10 items with has_more false: 2.
		{resumeShapes()[0], 2},
		// refused, then 10 items, then the empty page their link leads to: 3.
		{resumeShapes()[1], 3},
		// refused, then (no time filter) the whole feed again, 260 records
		// in pages of 100 skipped by time or id but the 10 new ones, then
		// the empty page: 1 + 4.
		{resumeShapes()[2], 5},
		// refused, then e0-e99, e99-e198, e198-e259, e259 alone: 1 + 4.
		{resumeShapes()[3], 5},
	} {
		t.Run(tc.shape.name, func(t *testing.T) {
			obs := &refusalObserver{}
			core, logs := observer.New(zapcore.WarnLevel)
			rr := newResumeRig(t, tc.shape, 250, func(_ *Settings, d *Deps) { d.Observer, d.Logger = obs, zap.New(core) })
			rr.poll()
			stored := rr.rig.stored()
			require.NotNil(t, stored.Resume)
			caughtUp := rr.clock.Now()
			rr.clock.Add(time.Minute)
			rr.feed.addAt(10, caughtUp.Add(10*time.Second))
			rr.feed.refuse(250)
			assert.Equal(t, tc.requests, rr.poll())
			requireExactlyOnce(t, rr.feed.ids(), rr.delivered())
			assert.EqualValues(t, 1, obs.refused.Load())
			warned := logs.FilterMessageSnippet("refused the stored position").All()
			require.Len(t, warned, 1)
			assert.Equal(t, "resume.refused_statuses", warned[0].ContextMap()["yaml_key"])
			assert.NotEqual(t, *stored.Resume, *rr.rig.stored().Resume, "a new position is stored")

			rr.clock.Add(time.Minute)
			assert.Equal(t, 1, rr.poll(), "the new position idles at one request")
			assert.EqualValues(t, 1, obs.refused.Load())
		})
	}
}

// resume.refused_statuses written empty: a refusal is an error like any
// other, the stream keeps its position and retries it.
func TestResumeRefusedPositionWithoutRestart(t *testing.T) {
	shape := resumeShapes()[0]
	shape.spec = fmt.Sprintf(onePasswordSpec, ", refused_statuses: []")
	rr := newResumeRig(t, shape, 50, nil)
	rr.poll()
	before := rr.rig.stored()
	rr.feed.refuse(50)
	_, _, err := rr.rig.poll()
	require.ErrorContains(t, err, "410")
	assert.Equal(t, before.Resume, rr.rig.stored().Resume)
	assert.Len(t, rr.api.sent(), 2)
}

// A position refused again in the poll that restarted from the time fails
// that poll: no second restart, no loop; the next poll starts from the
// time again.
func TestResumeRefusedTwiceInOnePollFails(t *testing.T) {
	obs := &refusalObserver{}
	rr := newResumeRig(t, resumeShapes()[1], 250, func(_ *Settings, d *Deps) { d.Observer = obs })
	rr.poll()
	caughtUp := rr.clock.Now()
	rr.clock.Add(time.Minute)
	rr.feed.addAt(10, caughtUp.Add(10*time.Second))
	rr.feed.refuse(250, 260) // the stored link, and the one the restart's first page gives
	before := len(rr.api.sent())
	_, records, err := rr.rig.poll()
	require.ErrorContains(t, err, "400 Bad Request")
	assert.Equal(t, 10, records, "the restart's first page is delivered")
	assert.Equal(t, 3, len(rr.api.sent())-before, "refused, the first request, refused")
	assert.EqualValues(t, 1, obs.refused.Load())
	requireExactlyOnce(t, rr.feed.ids(), rr.delivered())
}

// A cursor API that leaves the cursor out of its last page: the position
// that produced that page is kept and read again at every poll, its
// records skipped by id (one warning); new records on it or after it are
// delivered once.
func TestResumeWithoutANextPositionReReadsTheLastPage(t *testing.T) {
	core, logs := observer.New(zapcore.WarnLevel)
	rr := newResumeRig(t, resumeShapes()[0], 250, func(_ *Settings, d *Deps) { d.Logger = zap.New(core) })
	rr.feed.noLastCursor = true
	assert.Equal(t, 3, rr.poll(), "100, 100, 50 without a cursor")
	assert.Equal(t, &cursor.Position{Cursor: "c200"}, rr.rig.stored().Resume, "the position of the last page")
	rr.clock.Add(time.Minute)
	assert.Equal(t, 1, rr.poll(), "the last page again, nothing delivered")
	assert.Len(t, rr.delivered(), 250)
	rr.feed.add(30)
	assert.Equal(t, 1, rr.poll(), "the last page again, with 30 new records")
	rr.feed.add(100)
	assert.Equal(t, 2, rr.poll(), "the last page, full, with a cursor to 30 more")
	assert.Len(t, logs.FilterMessageSnippet("gave no position to continue from").All(), 1, "warned once")
	rr.restart()
	assert.Equal(t, 1, rr.poll())
	requireExactlyOnce(t, rr.feed.ids(), rr.delivered())
}

// A cursor stored by the previous version (no resume position) of a spec
// that now resumes: the first walk starts with the first request from the
// stored key less the overlap, and the ids kept are not delivered again.
func TestResumeLoadsACursorOfThePreviousFormat(t *testing.T) {
	shape := resumeShapes()[0]
	rr := newResumeRig(t, shape, 20, nil)
	key := rr.feed.times[9]
	identity, err := json.Marshal(rr.rig.st.identity)
	require.NoError(t, err)
	// The ids within the overlap (1 s) below the key, as the previous
	// version kept them.
	old := fmt.Sprintf(`{"version":1,"identity":%s,"key":%d,"seen":[{"id":"e9","key":%d},{"id":"e8","key":%d}],"updated_at":1}`,
		identity, key.UnixNano(), key.UnixNano(), rr.feed.times[8].UnixNano())
	st, err := cursor.Unmarshal([]byte(old))
	require.NoError(t, err)
	require.NoError(t, rr.store.Save(context.Background(), rr.rig.st.key, st))
	rr.restart()
	assert.Equal(t, 1, rr.poll())
	assert.Equal(t, `{"limit": 100, "start_time": "`+key.Add(-time.Second).UTC().Format(time.RFC3339)+`"}`, rr.feed.bodies[0])
	got := rr.delivered()
	assert.Len(t, got, 10)
	assert.Equal(t, "e10", got[0])
	assert.Equal(t, &cursor.Position{Cursor: "c20"}, rr.rig.stored().Resume)
}

// request.continue without resume: the pages after the first of a cursor
// walk through a time window send the continue body (the cursor alone),
// the first the window's start.
func TestContinueBodyWithinAWalk(t *testing.T) {
	f := newFeed(250)
	api := newCustomAPI(t, f.onePassword)
	clock := &fakeClock{now: f.base.Add(time.Hour)}
	spec := strings.Replace(fmt.Sprintf(onePasswordSpec, ""), "resume: {from: next}\n", "", 1)
	r := newCustomRig(t, spec, api, clock, 100)
	_, records, err := r.poll()
	require.NoError(t, err)
	assert.Equal(t, 250, records)
	require.Len(t, f.bodies, 3)
	assert.Contains(t, f.bodies[0], `"start_time"`)
	assert.Equal(t, []string{`{"cursor": "c100"}`, `{"cursor": "c200"}`}, f.bodies[1:])
}
