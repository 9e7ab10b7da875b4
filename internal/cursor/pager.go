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
	first := p.pag.FirstPage
	if first == 0 {
		first = 1
	}
	return Position{Page: first}
}

// Last reads the API's own end signal, or the page size when it has none.
func (p Pager) Last(page *decode.Page, n int) bool {
	switch p.pag.Type {
	case apispec.PaginationNone:
		return true
	case apispec.PaginationNextURL, apispec.PaginationLinkHeader, apispec.PaginationCursor:
		return page.Next == "" || page.More == decode.MoreNo
	}
	switch page.More {
	case decode.MoreNo:
		return true
	case decode.MoreYes:
		return false
	}
	return n < p.pageSize
}

// Next is the position after a page of n records read at cur.
func (p Pager) Next(cur Position, page *decode.Page, n int) Position {
	switch p.pag.Type {
	case apispec.PaginationOffset:
		return Position{Offset: cur.Offset + n}
	case apispec.PaginationNextURL, apispec.PaginationLinkHeader:
		return Position{URL: page.Next}
	case apispec.PaginationCursor:
		return Position{Cursor: page.Next, Page: cur.Page + 1}
	default:
		return Position{Page: cur.Page + 1}
	}
}
