package decode

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// fuzzDecoders is one decoder per built-in spec, plus the root-object
// variant used for StackOne's single action log.
func fuzzDecoders(f *testing.F) []*Decoder {
	var ds []*Decoder
	for _, name := range apispec.BuiltinNames() {
		spec, err := apispec.Builtin(name)
		if err != nil {
			f.Fatal(err)
		}
		ds = append(ds, newDecoder(f, spec.Records, spec.Pagination))
	}
	ds = append(ds,
		newDecoder(f, apispec.Records{IDField: "log_id", TimeField: "event_time"}, apispec.Pagination{Type: "link_header"}),
		newDecoder(f, apispec.Records{Path: "a", AltPaths: []string{"b.c"}, IDField: "id", TimeField: "t", TimeFormat: "unix_ms"}, apispec.Pagination{Type: "cursor", NextPath: "next"}),
	)
	return ds
}

func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "bodies", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<html>`))
	f.Add([]byte(`{"a":[{"id":1e400,"t":"1e30"}],"next":"null"}`))
	f.Add([]byte(`{"a":[{"id":1,"t":1,"x":` + strings.Repeat("[", 400) + strings.Repeat("]", 400) + `}],"next":"c"}`))
	decoders := fuzzDecoders(f)
	pairs := decoderPairs(f)
	header := http.Header{"Link": {`<https://x/2>; rel="next"`}}
	f.Fuzz(func(t *testing.T, body []byte) {
		// Decoding record by record reads what parsing whole reads.
		for _, p := range pairs {
			compareDecode(t, p, body, header)
		}
		for _, d := range decoders {
			page, err := d.Decode(body, header)
			if err != nil {
				continue
			}
			for _, r := range page.Records {
				if !utf8.ValidString(r.ID) {
					t.Fatalf("invalid UTF-8 id %q", r.ID)
				}
				if r.Key != r.Time {
					t.Fatalf("key %d != time %d", r.Key, r.Time)
				}
			}
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		`"2023-12-20T14:41:15Z"`, `"2023-12-01T08:25:56.088353+05:30"`, `"2023-12-20 14:41:15"`,
		`1700000000123`, `1700000000123.0`, `"1700000000"`, `1e400`, `-1e-400`, `"9999-12-31T23:59:60.9999999999-23:59"`,
	} {
		f.Add(s, uint8(0))
	}
	formats := []string{"rfc3339", "rfc3339_ms", "unix_s", "unix_ms", "unix_us", "unix_ns", "layout:2006-01-02 15:04:05"}
	var p fastjson.Parser
	f.Fuzz(func(t *testing.T, text string, fi uint8) {
		v, err := p.Parse(text)
		if err != nil {
			return
		}
		format := formats[int(fi)%len(formats)]
		ns, err := ParseTime(v, format)
		if err != nil || format != "rfc3339" {
			return
		}
		// What parses must survive a round trip at nanosecond precision.
		back, err := ParseTime(mustJSON(t, `"`+FormatTime(ns, "rfc3339_nano")+`"`), "rfc3339")
		if err != nil || back != ns {
			t.Fatalf("%s -> %d -> %d (%v)", text, ns, back, err)
		}
	})
}
