package cursor

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// The cursor machine on small made-up pages of a vendor-neutral API: no
// simulator, no HTTP, no clock. Times are whole seconds after t0.

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(sec int) int64 { return t0.Add(time.Duration(sec) * time.Second).UnixNano() }

// recs parses "id@second" records, in API order; "!" is a record without a
// usable time.
func recs(list ...string) []decode.Record {
	out := make([]decode.Record, 0, len(list))
	for _, s := range list {
		if s == "!" {
			out = append(out, decode.Record{Problem: "no event time"})
			continue
		}
		id, sec, _ := strings.Cut(s, "@")
		n, _ := strconv.Atoi(sec)
		out = append(out, decode.Record{ID: id, Time: at(n), Key: at(n)})
	}
	return out
}

// spec is a neutral API: one-second timestamps, page numbers, three records
// a page, newest first, with a time filter unless changed. Its answers echo
// the page size asked for unless a step says otherwise, so a short page is
// the last one.
func spec(change func(*apispec.Spec)) *apispec.Spec {
	s := &apispec.Spec{
		TimeFilter: &apispec.TimeFilter{Format: "unix_s"},
		Pagination: apispec.Pagination{Type: apispec.PaginationPage, FirstPage: new(1), MaxPageSize: 10},
		Records:    apispec.Records{Order: apispec.OrderNewestFirst, TimePrecision: time.Second},
	}
	if change != nil {
		change(s)
	}
	return s
}

// step is one request and its answer.
type step struct {
	want    *Request // the request the walk makes (nil: not checked)
	page    []decode.Record
	more    decode.More
	next    string // next link or cursor token of the answer
	size    int    // the page size the answer echoes: 0 the one asked for, -1 none
	total   int    // when > 0, the total the answer reports
	ended   bool   // the API said past the last page
	deliver string // ids expected, space separated, in order
	done    bool
	err     error
	flags   func(t *testing.T, out Outcome)
	// until, when set, is the closed end of the poll that begins a walk at
	// this step (later polls of the same stream), in seconds after t0.
	until int
}

type machineCase struct {
	name  string
	spec  *apispec.Spec
	state *State // nil: fresh at t0
	until int    // the poll's closed end, in seconds after t0
	steps []step
	key   int // the cursor key after the last step, in seconds after t0
	seen  string
	// inclusiveEnd: the walk learnt the API's end bound is inclusive.
	inclusiveEnd bool
	// settle widens the overlap; disorder is the stream's disorder after
	// the last step (State.Disorder), in seconds.
	settle   time.Duration
	disorder int
	// resume is the position stored to continue from (specs with resume).
	resume *Position
}

