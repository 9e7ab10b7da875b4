package decode

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

var scanCases = []string{
	``, ` `, `{}`, `[]`, `[ ]`, `{ }`, `1`, `-`, `--`, `+`, `1-2`, `.e`, `-inf`, `+NaN`, `nan`, `NaN`, `Inf`, `-x`,
	`null`, `nul`, `nullx`, `true`, `tru`, `false`, `falsy`, `"a"`, `"a\"b"`, `"a\\"`, `"a\\\"b"`, `"\`, `"`,
	`{"a":1}`, `{"a":1,}`, `{"a" : 1 , "b":[1,2,{"c":null}]}`, `{a:1}`, `{"a"1}`, `{"a":}`, `[1,]`, `[,1]`,
	`[1 2]`, `[1,2]]`, `[[[]]]`, `{"a":{"b":{}}}`, "[1,\n\t\r2]", `[1,2] x`, `{"a":"\u00e9"}`, "\"\x01\"",
	`{"\u0061":1}`, `[-]`, `[+]`, `[1e5,-0.5E-3]`, `[nan,-Inf,+inf]`, `[naN]`, `{"a":1}{}`, `[`, `{`, `{"a"`,
	`{"a":1`, `[1`, `[1,`,
}

// validate accepts what fastjson accepts and refuses what it refuses, but
// for depth.
func TestValidateMatchesFastjson(t *testing.T) {
	cases := append([]string{}, scanCases...)
	cases = append(cases, strings.Repeat("[", 400)+strings.Repeat("]", 400), strings.Repeat("[", 400)+strings.Repeat("]", 399))
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q", c), func(t *testing.T) { checkValidate(t, []byte(c)) })
	}
}

func checkValidate(t *testing.T, b []byte) {
	var p fastjson.Parser
	_, perr := p.ParseBytes(b)
	depth, verr := validate(b, nil)
	switch {
	case perr == nil && verr != nil:
		t.Fatalf("fastjson accepts %q, validate refuses it: %v", b, verr)
	case perr != nil && verr == nil && !strings.Contains(perr.Error(), "too big depth"):
		t.Fatalf("validate accepts %q, fastjson refuses it: %v", b, perr)
	case verr != nil:
		return
	}
	if perr == nil {
		require.Less(t, depth, fastjson.MaxDepth)
	}
	start := skipWSAt(b, 0)
	require.Equal(t, len(strings.TrimRight(string(b), " \t\r\n")), valueEnd(b, start), "value end of %q", b)
	// Flattened, anything parses, and what needed no flattening is unchanged.
	flat, flattened := Flatten(nil, b, 256)
	v, err := p.ParseBytes(flat)
	require.NoError(t, err, "flattened %q", flat)
	if !flattened {
		require.Equal(t, string(b), string(flat))
	}
	if perr == nil && flattened {
		t.Fatalf("flattened %q, which fastjson parses", b)
	}
	_ = v
}

