package cursor

// Apply moves the cursor by a page's outcome, once the pipeline accepted
// the page's records. When the walk is done, the cursor key moves to the end
// of the window (or the top of a newest-first walk) and keeps the ids
// delivered within the overlap below it.
func (m *Machine) Apply(c *Cursor, out Outcome) {
	walk := c.State.Walk
	walk.Next = out.Next
	walk.Upper, walk.Tie = out.upper, out.tie
	walk.Pages++
	walk.Top, walk.HasTop = out.top, out.hasTop
	walk.Edge, walk.EdgeIDs, walk.HasEdge, walk.EdgeNear = out.edge, out.edgeIDs, out.hasEdge, out.edgeNear
	walk.Seen = append(walk.Seen, out.seenAdd...)
	c.filterIgnored = c.filterIgnored || out.FilterIgnored
	c.loops.apply(out.loops)
	if !out.Done {
		return
	}
	key := c.State.Key
	switch {
	case walk.Windowed:
		key = walk.End
	case walk.HasTop && walk.Top > key:
		key = walk.Top
	}
	floor := key - m.overlap
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
	c.State.Key, c.State.Seen, c.State.Walk = key, merged, nil
	c.seen = ids
	c.loops.forget()
}
