package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
)

// feed is an oldest-first event feed that streams by position, served in
// the three shapes of issue #20 item 3: record i is "e<i>", dated base + i s.
type feed struct {
	mu   sync.Mutex
	base time.Time
	n    int
	// inclusive: after_id=X lists X again (the last_id shape).
	inclusive bool
	// refuseBelow: a position before this record is refused with 410 Gone
	// (an expired cursor, a link or id the API no longer knows).
	refuseBelow int
	bodies      []string // request bodies, in order (the POST shape)
}

func newFeed(n int) *feed { return &feed{base: baseTime(), n: n} }

func (f *feed) add(k int) {
	f.mu.Lock()
	f.n += k
	f.mu.Unlock()
}

func (f *feed) at(i int) time.Time { return f.base.Add(time.Duration(i) * time.Second) }

// since is the first record dated at or after t.
func (f *feed) since(t time.Time) int {
	i := int(t.Sub(f.base) / time.Second)
	if t.After(f.at(i)) {
		i++
	}
	return min(max(i, 0), f.n)
}

// items is the JSON of records from..from+limit, and where the next page
// starts.
func (f *feed) items(from, limit int, timeKey string) (string, int) {
	to := min(from+limit, f.n)
	recs := make([]string, 0, max(to-from, 0))
	for i := from; i < to; i++ {
		recs = append(recs, fmt.Sprintf(`{"id":"e%d",%q:%q}`, i, timeKey, f.at(i).UTC().Format(time.RFC3339)))
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
		if from, err = strconv.Atoi(strings.TrimPrefix(req.Cursor, "c")); err != nil || from < f.refuseBelow {
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
	_, _ = fmt.Fprintf(w, `{"cursor":"c%d","has_more":%t,"items":%s}`, next, next < f.n, items)
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
		if from < f.refuseBelow {
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
		if err != nil || k < f.refuseBelow {
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
	ids := make([]string, f.n)
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
	edit  func(*Settings)
	uids  []string // delivered by every source so far
}

func newResumeRig(t *testing.T, shape resumeShape, records int, edit func(*Settings)) *resumeRig {
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
			assert.Equal(t, rr.feed.at(249).UnixNano(), st.Key, "the key is the newest record delivered")

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
			rr := newResumeRig(t, shape, 250, func(s *Settings) { s.MaxPagesPerPoll = 1 })
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
