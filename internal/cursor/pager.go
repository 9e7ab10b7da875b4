package cursor

import (
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// Pager holds the pagination rules of one listing: where the next page is
// and whether a page was the last. The walk and the stream discovery share
// them.
type Pager struct {
	pag      apispec.Pagination
	pageSize int
}

// NewPager returns the rules of pag at pageSize records per page.
func NewPager(pag apispec.Pagination, pageSize int) Pager {
	return Pager{pag: pag, pageSize: pageSize}
}

// First is the position of the first page.
func (p Pager) First() Position {
	return Position{Page: p.pag.First()}
}

// Last reports whether a page of n records read at cur is the last. A page
// shorter than the size asked for proves nothing: servers cap the page size
// silently (a Django REST framework server clamps page_size to its own
// max_page_size). So the decision is, in order: an empty page; the API's own
// next link or "has more" signal; the total it reports (the records read in
// this walk, with this page's, reach it); the page size it echoes (fewer
// records than that); and without any of them, only an empty page is the
// last, at the price of one more request per walk.
//
// The total comes before the echoed size because it is exact however the
// echo is meant: a server that echoes the size it was asked for while it
// applies a smaller one would otherwise end the walk after its first page.
func (p Pager) Last(page *decode.Page, cur Position, n int) bool {
	last, _ := p.decide(page, cur, n)
	return last
}

// decide is Last, and whether the page said so (known is false when only
// the absence of every signal keeps the walk going).
func (p Pager) decide(page *decode.Page, cur Position, n int) (last, known bool) {
	switch {
	case p.pag.Type == apispec.PaginationNone:
		return true, true
	case n == 0:
		return true, true
	}
	switch p.pag.Type {
	case apispec.PaginationNextURL, apispec.PaginationLinkHeader, apispec.PaginationCursor:
		return page.Next == "" || page.More == decode.MoreNo, true
	}
	switch page.More {
	case decode.MoreNo:
		return true, true
	case decode.MoreYes:
		return false, true
	}
	if page.HasTotal {
		return p.read(cur)+n >= page.Total, true
	}
	if page.Size > 0 {
		return n < page.Size, true
	}
	return false, false
}

// read is how many records the walk read before the page at cur since its
// first page (at the current bounds).
func (p Pager) read(cur Position) int {
	if p.pag.Type == apispec.PaginationOffset {
		return cur.Offset
	}
	return cur.Read
}

// Next is the position after a page of n records read at cur. Page numbers
// need no correction when the server capped the page: it applies the same
// cap to every page, so page 2 starts where the capped page 1 ended; offsets
// advance by the records received.
func (p Pager) Next(cur Position, page *decode.Page, n int) Position {
	switch p.pag.Type {
	case apispec.PaginationOffset:
		return Position{Offset: cur.Offset + n}
	case apispec.PaginationNextURL, apispec.PaginationLinkHeader:
		return Position{URL: page.Next}
	case apispec.PaginationCursor:
		return Position{Cursor: page.Next, Page: cur.Page + 1}
	default:
		return Position{Page: cur.Page + 1, Read: cur.Read + n}
	}
}
