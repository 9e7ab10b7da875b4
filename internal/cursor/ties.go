package cursor

import (
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// Unstable ties: an API that returns records sharing a timestamp in a new
// order on every request (Logto: no tie-breaker) cannot be walked by page
// number across a tie. Such a window is walked by lowering its upper bound
// instead, and a timestamp that fills a whole page is read alone.

// lowerUpperBound makes the next request the first page of the window below
// the lowest timestamp read, instead of the next page number: ties at that
// timestamp then come back first whatever their order, and the edge ids skip
// those already delivered. A page that did not get below the current bound
// is all one timestamp: that timestamp is then read alone (a tie read).
// A page wholly above the bound holds only the unit above it, read already,
// which an inclusive end bound returns and which fills a page: the request
// then ends at the bound itself (see State.InclusiveEnd). Taking it for a
// tie at the bound read that timestamp alone, found nothing there and
// concluded the bounds were exclusive (Logto 1.42 after a tie group larger
// than a page).
func (m *Machine) lowerUpperBound(walk *Walk, out *Outcome, recs []decode.Record) {
	low, found := int64(0), false
	for i := range recs {
		if recs[i].Problem == "" && (!found || recs[i].Key < low) {
			low, found = recs[i].Key, true
		}
	}
	if !found {
		return
	}
	bound := walk.End
	if walk.Upper != 0 {
		bound = walk.Upper
	}
	out.Next = m.firstPosition()
	out.tieReads = 0
	switch {
	case low < bound:
		out.upper, out.tie = low, false
	case low > bound && out.inclusiveEnd:
		out.upper, out.tie = bound, false
	default:
		out.upper, out.tie = bound, true
	}
}

// MaxTieReads bounds the reads of one tie group, together with
// tieReadBound. An API may order a group anew on every request (each read is
// then a fresh sample: a group of 250 read 100 at a time is complete after
// about 12 reads) or the same way every time (Postgres returns equal
// created_at rows in its scan order while the table does not change: the
// group is then read page by page, 1, 2, 3, and complete after ceil(n/page)
// reads). Tie reads go through the pages in turn and start again at the first,
// so that either behavior, or one in between, reads the whole group.
const MaxTieReads = 20

// tieReadBound is how often a tie group of total records is read at most:
// MaxTieReads, or twice its pages where that is more, so that a large group
// in a stable order can be paged through twice.
func (m *Machine) tieReadBound(total int) int {
	pages := (total + m.tiePageSize() - 1) / m.tiePageSize()
	return max(MaxTieReads, 2*pages)
}

// nextTiePosition is the page of the tie group to read after the page at cur
// that held n records: the next one, or the first again after the last.
func (m *Machine) nextTiePosition(cur Position, page *decode.Page, n int) Position {
	next := m.pager.Next(cur, page, n)
	var end bool
	switch m.spec.Pagination.Type {
	case apispec.PaginationPage:
		end = next.Read >= page.Total
	case apispec.PaginationOffset:
		end = next.Offset >= page.Total
	default:
		end = page.Next == ""
	}
	if n == 0 || end {
		return m.firstPosition()
	}
	return next
}

// tiePageSize is the page size of a tie read: the API's maximum.
func (m *Machine) tiePageSize() int {
	if mx := m.spec.Pagination.MaxPageSize; mx > m.pageSize {
		return mx
	}
	return m.pageSize
}

// afterTiePage continues below the tie group once it was read whole. Where
// the API counts the records of the timestamp (Logto's Total-Number: exact
// up to 10,000), the group is read again and again, its pages in turn, until
// the distinct ids delivered at it reach that count, at most tieReadBound
// times; past the bound the shortfall is reported and the walk goes on. Without a count, a
// group larger than the page the server gives cannot be read reliably when
// its order changes on every request: it is paged through and reported;
// without any signal at all a short tie page is paged on to an empty one.
func (m *Machine) afterTiePage(c *Cursor, walk *Walk, out *Outcome, page *decode.Page, n int) {
	if page.HasTotal {
		seen := m.seenAt(c, out, walk.Upper)
		switch {
		case seen >= page.Total:
		case walk.TieReads+1 >= m.tieReadBound(page.Total):
			out.TieMissing = page.Total - seen
			out.TieReads = walk.TieReads + 1
		default:
			out.tieReads = walk.TieReads + 1
			out.Next = m.nextTiePosition(walk.Next, page, n)
			out.Done = false
			return
		}
		m.belowTie(walk, out)
		return
	}
	if last, known := m.pager.decide(page, walk.Next, n); !last {
		out.TieOverflow = known || n >= m.tiePageSize()
		out.Next = m.pager.Next(walk.Next, page, n)
		out.Done = false
		return
	}
	m.belowTie(walk, out)
}

// belowTie goes on below the tie group, from the first page.
func (m *Machine) belowTie(walk *Walk, out *Outcome) {
	out.tie, out.tieReads = false, 0
	out.upper = walk.Upper - m.precision
	out.Next = m.firstPosition()
	out.Done = out.upper < walk.Start
}

// seenAt counts the distinct ids delivered at key: those at the walk's edge
// once out is applied, and those kept from earlier polls (never delivered
// again, so never at the edge).
func (m *Machine) seenAt(c *Cursor, out *Outcome, key int64) int {
	n := 0
	if out.hasEdge && out.edge == key {
		n = len(out.edgeIDs)
	}
	for _, s := range c.State.Seen {
		if s.Key == key {
			n++
		}
	}
	return n
}