func FuzzScan(f *testing.F) {
	for _, c := range scanCases {
		f.Add([]byte(c))
	}
	f.Add([]byte(`{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkValidate(t, b)
		if _, err := validate(b, nil); err != nil {
			return
		}
		start := skipWSAt(b, 0)
		var fd finder
		for _, p := range []Path{{"a"}, {"0"}, {"a", "0", "b"}, {"\\u0061"}} {
			s, ok := fd.find(b, start, p)
			if ok {
				e := fd.end(b, s)
				_, err := validate(b[s:e], nil)
				require.NoError(t, err, "span %q of %q", b[s:e], b)
			}
		}
	})
}

// The record-by-record decoding (pages above WholeBodyLimit, or nested too
// deep) reads the same records, times, problems and pagination as parsing
// the page whole.
func TestDecodeRawMatchesParsed(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "bodies", "*.json"))
	require.NoError(t, err)
	bodies := [][]byte{
		[]byte(`[{"id":1,"created_at":"2023-12-20T14:41:15Z"},{"id":"x"},3,null,{"id":{"a":[1]},"created_at":[1]}]`),
		[]byte(`{"a":[{"id":1,"t":1700000000123,"x":[[[]]]}],"next":"null","total":"12","meta":{"size":3}}`),
		[]byte(`{"b":{"c":[{"id":2,"t":"17e11"}]},"next":{"x":1}}`),
		[]byte(`{"a":{"id":5,"t":1}}`),
		[]byte(`{"\u0061":[{"\u0069d":1,"id":2,"t":1}],"next":true}`),
		[]byte(`{"x":1}`), []byte(`{}`), []byte(`null`), []byte(`[]`), []byte(`"s"`), []byte(`{"a":7}`),
		[]byte(`{"items":[{"id":1,"created_at":"2023-12-20T14:41:15Z"}],"meta":{"next":"https://x/2"},"pg":{"limit":100}}`),
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		bodies = append(bodies, b)
	}
	header := http.Header{"Link": {`<https://x/2>; rel="next"`}, "Total-Number": {"5"}}
	for _, pair := range decoderPairs(t) {
		for _, b := range bodies {
			compareDecode(t, pair, b, header)
		}
	}
}

type decoderPair struct{ whole, raw *Decoder }

func decoderPairs(tb testing.TB) []decoderPair {
	var out []decoderPair
	add := func(rec apispec.Records, pag apispec.Pagination) {
		w := newDecoder(tb, rec, pag)
		r := newDecoder(tb, rec, pag)
		r.wholeLimit = -1
		out = append(out, decoderPair{w, r})
	}
	for _, name := range apispec.BuiltinNames() {
		spec, err := apispec.Builtin(name)
		require.NoError(tb, err)
		add(spec.Records, spec.Pagination)
	}
	add(apispec.Records{IDField: "log_id", TimeField: "event_time"}, apispec.Pagination{Type: "link_header", TotalHeader: "Total-Number"})
	add(apispec.Records{Path: "a", AltPaths: []string{"b.c"}, IDField: "id", TimeField: "t", TimeFormat: "unix_ms"},
		apispec.Pagination{Type: "cursor", NextPath: "next", TotalPath: "total", PageSizePath: "meta.size"})
	add(apispec.Records{Path: "items", IDField: "id", TimeField: "created_at"}, apispec.Pagination{Type: "next_url", NextPath: "meta.next", PageSizePath: "pg.limit"})
	return out
}

func compareDecode(t *testing.T, pair decoderPair, body []byte, header http.Header) {
	t.Helper()
	wp, werr := pair.whole.Decode(body, header)
	rp, rerr := pair.raw.Decode(body, header)
	if werr != nil || rerr != nil {
		require.Equal(t, werr != nil, rerr != nil, "body %q: whole %v, raw %v", body, werr, rerr)
		return
	}
	require.Len(t, rp.Records, len(wp.Records), "body %q", body)
	for i := range wp.Records {
		w, r := wp.Records[i], rp.Records[i]
		assert.Equal(t, w.ID, r.ID, "body %q record %d", body, i)
		assert.Equal(t, w.Time, r.Time, "body %q record %d", body, i)
		assert.Equal(t, w.TimeSource, r.TimeSource, "body %q record %d", body, i)
		assert.Equal(t, w.Problem, r.Problem, "body %q record %d", body, i)
		require.NotNil(t, r.Raw)
		if w.Value != nil {
			var p fastjson.Parser
			v, err := p.ParseBytes(r.Raw)
			require.NoError(t, err)
			assert.Equal(t, canon(w.Value), canon(v), "body %q record %d", body, i)
		}
	}
	assert.Equal(t, wp.More, rp.More, "body %q", body)
	assert.Equal(t, wp.Next, rp.Next, "body %q", body)
	assert.Equal(t, wp.Size, rp.Size, "body %q", body)
	assert.Equal(t, wp.Total, rp.Total, "body %q", body)
	assert.Equal(t, wp.HasTotal, rp.HasTotal, "body %q", body)
}

// A record nested deeper than fastjson's limit costs only itself: the page
// decodes, record by record, and the others are intact.
func TestDecodeTooDeepRecord(t *testing.T) {
	d := newDecoder(t, tinesRecords, apispec.Pagination{Type: "page", NextPath: "meta.next_page"})
	deep := strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat(`}`, 5000)
	body := []byte(`{"action_logs":[{"id":1,"created_at":"2023-12-20T14:41:15Z"},{"id":2,"created_at":"2023-12-20T14:41:16Z","x":` + deep +
		`},{"id":3,"created_at":"2023-12-20T14:41:17Z"}],"meta":{"next_page":"https://x/2"}}`)
	page, err := d.Decode(body, nil)
	require.NoError(t, err)
	require.Len(t, page.Records, 3)
	for i, r := range page.Records {
		assert.Equal(t, strconv.Itoa(i+1), r.ID)
		assert.Empty(t, r.Problem)
		assert.Nil(t, r.Value)
		assert.NotEmpty(t, r.Raw)
	}
	assert.Equal(t, MoreYes, page.More)

	flat, flattened := Flatten(nil, page.Records[1].Raw, 256)
	require.True(t, flattened)
	var p fastjson.Parser
	v, err := p.ParseBytes(flat)
	require.NoError(t, err)
	assert.Equal(t, 2, v.GetInt("id"))

	// Invalid JSON is still refused as a whole.
	_, err = d.Decode(body[:len(body)-1], nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not valid JSON")
}

// A page of more records than one per 32 bytes of max_body_size is refused.
func TestDecodeMaxRecords(t *testing.T) {
	elems := func(n int) []byte { return []byte(`[` + strings.TrimSuffix(strings.Repeat(`1,`, n), ",") + `]`) }
	for _, limit := range []int{WholeBodyLimit, -1} {
		d := newDecoder(t, apispec.Records{IDField: "id"}, apispec.Pagination{})
		d.SetMaxBodySize(64 << 10) // 2048 records
		d.SetWholeBodyLimit(limit)
		_, err := d.Decode(elems(2049), nil)
		require.ErrorContains(t, err, "holds more than 2048 records")
		page, err := d.Decode(elems(2048), nil)
		require.NoError(t, err)
		assert.Len(t, page.Records, 2048)
	}
}

// Decoding a large body gives up once the done channel is closed.
func TestDecodeCancelled(t *testing.T) {
	d := newDecoder(t, tinesRecords, apispec.Pagination{Type: "page", NextPath: "meta.next_page"})
	rec := `{"id":1,"created_at":"2023-12-20T14:41:15Z"}`
	body := []byte(`{"action_logs":[` + strings.TrimSuffix(strings.Repeat(rec+",", 2*WholeBodyLimit/len(rec)), ",") + `]}`)
	page, err := d.Decode(body, nil)
	require.NoError(t, err)
	require.Greater(t, len(page.Records), 40_000)
	done := make(chan struct{})
	close(done)
	d.SetDone(done)
	_, err = d.Decode(body, nil)
	require.ErrorIs(t, err, context.Canceled)
}

// canon is v with keys and strings unescaped, in order, duplicates kept.
func canon(v *fastjson.Value) any {
	switch v.Type() {
	case fastjson.TypeObject:
		var kvs [][2]any
		v.GetObject().Visit(func(k []byte, fv *fastjson.Value) { kvs = append(kvs, [2]any{string(k), canon(fv)}) })
		return kvs
	case fastjson.TypeArray:
		var out []any
		for _, e := range v.GetArray() {
			out = append(out, canon(e))
		}
		return out
	case fastjson.TypeString:
		return string(v.GetStringBytes())
	}
	return v.String()
}
