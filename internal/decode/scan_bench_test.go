package decode

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// BenchmarkScanVsFastjson weighs the scanner (scan.go, find.go) against
// fastjson, already a dependency, on a page of 32,768 Tines records (about
// 8 MB, a page above WholeBodyLimit):
//   - validate: the scanner's validate against fastjson.ValidateBytes;
//   - decode/raw: Decode record by record (the scanner splits the page);
//     decode/whole: Decode parsing the page whole with fastjson. heap-B/body-B
//     is the heap the decoded page holds per byte of body, measured once.
//
// scan.go's comment quotes the figures.
func BenchmarkScanVsFastjson(b *testing.B) {
	const n = 32_768
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	recs := make([]string, n)
	for i := range recs {
		recs[i] = fmt.Sprintf(`{"id":%d,"level":%d,"message":"Sending request to https://tenant.tines.com/api/v1/stories/%d with options: {\"method\":\"get\",\"params\":{},\"body\":null} attempt %d of 3","created_at":%q,"inbound_event":null}`,
			900000+i, 2+i%3, 4000+i, 1+i%3, base.Add(-time.Duration(i)*time.Second).Format(time.RFC3339))
	}
	body := []byte(`{"action_logs":[` + strings.Join(recs, ",") + `],"meta":{"next_page":null}}`)

	b.Run("validate/scanner", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			_, err := validate(body, nil)
			require.NoError(b, err)
		}
	})
	b.Run("validate/fastjson", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			require.NoError(b, fastjson.ValidateBytes(body))
		}
	})
	for _, mode := range []struct {
		name  string
		limit int
	}{{"raw", WholeBodyLimit}, {"whole", len(body)}} {
		b.Run("decode/"+mode.name, func(b *testing.B) {
			newDecoder := func() *Decoder {
				d, err := New(apispec.Records{Path: "action_logs", IDField: "id", TimeField: "created_at"}, apispec.Pagination{Type: "page", NextPath: "meta.next_page"})
				require.NoError(b, err)
				d.SetMaxBodySize(int64(len(body)))
				d.SetWholeBodyLimit(mode.limit)
				return d
			}
			// The heap a fresh decoder holds for the decoded page, beyond
			// the body itself.
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			held := newDecoder()
			pg, err := held.Decode(body, nil)
			require.NoError(b, err)
			require.Len(b, pg.Records, n)
			runtime.GC()
			runtime.ReadMemStats(&after)
			runtime.KeepAlive(held)
			heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)

			d := newDecoder()
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				pg, err := d.Decode(body, nil)
				require.NoError(b, err)
				require.Len(b, pg.Records, n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/record")
			b.ReportMetric(heap/float64(len(body)), "heap-B/body-B")
		})
	}
}
