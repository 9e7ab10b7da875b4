package decode

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

func body(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "bodies", name))
	require.NoError(tb, err)
	return b
}

func newDecoder(tb testing.TB, rec apispec.Records, pag apispec.Pagination) *Decoder {
	tb.Helper()
	d, err := New(rec, pag)
	require.NoError(tb, err)
	return d
}

var tinesRecords = apispec.Records{Path: "action_logs", IDField: "id", TimeField: "created_at", TimeFormat: "rfc3339"}

func TestDecodeTinesSeed(t *testing.T) {
	d := newDecoder(t, tinesRecords, apispec.Pagination{Type: "page", NextPath: "meta.next_page"})
	page, err := d.Decode(body(t, "tines_action_logs.seed000.json"), nil)
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
	r := page.Records[0]
	assert.Equal(t, "733", r.ID)
	assert.Equal(t, int64(1703083275e9), r.Time)
	assert.Equal(t, r.Time, r.Key)
	assert.Empty(t, r.Problem)
	assert.Contains(t, string(r.Value.GetStringBytes("message")), "\n      {\n")
	assert.Equal(t, MoreNo, page.More)
	assert.Empty(t, page.Next)
}

func TestDecodeIDs(t *testing.T) {
	d := newDecoder(t, apispec.Records{IDField: "id"}, apispec.Pagination{})
	page, err := d.Decode([]byte(`[
		{"id": 733}, {"id": 7.33e2}, {"id": 12345678901234567890123}, {"id": 9007199254740993},
		{"id": 1.5}, {"id": -0}, {"id": 1700000000123.0}, {"id": 1E2}, {"id": 0.000125},
		{"id": "abc"}, {"id": "caf\u00e9"}, {"id": null}, {}, {"id": ""}, {"id": {"a":1}}, {"id": true},
		"scalar"
	]`), nil)
	require.NoError(t, err)
	want := []struct{ id, problem string }{
		{"733", ""},
		{"733", ""},
		{"12345678901234567890123", ""},
		{"9007199254740993", ""},
		{"1.5", ""},
		{"0", ""},
		{"1700000000123", ""},
		{"100", ""},
		{"0.000125", ""},
		{"abc", ""},
		{"café", ""},
		{"", `missing id field "id"`},
		{"", `missing id field "id"`},
		{"", `empty id field "id"`},
		{"", `id field "id" holds a object`},
		{"true", ""},
		{"", `missing id field "id"`},
	}
	require.Len(t, page.Records, len(want))
	for i, w := range want {
		assert.Equal(t, w.id, page.Records[i].ID, "record %d", i)
		assert.Equal(t, w.problem, page.Records[i].Problem, "record %d", i)
	}
}

func TestDecodeTimeProblems(t *testing.T) {
	d := newDecoder(t, apispec.Records{IDField: "id", TimeField: "created_at"}, apispec.Pagination{})
	page, err := d.Decode([]byte(`[{"id":1,"created_at":"x"},{"id":2},{"created_at":"2023-12-20T14:41:15Z"},{"id":3,"created_at":null}]`), nil)
	require.NoError(t, err)
	require.Len(t, page.Records, 4)
	assert.Equal(t, `unparseable time "x" in "created_at"`, page.Records[0].Problem)
	assert.Zero(t, page.Records[0].Time)
	assert.Equal(t, `missing time field "created_at"`, page.Records[1].Problem)
	assert.Equal(t, `missing id field "id"`, page.Records[2].Problem)
	assert.Equal(t, int64(1703083275e9), page.Records[2].Time)
	assert.Equal(t, `missing time field "created_at"`, page.Records[3].Problem)
}

