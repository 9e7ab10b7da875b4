package decode

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// has_more_path ends a cursor or next_url walk only on an explicit "no";
// a flag that is missing, null or anything else leaves the decision to the
// next cursor, so that no page is skipped. Both decoding paths agree.
func TestHasMorePathSignals(t *testing.T) {
	rec := apispec.Records{Path: "data", IDField: "id"}
	for _, typ := range []string{apispec.PaginationCursor, apispec.PaginationNextURL} {
		pag := apispec.Pagination{Type: typ, NextPath: "meta.next", HasMorePath: "meta.has_more"}
		for flag, want := range map[string]More{
			`false`: MoreNo, `"false"`: MoreNo, `"FALSE"`: MoreNo, `0`: MoreNo, `"0"`: MoreNo,
			`true`: MoreYes, `1`: MoreYes, `"yes"`: MoreYes, `null`: MoreYes, `{}`: MoreYes,
		} {
			body := fmt.Sprintf(`{"data":[{"id":1}],"meta":{"next":"c2","has_more":%s}}`, flag)
			for _, whole := range []int{WholeBodyLimit, -1} {
				d := newDecoder(t, rec, pag)
				d.SetWholeBodyLimit(whole)
				pg, err := d.Decode([]byte(body), nil)
				require.NoError(t, err)
				assert.Equal(t, want, pg.More, "%s has_more %s (whole limit %d)", typ, flag, whole)
				assert.Equal(t, "c2", pg.Next)
			}
		}
		d := newDecoder(t, rec, pag)
		pg, err := d.Decode([]byte(`{"data":[{"id":1}],"meta":{"next":"c2"}}`), nil)
		require.NoError(t, err)
		assert.Equal(t, MoreYes, pg.More, "%s: a missing flag says nothing", typ)
	}
	_, err := New(rec, apispec.Pagination{Type: apispec.PaginationCursor, NextPath: "n", HasMorePath: "a..b"})
	assert.ErrorContains(t, err, "pagination has_more path")
}
