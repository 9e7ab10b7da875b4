package cursor

import (
	"errors"
	"hash/maphash"
	"strings"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// Loop errors fail the poll before the page is applied: the stream retries
// from the same position and goes on as soon as the API moves.
var (
	ErrRepeatedPage = errors.New("the API keeps returning the same page for the next page number (does it ignore the page parameter? see pagination in the API spec); the stream retries from this page")
	ErrLinkLoop     = errors.New("the API returned a next link or cursor this walk already followed; the stream retries from this page")
)

// MaxRepeatedPages is how many pages in a row may equal the page before
// them. A newest-first list shows a repeated page whenever exactly a page of
// records arrived between two requests, so repeats are walked through (their
// records were delivered already); only a longer run means the API ignores
// the page parameter.
const MaxRepeatedPages = 3

// loopUpdate is what Apply records in the loop memory for one page.
type loopUpdate struct {
	reset               bool // the page is the first of a walk
	link                uint64
	hasLink             bool
	start               uint64 // the position a resumed walk started from
	hasStart            bool
	prevFirst, prevLast string
	repeats             int
	hasPage             bool
}

// checkLoops reports a walk that would go round in circles: a next link or
// cursor already followed in this walk, or a page-number walk that keeps
// getting the same page. It never ends the walk, which would skip every
// record below. What it must remember goes into out, for Apply.
func (m *Machine) checkLoops(c *Cursor, page *decode.Page, out *Outcome) error {
	walk := c.State.Walk
	mem := c.loops
	u := &out.loops
	if walk.Pages == 0 {
		u.reset = true
		mem = loopMemory{}
		if start := walk.Next.URL + walk.Next.Cursor; start != "" {
			// A walk that resumes from a stored link or cursor has followed it.
			u.start, u.hasStart = maphash.String(c.loops.seed, start), true
			mem.followed = map[uint64]struct{}{u.start: {}}
		}
	}
	if out.Done {
		return nil
	}
	switch m.spec.Pagination.Type {
	case apispec.PaginationNextURL, apispec.PaginationLinkHeader, apispec.PaginationCursor:
		link := out.Next.URL + out.Next.Cursor
		if link == "" || out.upper != walk.Upper || out.tie != walk.Tie {
			return nil
		}
		h := maphash.String(c.loops.seed, link)
		if _, again := mem.followed[h]; again {
			return ErrLinkLoop
		}
		u.link, u.hasLink = h, true
	case apispec.PaginationPage, apispec.PaginationOffset:
		// A walk that lowers its bound asks for the first page again on purpose.
		recs := page.Records
		if len(recs) == 0 || walk.Upper != 0 || walk.Tie || out.upper != 0 || out.tie {
			return nil
		}
		first, last := recs[0].ID, recs[len(recs)-1].ID
		u.hasPage, u.repeats = true, 0
		if walk.Pages > 0 && first == mem.prevFirst && last == mem.prevLast {
			if u.repeats = mem.repeats + 1; u.repeats > MaxRepeatedPages {
				return ErrRepeatedPage
			}
		}
		u.prevFirst, u.prevLast = strings.Clone(first), strings.Clone(last)
	}
	return nil
}

// apply records the page in the loop memory.
func (l *loopMemory) apply(u loopUpdate) {
	if u.reset {
		l.forget()
	}
	for _, h := range []struct {
		link uint64
		has  bool
	}{{u.start, u.hasStart}, {u.link, u.hasLink}} {
		if !h.has {
			continue
		}
		if l.followed == nil {
			l.followed = make(map[uint64]struct{})
		}
		l.followed[h.link] = struct{}{}
	}
	if u.hasPage {
		l.prevFirst, l.prevLast, l.repeats = u.prevFirst, u.prevLast, u.repeats
	}
}
