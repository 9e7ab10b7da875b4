package decode

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// The echoed page size and the total are read where the spec says, as
// numbers or numeric strings; anything else leaves them unknown.
func TestDecodeCounts(t *testing.T) {
	rec := apispec.Records{Path: "data", IDField: "id"}
	cases := []struct {
		name      string
		pag       apispec.Pagination
		body      string
		header    http.Header
		size      int
		total     int
		hasTotal  bool
		afterNext bool // the next signal is still read
	}{
		{
			name: "StackOne: total and query.page_size", pag: apispec.Pagination{Type: "page", TotalPath: "total", PageSizePath: "query.page_size"},
			body: `{"data":[{"id":1}],"query":{"page":1,"page_size":100},"total":310}`, size: 100, total: 310, hasTotal: true,
		},
		{
			name: "Make: pg.limit", pag: apispec.Pagination{Type: "offset", PageSizePath: "pg.limit"},
			body: `{"data":[{"id":1}],"pg":{"limit":37,"offset":0}}`, size: 37,
		},
		{
			name: "numeric strings", pag: apispec.Pagination{Type: "page", TotalPath: "count", PageSizePath: "per_page"},
			body: `{"data":[],"count":"12","per_page":" 5 "}`, size: 5, total: 12, hasTotal: true,
		},
		{
			name: "a total of zero is a total", pag: apispec.Pagination{Type: "page", TotalPath: "total"},
			body: `{"data":[],"total":0}`, total: 0, hasTotal: true,
		},
		{
			name: "null, or a page size of zero: unknown", pag: apispec.Pagination{Type: "page", TotalPath: "total", PageSizePath: "size"},
			body: `{"data":[],"total":null,"size":0}`,
		},
		{
			name: "negative or fractional: unknown", pag: apispec.Pagination{Type: "page", TotalPath: "total", PageSizePath: "size"},
			body: `{"data":[],"total":-1,"size":2.5}`,
		},
		{
			name: "Logto: Total-Number header", pag: apispec.Pagination{Type: "page", TotalHeader: "total-number"},
			body: `[]`, header: http.Header{"Total-Number": {"42"}}, total: 42, hasTotal: true,
		},
		{
			name: "Logto: a capped Total-Number is no count", pag: apispec.Pagination{Type: "page", TotalHeader: "Total-Number"},
			body: `[]`, header: http.Header{"Total-Number": {"10001"}, "Total-Number-Is-Capped": {"true"}},
		},
		{
			name: "the body's total wins over the header", pag: apispec.Pagination{Type: "page", TotalPath: "total", TotalHeader: "Total-Number"},
			body: `{"data":[],"total":3}`, header: http.Header{"Total-Number": {"9"}}, total: 3, hasTotal: true,
		},
		{
			name: "with a next signal beside", pag: apispec.Pagination{Type: "page", NextPath: "meta.next_page", PageSizePath: "meta.per_page"},
			body: `{"data":[{"id":1}],"meta":{"next_page":"https://x/p2","per_page":37}}`, size: 37, afterNext: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := rec
			if tc.body == `[]` {
				r.Path = ""
			}
			d := newDecoder(t, r, tc.pag)
			page, err := d.Decode([]byte(tc.body), tc.header)
			require.NoError(t, err)
			assert.Equal(t, tc.size, page.Size, "size")
			assert.Equal(t, tc.hasTotal, page.HasTotal, "has total")
			assert.Equal(t, tc.total, page.Total, "total")
			if tc.afterNext {
				assert.Equal(t, MoreYes, page.More)
			}
			// A page that says nothing clears what the one before said.
			page, err = d.Decode([]byte(`{}`), nil)
			require.NoError(t, err)
			assert.Zero(t, page.Size)
			assert.False(t, page.HasTotal)
		})
	}
}

func TestDecodeCountsBadPath(t *testing.T) {
	_, err := New(apispec.Records{IDField: "id"}, apispec.Pagination{TotalPath: "a..b", PageSizePath: ".x"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "pagination total path")
	assert.Contains(t, err.Error(), "pagination page size path")
}
