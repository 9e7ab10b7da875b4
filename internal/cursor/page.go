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
	// Done: the walk is over once this page is applied.
	Done bool
	// Next is the position of the walk's next request.
	Next Position

	top     int64
	hasTop  bool
	edge    int64
	edgeIDs []string
	hasEdge bool
	seenAdd []Seen
	upper   int64
	tie     bool
	loops   loopUpdate
}

// Process decides which records of a page are new and where the walk goes
// next; it changes nothing. ended is true when the API said the page does
// not exist (past the last page). The rules, in order: records beyond the
// walk's upper bound belong to the next walk; records below the cursor's
// overlap are old (and end a newest-first walk); records seen at the cursor
// boundary or on the delivered side of the walk's edge were delivered
// already. An error means the walk goes round in circles (see checkLoops);
// the page must not be applied then.
func (m *Machine) Process(c *Cursor, page *decode.Page, ended bool) (Outcome, error) {
	walk := c.State.Walk
	newestFirst := m.newestFirst()
	recs := page.Records
	out := Outcome{top: walk.Top, hasTop: walk.HasTop, edge: walk.Edge, hasEdge: walk.HasEdge}

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
		lower = c.State.Key - m.overlap
		final = c.State.Key
		if out.hasTop && out.top > final {
			final = out.top
		}
	}
	seenFloor := final - m.overlap
	p := m.precision

	stopped := false
	var edgeIDs map[string]struct{}
	if walk.HasEdge {
		edgeIDs = make(map[string]struct{}, len(walk.EdgeIDs))
		for _, id := range walk.EdgeIDs {
			edgeIDs[id] = struct{}{}
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
			if newestFirst {
				stopped = true
				break
			}
			continue
		}
		if _, ok := c.seen[r.ID]; ok {
			continue
		}
		if walk.HasEdge {
			if newestFirst && r.Key > walk.Edge || !newestFirst && r.Key < walk.Edge {
				continue
			}
			if _, ok := edgeIDs[r.ID]; ok && r.Key == walk.Edge {
				continue
			}
		}
		out.Deliver = append(out.Deliver, i)
	}
	m.moveEdge(walk, &out, recs, seenFloor)

	out.Done = stopped || ended || len(recs) == 0 || m.pager.Last(page, len(recs))
	out.Next = m.pager.Next(walk.Next, page, len(recs))
	out.upper, out.tie = walk.Upper, walk.Tie
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
			err := m.checkLoops(c, page, &out) // before out is copied into the result
			return out, err
		}
	}
	switch {
	case walk.Tie && !ignored:
		m.afterTiePage(walk, &out, page, len(recs))
	case !out.Done && walk.Windowed && newestFirst && m.spec.Records.UnstableTies && !ignored:
		m.lowerUpperBound(walk, &out, recs)
	}
	err := m.checkLoops(c, page, &out)
	return out, err
}

// moveEdge moves the edge to the last key delivered in walk order, and
// collects the delivered records close enough to the walk's end to be
// remembered by the next state. Kept ids are cloned: decoded ids share
// memory with the page, and a kept one would pin that memory for as long as
// the cursor.
func (m *Machine) moveEdge(walk *Walk, out *Outcome, recs []decode.Record, seenFloor int64) {
	newestFirst := m.newestFirst()
	out.edgeIDs = walk.EdgeIDs
	shared := true // out.edgeIDs is still the walk's own slice
	for _, i := range out.Deliver {
		r := &recs[i]
		switch {
		case !out.hasEdge || newestFirst && r.Key < out.edge || !newestFirst && r.Key > out.edge:
			out.edge, out.hasEdge = r.Key, true
			out.edgeIDs, shared = []string{strings.Clone(r.ID)}, false
		case r.Key == out.edge:
			if shared {
				out.edgeIDs, shared = append([]string(nil), out.edgeIDs...), false
			}
			out.edgeIDs = append(out.edgeIDs, strings.Clone(r.ID))
		}
		if r.Key >= seenFloor {
			out.seenAdd = append(out.seenAdd, Seen{ID: strings.Clone(r.ID), Key: r.Key})
		}
	}
}
