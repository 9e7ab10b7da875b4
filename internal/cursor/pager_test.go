package cursor

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// Pager.Last on each signal, in order of precedence: an empty page; the
// API's own next link or "has more" flag; the total it reports; the page
// size it echoes; and without any, only an empty page ends the walk. The
// walk asks for 100 records a page; the server may give fewer (37) without
// saying so.
func TestPagerLast(t *testing.T) {
	page := apispec.Pagination{Type: apispec.PaginationPage}
	offset := apispec.Pagination{Type: apispec.PaginationOffset}
	next := apispec.Pagination{Type: apispec.PaginationNextURL, NextPath: "next"}
	link := apispec.Pagination{Type: apispec.PaginationLinkHeader}
	none := apispec.Pagination{Type: apispec.PaginationNone}
	total := func(n int) decode.Page { return decode.Page{Total: n, HasTotal: true} }
	cases := []struct {
		name string
		pag  apispec.Pagination
		page decode.Page
		at   Position // the position the page was read at
		n    int
		last bool
	}{
		{"an empty page is the last", page, decode.Page{More: decode.MoreYes}, Position{Page: 1}, 0, true},
		{"pagination none: one page", none, decode.Page{}, Position{}, 100, true},

		{"has more: no", page, decode.Page{More: decode.MoreNo}, Position{Page: 1}, 100, true},
		{"has more: yes, on a short page", page, decode.Page{More: decode.MoreYes}, Position{Page: 1}, 37, false},
		{"has more wins over the total", page, decode.Page{More: decode.MoreYes, Total: 37, HasTotal: true}, Position{Page: 1}, 37, false},
		{"next link present", next, decode.Page{More: decode.MoreYes, Next: "https://api/p2"}, Position{Page: 1}, 37, false},
		{"next link absent", next, decode.Page{More: decode.MoreNo}, Position{Page: 1}, 100, true},
		{"link header without next", link, decode.Page{}, Position{Page: 1}, 100, true},

		{"total: a capped first page is not the last", page, total(300), Position{Page: 1}, 37, false},
		{"total: the records read reach it", page, total(300), Position{Page: 9, Read: 296}, 4, true},
		{"total: a full last page needs no empty page", page, total(74), Position{Page: 2, Read: 37}, 37, true},
		{"total: offsets count what was read", offset, total(300), Position{Offset: 259}, 37, false},
		{"total: offsets reaching it", offset, total(300), Position{Offset: 263}, 37, true},
		{"total wins over an echo of the size asked for", page, decode.Page{Size: 100, Total: 300, HasTotal: true}, Position{Page: 1}, 37, false},
		{"total of zero", page, total(0), Position{Page: 1}, 3, true},

		{"echoed size applied: a full capped page is not the last", page, decode.Page{Size: 37}, Position{Page: 1}, 37, false},
		{"echoed size applied: a shorter page is", page, decode.Page{Size: 37}, Position{Page: 3}, 36, true},
		{"echoed size asked for: a shorter page is the last", offset, decode.Page{Size: 100}, Position{}, 37, true},

		{"no signal: a short page is not the last", page, decode.Page{}, Position{Page: 1}, 37, false},
		{"no signal: offsets", offset, decode.Page{}, Position{Offset: 37}, 1, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPager(tc.pag, 100)
			pg := tc.page
			assert.Equal(t, tc.last, p.Last(&pg, tc.at, tc.n))
		})
	}
}

// Next: page numbers count the records read (for a total), offsets advance
// by the records received, so a capped page shifts nothing.
func TestPagerNext(t *testing.T) {
	pg := &decode.Page{}
	p := NewPager(apispec.Pagination{Type: apispec.PaginationPage, FirstPage: new(1)}, 100)
	assert.Equal(t, Position{Page: 1}, p.First())
	assert.Equal(t, Position{Page: 3, Read: 74}, p.Next(Position{Page: 2, Read: 37}, pg, 37))
	o := NewPager(apispec.Pagination{Type: apispec.PaginationOffset}, 100)
	assert.Equal(t, Position{Offset: 74}, o.Next(Position{Offset: 37}, pg, 37))
}
