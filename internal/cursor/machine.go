package cursor

import (
	"slices"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// Machine is the cursor logic of one API: pure transitions from a cursor
// and a decoded page to the records to deliver, the next request and the
// next state. It holds no stream, logger, clock or HTTP: the engine asks it
// what to request, hands it each page, and applies its outcome once the
// pipeline accepted the records.
type Machine struct {
	spec      *apispec.Spec
	pageSize  int
	precision int64 // the API's time unit, in ns
	overlap   int64 // how far below the cursor each window starts: one unit plus settle
	maxWindow int64 // 0: one window from the cursor to the poll's end
	pager     Pager
	// unfinished selects records that are not final yet (records.unfinished);
	// maxPending is how long, in ns, such a record is held back.
	unfinished *apispec.Unfinished
	maxPending int64
}

// NewMachine builds the machine of spec at pageSize records per request;
// settle widens the re-read below the cursor, maxWindow (when > 0) bounds
// each window of a backlog.
func NewMachine(spec *apispec.Spec, pageSize int, settle, maxWindow time.Duration) *Machine {
	p := int64(spec.Records.TimePrecision)
	return &Machine{
		spec: spec, pageSize: pageSize, precision: p, overlap: p + int64(settle), maxWindow: int64(maxWindow),
		pager:      NewPager(spec.Pagination, pageSize),
		unfinished: spec.Records.Unfinished, maxPending: int64(apispec.DefaultMaxPending),
	}
}

// SetMaxPending sets how long an unfinished record is held back (see
// records.unfinished); d <= 0 keeps apispec.DefaultMaxPending.
func (m *Machine) SetMaxPending(d time.Duration) {
	if d > 0 {
		m.maxPending = int64(d)
	}
}

// Unfinished reports whether rec is not final yet by the spec's
// records.unfinished (false when the spec declares none).
func (m *Machine) Unfinished(rec *decode.Record) bool {
	u := m.unfinished
	if u == nil || rec.Value == nil {
		return false
	}
	v := decode.Lookup(rec.Value, u.Field)
	if v == nil {
		return false
	}
	text, _ := decode.Text(v)
	return slices.Contains(u.Values, text)
}

// Precision is the API's time unit in ns.
func (m *Machine) Precision() int64 { return m.precision }

// windowed reports whether the API filters by time, so walks read closed windows.
func (m *Machine) windowed() bool { return m.spec.TimeFilter != nil }

func (m *Machine) newestFirst() bool { return m.spec.Records.Order == apispec.OrderNewestFirst }

// ClosedEnd is the newest time unit that can no longer receive records at
// now: the unit before the current one, at the API's precision.
func (m *Machine) ClosedEnd(now time.Time) int64 {
	return floorTo(now.UnixNano(), m.precision) - m.precision
}

// Fresh is a cursor with no stored state: it starts at startAt.
func (m *Machine) Fresh(identity string, startAt time.Time) *Cursor {
	return Resume(&State{Version: Version, Identity: identity, Key: floorTo(startAt.UnixNano(), m.precision)})
}

// Behind reports whether a windowed cursor has time left to read up to
// until (more windows of at most max_window). A key held below an
// unfinished record is behind only once time past the last window closed.
func (m *Machine) Behind(c *Cursor, until int64) bool {
	return m.windowed() && !m.Resumes() && until > max(c.State.Key, c.State.Reached)
}

// Begin opens the next walk: a window from the cursor up to until (or at
// most max_window of it), or a newest-first walk down to the cursor. One
// window over the whole backlog costs what its records need, however long it
// spans. It returns false when there is nothing to read yet.
func (m *Machine) Begin(c *Cursor, until int64) bool {
	span := m.span(c.State.Disorder)
	if m.Resumes() {
		m.beginResume(c, until, span)
		return true
	}
	if !m.windowed() {
		c.State.Walk = &Walk{Next: m.firstPosition(), EdgeSpan: span, Reread: span, Clock: until}
		return true
	}
	// A key held below an unfinished record re-reads from there, and the
	// window still has to reach past the previous one's end to make progress.
	key := c.State.Key
	reached := max(key, c.State.Reached)
	end := until
	if m.maxWindow > 0 && end-reached > m.maxWindow {
		end = floorTo(reached+m.maxWindow, m.precision)
	}
	if end <= reached {
		return false
	}
	c.State.Walk = &Walk{
		Windowed: true, Start: m.rereadFrom(c.State), End: end, Next: m.firstPosition(), EdgeSpan: span, Reread: span, Clock: until,
	}
	return true
}

// rereadFrom is the lowest key a walk re-reads: its disorder's span below
// the cursor, but not below SeenFrom.
func (m *Machine) rereadFrom(st *State) int64 {
	return max(st.Key-m.span(st.Disorder), m.seenFrom(st))
}

func (m *Machine) seenFrom(st *State) int64 {
	if st.SeenFrom != 0 {
		return st.SeenFrom
	}
	return st.Key - m.span(st.Disorder)
}

// span is how far below the cursor a walk re-reads, and how far on the
// delivered side of a walk's edge records are told apart by id: the overlap,
// widened by the stream's disorder (see Disorder).
func (m *Machine) span(disorder int64) int64 {
	return m.overlap + min(max(disorder, 0), int64(MaxDisorder))
}

// clockBound is the highest key a walk that began at clock may move the
// cursor to: the clock plus settle. A record dated later (a vendor's clock,
// a bad import) is delivered, and its id kept while it stays above the
// cursor, but it does not take the cursor past the records dated before it.
// ok is false for a walk stored before Walk.Clock existed.
func (m *Machine) clockBound(walk *Walk) (bound int64, ok bool) {
	if walk.Clock == 0 {
		return 0, false
	}
	return walk.Clock + m.overlap - m.precision, true
}

func (m *Machine) firstPosition() Position { return m.pager.First() }

// Request is everything that decides one page request. It is comparable,
// so a request fetched ahead can be matched with the one the walk needs.
type Request struct {
	Position Position
	Windowed bool
	// Tie: the request reads one timestamp alone (a tie read).
	Tie bool
	// Start and End are the time bounds to send, in ns.
	Start, End int64
	// OpenEnd: the request has no end bound ({{window_end}} renders
	// empty): the first request of a walk with resume reads from Start on.
	OpenEnd  bool
	PageSize int
}

// Request is the next request of c's walk.
func (m *Machine) Request(c *Cursor) Request {
	w := c.State.Walk
	return m.request(w, w.Next, w.Upper, w.Tie, c.State.ExclusiveTies, c.State.InclusiveEnd)
}

// NextRequest is the request after the page whose outcome is out: what the
// walk asks for once out is applied, so it can be fetched ahead.
func (m *Machine) NextRequest(c *Cursor, out *Outcome) Request {
	return m.request(c.State.Walk, out.Next, out.upper, out.tie, c.State.ExclusiveTies || out.exclusiveTies, c.State.InclusiveEnd || out.inclusiveEnd)
}

func (m *Machine) request(w *Walk, pos Position, upper int64, tie, exclusiveTies, inclusiveEnd bool) Request {
	r := Request{Position: pos, PageSize: m.pageSize}
	if m.Resumes() {
		return m.resumeRequest(w, r)
	}
	if pos.URL != "" || !w.Windowed {
		return r
	}
	// With upper set, everything above it was read; the bound sits one unit
	// higher so that an exclusive filter still returns upper itself, unless
	// the API showed its end bound is inclusive.
	r.Windowed, r.Start, r.End = true, w.Start, w.End
	switch {
	case tie:
		// A tie read asks for the timestamp alone: from T to T where the
		// bounds are inclusive (Logto 1.42 on), from T-1 to T+1 where they
		// are exclusive (Logto 1.40-1.41). Which one holds is learnt from the
		// API (see TieBoundsRefused).
		r.Tie, r.PageSize = true, m.tiePageSize()
		r.Start, r.End = upper, upper
		if exclusiveTies {
			r.Start, r.End = upper-m.precision, upper+m.precision
		}
	case upper != 0 && inclusiveEnd:
		r.End = upper
	case upper != 0:
		r.End = upper + m.precision
	}
	return r
}

// TieBoundsRefused is called when the API refused a tie read from T to T
// (Logto 1.40-1.41 answers 400 when start >= end). It switches the cursor
// to exclusive tie reads and reports whether that is new; when it is not,
// the refusal is a real error.
func (m *Machine) TieBoundsRefused(c *Cursor, r Request) bool {
	if !r.Tie || c.State.ExclusiveTies {
		return false
	}
	c.State.ExclusiveTies = true
	return true
}

func floorTo(v, unit int64) int64 {
	if unit <= 1 {
		return v
	}
	r := v % unit
	if r < 0 {
		r += unit
	}
	return v - r
}
