package cursor

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

func unfiltered(s *apispec.Spec) { s.TimeFilter = nil }

func oldestFirst(s *apispec.Spec) { s.Records.Order = apispec.OrderOldestFirst }

func nextLinks(s *apispec.Spec) {
	s.TimeFilter = nil
	s.Pagination = apispec.Pagination{Type: apispec.PaginationNextURL}
}

// widened checks that a page widened the stream's disorder to window
// seconds because of record after (at its second) coming after before.
func widened(window int, before, after string) func(t *testing.T, out Outcome) {
	return func(t *testing.T, out Outcome) {
		t.Helper()
		require.True(t, out.Widened, "the page widened the stream's disorder")
		assert.Equal(t, int64(window)*int64(time.Second), out.DisorderWindow)
		assert.Equal(t, before, out.Disorder.Before.ID)
		assert.Equal(t, after, out.Disorder.After.ID)
		assert.Equal(t, int64(window/2)*int64(time.Second), out.Disorder.By, "half the window: twice the disorder is re-read")
	}
}

func notWidened(t *testing.T, out Outcome) { assert.False(t, out.Widened, "nothing new to say") }

// Records out of the declared order are delivered, every one: the page's
// disorder widens the span the walk tells records apart by id in, and the
// stream re-reads twice the largest disorder below its cursor from then on.
// The overlap is one second here (no settle): disorders of one second are
// absorbed without widening.
func TestMachineDisorder(t *testing.T) {
	win := func(start, end int, page int, read ...int) *Request {
		r := &Request{Position: Position{Page: page}, Windowed: true, Start: at(start), End: at(end), PageSize: 3}
		if len(read) > 0 {
			r.Position.Read = read[0]
		}
		return r
	}
	cases := []machineCase{
		{
			name: "newest first with a time filter: a record newer than the one before it is delivered; the next window starts twice the disorder lower",
			spec: spec(nil), until: 20,
			steps: []step{
				{want: win(-1, 20, 1), page: recs("e@15", "a@5", "d@14"), deliver: "e a d", flags: widened(18, "a", "d")},
				{page: recs("c@13", "b@12"), deliver: "c b", done: true, flags: notWidened},
				// the next poll: l (dated 4, below the cursor at 20) appeared
				// late, as an API that orders by id shows it can: it is
				// read because the window starts twice the disorder lower
				{until: 40, want: win(1, 40, 1), page: recs("l@4", "n@30", "e@15"), deliver: "l n", flags: widened(52, "l", "n")},
				{page: recs("d@14", "c@13", "b@12"), flags: notWidened},
				{page: recs("a@5"), done: true},
			},
			key: 40, disorder: 52,
		},
		{
			name: "newest first with a time filter: disorder across a page boundary is measured against the walk's edge",
			spec: spec(nil), until: 10,
			steps: []step{
				{page: recs("c@9", "b@8", "x@2"), deliver: "c b x"},
				// a and z are new; a is 5 s newer than x, the edge
				{page: recs("a@7", "z@1"), deliver: "a z", done: true, flags: widened(10, "x", "a")},
			},
			key: 10, disorder: 10,
		},
		{
			name: "a page that repeats the end of the previous one (the list shifted) is measured after it, and the records it repeats stay delivered",
			spec: spec(nil), until: 10,
			steps: []step{
				{page: recs("c@9", "b@8", "x@2"), deliver: "c b x"},
				// b and x were on the previous page: b is 6 s past the edge,
				// beyond the span the walk had, and not delivered again
				{page: recs("b@8", "x@2", "a@7"), deliver: "a", flags: widened(10, "x", "a")},
				{page: recs("z@1"), deliver: "z", done: true},
			},
			key: 10, disorder: 10,
		},
		{
			// The disorder showed on the second page: records the first
			// delivered below the widened span were not kept, so the next
			// window starts where ids were kept (19), and the one after it
			// the widened span below the cursor.
			name: "oldest first with a time filter",
			spec: spec(oldestFirst), until: 20,
			steps: []step{
				{page: recs("a@2", "b@3", "x@9"), deliver: "a b x"},
				{page: recs("c@4", "d@5"), deliver: "c d", done: true, flags: widened(10, "x", "c")},
				{until: 30, want: win(19, 30, 1), page: recs("n@25"), deliver: "n", done: true},
				{until: 60, want: win(19, 60, 1), page: recs("n@25", "l@21", "o@50"), size: 4, deliver: "l o", done: true},
			},
			key: 60, disorder: 10,
		},
		{
			name: "oldest first: a record older than the one before it on the same page",
			spec: spec(oldestFirst), until: 20,
			steps: []step{
				{page: recs("a@2", "x@12", "b@3"), size: 4, deliver: "a x b", done: true, flags: widened(18, "x", "b")},
			},
			key: 20, disorder: 18,
		},
		{
			// Akinon OMS: a record with a higher id is 20 s older than the
			// one after it. Before, every poll failed on this page for good.
			name: "newest first without a time filter: the walk goes on past the disorder, and the next walk re-reads twice it below the cursor",
			spec: spec(unfiltered), until: 50,
			state: &State{Key: at(10)},
			steps: []step{
				{page: recs("p@40", "l@20", "o@39"), deliver: "p l o", flags: widened(38, "l", "o")},
				{page: recs("k@15"), deliver: "k", done: true},
				// r is dated 35 s below the cursor (40): within the widened re-read
				{until: 60, page: recs("q@55", "r@5"), deliver: "q r", done: true, flags: notWidened},
			},
			key: 55, disorder: 38,
		},
		{
			name: "without a time filter the walk stops only twice the widened span below the cursor",
			spec: spec(unfiltered), until: 100,
			state: &State{Key: at(50), Disorder: int64(20 * time.Second)},
			steps: []step{
				// the span is 21 s: s (below the re-read, from 29) does not
				// stop the walk, which stops below 8; t after it is new, and
				// so is s, listed before it (an API in id order inserted s
				// after t)
				{page: recs("p@60", "s@28", "t@35"), deliver: "p s t", flags: func(t *testing.T, out Outcome) {
					assert.False(t, out.Widened)
					assert.Equal(t, 1, out.Below)
				}},
				{page: recs("u@27", "v@5", "w@6"), deliver: "", done: true},
			},
			key: 60, disorder: 20,
		},
		{
			name: "next links without a time filter",
			spec: spec(nextLinks), until: 50,
			state: &State{Key: at(10)},
			steps: []step{
				{page: recs("p@40", "l@20"), next: "https://api/p2", deliver: "p l"},
				{page: recs("o@39", "k@15"), next: "", deliver: "o k", done: true, flags: widened(38, "l", "o")},
			},
			key: 40, disorder: 38,
		},
		{
			name: "a disorder beyond MaxDisorder widens to MaxDisorder and still delivers the page",
			spec: spec(unfiltered), until: 10000,
			steps: []step{
				{page: recs("a@100", "b@7300"), deliver: "a b", done: true, flags: func(t *testing.T, out Outcome) {
					assert.True(t, out.Widened)
					assert.Equal(t, int64(MaxDisorder), out.DisorderWindow)
				}},
			},
			key: 7300, disorder: 900,
		},
		{
			name: "a disorder beyond MaxDisorder across a page boundary: the record on the next page is delivered",
			spec: spec(unfiltered), until: 4000,
			steps: []step{
				{page: recs("c@3000", "b@2000", "x@100"), deliver: "c b x"},
				{page: recs("a@1500", "z@50"), deliver: "a z", done: true, flags: func(t *testing.T, out Outcome) {
					assert.Equal(t, int64(MaxDisorder), out.DisorderWindow)
					assert.Equal(t, int64(1400*time.Second), out.Disorder.By)
				}},
			},
			key: 3000, disorder: 900,
		},
		{
			name: "a disorder the stream re-reads already says nothing new",
			spec: spec(unfiltered), until: 100, state: &State{Key: at(1), Disorder: int64(30 * time.Second)},
			steps: []step{
				{page: recs("a@50", "b@40", "c@45"), size: 4, deliver: "a b c", done: true, flags: notWidened},
			},
			key: 50, disorder: 30,
		},
		{
			// The OMS once caught up: the slow request's record
			// has the highest id, so it is listed first, 20 s below the
			// cursor, before the re-read widened. It was inserted after the
			// records listed after it, which are new: so is it.
			name: "the first sign of a disorder in a caught-up stream: the record dated back is delivered",
			spec: spec(unfiltered), until: 60,
			state: &State{Key: at(50)},
			steps: []step{
				{page: recs("l@30", "n@55", "m@52", "k@40"), size: 5, deliver: "l n m", done: true, flags: func(t *testing.T, out Outcome) {
					widened(50, "l", "n")(t, out)
					assert.Equal(t, 1, out.Below)
				}},
				// the next walk: nothing new after it, so it is not delivered again
				{until: 70, page: recs("o@65", "l@30", "n@55", "m@52"), size: 5, deliver: "o", done: true},
			},
			key: 65, disorder: 50,
		},
		{
			// The same once the stream knows the head of its last walk: the
			// slow request's record comes after the new ones, before that
			// head, so it was inserted since.
			name: "a record listed before the previous walk's first record is new, however far below the cursor",
			spec: spec(unfiltered), until: 60,
			state: &State{Key: at(40)},
			steps: []step{
				{page: recs("j@48", "i@46"), deliver: "j i", done: true},
				{until: 100, page: recs("n2@95", "n1@90", "l@28", "j@48", "i@46"), size: 6, deliver: "n2 n1 l", done: true, flags: func(t *testing.T, out Outcome) {
					widened(40, "l", "j")(t, out)
					assert.Equal(t, 1, out.Below)
				}},
				// the next walk: l comes after the head (n2), nothing new but n3
				{until: 120, page: recs("n3@110", "n2@95", "n1@90", "l@28", "j@48"), size: 6, deliver: "n3", done: true},
			},
			key: 110, disorder: 40,
		},
		{
			name: "a record dated far back at the top of the list does not stop the walk",
			spec: spec(unfiltered), until: 6000,
			state: &State{Key: at(5000)},
			steps: []step{
				{page: recs("l@100", "n@5010", "m@5005"), size: 4, deliver: "l n m", done: true, flags: func(t *testing.T, out Outcome) {
					assert.True(t, out.Widened)
					assert.Equal(t, int64(MaxDisorder), out.DisorderWindow)
				}},
				{until: 6100, page: recs("o@5020", "l@100", "n@5010", "m@5005"), size: 5, deliver: "o", done: true},
				{until: 6200, page: recs("q@5030", "o@5020", "l@100", "n@5010"), size: 5, deliver: "q", done: true},
			},
			key: 5030, disorder: 900,
		},
		{
			name: "a record dated ahead of the clock in a list in id order is no disorder",
			spec: spec(unfiltered), until: 10,
			state: &State{Key: at(5)},
			steps: []step{
				{page: recs("n@9", "f@3600", "c@8"), size: 4, deliver: "n f c", done: true, flags: func(t *testing.T, out Outcome) {
					assert.False(t, out.Widened)
					assert.Equal(t, 1, out.Future)
				}},
			},
			key: 10,
		},
		{
			// More than a page of records arrived between two requests of a
			// walk without a time filter: page 2 starts with them, newer
			// than anything page 1 showed. Growth, read by the next walk.
			name: "records that arrived during a newest-first walk and were pushed onto its next page are no disorder",
			spec: spec(unfiltered), until: 100,
			state: &State{Key: at(10)},
			steps: []step{
				{page: recs("c@60", "b@50", "a@40"), deliver: "c b a"},
				// records arrived: g2 and g1 (the next walk's) and c (read
				// already, pushed down) land here
				{page: recs("g2@98", "g1@97", "c@60"), flags: notWidened},
				{page: recs("z@5"), done: true, flags: notWidened},
			},
			key: 60,
		},
		{
			name: "a short page in the reverse order is disorder, delivered",
			spec: spec(nil), until: 20,
			steps: []step{
				{page: recs("a@1", "b@2", "c@3", "d@4"), size: 5, deliver: "a b c d", done: true, flags: widened(6, "a", "d")},
			},
			key: 20, disorder: 6,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runMachine(t, tc) })
	}
}

