package cursor

import (
	"strings"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// A spec with resume (apispec.Resume) reads an oldest-first feed by
// position: each walk starts where the last one stopped, at the position
// the server gave (State.Resume), and only the first walk of all, or the
// one after the API refused a stored position, starts with the spec's
// first request from a time. What is new is decided by id alone: a record
// the server lists after a position is new whatever its time, except the
// ids kept in Seen (the last page read, and the records delivered within
// the overlap below the key).

// Resumes reports whether the spec continues from the server's position.
func (m *Machine) Resumes() bool { return m.spec.Resume != nil }

// Continues reports whether pos continues from a position the server gave
// (a cursor, a next link, the last record's id) rather than being the
// spec's first request.
func Continues(pos Position) bool { return pos.URL != "" || pos.Cursor != "" || pos.After != "" }

// samePlace reports whether two positions lead to the same page.
func samePlace(a, b Position) bool {
	return a.URL == b.URL && a.Cursor == b.Cursor && a.After == b.After
}

// beginResume opens a walk from the stored position, or, without one, from
// the spec's first request at the cursor key less the overlap.
func (m *Machine) beginResume(c *Cursor, until, span int64) {
	w := &Walk{Clock: until, EdgeSpan: span, Reread: span}
	if p := c.State.Resume; p != nil && Continues(*p) {
		w.Next = *p
	} else {
		w.Next, w.FromTime, w.Start = m.firstPosition(), true, m.rereadFrom(c.State)
	}
	c.State.Walk = w
}

// resumeRequest is the request at r.Position: the first request reads from
// the walk's start with no end ({{window_end}} is refused by validation).
func (m *Machine) resumeRequest(w *Walk, r Request) Request {
	if !Continues(r.Position) && m.spec.TimeFilter != nil {
		r.Windowed, r.Start, r.OpenEnd = true, w.Start, true
	}
	return r
}

// processResume is Process for a spec with resume. The walk ends on an
// empty page, a "has more" flag saying no, an answer without a position to
// continue from, or a position that does not move (an inclusive "after id"
// that repeats its record, a link that points at itself).
func (m *Machine) processResume(c *Cursor, page *decode.Page, ended bool) (Outcome, error) {
	walk := c.State.Walk
	recs := page.Records
	var out Outcome
	bound, hasBound := m.clockBound(walk)
	top := c.State.Key
	lastID := ""
	var pageIDs []Seen
	onPage := make(map[string]struct{}, len(recs))
	for i := range recs {
		r := &recs[i]
		if r.ID != "" {
			lastID = r.ID
		}
		if r.Problem != "" {
			out.Invalid++
			out.Problem = r.Problem
			continue
		}
		if _, dup := onPage[r.ID]; dup {
			continue
		}
		onPage[r.ID] = struct{}{}
		pageIDs = append(pageIDs, Seen{ID: strings.Clone(r.ID), Key: r.Key})
		if walk.FromTime && r.Key < walk.Start {
			continue // below the time the walk reads from: delivered before, or before start_at
		}
		if _, seen := c.seen[r.ID]; seen {
			continue
		}
		if hasBound && r.Key > bound {
			if out.Future == 0 {
				out.FutureExample = Seen{ID: strings.Clone(r.ID), Key: r.Key}
			}
			out.Future++
		}
		out.Deliver = append(out.Deliver, i)
		top = max(top, r.Key)
	}
	if hasBound && top > bound {
		top = max(c.State.Key, bound) // a record dated ahead of the clock
	}

	cur := walk.Next
	var next Position
	has := false
	switch m.spec.Resume.From {
	case apispec.ResumeNext:
		if page.Next != "" {
			// The link or cursor alone: a page count would only grow in
			// the stored cursor, poll after poll.
			n := m.pager.Next(cur, page, len(recs))
			next, has = Position{URL: n.URL, Cursor: n.Cursor}, true
		}
	case apispec.ResumeLastID:
		if lastID != "" {
			next, has = Position{After: strings.Clone(lastID)}, true
		}
	}
	out.Done = ended || len(recs) == 0 || page.More == decode.MoreNo || !has || samePlace(next, cur)
	out.Next = cur
	if has {
		out.Next = next
	}
	out.NoNext = !has && !ended && len(recs) > 0
	if out.Done {
		// The server listed everything it had when the walk began: the
		// stream is caught up to that clock, as a window read to its end
		// is, so a quiet feed shows no growing lag. The API's own delay in
		// listing a record is what settle covers, as for every walk.
		top = max(top, walk.Clock)
	}
	out.resumeKey = top

	if len(pageIDs) > 0 {
		// The page's ids, then those delivered within the overlap below
		// the new key: what a page read again, or a first request after a
		// refused position, returns of what was delivered.
		floor := top - m.span(c.State.Disorder)
		kept := pageIDs
		for _, s := range c.State.Seen {
			if _, dup := onPage[s.ID]; s.Key >= floor && !dup {
				kept = append(kept, s)
			}
		}
		var dropped int
		out.resumeSeen, dropped = capSeen(kept, seenBudget)
		out.IDsDropped += dropped
	}
	err := m.checkLoops(c, page, &out)
	return out, err
}

// applyResume is Apply for a spec with resume: the key follows the newest
// record delivered (and the clock the walk began at, once it is over), Seen
// becomes the page's, and a finished walk stores the position to continue
// from.
func (m *Machine) applyResume(c *Cursor, out Outcome) int {
	walk := c.State.Walk
	walk.Next = out.Next
	walk.Pages++
	c.loops.apply(out.loops)
	c.State.Key = max(c.State.Key, out.resumeKey)
	if out.resumeSeen != nil {
		c.State.Seen = out.resumeSeen
		c.rebuildSeen()
	}
	if !out.Done {
		return 0
	}
	c.State.Resume = nil
	if Continues(out.Next) {
		p := out.Next
		c.State.Resume = &p
	}
	c.State.Walk = nil
	c.loops.forget()
	return 0
}

// PositionRefused is called when the API answered the request r with a
// status. When r continued from a position the server gave and the status
// is one of resume.refused_statuses, the walk and the stored position are
// dropped: the next walk starts with the spec's first request from the
// time of the last record delivered, less the overlap, and skips the ids
// kept. It reports whether it did.
func (m *Machine) PositionRefused(c *Cursor, r Request, status int) bool {
	if !m.Resumes() || !Continues(r.Position) || !m.spec.Resume.Refuses(status) {
		return false
	}
	c.State.Resume, c.State.Walk = nil, nil
	c.loops.forget()
	return true
}