// StackOne's event_time, start_time and end_time are all nullable: the first
// one present and not null times the record; with none it is invalid, and a
// present value that is not a time is a problem, not a reason to read on.
func TestDecodeTimeFallbackFields(t *testing.T) {
	d := newDecoder(t, apispec.Records{
		IDField: "log_id", TimeField: "event_time", TimeFallbackFields: []string{"start_time", "end_time"}, TimeFormat: "rfc3339",
	}, apispec.Pagination{})
	page, err := d.Decode([]byte(`[
		{"log_id":"a","event_time":"2025-01-01T00:00:03.000Z","start_time":"2025-01-01T00:00:01.000Z","end_time":"2025-01-01T00:00:04.000Z"},
		{"log_id":"b","event_time":null,"start_time":"2025-01-01T00:00:01.000Z","end_time":"2025-01-01T00:00:04.000Z"},
		{"log_id":"c","event_time":null,"start_time":null,"end_time":"2025-01-01T00:00:04.000Z"},
		{"log_id":"d","end_time":"2025-01-01T00:00:04.000Z"},
		{"log_id":"e","event_time":null,"start_time":null,"end_time":null},
		{"log_id":"f"},
		{"log_id":"g","event_time":null,"start_time":"soon","end_time":"2025-01-01T00:00:04.000Z"}
	]`), nil)
	require.NoError(t, err)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	want := []struct {
		time    time.Duration
		source  int
		problem string
	}{
		{time: 3 * time.Second, source: 0},
		{time: 1 * time.Second, source: 1},
		{time: 4 * time.Second, source: 2},
		{time: 4 * time.Second, source: 2},
		{problem: `missing time fields "event_time", "start_time", "end_time" (all missing or null)`},
		{problem: `missing time fields "event_time", "start_time", "end_time" (all missing or null)`},
		{problem: `unparseable time "soon" in "start_time"`},
	}
	require.Len(t, page.Records, len(want))
	for i, w := range want {
		r := page.Records[i]
		assert.Equal(t, w.problem, r.Problem, r.ID)
		if w.problem == "" {
			assert.Equal(t, t0.Add(w.time).UnixNano(), r.Time, r.ID)
			assert.Equal(t, r.Time, r.Key, r.ID)
			assert.Equal(t, w.source, r.TimeSource, r.ID)
		} else {
			assert.Zero(t, r.Time, r.ID)
		}
	}
	assert.Equal(t, "event_time", d.TimeFieldName(0))
	assert.Equal(t, "end_time", d.TimeFieldName(2))
	assert.Empty(t, d.TimeFieldName(3))

	_, err = New(apispec.Records{IDField: "id", TimeField: "t", TimeFallbackFields: []string{"a..b", ""}}, apispec.Pagination{})
	require.EqualError(t, err, `time fallback field "a..b": invalid dotted path "a..b": empty segment`+"\ntime fallback field: empty")
}

func TestDecodeMoreSignal(t *testing.T) {
	tests := []struct {
		name, next string
		pagType    string
		wantMore   More
		wantNext   string
	}{
		{"json null", `null`, "page", MoreNo, ""},
		{"string null", `"null"`, "page", MoreNo, ""},
		{"false", `false`, "page", MoreNo, ""},
		{"empty string", `""`, "page", MoreNo, ""},
		{"true", `true`, "page", MoreYes, ""},
		{"url on page kind", `"https://x/logs?page=2"`, "page", MoreYes, ""},
		{"url", `"https://x/logs?page=2"`, "next_url", MoreYes, "https://x/logs?page=2"},
		{"url null", `null`, "next_url", MoreNo, ""},
		{"cursor", `"1632371803593_scenario.1229"`, "cursor", MoreYes, "1632371803593_scenario.1229"},
		{"numeric cursor", `2.0e1`, "cursor", MoreYes, "20"},
		{"string null cursor", `"null"`, "cursor", MoreNo, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDecoder(t, apispec.Records{Path: "items"}, apispec.Pagination{Type: tt.pagType, NextPath: "meta.next"})
			page, err := d.Decode([]byte(`{"items":[],"meta":{"next":`+tt.next+`}}`), nil)
			require.NoError(t, err)
			assert.Equal(t, tt.wantMore, page.More)
			assert.Equal(t, tt.wantNext, page.Next)
		})
	}
	t.Run("missing", func(t *testing.T) {
		d := newDecoder(t, apispec.Records{Path: "items"}, apispec.Pagination{Type: "page", NextPath: "meta.next"})
		page, err := d.Decode([]byte(`{"items":[{}]}`), nil)
		require.NoError(t, err)
		assert.Equal(t, MoreNo, page.More)
	})
	t.Run("no next path", func(t *testing.T) {
		d := newDecoder(t, apispec.Records{Path: "items"}, apispec.Pagination{Type: "page"})
		page, err := d.Decode([]byte(`{"items":[{}],"meta":{"next":"x"}}`), nil)
		require.NoError(t, err)
		assert.Equal(t, MoreUnknown, page.More)
	})
	t.Run("tines fixture string null", func(t *testing.T) {
		d := newDecoder(t, apispec.Records{Path: "audit_logs", IDField: "id", TimeField: "created_at"}, apispec.Pagination{Type: "page", NextPath: "meta.next_page"})
		page, err := d.Decode(body(t, "tines_audit_logs.fixture.json"), nil)
		require.NoError(t, err)
		assert.Len(t, page.Records, 4)
		assert.Equal(t, MoreNo, page.More)
	})
}