// A page plainly in the reverse of the declared order (nine in ten of at
// least eight neighboring pairs of distinct times) is a wrong spec: the
// poll fails, names what was seen, and changes nothing, however often the
// page comes back.
func TestMachineReversedPageFails(t *testing.T) {
	for name, tc := range map[string]struct {
		order string
		page  []decode.Record
		err   string
	}{
		"newest first declared": {
			order: apispec.OrderNewestFirst,
			page:  recs("a@1", "b@2", "c@3", "d@4", "e@5", "f@6", "g@7", "h@8", "i@9"),
			err:   "declares newest first, but 8 of the 8 neighboring records of distinct times on this page are each newer than the one before",
		},
		"oldest first declared, with ties and one pair in order": {
			order: apispec.OrderOldestFirst,
			page:  recs("k@20", "j@19", "i@18", "h@17", "g@16", "f@15", "e@14", "d@13", "d2@13", "c@12", "b@11", "a@10", "z@30", "y@29", "x@28", "w@27", "v@26", "u@25", "t@24", "s@23", "r@22", "q@21"),
			err:   "declares oldest first, but 19 of the 20 neighboring records",
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := NewMachine(spec(func(s *apispec.Spec) { s.Records.Order = tc.order }), 3, 0, 0)
			c := m.Fresh("id", t0)
			require.True(t, m.Begin(c, at(40)))
			before := Clone(c.State)
			page := &decode.Page{Records: tc.page, Size: 3}
			out, err := m.Process(c, page, false)
			require.ErrorIs(t, err, ErrOrder)
			assert.Contains(t, err.Error(), tc.err)
			assert.Contains(t, err.Error(), "records.order")
			assert.Empty(t, out.Deliver)
			assert.Equal(t, before, c.State, "nothing moved")
			_, again := m.Process(c, page, false)
			require.ErrorIs(t, again, ErrOrder, "the same page fails again: never skipped")
		})
	}
}

