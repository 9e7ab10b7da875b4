package mapper

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// dump writes v with its types and in its order, so that two values compare
// equal only when every key, order and type agrees (Map.Equal ignores order).
func dump(b *strings.Builder, v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeMap:
		b.WriteString("{")
		v.Map().Range(func(k string, e pcommon.Value) bool {
			fmt.Fprintf(b, "%q:", k)
			dump(b, e)
			b.WriteString(",")
			return true
		})
		b.WriteString("}")
	case pcommon.ValueTypeSlice:
		b.WriteString("[")
		for i := 0; i < v.Slice().Len(); i++ {
			dump(b, v.Slice().At(i))
			b.WriteString(",")
		}
		b.WriteString("]")
	case pcommon.ValueTypeDouble:
		fmt.Fprintf(b, "double(%v)", v.Double())
	default:
		fmt.Fprintf(b, "%s(%q)", v.Type(), v.AsString())
	}
}

func dumpRecord(lr plog.LogRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %d %d %q body=", lr.Timestamp(), lr.ObservedTimestamp(), lr.SeverityNumber(), lr.SeverityText())
	dump(&b, lr.Body())
	b.WriteString(" attrs=")
	v := pcommon.NewValueMap()
	lr.Attributes().CopyTo(v.Map())
	dump(&b, v)
	return b.String()
}

var bigMapRecords = []string{
	`{"id":1,"a":1,"b":"x","a":{"n":[1,2]},"c":null,"d":true,"e":false,"f":1.5,"g":1e400,"h":-0,"i":"1-2","j":12345678901234567890}`,
	`{"id":1,"k":1-2,"l":nan,"m":-inf,"n":1e3,"o":42.0,"p":-9223372036854775808,"q":9223372036854775808}`,
	"{\"id\":1,\"bad\xff\xfekey\":\"v\xffal\",\"bad\xfd\xfckey\":2,\"s\":\"caf\\u00e9 \\ud83d\\ude00 \\x\"}",
	`{"id":1,"nested":{"a":{"b":{"c":[{"d":1,"d":2},{"e":[]},[],{}]}}},"dup":{"x":1},"dup":[1],"dup":"last"}`,
	`{"message":"body","id":2,"message":"second body","level":"error"}`,
	`{}`,
	`{"id":"\u0069d","\u0069d":3,"level":3}`,
}

// manyKeysLen is how many members manyKeys(n) maps to.
func manyKeysLen(n int) int {
	seen := map[int]bool{}
	for i := 0; i < n; i++ {
		if i%10 == 9 {
			seen[i/2] = true
		} else {
			seen[i] = true
		}
	}
	return 2 + len(seen) + 1
}

