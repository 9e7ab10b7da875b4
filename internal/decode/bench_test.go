package decode

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// BenchmarkDecode measures decoding alone (parse, ids, times) of a
// 500-record Tines action log page.
func BenchmarkDecode(b *testing.B) {
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	recs := make([]string, 500)
	for i := range recs {
		recs[i] = fmt.Sprintf(`{"id":%d,"level":%d,"message":"Sending request to https://tenant.tines.com/api/v1/stories/%d with options: {\"method\":\"get\",\"params\":{},\"body\":null} attempt %d of 3","created_at":%q,"inbound_event":null}`,
			900000+i, 2+i%3, 4000+i, 1+i%3, base.Add(-time.Duration(i)*time.Second).Format(time.RFC3339))
	}
	body := []byte(`{"action_logs":[` + strings.Join(recs, ",") + `],"meta":{"next_page":null}}`)
	d, err := New(apispec.Records{Path: "action_logs", IDField: "id", TimeField: "created_at"}, apispec.Pagination{Type: "page", NextPath: "meta.next_page"})
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []struct {
		name  string
		limit int
	}{{"whole", WholeBodyLimit}, {"raw", -1}} {
		b.Run(mode.name, func(b *testing.B) {
			d.wholeLimit = mode.limit
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := d.Decode(body, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/record")
		})
	}
}

func BenchmarkParseTime(b *testing.B) {
	const ts = "2023-12-01T08:25:56.088353Z"
	b.Run("parseISO", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok := parseISO(ts); !ok {
				b.Fatal("bad")
			}
		}
	})
	// time.Parse is what a library parser of Go layouts (pkg/stanza's
	// gotime layout type) runs per value; timefmt.go quotes the figures.
	b.Run("time.Parse", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
				b.Fatal(err)
			}
		}
	})
	// A naive time with a space, as some APIs send it: parseISO in one
	// pass; time.Parse only by trying layouts until one fits.
	const naive = "2023-12-01 08:25:56.088353"
	b.Run("parseISO/naive", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, ok := parseISO(naive); !ok {
				b.Fatal("bad")
			}
		}
	})
	b.Run("time.Parse/naive", func(b *testing.B) {
		layouts := []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}
		for i := 0; i < b.N; i++ {
			ok := false
			for _, l := range layouts {
				if _, err := time.Parse(l, naive); err == nil {
					ok = true
					break
				}
			}
			if !ok {
				b.Fatal("bad")
			}
		}
	})
}