// A cursor never moves past the clock of the poll that began its walk plus
// settle. A record dated ahead is delivered once: an API with a time filter
// returns it in the window that reaches its date; a walk without one
// delivers it at once and keeps its id while it stays above the cursor, and
// the records dated before it keep flowing.
func TestMachineClockBound(t *testing.T) {
	win := func(start, end int) *Request {
		return &Request{Position: Position{Page: 1}, Windowed: true, Start: at(start), End: at(end), PageSize: 3}
	}
	future := func(n int, id string) func(t *testing.T, out Outcome) {
		return func(t *testing.T, out Outcome) {
			assert.Equal(t, n, out.Future)
			assert.Equal(t, id, out.FutureExample.ID)
		}
	}
	cases := []machineCase{
		{
			// Tines action logs: before, the cursor moved to the future
			// record and the stream read nothing dated before it.
			name: "newest first without a time filter",
			spec: spec(unfiltered), until: 10,
			state: &State{Key: at(5)},
			steps: []step{
				{page: recs("f@3600", "c@9", "b@8"), deliver: "f c b", flags: future(1, "f")},
				{page: recs("a@6", "z@2"), deliver: "a", done: true},
				// the next poll: g is new, f is not delivered again
				{until: 20, page: recs("f@3600", "g@15", "c@9"), deliver: "g", flags: future(0, "")},
				{page: recs("b@8", "a@6", "z@2"), deliver: "", done: true},
				{until: 30, page: recs("f@3600", "h@25", "g@15"), deliver: "h", done: true},
			},
			key: 30, seen: "f",
		},
		{
			name: "newest first without a time filter, with settle: the clock plus settle",
			spec: spec(unfiltered), until: 10, settle: 2 * time.Second,
			state: &State{Key: at(5)},
			steps: []step{
				{page: recs("f@3600", "c@9"), size: 3, deliver: "f c", done: true, flags: future(1, "f")},
			},
			key: 12,
		},
		{
			name: "next links without a time filter",
			spec: spec(nextLinks), until: 10,
			state: &State{Key: at(5)},
			steps: []step{
				{page: recs("f@3600", "c@9"), next: "https://api/p2", deliver: "f c", flags: future(1, "f")},
				{page: recs("b@8", "z@1"), next: "https://api/p3", deliver: "b", done: true},
				{until: 20, page: recs("f@3600", "g@15", "c@9"), next: "", deliver: "g", done: true},
			},
			key: 20,
		},
		{
			name: "newest first with a time filter: the window ends at the clock, and the record comes in the window that reaches its date",
			spec: spec(nil), until: 10,
			steps: []step{
				{want: win(-1, 10), page: recs("c@9", "b@8"), deliver: "c b", done: true},
				{until: 20, want: win(9, 20), page: recs("g@15"), deliver: "g", done: true},
				{until: 3601, want: win(19, 3601), page: recs("f@3600"), deliver: "f", done: true},
				{until: 3700, want: win(3600, 3700), page: recs("f@3600"), deliver: "", done: true},
			},
			key: 3700,
		},
		{
			name: "newest first with a time filter the API ignores: the record is outside the window until the clock reaches it",
			spec: spec(func(s *apispec.Spec) { s.Records.UnstableTies = true }), until: 10,
			steps: []step{
				{page: recs("f@3600", "c@9", "b@8"), deliver: "c b", flags: func(t *testing.T, out Outcome) { assert.Equal(t, 1, out.Outside) }},
				{page: nil, done: true},
				{until: 20, page: recs("f@3600", "g@15", "c@9"), deliver: "g"},
				{page: recs("b@8"), done: true},
				{until: 3601, page: recs("f@3600", "g@15", "c@9"), deliver: "f", done: true},
			},
			key: 3601,
		},
		{
			name: "oldest first with a time filter",
			spec: spec(oldestFirst), until: 10,
			steps: []step{
				{want: win(-1, 10), page: recs("a@2", "b@9"), deliver: "a b", done: true},
				{until: 20, want: win(9, 20), page: recs("c@12"), deliver: "c", done: true},
				{until: 3601, want: win(19, 3601), page: recs("f@3600"), deliver: "f", done: true},
			},
			key: 3601,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { runMachine(t, tc) })
	}
}

