package mapper

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

func f64(v float64) *float64 { return &v }

// fieldsOf is the map of the record's fields, the attribute ns.
func fieldsOf(tb testing.TB, lr plog.LogRecord, ns string) pcommon.Map {
	tb.Helper()
	v, ok := lr.Attributes().Get(ns)
	require.True(tb, ok, "no attribute %q", ns)
	require.Equal(tb, pcommon.ValueTypeMap, v.Type(), ns)
	return v.Map()
}

// attrKeys lists the keys of m in order.
func attrKeys(m pcommon.Map) []string {
	keys := make([]string, 0, m.Len())
	m.Range(func(k string, _ pcommon.Value) bool {
		keys = append(keys, k)
		return true
	})
	return keys
}

// mapOne maps one record given as JSON and returns the log record.
func mapOne(t *testing.T, m *Mapper, record string) plog.LogRecord {
	t.Helper()
	v, err := fastjson.Parse(record)
	require.NoError(t, err)
	lr := plog.NewLogRecord()
	m.Append(lr, &decode.Record{ID: "id-1", Time: 1_700_000_000e9, Key: 1_700_000_000e9, Value: v}, 42)
	return lr
}

func TestParseSeverity(t *testing.T) {
	for name, want := range map[string]plog.SeverityNumber{
		"TRACE": plog.SeverityNumberTrace, "trace4": plog.SeverityNumberTrace4, "Info": plog.SeverityNumberInfo,
		"WARN": plog.SeverityNumberWarn, "error3": plog.SeverityNumberError3, "FATAL4": plog.SeverityNumberFatal4,
		"UNSPECIFIED": plog.SeverityNumberUnspecified, "0": 0, "17": plog.SeverityNumberError, "24": plog.SeverityNumberFatal4,
	} {
		got, err := ParseSeverity(name)
		require.NoError(t, err, name)
		assert.Equal(t, want, got, name)
	}
	for _, bad := range []string{"", "WARNING", "25", "-1", "INFO5"} {
		_, err := ParseSeverity(bad)
		assert.Error(t, err, bad)
	}
}

func TestSeverityOMS(t *testing.T) {
	spec, err := apispec.Builtin("oms_action_logs")
	require.NoError(t, err)
	m, err := New(spec, nil)
	require.NoError(t, err)
	tests := []struct {
		level string
		num   plog.SeverityNumber
		text  string
	}{
		{`0`, plog.SeverityNumberUnspecified, "NOTSET"},
		{`10`, plog.SeverityNumberDebug, "DEBUG"},
		{`20`, plog.SeverityNumberInfo, "INFO"},
		{`20.0`, plog.SeverityNumberInfo, "INFO"}, // numbers compare in canonical form
		{`30`, plog.SeverityNumberWarn, "WARNING"},
		{`40`, plog.SeverityNumberError, "ERROR"},
		{`50`, plog.SeverityNumberFatal, "CRITICAL"},
		{`5`, plog.SeverityNumberTrace, "5"},
		{`15`, plog.SeverityNumberDebug, "15"},
		{`25`, plog.SeverityNumberInfo, "25"},
		{`35`, plog.SeverityNumberWarn, "35"},
		{`45`, plog.SeverityNumberError, "45"},
		{`51`, plog.SeverityNumberFatal, "51"},
		{`99`, plog.SeverityNumberFatal, "99"},
		{`"45"`, plog.SeverityNumberError, "45"}, // numeric string: ranges still apply
		{`"40"`, plog.SeverityNumberError, "ERROR"},
		{`10.5`, plog.SeverityNumberUnspecified, "10.5"}, // between two ranges: default, raw text
		{`-3`, plog.SeverityNumberUnspecified, "-3"},
		{`"abc"`, plog.SeverityNumberUnspecified, "abc"},
		{`null`, plog.SeverityNumberUnspecified, ""},
	}
	for _, tt := range tests {
		lr := mapOne(t, m, `{"id":1,"level":`+tt.level+`}`)
		assert.Equal(t, tt.num, lr.SeverityNumber(), tt.level)
		assert.Equal(t, tt.text, lr.SeverityText(), tt.level)
	}
	lr := mapOne(t, m, `{"id":1}`)
	assert.Equal(t, plog.SeverityNumberUnspecified, lr.SeverityNumber())
	assert.Empty(t, lr.SeverityText())
}