func TestMachine(t *testing.T) {
	// win is a request for page of the window [start, end], after read
	// records of the pages before it.
	win := func(start, end int, page int, read ...int) *Request {
		r := &Request{Position: Position{Page: page}, Windowed: true, Start: at(start), End: at(end), PageSize: 3}
		if len(read) > 0 {
			r.Position.Read = read[0]
		}
		return r
	}
	cases := []machineCase{
		{
			name: "a window is walked by page number and the cursor moves to its end",
			spec: spec(nil), until: 10,
			steps: []step{
				{want: win(-1, 10, 1), page: recs("c@9", "b@8", "a@7"), deliver: "c b a"},
				{want: win(-1, 10, 2, 3), page: recs("x@2"), deliver: "x", done: true},
			},
			key: 10, seen: "c",
		},
		{
			name: "an idle window delivers nothing and costs one request",
			spec: spec(nil), until: 20,
			state: &State{Key: at(10), Seen: []Seen{{ID: "c", Key: at(9)}}},
			steps: []step{
				{want: win(9, 20, 1), page: recs("c@9"), done: true},
			},
			key: 20,
		},
		{
			name: "records that share the cursor's second are delivered once",
			spec: spec(nil), until: 20,
			state: &State{Key: at(10), Seen: []Seen{{ID: "a", Key: at(10)}}},
			steps: []step{
				{want: win(9, 20, 1), page: recs("b@10", "a@10"), deliver: "b", done: true},
			},
			key: 20,
		},
		{
			name: "a record pushed onto the next page by a newer one is not delivered twice",
			spec: spec(nil), until: 10,
			steps: []step{
				{page: recs("e@5", "d@5", "c@4"), deliver: "e d c"},
				{page: recs("c@4", "b@3", "a@2"), deliver: "b a"},
				{page: nil, done: true},
			},
			key: 10,
		},
		{
			name: "records without a usable time are counted, not delivered",
			spec: spec(nil), until: 10,
			steps: []step{
				{page: recs("b@5", "!"), deliver: "b", done: true, flags: func(t *testing.T, out Outcome) {
					assert.Equal(t, 1, out.Invalid)
					assert.Equal(t, "no event time", out.Problem)
				}},
			},
			key: 10,
		},
		{
			name: "a page that keeps coming back fails the poll after three repeats",
			spec: spec(nil), until: 10,
			steps: []step{
				{page: recs("c@9", "b@8", "a@7"), deliver: "c b a"},
				{page: recs("c@9", "b@8", "a@7")},
				{page: recs("c@9", "b@8", "a@7")},
				{page: recs("c@9", "b@8", "a@7")},
				{page: recs("c@9", "b@8", "a@7"), err: ErrRepeatedPage},
			},
			key: 0,
		},
		{
			name:  "a next link the walk already followed fails the poll",
			spec:  spec(func(s *apispec.Spec) { s.Pagination = apispec.Pagination{Type: apispec.PaginationNextURL} }),
			until: 10,
			steps: []step{
				{page: recs("c@9"), next: "https://api/p2", deliver: "c"},
				{want: &Request{Position: Position{URL: "https://api/p2"}, PageSize: 3}, page: recs("b@8"), next: "https://api/p3", deliver: "b"},
				{page: recs("a@7"), next: "https://api/p2", err: ErrLinkLoop},
			},
			key: 0,
		},
		{
			name: "a short page with a has-more signal is not the last",
			spec: spec(nil), until: 10,
			steps: []step{
				{page: recs("c@9"), more: decode.MoreYes, deliver: "c"},
				{want: win(-1, 10, 2, 1), page: recs("b@8"), more: decode.MoreNo, deliver: "b", done: true},
			},
			key: 10,
		},
		{
			name: "past the last page ends the walk",
			spec: spec(nil), until: 10,
			steps: []step{
				{page: recs("c@9", "b@8", "a@7"), deliver: "c b a"},
				{ended: true, done: true},
			},
			key: 10,
		},
		{
			name: "oldest first: the edge is the newest delivered",
			spec: spec(func(s *apispec.Spec) { s.Records.Order = apispec.OrderOldestFirst }), until: 10,
			steps: []step{
				{page: recs("a@2", "b@3", "c@3"), deliver: "a b c"},
				{page: recs("c@3", "d@4"), deliver: "d", done: true},
			},
			key: 10,
		},
		{
			name: "without a time filter the walk goes newest first down to the cursor",
			spec: spec(func(s *apispec.Spec) { s.TimeFilter = nil }), until: 10,
			state: &State{Key: at(5), Seen: []Seen{{ID: "a", Key: at(5)}}},
			steps: []step{
				{want: &Request{Position: Position{Page: 1}, PageSize: 3}, page: recs("d@9", "c@7", "b@6"), deliver: "d c b"},
				{page: recs("a@5", "z@2"), done: true},
			},
			key: 9, seen: "d",
		},
		{
			name: "unstable ties: the bound is lowered, then a full second is read alone",
			spec: spec(func(s *apispec.Spec) { s.Records.UnstableTies = true }), until: 10,
			steps: []step{
				{want: win(-1, 10, 1), page: recs("c@5", "b@5", "a@5"), deliver: "c b a"},
				// below the lowest second read, inclusive of it: the tie comes back first
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Start: at(-1), End: at(6), PageSize: 3}, page: recs("a@5", "d@5", "c@5"), deliver: "d"},
				// a page that did not get below the bound: that second alone, at the API's largest page
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 10}, page: recs("b@5", "e@5", "a@5", "d@5", "c@5"), deliver: "e"},
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Start: at(-1), End: at(5), PageSize: 3}, page: recs("z@1"), deliver: "z", done: true},
			},
			key: 10,
		},
		{
			name: "a tie read that comes back full is reported",
			spec: spec(func(s *apispec.Spec) {
				s.Records.UnstableTies = true
				s.Pagination.MaxPageSize = 3
			}), until: 10,
			steps: []step{
				{page: recs("c@5", "b@5", "a@5"), deliver: "c b a"},
				{page: recs("a@5", "b@5", "c@5")},
				{
					want: &Request{Position: Position{Page: 1}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, page: recs("d@5", "b@5", "c@5"), deliver: "d",
					flags: func(t *testing.T, out Outcome) { assert.True(t, out.TieOverflow) },
				},
				// paged through by number, then on below the second
				{want: &Request{Position: Position{Page: 2, Read: 3}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, page: recs("e@5"), deliver: "e"},
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Start: at(-1), End: at(5), PageSize: 3}, page: nil, done: true},
			},
			key: 10,
		},
		{
			name: "a tie group larger than a page is read page by page, and again, until the API's count is seen",
			spec: spec(func(s *apispec.Spec) {
				s.Records.UnstableTies = true
				s.Pagination.MaxPageSize = 3
			}), until: 10,
			steps: []step{
				{page: recs("c@5", "b@5", "a@5"), total: 6, deliver: "c b a"},
				{page: recs("a@5", "b@5", "c@5"), total: 6},
				// the second alone: 6 records there, in a new order on every read
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, page: recs("d@5", "b@5", "c@5"), total: 6, deliver: "d"},
				{want: &Request{Position: Position{Page: 2, Read: 3}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, page: recs("a@5", "b@5", "c@5"), total: 6},
				// past the last page: the first again
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, page: recs("f@5", "e@5", "d@5"), total: 6, deliver: "f e"},
				// all six seen: on below the second
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Start: at(-1), End: at(5), PageSize: 3}, page: recs("z@1"), total: 1, deliver: "z", done: true},
			},
			key: 10,
		},
		{
			// Postgres returns equal created_at rows in the same order while
			// the table does not change: page 1 alone would never show the rest.
			name: "a tie group in the same order on every read is complete after one read of each page",
			spec: spec(func(s *apispec.Spec) {
				s.Records.UnstableTies = true
				s.Pagination.MaxPageSize = 3
			}), until: 10,
			steps: []step{
				{page: recs("g@5", "f@5", "e@5"), total: 8, deliver: "g f e"},
				{page: recs("g@5", "f@5", "e@5"), total: 8},
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, page: recs("g@5", "f@5", "e@5"), total: 7},
				{want: &Request{Position: Position{Page: 2, Read: 3}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, page: recs("d@5", "c@5", "b@5"), total: 7, deliver: "d c b"},
				{want: &Request{Position: Position{Page: 3, Read: 6}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, page: recs("a@5"), total: 7, deliver: "a"},
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Start: at(-1), End: at(5), PageSize: 3}, page: recs("z@1"), total: 1, deliver: "z", done: true},
			},
			key: 10,
		},
		{
			// 40 records read 3 at a time in a new order every time: 14
			// pages, read in turn until TieReadBound(40, 3) reads.
			name: "a large tie group is read at most TieReadBound times before it is reported",
			spec: spec(func(s *apispec.Spec) {
				s.Records.UnstableTies = true
				s.Pagination.MaxPageSize = 3
			}), until: 10,
			steps: append([]step{
				{page: recs("c@5", "b@5", "a@5"), total: 40, deliver: "c b a"},
				{page: recs("a@5", "b@5", "c@5"), total: 40},
			}, append(repeat(TieReadBound(40, 3)-1, step{page: recs("a@5", "b@5", "c@5"), total: 40, flags: func(t *testing.T, out Outcome) {
				assert.True(t, out.TieRead)
				assert.Zero(t, out.TieMissing)
			}}),
				step{page: recs("a@5", "b@5", "c@5"), total: 40, flags: func(t *testing.T, out Outcome) {
					assert.Equal(t, 37, out.TieMissing)
					assert.Equal(t, 329, out.TieReads, "TieReadBound(40, 3)")
				}},
				step{
					want: &Request{Position: Position{Page: 1}, Windowed: true, Start: at(-1), End: at(5), PageSize: 3}, page: nil, done: true,
					flags: func(t *testing.T, out Outcome) { assert.False(t, out.TieRead) },
				},
			)...),
			key: 10,
		},
		{
			name: "a tie group still short after the most reads allowed is reported",
			spec: spec(func(s *apispec.Spec) {
				s.Records.UnstableTies = true
				s.Pagination.MaxPageSize = 3
			}), until: 10,
			steps: append([]step{
				{page: recs("c@5", "b@5", "a@5"), total: 4, deliver: "c b a"},
				{page: recs("a@5", "b@5", "c@5"), total: 4},
			}, append(repeat(TieReadBound(4, 3)-1, step{page: recs("a@5", "b@5", "c@5"), total: 4}),
				step{page: recs("a@5", "b@5", "c@5"), total: 4, flags: func(t *testing.T, out Outcome) {
					assert.Equal(t, 1, out.TieMissing)
					assert.Equal(t, 27, out.TieReads, "TieReadBound(4, 3)")
				}},
				step{want: &Request{Position: Position{Page: 1}, Windowed: true, Start: at(-1), End: at(5), PageSize: 3}, page: nil, done: true},
			)...),
			key: 10,
		},
		{
			// Tie reads ask for 10 (the API's largest page) and get 3: the
			// bound is that of pages of 3 (81 reads for 12), not of 10 (23),
			// and it holds on the group's short last page too.
			name: "a tie group served in pages smaller than asked is read as often as those pages need",
			spec: spec(func(s *apispec.Spec) { s.Records.UnstableTies = true }), until: 10,
			steps: append([]step{
				{page: recs("c@5", "b@5", "a@5"), total: 12, deliver: "c b a"},
				{page: recs("a@5", "b@5", "c@5"), total: 12},
			}, append(repeat(TieReadBound(12, 3)-1, step{page: recs("a@5", "b@5", "c@5"), size: 3, total: 12}),
				step{page: recs("a@5"), size: 3, total: 12, flags: func(t *testing.T, out Outcome) {
					assert.Equal(t, 9, out.TieMissing)
					assert.Equal(t, 81, out.TieReads, "TieReadBound(12, 3)")
				}},
				step{want: &Request{Position: Position{Page: 1}, Windowed: true, Start: at(-1), End: at(5), PageSize: 3}, page: nil, done: true},
			)...),
			key: 10,
		},
		{
			// Logto 1.42 after a tie group larger than its page: the page
			// asked up to one second above the lowered bound is that group
			// again. It is no tie at the bound (reading the bound alone found
			// nothing there and switched to exclusive bounds for good).
			name: "a page wholly above the lowered bound shows an inclusive end: the walk asks again up to the bound itself",
			spec: spec(func(s *apispec.Spec) {
				s.Records.UnstableTies = true
				s.Pagination.MaxPageSize = 3
			}), until: 10,
			steps: []step{
				{want: win(-1, 10, 1), page: recs("c@5", "b@5", "a@5"), total: 5, deliver: "c b a"},
				{want: win(-1, 6, 1), page: recs("a@5", "d@5", "c@5"), total: 5, deliver: "d"},
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, page: recs("b@5", "a@5", "d@5"), total: 4},
				// below the group, the end one second up returns the group only
				{want: win(-1, 5, 1), page: recs("c@5", "b@5", "a@5"), total: 5, flags: func(t *testing.T, out Outcome) {
					assert.True(t, out.inclusiveEnd)
					assert.False(t, out.tie, "no tie read at a second the page did not show")
				}},
				{want: win(-1, 4, 1), page: recs("z@3"), total: 1, deliver: "z", done: true},
			},
			key: 10, inclusiveEnd: true,
		},
		{
			// The API counts 4 at the second and lists 3: page 2 of the tie
			// read is empty. Only the first page of a tie read can show that
			// the bounds are exclusive.
			name: "an empty later page of a tie read keeps inclusive bounds",
			spec: spec(func(s *apispec.Spec) {
				s.Records.UnstableTies = true
				s.Pagination.MaxPageSize = 3
			}), until: 10,
			steps: []step{
				{page: recs("c@5", "b@5", "a@5"), total: 4, deliver: "c b a"},
				{page: recs("a@5", "b@5", "c@5"), total: 4},
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, page: recs("b@5", "a@5", "c@5"), total: 4},
				{
					want: &Request{Position: Position{Page: 2, Read: 3}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, page: nil, total: 4,
					flags: func(t *testing.T, out Outcome) { assert.False(t, out.exclusiveTies) },
				},
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 3}, page: recs("d@5", "a@5", "c@5"), total: 4, deliver: "d"},
				{page: recs("z@1"), deliver: "z", done: true},
			},
			key: 10,
		},
		{
			name: "a tie read from T to T that finds nothing at T switches to exclusive bounds",
			spec: spec(func(s *apispec.Spec) { s.Records.UnstableTies = true }), until: 10,
			steps: []step{
				{page: recs("c@5", "b@5", "a@5"), deliver: "c b a"},
				{page: recs("a@5", "b@5", "c@5")},
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Tie: true, Start: at(5), End: at(5), PageSize: 10}, page: nil},
				{want: &Request{Position: Position{Page: 1}, Windowed: true, Tie: true, Start: at(4), End: at(6), PageSize: 10}, page: recs("d@5", "a@5", "b@5", "c@5"), deliver: "d"},
				{page: recs("z@1"), deliver: "z", done: true},
			},
			key: 10,
		},
		{
			name:  "a server that caps pages silently: its total tells a short page from the last",
			spec:  spec(nil),
			until: 10,
			steps: []step{
				// asked for 3, given 2, and the echo says 3 (the size asked for): the total decides
				{want: win(-1, 10, 1), page: recs("e@9", "d@8"), total: 5, deliver: "e d"},
				{want: win(-1, 10, 2, 2), page: recs("c@7", "b@6"), total: 5, deliver: "c b"},
				{want: win(-1, 10, 3, 4), page: recs("a@5"), total: 5, deliver: "a", done: true},
			},
			key: 10,
		},
		{
			name:  "a server that caps pages silently and echoes the size it applied",
			spec:  spec(nil),
			until: 10,
			steps: []step{
				{page: recs("e@9", "d@8"), size: 2, deliver: "e d"},
				{page: recs("c@7", "b@6"), size: 2, deliver: "c b"},
				{page: recs("a@5"), size: 2, deliver: "a", done: true},
			},
			key: 10,
		},
		{
			name:  "without any signal only an empty page ends the walk",
			spec:  spec(nil),
			until: 10,
			steps: []step{
				{page: recs("e@9", "d@8"), size: -1, deliver: "e d"},
				{page: recs("c@7"), size: -1, deliver: "c"},
				{want: win(-1, 10, 3, 3), page: nil, size: -1, done: true},
			},
			key: 10,
		},
		{
			name: "offsets advance by the records a capped page holds",
			spec: spec(func(s *apispec.Spec) { s.Pagination = apispec.Pagination{Type: apispec.PaginationOffset} }), until: 10,
			steps: []step{
				{page: recs("e@9", "d@8"), size: 2, deliver: "e d"},
				{want: &Request{Position: Position{Offset: 2}, Windowed: true, Start: at(-1), End: at(10), PageSize: 3}, page: recs("c@7"), size: 2, deliver: "c", done: true},
			},
			key: 10,
		},
		{
			name: "a record a little out of order across a page boundary is delivered; records pushed down are not",
			spec: spec(nil), until: 10,
			steps: []step{
				{page: recs("d@9", "c@8", "b@6"), deliver: "d c b"},
				// c (two seconds past the edge) and b (at it) were pushed down;
				// x is one second past the edge, within the overlap, and new
				{page: recs("c@8", "b@6", "x@7", "a@5"), size: 4, deliver: "x a"},
				{page: nil, done: true},
			},
			key: 10,
		},
		{
			name: "a newest-first walk stops only a further overlap below the cursor: what follows may be a little newer",
			spec: spec(func(s *apispec.Spec) { s.TimeFilter = nil }), until: 10,
			state: &State{Key: at(5)},
			steps: []step{
				// y is below the cursor's overlap (4) but not by more than the
				// overlap: x after it, one second newer, is still read
				{page: recs("d@9", "y@3", "x@4"), deliver: "d x"},
				{page: recs("w@2"), done: true},
			},
			key: 9,
		},
		{
			name: "an API that ignores the time filter is walked by page number",
			spec: spec(func(s *apispec.Spec) { s.Records.UnstableTies = true }), until: 10,
			state: &State{Key: at(5)},
			steps: []step{
				{page: recs("n@30", "c@9", "b@8"), deliver: "c b", flags: func(t *testing.T, out Outcome) {
					assert.True(t, out.FilterIgnored)
					assert.Equal(t, 1, out.Outside)
				}},
				{want: win(4, 10, 2, 3), page: recs("a@7", "z@1"), deliver: "a", done: true},
			},
			key: 10,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runMachine(t, tc) })
	}
}

