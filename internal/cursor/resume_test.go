package cursor

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// resumeSpec is an oldest-first feed read by position: pag's pagination,
// resume.from from, a time filter for the first request unless from is
// last_id.
func resumeSpec(pag, from string) *apispec.Spec {
	return spec(func(s *apispec.Spec) {
		s.Pagination = apispec.Pagination{Type: pag, NextPath: "cursor"}
		s.Records.Order = apispec.OrderOldestFirst
		s.Resume = &apispec.Resume{From: from}
		if from == apispec.ResumeLastID {
			s.TimeFilter = nil
		}
	})
}

func TestMachineResume(t *testing.T) {
	cursorSpec := resumeSpec(apispec.PaginationCursor, apispec.ResumeNext)
	linkSpec := resumeSpec(apispec.PaginationLinkHeader, apispec.ResumeNext)
	lastIDSpec := resumeSpec(apispec.PaginationNone, apispec.ResumeLastID)
	cont := func(p Position) *Request { return &Request{Position: p, PageSize: 3} }
	cases := []machineCase{
		{
			name: "the first walk reads from the cursor key with no end, then from the server's cursor, which is stored",
			spec: cursorSpec, until: 10,
			steps: []step{
				{
					want: &Request{Position: Position{Page: 1}, Windowed: true, Start: at(-1), OpenEnd: true, PageSize: 3},
					page: recs("a@1", "b@2", "c@3"), next: "k1", more: decode.MoreYes, deliver: "a b c",
				},
				{want: cont(Position{Cursor: "k1"}), page: recs("d@4"), next: "k2", more: decode.MoreNo, deliver: "d", done: true},
				// the next poll: one request from the stored cursor
				{until: 20, want: cont(Position{Cursor: "k2"}), page: nil, next: "k2", more: decode.MoreNo, done: true},
			},
			key: 20, seen: "d", resume: &Position{Cursor: "k2"},
		},
		{
			name: "an inclusive after-id API: the record repeated is skipped, a page of it alone ends the walk",
			spec: lastIDSpec, until: 10,
			steps: []step{
				{want: cont(Position{Page: 1}), page: recs("a@1", "b@2", "c@3"), deliver: "a b c"},
				{want: cont(Position{After: "c"}), page: recs("c@3", "d@4", "e@5"), deliver: "d e"},
				{want: cont(Position{After: "e"}), page: recs("e@5"), done: true},
			},
			key: 10, seen: "e", resume: &Position{After: "e"},
		},
		{
			name: "after the last id: an empty page keeps the position",
			spec: lastIDSpec, until: 20,
			state: &State{Key: at(10), Resume: &Position{After: "e"}, Seen: []Seen{{ID: "e", Key: at(5)}}},
			steps: []step{
				{want: cont(Position{After: "e"}), page: nil, done: true},
			},
			key: 20, seen: "e", resume: &Position{After: "e"},
		},
		{
			name: "a record listed after the position is new whatever its time",
			spec: lastIDSpec, until: 60,
			state: &State{Key: at(50), Resume: &Position{After: "x"}, Seen: []Seen{{ID: "x", Key: at(49)}}},
			steps: []step{
				{page: recs("y@10", "z@51"), deliver: "y z"},
				{want: cont(Position{After: "z"}), page: nil, done: true},
			},
			key: 60, resume: &Position{After: "z"},
		},
		{
			name: "records dated below the start of a walk from the time are old; ids at the key are skipped",
			spec: cursorSpec, until: 20,
			state: &State{Key: at(10), Seen: []Seen{{ID: "b", Key: at(10)}}},
			steps: []step{
				{
					want: &Request{Position: Position{Page: 1}, Windowed: true, Start: at(9), OpenEnd: true, PageSize: 3},
					page: recs("a@5", "b@10", "c@11"), next: "k", more: decode.MoreNo, deliver: "c", done: true,
				},
			},
			key: 20, resume: &Position{Cursor: "k"},
		},
		{
			name: "a record dated ahead of the clock is delivered; the key stays at the clock",
			spec: lastIDSpec, until: 10,
			steps: []step{
				{page: recs("a@5", "f@100"), deliver: "a f", flags: func(t *testing.T, out Outcome) {
					assert.Equal(t, 1, out.Future)
					assert.Equal(t, "f", out.FutureExample.ID)
				}},
				{page: nil, done: true},
			},
			key: 10, resume: &Position{After: "f"},
		},
		{
			name: "an answer without a position keeps the one that produced it, and its ids",
			spec: cursorSpec, until: 20,
			state: &State{Key: at(10), Resume: &Position{Cursor: "k5"}},
			steps: []step{
				{
					want: cont(Position{Cursor: "k5"}), page: recs("a@11", "b@12"), more: decode.MoreNo, deliver: "a b", done: true,
					flags: func(t *testing.T, out Outcome) { assert.True(t, out.NoNext) },
				},
				{until: 30, want: cont(Position{Cursor: "k5"}), page: recs("a@11", "b@12", "c@13"), more: decode.MoreNo, deliver: "c", done: true},
			},
			key: 30, seen: "a b c", resume: &Position{Cursor: "k5"},
		},
		{
			name: "the first walk without a position to store starts from the time again",
			spec: cursorSpec, until: 20,
			steps: []step{
				{page: recs("a@11"), more: decode.MoreNo, deliver: "a", done: true},
				{
					until: 30, want: &Request{Position: Position{Page: 1}, Windowed: true, Start: at(19), OpenEnd: true, PageSize: 3},
					page: recs("a@11", "b@25"), more: decode.MoreNo, deliver: "b", done: true,
				},
			},
			key: 30, seen: "a b",
		},
		{
			name: "an empty page with a next link (Okta) stores the link",
			spec: linkSpec, until: 20,
			state: &State{Key: at(10), Resume: &Position{URL: "https://api/logs?after=7"}},
			steps: []step{
				{want: cont(Position{URL: "https://api/logs?after=7"}), page: recs("h@15"), next: "https://api/logs?after=8", more: decode.MoreYes, deliver: "h"},
				{want: cont(Position{URL: "https://api/logs?after=8"}), page: nil, next: "https://api/logs?after=8", more: decode.MoreYes, done: true},
			},
			key: 20, seen: "h", resume: &Position{URL: "https://api/logs?after=8"},
		},
		{
			name: "a record twice on one page is delivered once",
			spec: lastIDSpec, until: 10,
			steps: []step{
				{page: recs("a@1", "a@1", "b@2"), deliver: "a b"},
				{page: nil, done: true},
			},
			key: 10, seen: "a b", resume: &Position{After: "b"},
		},
		{
			name: "a link followed twice in one walk fails it",
			spec: linkSpec, until: 20,
			state: &State{Key: at(10), Resume: &Position{URL: "https://api/p1"}},
			steps: []step{
				{page: recs("a@11"), next: "https://api/p2", more: decode.MoreYes, deliver: "a"},
				{page: recs("b@12"), next: "https://api/p1", more: decode.MoreYes, err: ErrLinkLoop},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runMachine(t, tc) })
	}
}