func TestSeverityStackOne(t *testing.T) {
	spec, err := apispec.Builtin("stackone_action_logs")
	require.NoError(t, err)
	m, err := New(spec, nil)
	require.NoError(t, err)
	tests := []struct {
		record string
		num    plog.SeverityNumber
		text   string
	}{
		{`{"success":true,"status_code":200}`, plog.SeverityNumberInfo, "success"},
		{`{"success":false,"status_code":404}`, plog.SeverityNumberWarn, "404"},
		{`{"success":false,"status_code":400}`, plog.SeverityNumberWarn, "400"},
		{`{"success":false,"status_code":499}`, plog.SeverityNumberWarn, "499"},
		{`{"success":false,"status_code":500}`, plog.SeverityNumberError, "500"},
		{`{"success":false}`, plog.SeverityNumberError, "failure"},
		{`{"success":"true"}`, plog.SeverityNumberInfo, "success"}, // text form of a string equals too
		// success true whatever the status.
		{`{"success":true,"status_code":500}`, plog.SeverityNumberInfo, "success"},
		{`{"success":true,"status_code":null}`, plog.SeverityNumberInfo, "success"},
		// success false: 4xx WARN, anything else ERROR.
		{`{"success":false,"status_code":200}`, plog.SeverityNumberError, "failure"},
		{`{"success":false,"status_code":204}`, plog.SeverityNumberError, "failure"},
		{`{"success":false,"status_code":302}`, plog.SeverityNumberError, "302"},
		{`{"success":false,"status_code":100}`, plog.SeverityNumberError, "100"},
		{`{"success":false,"status_code":null}`, plog.SeverityNumberError, "failure"},
		{`{"success":false,"status_code":"n/a"}`, plog.SeverityNumberError, "failure"},
		// success null or missing: the status decides.
		{`{"success":null,"status_code":200}`, plog.SeverityNumberInfo, "200"},
		{`{"success":null,"status_code":299}`, plog.SeverityNumberInfo, "299"},
		{`{"status_code":201}`, plog.SeverityNumberInfo, "201"},
		{`{"success":null,"status_code":"200"}`, plog.SeverityNumberInfo, "200"},
		{`{"success":null,"status_code":404}`, plog.SeverityNumberWarn, "404"},
		{`{"success":null,"status_code":429}`, plog.SeverityNumberWarn, "429"},
		{`{"success":null,"status_code":302}`, plog.SeverityNumberError, "302"},
		{`{"success":null,"status_code":500}`, plog.SeverityNumberError, "500"},
		{`{"success":null,"status_code":503}`, plog.SeverityNumberError, "503"},
		{`{"success":null,"status_code":199}`, plog.SeverityNumberError, "199"},
		{`{"success":null,"status_code":0}`, plog.SeverityNumberError, "0"},
		{`{"success":null,"status_code":"n/a"}`, plog.SeverityNumberError, "n/a"},
		// Neither.
		{`{"success":null,"status_code":null}`, plog.SeverityNumberUnspecified, ""},
		{`{}`, plog.SeverityNumberUnspecified, ""},
	}
	for _, tt := range tests {
		lr := mapOne(t, m, tt.record)
		assert.Equal(t, tt.num, lr.SeverityNumber(), tt.record)
		assert.Equal(t, tt.text, lr.SeverityText(), tt.record)
	}
}

