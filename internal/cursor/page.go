package cursor

import (
	"strings"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// Outcome is what one page changes, decided before anything is changed so
// that a page the pipeline refuses leaves the cursor exactly as it was.
type Outcome struct {
	// Deliver are the indexes of the page's new records, in API order.
	Deliver []int
	// Invalid records have no usable id or event time; Problem is one reason.
	Invalid int
	Problem string
	// Outside counts records beyond the requested window: the API ignores
	// (part of) its time filter.
	Outside int
	// FilterIgnored is set on the page that showed the API ignores the time
	// filter (Logto before 1.40): windows are then walked by page number.
	FilterIgnored bool
	// TieOverflow is set when a tie read came back full: more records share
	// one timestamp than the API's largest page holds, and since the API
	// orders them differently on every request some may be missed.
	TieOverflow bool
	// TieRead: the page read one timestamp alone (a tie read): a request
	// spent on a group of records that share a timestamp and filled a page.
	TieRead bool
	// TieMissing is set when a tie group was read as often as allowed
	// (TieReads times, see TieReadBound) and the ids seen still fall short
	// of the count the API reports for that timestamp: that many records
	// may be missed.
	TieMissing int
	TieReads   int
	// Held counts unfinished records (records.unfinished) younger than
	// max_pending that were not delivered: the cursor stays below them.
	Held int
	// Expired counts unfinished records delivered as they stand because
	// they are older than max_pending.
	Expired int
	// Widened is set when the page showed records out of the declared order
	// by more than the stream re-read so far: Disorder names the records
	// and how far, and the stream's disorder becomes DisorderWindow
	// (State.Disorder) once the page is applied.
	Widened        bool
	Disorder       Disorder
	DisorderWindow int64
	// Below counts records delivered from below the re-read because they
	// come before the previous walk's first record (see State.Head) or
	// before a new record (see deliverBelow).
	Below int
	// Future counts records delivered although they are dated after the
	// poll's clock plus settle (see Machine.clockBound); FutureExample is one.
	Future        int
	FutureExample Seen
	// IDsDropped counts ids the cursor could not keep within its budget
	// (see CheckpointBudget): records with those ids may be delivered again.
	IDsDropped int
	// NoNext (resume): the page had records but gave no position to
	// continue from, so the position that produced it is kept and the next
	// poll reads it again, skipping its records by id: a page more per poll.
	NoNext bool
	// Done: the walk is over once this page is applied.
	Done bool
	// Next is the position of the walk's next request.
	Next Position

	top      int64
	hasTop   bool
	edge     int64
	edgeIDs  []string
	edgeNear []Seen
	hasEdge  bool
	seenAdd  []Seen
	reread   int64
	head     string
	pastHead bool
	edgeSpan int64
	lastID   string
	disorder int64
	hold     int64
	hasHold  bool
	upper    int64
	tie      bool
	tieReads int
	tiePage  int
	// exclusiveTies: a tie read from T to T found nothing at T although the
	// walk has read records there: the API's bounds are exclusive.
	exclusiveTies bool
	// inclusiveEnd: this page showed the API's end bound is inclusive (see
	// State.InclusiveEnd).
	inclusiveEnd bool
	loops        loopUpdate
	// resume: the cursor key and the ids kept once the page is applied
	// (see State.Resume); resumeSeen nil keeps the ids as they are.
	resumeKey  int64
	resumeSeen []Seen
}

// Process decides which records of a page are new and where the walk goes
// next; it changes nothing. ended is true when the API said the page does
// not exist (past the last page). The rules, in order: records beyond the
// walk's upper bound belong to the next walk; records below the cursor's
// overlap are old (and a record a further overlap below ends a newest-first
// walk: records after it cannot be newer than the overlap unless the page
// is out of order); records seen at the cursor boundary or on the delivered
// side of the walk's edge were delivered already. Records out of the
// declared order widen the overlap for this page and the stream (see
// Disorder). An error means the page is plainly reversed (see checkReversed)
// or the walk goes round in circles (see checkLoops); the page must not be
// applied then.
func (m *Machine) Process(c *Cursor, page *decode.Page, ended bool) (Outcome, error) {
	if m.Resumes() {
		return m.processResume(c, page, ended)
	}
	walk := c.State.Walk
	newestFirst := m.newestFirst()
	recs := page.Records
	disorder, shifted, err := m.measureOrder(walk, recs)
	if err != nil {
		return Outcome{}, err
	}
	if walk.Tie && walk.Next == m.firstPosition() && !c.State.ExclusiveTies && !c.filterIgnored && !hasKey(recs, walk.Upper) {
		// A tie read from T to T came back without T, which the walk has
		// read records at: the API's bounds are exclusive. Read it again
		// from T-1 to T+1; nothing of this page is delivered. Only the
		// first page tells: a later one is empty where the API counts more
		// records than it lists.
		out := Outcome{
			top: walk.Top, hasTop: walk.HasTop, edge: walk.Edge, hasEdge: walk.HasEdge,
			edgeIDs: walk.EdgeIDs, edgeNear: walk.EdgeNear, Next: walk.Next,
			upper: walk.Upper, tie: true, tieReads: walk.TieReads, tiePage: walk.TiePage, exclusiveTies: true,
			hold: walk.Hold, hasHold: walk.HasHold, TieRead: true, edgeSpan: walk.EdgeSpan, lastID: walk.LastID,
		}
		return out, nil
	}
	out := Outcome{
		top: walk.Top, hasTop: walk.HasTop, edge: walk.Edge, hasEdge: walk.HasEdge,
		hold: walk.Hold, hasHold: walk.HasHold, TieRead: walk.Tie, disorder: c.State.Disorder, lastID: walk.LastID,
	}
	if disorder.By > 0 {
		if w := widen(disorder.By); w > c.State.Disorder {
			out.Widened, out.Disorder, out.DisorderWindow, out.disorder = true, disorder, w, w
		}
	}
	span := m.span(out.disorder)
	out.reread = walk.Reread
	if walk.Pages == 0 {
		out.reread = span
	}
	out.edgeSpan = walk.EdgeSpan
	if walk.Pages == 0 || m.continues(walk) {
		// A page read again from the first (see continues) brings back
		// records delivered anywhere in the walk: they are told apart
		// within the span the walk had, which its edge ids cover.
		// Within a walk the span follows the disorder beyond MaxDisorder,
		// which bounds only the re-read below the cursor: a record that
		// far out of order on the next page is new, not delivered.
		out.edgeSpan = max(walk.EdgeSpan, span, m.overlap+disorder.By)
	}
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Problem == "" {
			out.lastID = strings.Clone(recs[i].ID)
			break
		}
	}

	if !walk.Windowed && !out.hasTop {
		for i := range recs {
			if recs[i].Problem == "" && (!out.hasTop || recs[i].Key > out.top) {
				out.top, out.hasTop = recs[i].Key, true
			}
		}
	}
	var upper, lower, final int64
	hasUpper := true
	if walk.Windowed {
		upper, lower, final = walk.End, walk.Start, walk.End
	} else {
		upper, hasUpper = out.top, out.hasTop
		lower = max(c.State.Key-span, m.seenFrom(c.State))
		final = c.State.Key
		if out.hasTop && out.top > final {
			final = out.top
		}
		if bound, ok := m.clockBound(walk); ok && final > bound {
			final = max(c.State.Key, bound)
		}
	}
	future, checkFuture := m.clockBound(walk)
	checkFuture = checkFuture && !walk.Windowed
	seenFloor := final - span
	p := m.precision
	// An unfinished record younger than max_pending (measured from the poll
	// that began the walk) is held back. The key may then stay as low as
	// such a record, so the ids delivered down to there are collected too.
	clock := walk.Clock
	if clock == 0 {
		clock = final // a walk stored before Clock existed
	}
	pendingFloor := clock - m.maxPending
	if m.unfinished != nil {
		seenFloor = min(seenFloor, pendingFloor-m.overlap-p)
	}

	stopped := false
	// A record far below the cursor ends a newest-first walk only when no
	// record after it on the page is within reach: one that is (the page
	// showed that much disorder) may be new.
	lastInRange := -1
	for i := range recs {
		if recs[i].Problem == "" && recs[i].Key >= lower {
			lastInRange = i
		}
	}
	var below []int // unwindowed: records below the re-read, not known to be delivered
	// Records listed before the previous walk's Head are new (see
	// State.Head), within MaxDisorder below the cursor: fresh is the index
	// of the first record that is not.
	fresh := 0
	if !walk.Windowed && newestFirst && c.State.Head != "" && !walk.PastHead {
		fresh = len(recs)
		for i := range recs {
			if recs[i].Problem == "" && recs[i].ID == c.State.Head {
				fresh, out.pastHead = i, true
				break
			}
		}
	}
	if !walk.Windowed && walk.Pages == 0 {
		for i := range recs {
			if recs[i].Problem == "" {
				out.head = strings.Clone(recs[i].ID)
				break
			}
		}
	}
	var edgeIDs, nearIDs map[string]struct{}
	if walk.HasEdge {
		edgeIDs = make(map[string]struct{}, len(walk.EdgeIDs))
		for _, id := range walk.EdgeIDs {
			edgeIDs[id] = struct{}{}
		}
		nearIDs = make(map[string]struct{}, len(walk.EdgeNear))
		for _, s := range walk.EdgeNear {
			nearIDs[s.ID] = struct{}{}
		}
	}
	for i := range recs {
		r := &recs[i]
		if r.Problem != "" {
			out.Invalid++
			out.Problem = r.Problem
			continue
		}
		if hasUpper && r.Key > upper {
			if walk.Windowed && r.Key > upper+p {
				out.Outside++ // beyond what was asked: the API ignores the time filter
			}
			continue
		}
		if r.Key < lower {
			if walk.Windowed && r.Key < walk.Start-p {
				out.Outside++
			}
			_, seen := c.seen[r.ID]
			if i < fresh && i >= shifted && !seen && r.Key >= c.State.Key-int64(MaxDisorder) {
				out.Deliver = append(out.Deliver, i)
				out.Below++
				continue
			}
			if newestFirst && r.Key < lower-span && i > lastInRange && i >= fresh {
				stopped = true
				break
			}
			if !seen && !walk.Windowed && i >= shifted {
				below = append(below, i)
			}
			continue
		}
		if _, ok := c.seen[r.ID]; ok {
			continue
		}
		if walk.HasEdge {
			past := r.Key - walk.Edge // how far on the delivered side of the edge
			if !newestFirst {
				past = -past
			}
			// Records the page repeats from the previous one are told
			// apart within the span the walk had; those after them
			// within the span this page widened it to.
			edgeSpan := out.edgeSpan
			if i < shifted {
				edgeSpan = walk.EdgeSpan
			}
			switch {
			case past > edgeSpan:
				continue
			case past > 0:
				if _, ok := nearIDs[r.ID]; ok {
					continue
				}
			case past == 0:
				if _, ok := edgeIDs[r.ID]; ok {
					continue
				}
			}
		}
		if m.Unfinished(r) {
			if r.Key >= pendingFloor {
				out.Held++
				if !out.hasHold || r.Key < out.hold {
					out.hold, out.hasHold = r.Key, true
				}
				continue
			}
			out.Expired++
		}
		if checkFuture && r.Key > future {
			if out.Future == 0 {
				out.FutureExample = Seen{ID: strings.Clone(r.ID), Key: r.Key}
			}
			out.Future++
		}
		out.Deliver = append(out.Deliver, i)
	}
	if disorder.By > 0 {
		m.deliverBelow(&out, below)
	}
	m.moveEdge(walk, &out, recs, seenFloor)
	var dropped int
	out.seenAdd, dropped = capSeen(out.seenAdd, seenBudget-seenCost(walk.Seen))
	out.IDsDropped += dropped

	out.Done = stopped || ended || len(recs) == 0 || m.pager.Last(page, walk.Next, len(recs))
	out.Next = m.pager.Next(walk.Next, page, len(recs))
	out.upper, out.tie, out.tieReads, out.tiePage = walk.Upper, walk.Tie, walk.TieReads, walk.TiePage
	ignored := c.filterIgnored
	if walk.Tie && !ignored {
		for i := range recs {
			if k := recs[i].Key; recs[i].Problem == "" && (k > walk.Upper+p || k < walk.Upper-p) {
				out.Outside++
			}
		}
	}
	if out.Outside > 0 && m.spec.Records.UnstableTies && !ignored {
		// The API ignores the time filter (Logto before 1.40): bounds cannot
		// be lowered, so the walk goes on by page number from the top.
		out.FilterIgnored, ignored = true, true
		if walk.Upper != 0 {
			out.upper, out.tie = 0, false
			out.Next = m.firstPosition()
			out.Done = false
			err = m.checkLoops(c, page, &out) // before out is copied into the result
			return out, err
		}
	}
	if walk.Windowed && walk.Upper != 0 && !walk.Tie && !c.State.InclusiveEnd && !ignored && hasKey(recs, walk.Upper+p) {
		out.inclusiveEnd = true
	}
	switch {
	case walk.Tie && !ignored:
		m.afterTiePage(c, walk, &out, page, len(recs))
	case !out.Done && walk.Windowed && newestFirst && m.spec.Records.UnstableTies && !ignored:
		m.lowerUpperBound(walk, &out, recs)
	}
	err = m.checkLoops(c, page, &out)
	return out, err
}

// hasKey reports whether a usable record of recs is at key.
func hasKey(recs []decode.Record, key int64) bool {
	for i := range recs {
		if recs[i].Problem == "" && recs[i].Key == key {
			return true
		}
	}
	return false
}