// A refused stored position drops the walk and the position; the next walk
// starts from the time of the last record, less the overlap. A first
// request refused, or a status not listed, is an error like any other.
func TestMachinePositionRefused(t *testing.T) {
	m := NewMachine(resumeSpec(apispec.PaginationCursor, apispec.ResumeNext), 3, 0, 0)
	c := Resume(&State{Key: at(10), Resume: &Position{Cursor: "old"}, Seen: []Seen{{ID: "a", Key: at(10)}}})
	require.True(t, m.Begin(c, at(20)))
	req := m.Request(c)
	assert.False(t, m.PositionRefused(c, req, http.StatusInternalServerError))
	assert.False(t, m.PositionRefused(c, Request{Position: Position{Page: 1}}, http.StatusBadRequest), "the first request is no position")
	require.True(t, m.PositionRefused(c, req, http.StatusGone))
	assert.Nil(t, c.State.Walk)
	assert.Nil(t, c.State.Resume)
	require.True(t, m.Begin(c, at(20)))
	assert.Equal(t, Request{Position: Position{Page: 1}, Windowed: true, Start: at(9), OpenEnd: true, PageSize: 3}, m.Request(c))
	page := &decode.Page{Records: recs("a@10", "b@11"), Next: "new", More: decode.MoreNo}
	out, err := m.Process(c, page, false)
	require.NoError(t, err)
	assert.Equal(t, "b", ids(page, out.Deliver))

	plain := NewMachine(spec(nil), 3, 0, 0)
	pc := plain.Fresh("id", t0)
	require.True(t, plain.Begin(pc, at(10)))
	assert.False(t, plain.PositionRefused(pc, Request{Position: Position{Cursor: "x"}}, http.StatusGone), "a spec without resume")
}

// A state stored before resume existed loads with no position; one stored
// with a position keeps it, and Clone copies it.
func TestStateResumeRoundTrip(t *testing.T) {
	old, err := Unmarshal([]byte(`{"version":1,"identity":"x","key":42,"seen":[{"id":"a","key":41}],"updated_at":1}`))
	require.NoError(t, err)
	assert.Nil(t, old.Resume)
	st := &State{Identity: "x", Key: 42, Resume: &Position{After: "e9", Cursor: "c", URL: "https://api/x"}}
	b, err := Marshal(st)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"resume":{"url":"https://api/x","cursor":"c","after":"e9"}`)
	got, err := Unmarshal(b)
	require.NoError(t, err)
	assert.Equal(t, st, got)
	cl := Clone(got)
	cl.Resume.After = "changed"
	assert.Equal(t, "e9", got.Resume.After, "Clone copies the position")
}