// A record timed by a fallback field says which one; a record timed by the
// time field itself carries no such attribute.
func TestAppendTimeFieldAttribute(t *testing.T) {
	spec, err := apispec.Builtin("stackone_action_logs")
	require.NoError(t, err)
	m, err := New(spec, nil)
	require.NoError(t, err)
	v, err := fastjson.Parse(`{"log_id":"x","event_time":null,"start_time":"2025-01-01T00:00:01Z"}`)
	require.NoError(t, err)
	for source, want := range map[int]string{0: "", 1: "start_time", 2: "end_time", 3: ""} {
		lr := plog.NewLogRecord()
		m.Append(lr, &decode.Record{ID: "x", Time: 1_700_000_000e9, TimeSource: source, Value: v}, 42)
		got, ok := lr.Attributes().Get(AttrTimeField)
		assert.Equal(t, want != "", ok, "source %d", source)
		if ok {
			assert.Equal(t, want, got.AsString(), "source %d", source)
		}
		assert.Equal(t, pcommon.Timestamp(1_700_000_000e9), lr.Timestamp())
		uid, _ := lr.Attributes().Get(AttrUID)
		assert.Equal(t, "x", uid.AsString())
	}
	spec.Records.BodyField, spec.Records.Message = "log_id", nil
	m, err = New(spec, nil)
	require.NoError(t, err)
	lr := plog.NewLogRecord()
	m.Append(lr, &decode.Record{ID: "x", Time: 1, TimeSource: 1, Value: v}, 42)
	got, _ := lr.Attributes().Get(AttrTimeField)
	assert.Equal(t, "start_time", got.AsString(), "with a body field too")
	assert.Equal(t, []string{"stackone", AttrUID, AttrTimeField}, attrKeys(lr.Attributes()))
	assert.Equal(t, []string{"event_time", "start_time"}, attrKeys(fieldsOf(t, lr, "stackone")))
}

func TestSeverityOverridesAndDefaults(t *testing.T) {
	spec := &apispec.Spec{Severity: apispec.Severity{
		Rules: []apispec.SeverityRule{
			{Field: "payload.result", Equals: "Success", Severity: "INFO"},
			{Field: "payload.result", Equals: "Error", Severity: "ERROR", Text: "failed"},
			{Field: "code", Min: f64(1), Severity: "DEBUG"},
			{Field: "flag", Severity: "TRACE"}, // any present value
		},
		Default: "WARN",
	}}
	// Overrides apply to the first rule's field, before the spec's rules.
	m, err := New(spec, map[string]string{"Error": "warn", "Skipped": "debug2"})
	require.NoError(t, err)
	tests := []struct {
		record string
		num    plog.SeverityNumber
		text   string
	}{
		{`{"payload":{"result":"Success"}}`, plog.SeverityNumberInfo, "Success"},
		{`{"payload":{"result":"Error"}}`, plog.SeverityNumberWarn, "Error"},
		{`{"payload":{"result":"Skipped"}}`, plog.SeverityNumberDebug2, "Skipped"},
		{`{"payload":{"result":"Other"},"code":3}`, plog.SeverityNumberDebug, "3"},
		{`{"payload":{"result":"Other"},"code":0}`, plog.SeverityNumberWarn, "Other"}, // default, first field's text
		{`{"flag":false}`, plog.SeverityNumberTrace, "false"},
		{`{"flag":{"a":1}}`, plog.SeverityNumberTrace, ""},
		{`{"flag":null}`, plog.SeverityNumberWarn, ""},
		{`{}`, plog.SeverityNumberWarn, ""},
	}
	for _, tt := range tests {
		lr := mapOne(t, m, tt.record)
		assert.Equal(t, tt.num, lr.SeverityNumber(), tt.record)
		assert.Equal(t, tt.text, lr.SeverityText(), tt.record)
	}

	// Without overrides the spec's own rules apply.
	m, err = New(spec, nil)
	require.NoError(t, err)
	lr := mapOne(t, m, `{"payload":{"result":"Error"}}`)
	assert.Equal(t, plog.SeverityNumberError, lr.SeverityNumber())
	assert.Equal(t, "failed", lr.SeverityText())

	// DefaultText wins over the field's text.
	spec.Severity.DefaultText = "other"
	m, err = New(spec, nil)
	require.NoError(t, err)
	lr = mapOne(t, m, `{"payload":{"result":"Nope"}}`)
	assert.Equal(t, "other", lr.SeverityText())
}