// runMachine walks tc's steps through a machine and checks every request,
// delivery and the cursor after the last step.
func runMachine(t *testing.T, tc machineCase) {
	m := NewMachine(tc.spec, 3, tc.settle, 0)
	c := m.Fresh("id", t0)
	if tc.state != nil {
		c = Resume(tc.state)
	}
	until := at(tc.until)
	for i, s := range tc.steps {
		if s.until != 0 {
			until = at(s.until)
		}
		if c.State.Walk == nil {
			require.True(t, m.Begin(c, until), "step %d: a walk begins", i)
		}
		if s.want != nil {
			require.Equal(t, *s.want, m.Request(c), "step %d: request", i)
		}
		page := &decode.Page{Records: s.page, More: s.more, Next: s.next, Size: s.size, Total: s.total, HasTotal: s.total > 0}
		if s.size == 0 {
			page.Size = m.Request(c).PageSize
		}
		out, err := m.Process(c, page, s.ended)
		if s.err != nil {
			require.ErrorIs(t, err, s.err, "step %d", i)
			return
		}
		require.NoError(t, err, "step %d", i)
		assert.Equal(t, s.deliver, ids(page, out.Deliver), "step %d: delivered", i)
		assert.Equal(t, s.done, out.Done, "step %d: done", i)
		if s.flags != nil {
			s.flags(t, out)
		}
		next := m.NextRequest(c, &out)
		m.Apply(c, out)
		if c.State.Walk != nil {
			assert.Equal(t, next, m.Request(c), "step %d: NextRequest is the request after Apply", i)
		}
	}
	require.Nil(t, c.State.Walk, "the walk is over")
	assert.Equal(t, tc.inclusiveEnd, c.State.InclusiveEnd, "inclusive end learnt")
	assert.Equal(t, at(tc.key), c.State.Key, "cursor key")
	assert.Equal(t, int64(tc.disorder)*int64(time.Second), c.State.Disorder, "the stream's disorder")
	assert.Equal(t, tc.resume, c.State.Resume, "the position to continue from")
	if tc.seen != "" {
		var kept []string
		for _, s := range c.State.Seen {
			kept = append(kept, s.ID)
		}
		assert.Equal(t, tc.seen, strings.Join(kept, " "), "ids kept near the cursor")
	}
}