func TestNextLink(t *testing.T) {
	tests := []struct {
		name    string
		links   []string
		next    string
		present bool
	}{
		{"none", nil, "", false},
		{"logto", []string{`<https://x/api/logs?page=1>; rel="first", <https://x/api/logs?page=3>; rel="next", <https://x/api/logs?page=9>; rel="last"`}, "https://x/api/logs?page=3", true},
		{"unquoted", []string{`</api/logs?page=2>; rel=next`}, "/api/logs?page=2", true},
		{"several rels", []string{`<https://x/2>; rel="prev next"`}, "https://x/2", true},
		{"case", []string{`<https://x/2>; REL="Next"`}, "https://x/2", true},
		{"comma in param", []string{`<https://x/1>; title="a, b"; rel="prev", <https://x/3>; rel="next"`}, "https://x/3", true},
		{"two headers", []string{`<https://x/1>; rel="prev"`, `<https://x/3>; rel="next"`}, "https://x/3", true},
		{"no next", []string{`<https://x/1>; rel="first", <https://x/1>; rel="prev"`}, "", true},
		{"garbage", []string{`<<>>;;rel=;,<`}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, l := range tt.links {
				h.Add("Link", l)
			}
			next, present := NextLink(h)
			assert.Equal(t, tt.next, next)
			assert.Equal(t, tt.present, present)
		})
	}
}

func TestDecodeLinkHeaderPagination(t *testing.T) {
	d := newDecoder(t, apispec.Records{IDField: "id"}, apispec.Pagination{Type: "link_header"})
	body := []byte(`[{"id":"a"}]`)

	page, err := d.Decode(body, http.Header{"Link": {`<https://x/api/logs?page=2>; rel="next"`}})
	require.NoError(t, err)
	assert.Equal(t, MoreYes, page.More)
	assert.Equal(t, "https://x/api/logs?page=2", page.Next)

	page, err = d.Decode(body, http.Header{"Link": {`<https://x/api/logs?page=1>; rel="first"`}})
	require.NoError(t, err)
	assert.Equal(t, MoreNo, page.More)
	assert.Empty(t, page.Next)

	page, err = d.Decode(body, nil)
	require.NoError(t, err)
	assert.Equal(t, MoreUnknown, page.More)

	// Logto with enableCap past 10,000 matches drops rel="next": not the end.
	page, err = d.Decode(body, http.Header{"Link": {`<https://x/api/logs?page=1>; rel="first"`}, "Total-Number-Is-Capped": {"true"}})
	require.NoError(t, err)
	assert.Equal(t, MoreUnknown, page.More)
}

func TestDecodeAltPathsAndSingleObject(t *testing.T) {
	d := newDecoder(t, apispec.Records{Path: "scenarioLogs", AltPaths: []string{"scenarioLog"}, IDField: "id", TimeField: "timestamp"}, apispec.Pagination{Type: "offset"})

	// Make's execution.get fixture: the plural key holding one object.
	page, err := d.Decode(body(t, "make_scenario_logs.fixture-execution-get.json"), nil)
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
	assert.Equal(t, "cc1c49323b344687a324888762206003", page.Records[0].ID)
	assert.Equal(t, int64(1632398122946e6), page.Records[0].Time)

	// The documented singular key.
	page, err = d.Decode([]byte(`{"scenarioLog":{"id":"x","timestamp":"2021-09-23T11:55:22.946Z"}}`), nil)
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
	assert.Equal(t, "x", page.Records[0].ID)

	// The list.
	page, err = d.Decode(body(t, "make_scenario_logs.fixture-list.json"), nil)
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
	assert.Equal(t, "da518adcd14b4b64ac6358823ccb80ca", page.Records[0].ID)
	assert.Equal(t, MoreUnknown, page.More)

	// Root object with Path "" (StackOne single action log).
	d = newDecoder(t, apispec.Records{IDField: "log_id", TimeField: "event_time"}, apispec.Pagination{Type: "none"})
	page, err = d.Decode(body(t, "stackone_action_logs.seed001.json"), nil)
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
	assert.Equal(t, "adbf752f-6457-4ddd-89b3-98ae2252b83b", page.Records[0].ID)
	assert.Equal(t, int64(1609459200e9), page.Records[0].Time)
}

func TestDecodeEmpty(t *testing.T) {
	d := newDecoder(t, apispec.Records{Path: "data.items", IDField: "id"}, apispec.Pagination{})
	for _, b := range []string{`{}`, `null`, `{"data":{"items":[]}}`, `{"data":{"items":null}}`, " {} \n"} {
		page, err := d.Decode([]byte(b), nil)
		require.NoError(t, err, b)
		assert.Empty(t, page.Records, b)
	}
}

