package cursor

import "github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"

// Unstable ties: an API that returns records sharing a timestamp in a new
// order on every request (Logto: no tie-breaker) cannot be walked by page
// number across a tie. Such a window is walked by lowering its upper bound
// instead, and a timestamp that fills a whole page is read alone.

// lowerUpperBound makes the next request the first page of the window below
// the lowest timestamp read, instead of the next page number: ties at that
// timestamp then come back first whatever their order, and the edge ids skip
// those already delivered. A page that did not get below the current bound
// is all one timestamp: that timestamp is then read alone (a tie read).
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
	if low < bound {
		out.upper, out.tie = low, false
		return
	}
	out.upper, out.tie = bound, true
}

// tiePageSize is the page size of a tie read: the API's maximum.
func (m *Machine) tiePageSize() int {
	if mx := m.spec.Pagination.MaxPageSize; mx > m.pageSize {
		return mx
	}
	return m.pageSize
}

// afterTiePage continues below the tie group once it was read whole (the
// page was the last by the API's signals). A group larger than the page the
// server gives (the API's largest, or a smaller one it caps to silently)
// cannot be read reliably when its order changes on every request; it is
// paged through and reported. Without any signal a short tie page is paged
// on to an empty one, unreported.
func (m *Machine) afterTiePage(walk *Walk, out *Outcome, page *decode.Page, n int) {
	if last, known := m.pager.decide(page, walk.Next, n); !last {
		out.TieOverflow = known || n >= m.tiePageSize()
		out.Next = m.pager.Next(walk.Next, page, n)
		out.Done = false
		return
	}
	out.tie = false
	out.upper = walk.Upper - m.precision
	out.Next = m.firstPosition()
	out.Done = out.upper < walk.Start
}
