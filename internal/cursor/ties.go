package cursor

import (
	"math"

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
	out.tieReads, out.tiePage = 0, 0
	switch {
	case low < bound:
		out.upper, out.tie = low, false
	case low > bound && out.inclusiveEnd:
		out.upper, out.tie = bound, false
	default:
		out.upper, out.tie = bound, true
	}
}

// Tie reads go through the group's pages in turn (1, 2, ... then 1 again)
// until the distinct ids seen at the timestamp reach the count the API
// reports. An API may return the group in the same order every time
// (Postgres returns equal created_at rows in its scan order while the table
// does not change): one pass over the pages then reads it whole. Or in a
// new order on every request, the worst case, for which the number of reads
// is bounded (TieReadBound); an order in between is read whole by either.
//
// The model of the worst case: each request runs the query anew, and the
// group's order is a uniformly random permutation drawn afresh for every
// request. A page of s records at any offset of it is then a uniformly
// random s-subset of the group's n records, independent of every other read
// (the pages of one permutation would be disjoint, but each page is a
// request of its own). A given record is missed by reads of s_1..s_R records
// with probability prod(1 - s_j/n), and some record of the group with at
// most n times that (the union bound, which the exact probability never
// exceeds).

// TieMissOdds is the chance, per tie group read in a new order on every
// request, that the reads TieReadBound allows end with a record unseen.
const TieMissOdds = 1e-9

// TieReadBound is how often a tie group of n records, served p at a time,
// is read at most: the fewest reads of its pages in turn (sizes p, ..., p
// and the remainder, then again) that leave a record of it unseen with a
// probability below TieMissOdds when every read is a fresh random order
// (see the model above). A group that fits one page needs one read; one
// pass over the pages is always within the bound, so that a group in a
// stable order is read whole. A group of 250 read 100 at a time takes at
// most 64 reads, one of 1,200 at most 320; the expected number is far lower
// (the reads stop once every id was seen).
func TieReadBound(n, p int) int {
	if n <= 0 {
		return 1
	}
	p = min(max(p, 1), n)
	pages := (n + p - 1) / p
	if pages == 1 {
		return 1
	}
	// In logs: sum of log(1 - s_j/n) below log(TieMissOdds/n). The pages
	// repeat, so whole passes are counted at once and the last one read
	// page by page; the remainder is 1..p records, every term is finite.
	target := math.Log(TieMissOdds) - math.Log(float64(n))
	logMiss := func(s int) float64 { return math.Log1p(-float64(s) / float64(n)) }
	pass := float64(pages-1)*logMiss(p) + logMiss(n-(pages-1)*p)
	passes := max(int(target/pass)-1, 0) // whole passes that leave it above target
	sum, reads := float64(passes)*pass, passes*pages
	for sum >= target {
		s := p
		if reads%pages == pages-1 {
			s = n - (pages-1)*p
		}
		sum += logMiss(s)
		reads++
	}
	return reads
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
// the distinct ids delivered at it reach that count, at most TieReadBound
// times for the count and the largest page a read of it returned (a server
// may serve fewer than asked); past the bound the shortfall is reported and
// the walk goes on. Without a count, a group larger than the page the server
// gives cannot be read reliably when its order changes on every request: it
// is paged through and reported; without any signal at all a short tie page
// is paged on to an empty one.
func (m *Machine) afterTiePage(c *Cursor, walk *Walk, out *Outcome, page *decode.Page, n int) {
	if page.HasTotal {
		seen := m.seenAt(c, out, walk.Upper)
		served := max(walk.TiePage, n)
		if served == 0 {
			served = m.tiePageSize() // nothing served yet: what was asked
		}
		switch {
		case seen >= page.Total:
		case walk.TieReads+1 >= TieReadBound(page.Total, served):
			out.TieMissing = page.Total - seen
			out.TieReads = walk.TieReads + 1
		default:
			out.tieReads, out.tiePage = walk.TieReads+1, served
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
	out.tie, out.tieReads, out.tiePage = false, 0, 0
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
