package mapper

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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
		// The three shapes in turn: message and attributes, the record as
		// body with the message as an attribute, a body field.
		var opts []Option
		switch len(pairs) % 3 {
		case 1:
			opts = append(opts, WithBody(BodyRecord))
		case 2:
			spec.Records.BodyField, spec.Records.Message = "message", nil
		}
		dec, err := decode.New(spec.Records, spec.Pagination)
		if err != nil {
			f.Fatal(err)
		}
		m, err := New(spec, nil, opts...)
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

// FuzzPage runs a response body through the whole path to plog as a stream
// does, with the size limits on (max_body_size 64 KiB, so at most 2048
// records a page), and decoded both whole and record by record: whatever a
// server sends, nothing panics, both ways give the same log records, they
// are valid OTLP, and their size is bounded by the body's.
func FuzzPage(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(bodiesDir, "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	deep := strings.Repeat(`{"a":`, 300) + `1` + strings.Repeat(`}`, 300)
	f.Add([]byte(`{"action_logs":[{"id":1,"level":3,"created_at":"2023-12-20T14:41:15Z","x":` + deep + `}],"meta":{"next_page":null}}`))
	f.Add([]byte(`[{"id":"a","createdAt":1700000000123,"key":"k","payload":{"result":"Error"}},{"id":"a"},1,"x",null]`))
	const maxBody = 64 << 10
	type path struct {
		whole, raw *decode.Decoder
		m          *Mapper
	}
	var paths []path
	for _, name := range apispec.BuiltinNames() {
		spec, err := apispec.Builtin(name)
		if err != nil {
			f.Fatal(err)
		}
		whole, err := decode.New(spec.Records, spec.Pagination)
		if err != nil {
			f.Fatal(err)
		}
		raw, err := decode.New(spec.Records, spec.Pagination)
		if err != nil {
			f.Fatal(err)
		}
		whole.SetMaxBodySize(maxBody)
		raw.SetMaxBodySize(maxBody)
		raw.SetWholeBodyLimit(-1)
		m, err := New(spec, nil)
		if err != nil {
			f.Fatal(err)
		}
		paths = append(paths, path{whole, raw, m})
	}
	mapAll := func(t *testing.T, m *Mapper, page *decode.Page) (plog.Logs, []string) {
		logs := plog.NewLogs()
		lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		var dumps []string
		for i := range page.Records {
			rec := &page.Records[i]
			if rec.Problem != "" {
				continue // counted, not delivered
			}
			lr := lrs.AppendEmpty()
			require.NoError(t, m.AppendRecord(nil, lr, rec, 1))
			require.False(t, rec.Value == nil && rec.Raw == nil, "a record has its value or its text")
			dumps = append(dumps, dumpRecord(lr))
		}
		return logs, dumps
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > maxBody {
			return // the client refuses it
		}
		for _, p := range paths {
			wp, werr := p.whole.Decode(body, nil)
			var wlogs plog.Logs
			var wdumps []string
			if werr == nil {
				wlogs, wdumps = mapAll(t, p.m, wp)
			}
			rp, rerr := p.raw.Decode(body, nil)
			require.Equal(t, werr == nil, rerr == nil, "whole: %v, record by record: %v", werr, rerr)
			if rerr != nil {
				continue
			}
			require.LessOrEqual(t, len(rp.Records), 2048)
			_, rdumps := mapAll(t, p.m, rp)
			require.Equal(t, wdumps, rdumps)
			out, err := (&plog.ProtoMarshaler{}).MarshalLogs(wlogs)
			require.NoError(t, err)
			require.LessOrEqual(t, len(out), 16*len(body)+4096, "OTLP size of a %d-byte body", len(body))
		}
	})
}