func TestDecodeErrors(t *testing.T) {
	d := newDecoder(t, apispec.Records{Path: "audit_logs", AltPaths: []string{"logs"}, IDField: "id"}, apispec.Pagination{})

	_, err := d.Decode([]byte(`<html><body>502 Bad Gateway secret-token-abc</body></html>`), nil)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "response is not valid JSON: "), err.Error())
	assert.Contains(t, err.Error(), "looks like HTML")
	assert.NotContains(t, err.Error(), "secret-token")
	assert.NotContains(t, err.Error(), "Bad Gateway")

	_, err = d.Decode([]byte(`{"audit_logs":[{"id":1,"message":"half a secret`), nil)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "response is not valid JSON: "), err.Error())
	assert.NotContains(t, err.Error(), "secret")
	assert.Less(t, len(err.Error()), 220)

	_, err = d.Decode(nil, nil)
	require.ErrorContains(t, err, "the body is empty")

	_, err = d.Decode([]byte(`{"data":[{"password":"hunter2"}],"meta":{"count":1}}`), nil)
	require.Error(t, err)
	assert.Equal(t, `records path "audit_logs" or "logs" not found in the response; top-level keys: "data", "meta"`, err.Error())
	assert.NotContains(t, err.Error(), "hunter2")

	_, err = d.Decode([]byte(`[{"id":1}]`), nil)
	require.ErrorContains(t, err, "the body is a JSON array")

	_, err = d.Decode([]byte(`{"audit_logs":"nope"}`), nil)
	require.ErrorContains(t, err, `records path "audit_logs" holds a string`)
	_, err = d.Decode([]byte(`{"logs":3}`), nil)
	assert.ErrorContains(t, err, `records path "logs" holds a number`)
}

func TestNewErrors(t *testing.T) {
	_, err := New(apispec.Records{Path: "a..b", IDField: ".id", TimeField: "t", TimeFormat: "epoch"}, apispec.Pagination{NextPath: "x."})
	require.Error(t, err)
	for _, want := range []string{"records path", "id field", "time format", "next path"} {
		assert.ErrorContains(t, err, want)
	}
}

func TestLookup(t *testing.T) {
	// Make's execution details, read as an enrichment document.
	v := mustJSON(t, string(body(t, "make_execution_detail.fixture.json")))
	assert.Equal(t, "SUCCESS", string(Lookup(v, "status").GetStringBytes()))
	assert.Equal(t, "text output", string(Lookup(v, "outputs.output1").GetStringBytes()))
	text, ok := Text(Lookup(v, "outputs.output2"))
	assert.True(t, ok)
	assert.Equal(t, "123", text)
	assert.Nil(t, Lookup(v, "error.message"))
	assert.Nil(t, Lookup(v, "status.x"))
	assert.Same(t, v, Lookup(v, ""))
	assert.Nil(t, Lookup(nil, "a"))
	arr := mustJSON(t, `{"a":[{"b":1},{"b":2}]}`)
	text, _ = Text(Lookup(arr, "a.1.b"))
	assert.Equal(t, "2", text)
}

func TestAppendNumber(t *testing.T) {
	for raw, want := range map[string]string{
		"0": "0", "-0": "0", "0.0": "0", "007": "7", "733": "733", "7.33e2": "733", "7.33E+2": "733",
		"1.50": "1.5", "-1.50": "-1.5", "1e-3": "0.001", "123456789012345678901234567890": "123456789012345678901234567890",
		"1e100": "1e100", "1.5e-100": "1.5e-100", "12.5e1": "125", "0.0012e3": "1.2",
	} {
		got, ok := AppendNumber(nil, raw)
		assert.True(t, ok, raw)
		assert.Equal(t, want, string(got), raw)
	}
	for _, raw := range []string{"NaN", "inf", "1-2", "", "-", "1e", "."} {
		got, ok := AppendNumber(nil, raw)
		assert.False(t, ok, raw)
		assert.Equal(t, raw, string(got))
	}
}

func TestArenaInvalidUTF8(t *testing.T) {
	var a Arena
	assert.Equal(t, "a\uFFFDb", a.String([]byte("a\xffb")))
	s1 := a.String([]byte("hello"))
	s2 := a.String([]byte("world"))
	assert.Equal(t, "hello", s1)
	assert.Equal(t, "world", s2)
	big := strings.Repeat("x", arenaChunk)
	assert.Equal(t, big, a.String([]byte(big)))
}