// A cursor stored before Disorder, LastID and Clock existed (the previous
// format of version 1) loads and resumes its walk: nothing delivered twice,
// the records out of order after it delivered.
func TestMachineResumesAPreviousFormat(t *testing.T) {
	raw := `{"version":1,"identity":"id","key":` + i64(at(0)) + `,"seen":[{"id":"s","key":` + i64(at(0)) + `}],` +
		`"walk":{"windowed":true,"start":` + i64(at(-1)) + `,"end":` + i64(at(10)) + `,"next":{"page":2,"read":3},` +
		`"edge":` + i64(at(6)) + `,"edge_ids":["b"],"has_edge":true,"edge_span":1000000000,"edge_near":[{"id":"c","key":` + i64(at(7)) + `}],` +
		`"seen":[{"id":"d","key":` + i64(at(9)) + `}],"pages":1},"updated_at":1}`
	st, err := Unmarshal([]byte(raw))
	require.NoError(t, err)
	assert.Zero(t, st.Disorder)
	m := NewMachine(spec(nil), 3, 0, 0)
	c := Resume(st)
	assert.Equal(t, Request{Position: Position{Page: 2, Read: 3}, Windowed: true, Start: at(-1), End: at(10), PageSize: 3}, m.Request(c))
	// c and b shifted down from page 1; x is out of order, 3 s past the edge
	page := &decode.Page{Records: recs("c@7", "b@6", "x@9", "a@5"), Size: 4}
	out, err := m.Process(c, page, false)
	require.NoError(t, err)
	assert.Equal(t, "x a", ids(page, out.Deliver))
	m.Apply(c, out)
	assert.Equal(t, int64(6*time.Second), c.State.Disorder)
	b, err := Marshal(c.State)
	require.NoError(t, err)
	again, err := Unmarshal(b)
	require.NoError(t, err)
	assert.Equal(t, c.State, again)
	assert.Contains(t, string(b), `"disorder":6000000000`)
}

func i64(v int64) string { return strconv.FormatInt(v, 10) }