func TestNewErrors(t *testing.T) {
	_, err := New(&apispec.Spec{Severity: apispec.Severity{Default: "LOUD"}}, nil)
	require.ErrorContains(t, err, "severity default")
	_, err = New(&apispec.Spec{Severity: apispec.Severity{Rules: []apispec.SeverityRule{{Field: "a", Severity: "NOPE"}}}}, nil)
	require.ErrorContains(t, err, "severity rule 1")
	_, err = New(&apispec.Spec{Severity: apispec.Severity{Rules: []apispec.SeverityRule{{Field: "a", Min: f64(5), Max: f64(1), Severity: "INFO"}}}}, nil)
	require.ErrorContains(t, err, "min 5 is above max 1")
	_, err = New(&apispec.Spec{Severity: apispec.Severity{Rules: []apispec.SeverityRule{{Field: "", Severity: "INFO"}}}}, nil)
	require.Error(t, err)
	_, err = New(&apispec.Spec{Severity: apispec.Severity{Default: "INFO"}}, map[string]string{"x": "INFO"})
	require.ErrorContains(t, err, "overrides need")
	_, err = New(&apispec.Spec{Severity: apispec.Severity{Rules: []apispec.SeverityRule{{Field: "a", Severity: "INFO"}}}}, map[string]string{"x": "LOUD"})
	require.ErrorContains(t, err, `severity override "x"`)
	_, err = New(&apispec.Spec{Records: apispec.Records{BodyField: "a..b"}}, nil)
	require.ErrorContains(t, err, "body field")
	_, err = New(nil, nil)
	assert.Error(t, err)
}

func TestAppendWholeRecordBody(t *testing.T) {
	m, err := New(&apispec.Spec{Severity: apispec.Severity{Default: "INFO"}}, nil)
	require.NoError(t, err)
	lr := mapOne(t, m, `{"z":1,"a":{"y":[1,"two",null,{"k":false}],"x":null},"m":"caf\u00e9 \"q\"","big":12345678901234567890,"f":1.25,"e":1e3,"b":true}`)
	assert.Equal(t, pcommon.Timestamp(1_700_000_000e9), lr.Timestamp())
	assert.Equal(t, pcommon.Timestamp(42), lr.ObservedTimestamp())
	assert.Equal(t, plog.SeverityNumberInfo, lr.SeverityNumber())
	uid, ok := lr.Attributes().Get(AttrUID)
	require.True(t, ok)
	assert.Equal(t, "id-1", uid.Str())
	assert.Equal(t, 1, lr.Attributes().Len())

	require.Equal(t, pcommon.ValueTypeMap, lr.Body().Type())
	body := lr.Body().Map()
	var keys []string
	body.Range(func(k string, _ pcommon.Value) bool { keys = append(keys, k); return true })
	assert.Equal(t, []string{"z", "a", "m", "big", "f", "e", "b"}, keys, "key order kept")
	assert.Equal(t, map[string]any{
		"z":   int64(1),
		"a":   map[string]any{"y": []any{int64(1), "two", nil, map[string]any{"k": false}}, "x": nil},
		"m":   `café "q"`,
		"big": 12345678901234567890.0,
		"f":   1.25,
		"e":   int64(1000),
		"b":   true,
	}, body.AsRaw())
}

