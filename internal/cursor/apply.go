package cursor

// Apply moves the cursor by a page's outcome, once the pipeline accepted
// the page's records. When the walk is done, the cursor key moves to the end
// of the window (or the top of a newest-first walk) and keeps the ids
// delivered within the overlap below it.
// It returns how many ids the new state could not keep within its budget.
func (m *Machine) Apply(c *Cursor, out Outcome) (dropped int) {
	if m.Resumes() {
		return m.applyResume(c, out)
	}
	walk := c.State.Walk
	walk.Next = out.Next
	walk.Upper, walk.Tie, walk.TieReads, walk.TiePage = out.upper, out.tie, out.tieReads, out.tiePage
	c.State.ExclusiveTies = c.State.ExclusiveTies || out.exclusiveTies
	c.State.InclusiveEnd = c.State.InclusiveEnd || out.inclusiveEnd
	walk.Pages++
	walk.Top, walk.HasTop = out.top, out.hasTop
	walk.Edge, walk.EdgeIDs, walk.HasEdge, walk.EdgeNear = out.edge, out.edgeIDs, out.hasEdge, out.edgeNear
	walk.Seen = append(walk.Seen, out.seenAdd...)
	walk.EdgeSpan = max(walk.EdgeSpan, out.edgeSpan)
	if out.reread != 0 {
		walk.Reread = out.reread
	}
	if out.lastID != "" {
		walk.LastID = out.lastID
	}
	if out.head != "" {
		walk.Head = out.head
	}
	walk.PastHead = walk.PastHead || out.pastHead
	c.State.Disorder = max(c.State.Disorder, out.disorder)
	walk.Hold, walk.HasHold = out.hold, out.hasHold
	c.filterIgnored = c.filterIgnored || out.FilterIgnored
	c.loops.apply(out.loops)
	if !out.Done {
		return 0
	}
	key := c.State.Key
	switch {
	case walk.Windowed:
		key = walk.End
	case walk.HasTop && walk.Top > key:
		key = walk.Top
		if bound, ok := m.clockBound(walk); ok && key > bound {
			key = max(c.State.Key, bound) // a record dated ahead of the clock
		}
	}
	reached := int64(0)
	if walk.HasHold && walk.Hold-m.precision < key {
		// An unfinished record was held back: the key stays below it (never
		// below where it was, whose window starts low enough to read it
		// again), and the ids delivered above it stay in Seen.
		if walk.Windowed {
			reached = key
		}
		key = max(c.State.Key, walk.Hold-m.precision)
	}
	floor := key - m.span(c.State.Disorder)
	merged := make([]Seen, 0, len(c.State.Seen)+len(walk.Seen))
	ids := make(map[string]struct{}, cap(merged))
	for _, list := range [][]Seen{walk.Seen, c.State.Seen} {
		for _, s := range list {
			if _, dup := ids[s.ID]; s.Key >= floor && !dup {
				ids[s.ID] = struct{}{}
				merged = append(merged, s)
			}
		}
	}
	kept, dropped := capSeen(merged, seenBudget)
	for _, s := range merged[len(kept):] {
		delete(ids, s.ID)
	}
	merged = kept
	if walk.Head != "" {
		c.State.Head = walk.Head
	}
	reread := walk.Reread
	if reread == 0 {
		reread = m.overlap
	}
	seenFrom := min(max(m.seenFrom(c.State), key-reread), key-m.overlap)
	c.State.Key, c.State.Seen, c.State.Walk, c.State.Reached, c.State.SeenFrom = key, merged, nil, reached, seenFrom
	c.seen = ids
	c.loops.forget()
	return dropped
}