func ids(page *decode.Page, idx []int) string {
	out := make([]string, 0, len(idx))
	for _, i := range idx {
		out = append(out, page.Records[i].ID)
	}
	return strings.Join(out, " ")
}

// A walk cut after any page resumes from its stored state exactly: the same
// next request, and nothing delivered twice.
func TestMachineResumesFromTheStoredState(t *testing.T) {
	m := NewMachine(spec(nil), 3, 0, 0)
	c := m.Fresh("id", t0)
	require.True(t, m.Begin(c, at(10)))
	page := &decode.Page{Records: recs("e@9", "d@9", "c@8")}
	out, err := m.Process(c, page, false)
	require.NoError(t, err)
	m.Apply(c, out)

	raw, err := Marshal(Clone(c.State))
	require.NoError(t, err)
	stored, err := Unmarshal(raw)
	require.NoError(t, err)
	r := Resume(stored)
	assert.Equal(t, m.Request(c), m.Request(r))

	shifted := &decode.Page{Records: recs("d@9", "c@8", "b@7")} // a newer record pushed the list down
	out, err = m.Process(r, shifted, false)
	require.NoError(t, err)
	assert.Equal(t, "b", ids(shifted, out.Deliver))
}

// A page the pipeline refused is read again: Restore goes back to the saved
// state and forgets what the loop guard saw since.
func TestMachineRestoreAfterARefusedPage(t *testing.T) {
	m := NewMachine(spec(nil), 3, 0, 0)
	c := m.Fresh("id", t0)
	require.True(t, m.Begin(c, at(10)))
	saved := Clone(c.State)
	page := &decode.Page{Records: recs("c@9", "b@8", "a@7")}
	out, err := m.Process(c, page, false)
	require.NoError(t, err)
	m.Apply(c, out)
	c.Restore(saved)
	assert.Equal(t, Position{Page: 1}, c.State.Walk.Next)
	out, err = m.Process(c, page, false)
	require.NoError(t, err)
	assert.Equal(t, "c b a", ids(page, out.Deliver))
}

