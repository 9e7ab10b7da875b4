package cursor

import (
	"slices"
	"strings"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// deliverBelow delivers the records below the re-read that come before a
// new record on a page that showed disorder beyond the overlap. A list in
// id order (Akinon OMS) shows a record
// dated back where its id puts it: inserted after the records listed after
// it, so new if one of those is; walked past as old, a record that shows
// its disorder the first time, before the re-read widened, would be lost.
// The next walk does not deliver it again: the records after it are not
// new then.
func (m *Machine) deliverBelow(out *Outcome, below []int) {
	if len(below) == 0 || len(out.Deliver) == 0 {
		return
	}
	lastNew := out.Deliver[len(out.Deliver)-1]
	n := len(out.Deliver)
	for _, i := range below {
		if i < lastNew {
			out.Deliver = append(out.Deliver, i)
			out.Below++
		}
	}
	if len(out.Deliver) > n {
		slices.Sort(out.Deliver)
	}
}

// moveEdge moves the edge to the last key delivered in walk order, keeps
// the ids delivered at it and within the walk's edge span on its delivered
// side, and collects the delivered records close enough to the walk's end
// to be remembered by the next state. Kept ids are cloned: decoded ids share
// memory with the page, and a kept one would pin that memory for as long as
// the cursor.
func (m *Machine) moveEdge(walk *Walk, out *Outcome, recs []decode.Record, seenFloor int64) {
	newestFirst := m.newestFirst()
	out.edgeIDs, out.edgeNear = walk.EdgeIDs, walk.EdgeNear
	if len(out.Deliver) == 0 {
		return
	}
	edge, has := walk.Edge, walk.HasEdge
	for _, i := range out.Deliver {
		r := &recs[i]
		if !has || newestFirst && r.Key < edge || !newestFirst && r.Key > edge {
			edge, has = r.Key, true
		}
		if r.Key >= seenFloor {
			out.seenAdd = append(out.seenAdd, Seen{ID: strings.Clone(r.ID), Key: r.Key})
		}
	}
	near := func(k int64) bool { // within the span on the delivered side of the new edge
		past := k - edge
		if !newestFirst {
			past = -past
		}
		return past > 0 && past <= out.edgeSpan
	}
	var ids []string
	var kept []Seen
	switch {
	case walk.HasEdge && walk.Edge == edge:
		ids = append(ids, walk.EdgeIDs...)
	case walk.HasEdge && near(walk.Edge):
		for _, id := range walk.EdgeIDs {
			kept = append(kept, Seen{ID: id, Key: walk.Edge})
		}
	}
	for _, s := range walk.EdgeNear {
		if near(s.Key) {
			kept = append(kept, s)
		}
	}
	for _, i := range out.Deliver {
		r := &recs[i]
		switch {
		case r.Key == edge:
			ids = append(ids, strings.Clone(r.ID))
		case near(r.Key):
			kept = append(kept, Seen{ID: strings.Clone(r.ID), Key: r.Key})
		}
	}
	var dropped, droppedNear int
	ids, dropped = capIDs(ids, edgeIDsBudget)
	kept, droppedNear = capSeen(kept, nearBudget)
	out.edge, out.hasEdge, out.edgeIDs, out.edgeNear = edge, true, ids, kept
	out.IDsDropped += dropped + droppedNear
}