// manyKeys is a record of n keys k0000000..; every tenth repeats an
// earlier key, which keeps its first position and takes the last value.
func manyKeys(n int) string {
	var b strings.Builder
	b.WriteString(`{"id":1,"created_at":"2024-05-01T12:00:00Z"`)
	for i := 0; i < n; i++ {
		k := i
		if i%10 == 9 {
			k = i / 2
		}
		fmt.Fprintf(&b, `,"k%07d":%d`, k, i)
	}
	b.WriteString(`,"obj":{`)
	for i := 0; i < 100; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"n%d":[%d,"s",{"x":null}]`, i%70, i)
	}
	b.WriteString(`}}`)
	return b.String()
}

// Objects built through the protobuf decoder equal objects built with
// Put*: members, order, repeated keys, types, numbers, strings and UTF-8
// repair; with the fields as attributes and the message as body, with the
// whole record as body (with and without a message) and with a body field.
func TestBigMapMatchesPut(t *testing.T) {
	records := append(append([]string{}, bigMapRecords...), manyKeys(300))
	for _, mode := range []struct {
		name      string
		bodyField string
		noMessage bool
		opts      []Option
	}{
		{name: "message"},
		{name: "body: record", opts: []Option{WithBody(BodyRecord)}},
		{name: "no message", noMessage: true},
		{name: "body field message", bodyField: "message", noMessage: true},
		{name: "body field nested.a", bodyField: "nested.a", noMessage: true},
	} {
		spec, err := apispec.Builtin("tines_action_logs")
		require.NoError(t, err)
		spec.Records.BodyField = mode.bodyField
		if mode.noMessage {
			spec.Records.Message = nil
		}
		for _, rec := range records {
			put, proto := mapWith(t, spec, rec, 1<<30, mode.opts...), mapWith(t, spec, rec, 0, mode.opts...)
			require.Equal(t, put, proto, "%s, record %.200s", mode.name, rec)
		}
	}
	// ToValue (enrichment) repairs strings the same way both ways.
	for _, rec := range records {
		v, err := fastjson.Parse(rec)
		require.NoError(t, err)
		got := make([]string, 2)
		for i, at := range []int{1 << 30, 0} {
			bigMapAt = at
			pv := pcommon.NewValueEmpty()
			ToValue(pv, v)
			var b strings.Builder
			dump(&b, pv)
			got[i] = b.String()
		}
		bigMapAt = bigMap
		require.Equal(t, got[0], got[1])
	}
}

func mapWith(tb testing.TB, spec *apispec.Spec, record string, at int, opts ...Option) string {
	tb.Helper()
	bigMapAt = at
	defer func() { bigMapAt = bigMap }()
	m, err := New(spec, nil, opts...)
	require.NoError(tb, err)
	v, err := fastjson.Parse(record)
	require.NoError(tb, err)
	lr := plog.NewLogRecord()
	m.Append(lr, &decode.Record{ID: "id-1", Time: 5, Value: v}, 42)
	return dumpRecord(lr)
}

func FuzzBigMap(f *testing.F) {
	for _, r := range bigMapRecords {
		f.Add(r)
	}
	spec, err := apispec.Builtin("oms_action_logs")
	if err != nil {
		f.Fatal(err)
	}
	bodySpec := *spec
	bodySpec.Records.BodyField = "message"
	bodySpec.Records.Message = nil
	f.Fuzz(func(t *testing.T, record string) {
		if _, err := fastjson.Parse(record); err != nil {
			return
		}
		for _, s := range []*apispec.Spec{spec, &bodySpec} {
			require.Equal(t, mapWith(t, s, record, 1<<30), mapWith(t, s, record, 0))
		}
		rec := WithBody(BodyRecord)
		require.Equal(t, mapWith(t, spec, record, 1<<30, rec), mapWith(t, spec, record, 0, rec))
	})
}

// One record with 200,000 keys maps in linear time: before, each Put*
// searched the map, and this record kept a core busy for minutes.
func TestManyKeysLinear(t *testing.T) {
	const n = 200_000
	spec, err := apispec.Builtin("tines_action_logs")
	require.NoError(t, err)
	spec.Records.Path = ""
	d, err := decode.New(spec.Records, spec.Pagination)
	require.NoError(t, err)
	m, err := New(spec, nil)
	require.NoError(t, err)
	page, err := d.Decode([]byte(`[`+manyKeys(n)+`]`), nil)
	require.NoError(t, err)
	require.Len(t, page.Records, 1)
	lr := plog.NewLogRecord()
	start := time.Now()
	require.NoError(t, m.AppendRecord(nil, lr, &page.Records[0], 1))
	t.Logf("%d keys mapped in %v", n, time.Since(start))
	assert.Equal(t, []string{"tines", AttrUID}, attrKeys(lr.Attributes()), "the fields' map, then log.record.uid")
	body := fieldsOf(t, lr, "tines")
	require.Equal(t, manyKeysLen(n), body.Len())
	// Order of first occurrence; a repeated key holds its last value.
	keys := make([]string, 0, body.Len())
	body.Range(func(k string, _ pcommon.Value) bool {
		keys = append(keys, k)
		return true
	})
	assert.Equal(t, []string{"id", "created_at", "k0000000", "k0000001"}, keys[:4])
	v, ok := body.Get("k0000004")
	require.True(t, ok)
	assert.Equal(t, int64(9), v.Int(), "k0000004 is repeated by record 9, which wins")
	v, _ = body.Get("k0000010")
	assert.Equal(t, int64(10), v.Int())
	obj, _ := body.Get("obj")
	assert.Equal(t, 70, obj.Map().Len())
}

// A closed done channel stops the mapping of any record within 4096 values,
// the fields as attributes (the message as body) or as the body.
func TestAppendRecordCancelled(t *testing.T) {
	spec, err := apispec.Builtin("tines_action_logs")
	require.NoError(t, err)
	for _, body := range []Body{BodyMessage, BodyRecord} {
		m, err := New(spec, nil, WithBody(body))
		require.NoError(t, err)
		fields := func(lr plog.LogRecord) pcommon.Map {
			if body == BodyRecord {
				return lr.Body().Map()
			}
			return fieldsOf(t, lr, "tines")
		}
		for _, tc := range []struct{ at, n int }{{bigMap, 50_000}, {1 << 30, 10_000}} {
			bigMapAt = tc.at
			v, err := fastjson.Parse(manyKeys(tc.n))
			require.NoError(t, err)
			done := make(chan struct{})
			close(done)
			lr := plog.NewLogRecord()
			err = m.AppendRecord(done, lr, &decode.Record{ID: "1", Time: 1, Value: v}, 1)
			require.ErrorIs(t, err, errCancelled)
			assert.LessOrEqual(t, fields(lr).Len(), 4096)
			// The mapper is usable afterwards.
			lr = plog.NewLogRecord()
			require.NoError(t, m.AppendRecord(nil, lr, &decode.Record{ID: "1", Time: 1, Value: v}, 1))
			if body == BodyRecord {
				assert.Equal(t, manyKeysLen(tc.n), fields(lr).Len())
				msg, _ := lr.Attributes().Get(AttrMessage)
				assert.Equal(t, "tines.action_log 1", msg.Str(), "manyKeys has no message field")
			} else {
				assert.Equal(t, manyKeysLen(tc.n), fields(lr).Len())
				assert.Equal(t, []string{"tines", AttrUID}, attrKeys(lr.Attributes()))
				assert.Equal(t, "tines.action_log 1", lr.Body().Str(), "manyKeys has no message field")
			}
		}
	}
	bigMapAt = bigMap
}

// Records decoded record by record are parsed when they are mapped; one
// nested deeper than fastjson's limit arrives with the deep part as JSON
// text and flagged, and the other records of its page are intact.
func TestLoadTooDeep(t *testing.T) {
	spec, err := apispec.Builtin("tines_action_logs")
	require.NoError(t, err)
	d, err := decode.New(spec.Records, spec.Pagination)
	require.NoError(t, err)
	m, err := New(spec, nil)
	require.NoError(t, err)
	deep := strings.Repeat(`[`, 1000) + `"x"` + strings.Repeat(`]`, 1000)
	body := `{"action_logs":[{"id":1,"level":3,"created_at":"2023-12-20T14:41:15Z"},` +
		`{"id":2,"level":4,"created_at":"2023-12-20T14:41:16Z","deep":` + deep + `},` +
		`{"id":3,"level":2,"created_at":"2023-12-20T14:41:17Z"}]}`
	page, err := d.Decode([]byte(body), nil)
	require.NoError(t, err)
	require.Len(t, page.Records, 3)
	logs := plog.NewLogs()
	lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
	for i := range page.Records {
		require.Nil(t, page.Records[i].Value)
		m.Append(lrs.AppendEmpty(), &page.Records[i], 1)
		require.Nil(t, page.Records[i].Value, "no parsed value is left behind")
	}
	for i := 0; i < 3; i++ {
		lr := lrs.At(i)
		uid, _ := lr.Attributes().Get(AttrUID)
		assert.Equal(t, strconv.Itoa(i+1), uid.Str())
		id, _ := fieldsOf(t, lr, "tines").Get("id")
		assert.Equal(t, int64(i+1), id.Int())
		note, flagged := lr.Attributes().Get(AttrDecodeError)
		assert.Equal(t, i == 1, flagged)
		if i == 1 {
			assert.Contains(t, note.Str(), "nested deeper than 256 levels")
			assert.Equal(t, plog.SeverityNumberError, lr.SeverityNumber())
			v, _ := fieldsOf(t, lr, "tines").Get("deep")
			for level := 1; level < maxDepth; level++ {
				require.Equal(t, pcommon.ValueTypeSlice, v.Type(), "level %d", level)
				v = v.Slice().At(0)
			}
			require.Equal(t, pcommon.ValueTypeStr, v.Type())
			assert.Equal(t, strings.Repeat(`[`, 1000-maxDepth+1)+`"x"`+strings.Repeat(`]`, 1000-maxDepth+1), v.Str())
		}
	}
	_, err = (&plog.ProtoMarshaler{}).MarshalLogs(logs)
	require.NoError(t, err)
}

// BenchmarkManyKeys maps one record of n keys: ns/key stays flat as n grows
// (with Put* alone it grew with n).
func BenchmarkManyKeys(b *testing.B) {
	spec, err := apispec.Builtin("tines_action_logs")
	require.NoError(b, err)
	m, err := New(spec, nil)
	require.NoError(b, err)
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			v, err := fastjson.Parse(manyKeys(n))
			require.NoError(b, err)
			rec := &decode.Record{ID: "1", Time: 1, Value: v}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				m.Append(plog.NewLogRecord(), rec, 1)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
		})
	}
}