// Process changes nothing: the same page processed twice gives the same
// outcome, and the cursor is untouched until Apply.
func TestMachineProcessChangesNothing(t *testing.T) {
	m := NewMachine(spec(func(s *apispec.Spec) { s.Records.UnstableTies = true }), 3, 0, 0)
	c := m.Fresh("id", t0)
	require.True(t, m.Begin(c, at(10)))
	before := Clone(c.State)
	page := &decode.Page{Records: recs("n@30", "c@5", "b@5")}
	first, err := m.Process(c, page, false)
	require.NoError(t, err)
	second, err := m.Process(c, page, false)
	require.NoError(t, err)
	assert.Equal(t, first, second)
	assert.Equal(t, before, c.State)
	assert.False(t, c.filterIgnored)
}

// max_window slices a backlog; Behind says whether the poll reads on.
func TestMachineMaxWindow(t *testing.T) {
	m := NewMachine(spec(nil), 3, 0, time.Hour)
	c := m.Fresh("id", t0)
	until := t0.Add(150 * time.Minute).UnixNano()
	var ends []int64
	for m.Behind(c, until) {
		require.True(t, m.Begin(c, until))
		ends = append(ends, c.State.Walk.End)
		out, err := m.Process(c, &decode.Page{}, false)
		require.NoError(t, err)
		m.Apply(c, out)
	}
	assert.Equal(t, []int64{t0.Add(time.Hour).UnixNano(), t0.Add(2 * time.Hour).UnixNano(), until}, ends)
	assert.False(t, m.Begin(c, until), "nothing closed since the cursor")
}

