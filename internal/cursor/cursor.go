package cursor

import "hash/maphash"

// Cursor is a stream's state with what the machine keeps in memory beside
// it: the ids near the cursor as a set, what it learnt of the API's time
// filter, and what it remembers of the walk's pages to detect loops.
type Cursor struct {
	State *State
	seen  map[string]struct{}
	// filterIgnored: the API returned records outside the requested window,
	// so the bounds of a window cannot be lowered to walk it.
	filterIgnored bool
	loops         loopMemory
}

// loopMemory is what the loop guard remembers of the current walk.
type loopMemory struct {
	prevFirst, prevLast string // first and last id of the previous page
	repeats             int    // pages in a row equal to the one before
	followed            map[uint64]struct{}
	seed                maphash.Seed
}

// Resume is the cursor of a stored state.
func Resume(s *State) *Cursor {
	c := &Cursor{State: s, loops: loopMemory{seed: maphash.MakeSeed()}}
	c.rebuildSeen()
	return c
}

// Restore goes back to a saved state (a page the pipeline refused): the
// state, the ids near it and the loop memory are those of saved.
func (c *Cursor) Restore(saved *State) {
	c.State = Clone(saved)
	c.rebuildSeen()
	c.loops.forget()
}

func (c *Cursor) rebuildSeen() {
	c.seen = make(map[string]struct{}, len(c.State.Seen))
	for _, s := range c.State.Seen {
		c.seen[s.ID] = struct{}{}
	}
}

func (l *loopMemory) forget() {
	clear(l.followed)
	l.prevFirst, l.prevLast, l.repeats = "", "", 0
}

// Clone copies a state deeply enough that later pages cannot change it.
func Clone(s *State) *State {
	c := *s
	c.Seen = append([]Seen(nil), s.Seen...)
	if s.Resume != nil {
		r := *s.Resume
		c.Resume = &r
	}
	if s.Walk != nil {
		w := *s.Walk
		w.EdgeIDs = append([]string(nil), s.Walk.EdgeIDs...)
		w.EdgeNear = append([]Seen(nil), s.Walk.EdgeNear...)
		w.Seen = append([]Seen(nil), s.Walk.Seen...)
		c.Walk = &w
	}
	return &c
}