func TestAppendBodyField(t *testing.T) {
	spec := &apispec.Spec{Records: apispec.Records{BodyField: "message"}}
	m, err := New(spec, nil)
	require.NoError(t, err)
	lr := mapOne(t, m, `{"id":733,"message":"hello","level":3,"inbound_event":{"a":[1]},"n":null}`)
	assert.Equal(t, "hello", lr.Body().Str())
	assert.Equal(t, map[string]any{
		"custom": map[string]any{"id": int64(733), "level": int64(3), "inbound_event": map[string]any{"a": []any{int64(1)}}, "n": nil},
		AttrUID:  "id-1",
	}, lr.Attributes().AsRaw(), "the other fields in the default namespace")

	// A nested body field: the body is that value, every top-level field stays.
	acme := "acme"
	m, err = New(&apispec.Spec{Records: apispec.Records{BodyField: "payload.msg", AttributesNamespace: &acme}}, nil)
	require.NoError(t, err)
	lr = mapOne(t, m, `{"payload":{"msg":{"x":1}},"k":"v"}`)
	assert.Equal(t, map[string]any{"x": int64(1)}, lr.Body().Map().AsRaw())
	assert.Equal(t, map[string]any{"acme": map[string]any{"payload": map[string]any{"msg": map[string]any{"x": int64(1)}}, "k": "v"}, AttrUID: "id-1"}, lr.Attributes().AsRaw())

	// Body field missing: empty body, nothing else lost.
	lr = mapOne(t, m, `{"k":"v"}`)
	assert.Equal(t, pcommon.ValueTypeEmpty, lr.Body().Type())
	assert.Equal(t, map[string]any{"acme": map[string]any{"k": "v"}, AttrUID: "id-1"}, lr.Attributes().AsRaw())
}

func TestAppendScalarRecordAndProblems(t *testing.T) {
	m, err := New(&apispec.Spec{}, nil)
	require.NoError(t, err)
	v := fastjson.MustParse(`"just a string"`)
	lr := plog.NewLogRecord()
	m.Append(lr, &decode.Record{Value: v, Problem: "missing id field"}, 7)
	assert.Equal(t, "just a string", lr.Body().Str())
	assert.Equal(t, pcommon.Timestamp(0), lr.Timestamp())
	assert.Equal(t, pcommon.Timestamp(7), lr.ObservedTimestamp())
	assert.Equal(t, 0, lr.Attributes().Len(), "no uid without an id")
}

func TestToValue(t *testing.T) {
	tests := []struct {
		json string
		want any
	}{
		{`"s"`, "s"},
		{`true`, true},
		{`false`, false},
		{`null`, nil},
		{`0`, int64(0)},
		{`-12`, int64(-12)},
		{`42.0`, int64(42)},
		{`1e3`, int64(1000)},
		{`9223372036854775807`, int64(math.MaxInt64)},
		{`-9223372036854775808`, int64(math.MinInt64)},
		{`9223372036854775808`, 9223372036854775808.0},
		{`0.5`, 0.5},
		{`1e400`, math.Inf(1)},
		{`[]`, []any{}},
		{`{}`, map[string]any{}},
		{`"\ud83d\ude00"`, "😀"},
	}
	for _, tt := range tests {
		dst := pcommon.NewValueEmpty()
		ToValue(dst, fastjson.MustParse(tt.json))
		assert.Equal(t, tt.want, dst.AsRaw(), tt.json)
	}
	// Invalid UTF-8 that fastjson lets through becomes U+FFFD.
	dst := pcommon.NewValueEmpty()
	ToValue(dst, fastjson.MustParse("\"a\xffb\""))
	assert.Equal(t, "a\uFFFDb", dst.Str())
	// NaN from fastjson's lenient numbers stays a double.
	ToValue(dst, fastjson.MustParse(`NaN`))
	assert.True(t, math.IsNaN(dst.Double()))
}

// The key caches must not confuse records whose shapes differ.
func TestKeyCacheShapes(t *testing.T) {
	m, err := New(&apispec.Spec{}, nil)
	require.NoError(t, err)
	a := mapOne(t, m, `{"a":1,"b":{"c":2}}`)
	b := mapOne(t, m, `{"b":1,"a":{"d":2},"e":3}`)
	c := mapOne(t, m, `{"a":1,"b":{"c":2}}`)
	assert.Equal(t, map[string]any{"a": int64(1), "b": map[string]any{"c": int64(2)}}, a.Body().Map().AsRaw())
	assert.Equal(t, map[string]any{"b": int64(1), "a": map[string]any{"d": int64(2)}, "e": int64(3)}, b.Body().Map().AsRaw())
	assert.Equal(t, a.Body().Map().AsRaw(), c.Body().Map().AsRaw())
}