func TestMachineClosedEnd(t *testing.T) {
	m := NewMachine(spec(nil), 3, 0, 0)
	assert.Equal(t, at(8), m.ClosedEnd(t0.Add(9*time.Second+400*time.Millisecond)))
}

func repeat(n int, s step) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// A tie read refused with 400 (Logto 1.40-1.41: start >= end) switches the
// cursor to exclusive bounds once; a second refusal is a real error.
func TestMachineTieBoundsRefused(t *testing.T) {
	m := NewMachine(spec(func(s *apispec.Spec) { s.Records.UnstableTies = true }), 3, 0, 0)
	c := m.Fresh("id", t0)
	require.True(t, m.Begin(c, at(10)))
	for _, p := range [][]decode.Record{recs("c@5", "b@5", "a@5"), recs("a@5", "c@5", "b@5")} {
		out, err := m.Process(c, &decode.Page{Records: p}, false)
		require.NoError(t, err)
		m.Apply(c, out)
	}
	r := m.Request(c)
	require.True(t, r.Tie)
	assert.Equal(t, at(5), r.Start)
	assert.True(t, m.TieBoundsRefused(c, r))
	r = m.Request(c)
	assert.Equal(t, []int64{at(4), at(6)}, []int64{r.Start, r.End})
	assert.False(t, m.TieBoundsRefused(c, r), "already exclusive")
	assert.False(t, m.TieBoundsRefused(c, Request{}), "not a tie read")
}

// A server that keeps returning new ids at one timestamp cannot grow the
// checkpoint past its budget: the ids past it are counted, not kept.
func TestMachineCheckpointStaysWithinBudget(t *testing.T) {
	m := NewMachine(spec(func(s *apispec.Spec) { s.Records.UnstableTies = true }), 500, 0, 0)
	c := m.Fresh("id", t0)
	require.True(t, m.Begin(c, at(10)))
	dropped := 0
	for page := 0; page < 60; page++ {
		list := make([]string, 500)
		for i := range list {
			list[i] = fmt.Sprintf("%s-%d-%d@5", strings.Repeat("x", 40), page, i)
		}
		out, err := m.Process(c, &decode.Page{Records: recs(list...)}, false)
		require.NoError(t, err)
		dropped += out.IDsDropped
		dropped += m.Apply(c, out)
		raw, err := Marshal(Clone(c.State))
		require.NoError(t, err)
		require.Less(t, len(raw), 1<<20, "page %d: checkpoint of %d bytes", page, len(raw))
	}
	assert.Positive(t, dropped, "30,000 ids at one second do not fit: some are counted as dropped")
}
