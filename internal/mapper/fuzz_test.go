package mapper

import (
	"os"
	"path/filepath"
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// FuzzDecodeMap runs decode and mapping together over every built-in spec:
// whatever a server sends, mapping must not panic and must produce valid
// OTLP (the marshaler fails on invalid UTF-8, for one).
func FuzzDecodeMap(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(bodiesDir, "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	type pair struct {
		dec *decode.Decoder
		m   *Mapper
	}
	var pairs []pair
	for _, name := range apispec.BuiltinNames() {
		spec, err := apispec.Builtin(name)
		if err != nil {
			f.Fatal(err)
		}
		spec.Records.BodyField = map[bool]string{true: "message"}[len(pairs)%2 == 0]
		dec, err := decode.New(spec.Records, spec.Pagination)
		if err != nil {
			f.Fatal(err)
		}
		m, err := New(spec, nil)
		if err != nil {
			f.Fatal(err)
		}
		pairs = append(pairs, pair{dec, m})
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, p := range pairs {
			page, err := p.dec.Decode(body, nil)
			if err != nil {
				continue
			}
			logs := plog.NewLogs()
			lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
			for i := range page.Records {
				p.m.Append(lrs.AppendEmpty(), &page.Records[i], 1)
			}
			if _, err := (&plog.ProtoMarshaler{}).MarshalLogs(logs); err != nil {
				t.Fatal(err)
			}
		}
	})
}
