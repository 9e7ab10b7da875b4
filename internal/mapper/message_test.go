package mapper

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// messageSpec is a spec whose message has every kind of part, in the
// default namespace (custom).
func messageSpec(event string, parts ...apispec.MessagePart) *apispec.Spec {
	return &apispec.Spec{Records: apispec.Records{EventName: event, Message: parts}}
}

func TestMessageParts(t *testing.T) {
	stackone := []apispec.MessagePart{{Field: "http_method"}, {Field: "url", Prefix: " "}, {Field: "status_code", Prefix: " "}}
	logto := []apispec.MessagePart{{Field: "key"}, {Field: "payload.result", Prefix: " "}, {Field: "payload.error.message", Prefix: ": "}, {Field: "payload.error", Prefix: ": "}}
	status := []apispec.MessagePart{
		{Var: "stream", Prefix: "scenario "},
		{Field: "status", Prefix: ": ", Values: map[string]string{"1": "success", "3": "error", "0": ""}},
		{Field: "n", Prefix: " n=", Suffix: "!"},
	}
	tests := []struct {
		name   string
		parts  []apispec.MessagePart
		event  string
		stream string
		record string
		want   string
	}{
		{name: "all present", parts: stackone, record: `{"http_method":"GET","url":"https://x/y","status_code":200}`, want: "GET https://x/y 200"},
		{name: "absent first part: its prefix-less start is trimmed", parts: stackone, record: `{"url":"https://x/y","status_code":200}`, want: "https://x/y 200"},
		{name: "null", parts: stackone, record: `{"http_method":"GET","url":"https://x/y","status_code":null}`, want: "GET https://x/y"},
		{name: "empty string", parts: stackone, record: `{"http_method":"GET","url":"","status_code":404}`, want: "GET 404"},
		{name: "object and array values are left out", parts: stackone, record: `{"http_method":{"a":1},"url":[1,2],"status_code":true}`, want: "true"},
		{name: "error object", parts: logto, record: `{"key":"Interaction.SignIn.Submit","payload":{"result":"Error","error":{"message":"Invalid credentials.","code":"session.invalid_credentials"}}}`, want: "Interaction.SignIn.Submit Error: Invalid credentials."},
		{name: "error string", parts: logto, record: `{"key":"RevokeToken","payload":{"result":"Error","error":"boom"}}`, want: "RevokeToken Error: boom"},
		{name: "empty error object", parts: logto, record: `{"key":"RevokeToken","payload":{"result":"Success","error":{}}}`, want: "RevokeToken Success"},
		{name: "numbers as text", parts: stackone, record: `{"http_method":1.50,"url":1e3,"status_code":42.0}`, want: "1.5 1000 42"},
		{name: "mapped value", parts: status, stream: "42", record: `{"status":3,"n":7}`, want: "scenario 42: error n=7!"},
		{name: "mapped as text", parts: status, stream: "42", record: `{"status":"1"}`, want: "scenario 42: success"},
		{name: "unmapped value as it is", parts: status, stream: "42", record: `{"status":2}`, want: "scenario 42: 2"},
		{name: "mapped to nothing", parts: status, stream: "42", record: `{"status":0}`, want: "scenario 42"},
		{name: "no stream", parts: status, record: `{"status":1}`, want: ": success"},
		{name: "nothing present: event name and id", parts: stackone, event: "stackone.action_log", record: `{"other":1}`, want: "stackone.action_log id-1"},
		{name: "nothing present, no event name", parts: stackone, record: `{}`, want: "record id-1"},
		{name: "white space only", parts: stackone, event: "x.y", record: `{"http_method":" \n\t "}`, want: "x.y id-1"},
		{name: "invalid UTF-8 is repaired", parts: stackone, record: "{\"http_method\":\"G\xffT\"}", want: "G\uFFFDT"},
		{name: "escapes", parts: stackone, record: `{"http_method":"caf\u00e9 \ud83d\ude00"}`, want: "café 😀"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := New(messageSpec(tt.event, tt.parts...), nil)
			require.NoError(t, err)
			m.SetStream(tt.stream)
			lr := mapOne(t, m, tt.record)
			require.Equal(t, pcommon.ValueTypeStr, lr.Body().Type())
			assert.Equal(t, tt.want, lr.Body().Str())
			assert.Equal(t, tt.event, lr.EventName())
		})
	}
}

// A message longer than MaxMessage is cut at a character boundary and ends
// in "…"; the field stays whole in the attributes.
func TestMessageCut(t *testing.T) {
	m, err := New(messageSpec("", apispec.MessagePart{Field: "message"}), nil)
	require.NoError(t, err)
	for _, filler := range []string{"a", "é", "😀"} {
		long := strings.Repeat(filler, MaxMessage+1)
		lr := mapOne(t, m, `{"message":"`+long+`"}`)
		msg := lr.Body().Str()
		assert.LessOrEqual(t, len(msg), MaxMessage, filler)
		assert.Greater(t, len(msg), MaxMessage-8, filler)
		assert.True(t, utf8.ValidString(msg), filler)
		assert.True(t, strings.HasSuffix(msg, "…"), filler)
		assert.True(t, strings.HasPrefix(long, strings.TrimSuffix(msg, "…")), filler)
		field, _ := fieldsOf(t, lr, "custom").Get("message")
		assert.Equal(t, long, field.Str(), "the attribute keeps the whole value")
	}
}

// The message body puts the fields in one map attribute, the namespace;
// `body: record` keeps the record as the body and puts the message in
// api_logs.message. Both carry the event name.
func TestMessageBodyModes(t *testing.T) {
	spec := messageSpec("x.log", apispec.MessagePart{Field: "key"}, apispec.MessagePart{Field: "payload.result", Prefix: " "})
	record := `{"id":"a","key":"k","payload":{"result":"Error","list":[1,{"b":null}]},"n":null}`
	fields := map[string]any{"id": "a", "key": "k", "payload": map[string]any{"result": "Error", "list": []any{int64(1), map[string]any{"b": nil}}}, "n": nil}

	m, err := New(spec, nil)
	require.NoError(t, err)
	lr := mapOne(t, m, record)
	assert.Equal(t, "k Error", lr.Body().Str())
	assert.Equal(t, "x.log", lr.EventName())
	assert.Equal(t, map[string]any{"custom": fields, AttrUID: "id-1"}, lr.Attributes().AsRaw())
	assert.Equal(t, []string{"custom", AttrUID}, attrKeys(lr.Attributes()))

	acme := "acme.audit"
	spec.Records.AttributesNamespace = &acme
	m, err = New(spec, nil)
	require.NoError(t, err)
	lr = mapOne(t, m, record)
	assert.Equal(t, map[string]any{"acme.audit": fields, AttrUID: "id-1"}, lr.Attributes().AsRaw(), "a namespace of the spec")

	m, err = New(spec, nil, WithBody(BodyRecord))
	require.NoError(t, err)
	lr = mapOne(t, m, record)
	assert.Equal(t, fields, lr.Body().Map().AsRaw())
	assert.Equal(t, "x.log", lr.EventName())
	assert.Equal(t, map[string]any{AttrUID: "id-1", AttrMessage: "k Error"}, lr.Attributes().AsRaw())

	// Without a message, `body: record` changes nothing and nothing is added.
	m, err = New(&apispec.Spec{}, nil, WithBody(BodyRecord))
	require.NoError(t, err)
	lr = mapOne(t, m, record)
	assert.Equal(t, fields, lr.Body().Map().AsRaw())
	assert.Empty(t, lr.EventName())
	assert.Equal(t, map[string]any{AttrUID: "id-1"}, lr.Attributes().AsRaw())
}

// A record that is not an object has no fields to write a message from: it
// is the body as it is, in both shapes; so is a record that is not JSON.
func TestMessageRecordNotAnObject(t *testing.T) {
	spec := messageSpec("x.log", apispec.MessagePart{Field: "key"})
	for _, body := range []Body{BodyMessage, BodyRecord} {
		m, err := New(spec, nil, WithBody(body))
		require.NoError(t, err)
		lr := mapOne(t, m, `"just text"`)
		assert.Equal(t, "just text", lr.Body().Str())
		assert.Equal(t, map[string]any{AttrUID: "id-1"}, lr.Attributes().AsRaw())
		lr = mapOne(t, m, `[1,"a"]`)
		assert.Equal(t, []any{int64(1), "a"}, lr.Body().Slice().AsRaw())
		assert.Equal(t, "x.log", lr.EventName())

		lr = plog.NewLogRecord()
		m.Append(lr, &decode.Record{ID: "r", Raw: []byte(`{"key":`)}, 1)
		assert.Equal(t, `{"key":`, lr.Body().Str())
		assert.Equal(t, map[string]any{AttrUID: "r", AttrDecodeError: noteRaw}, lr.Attributes().AsRaw())
	}
}

// Rewrite writes the message again once enrichment added the values it
// reads (Make: the error of a failed run), in both shapes; a message that
// reads nothing enrichment writes is left alone.
func TestMessageRewrite(t *testing.T) {
	spec, err := apispec.Builtin("make_scenario_logs")
	require.NoError(t, err)
	record := `{"id":"e1","type":"auto","status":3,"timestamp":"2024-01-01T00:00:00Z"}`
	enrich := func(m *Mapper, lr plog.LogRecord) {
		m.PutEnriched(lr, "execution.error.name").SetStr("DataError")
		m.PutEnriched(lr, "execution.error.message").SetStr("Invalid JSON")
		m.PutEnriched(lr, "execution.error.module").SetStr("json:ParseJSON")
	}
	const before = "scenario 7 auto run: error"
	const after = before + ": DataError: Invalid JSON (module json:ParseJSON)"
	for _, body := range []Body{BodyMessage, BodyRecord} {
		m, err2 := New(spec, nil, WithBody(body))
		require.NoError(t, err2)
		m.SetStream("7")
		v := fastjson.MustParse(record)
		rec := &decode.Record{ID: "e1", Time: 1, Value: v}
		lr := plog.NewLogRecord()
		m.Append(lr, rec, 1)
		message := func() string {
			if body == BodyRecord {
				a, _ := lr.Attributes().Get(AttrMessage)
				return a.Str()
			}
			return lr.Body().Str()
		}
		assert.Equal(t, before, message())
		enrich(m, lr)
		m.Rewrite(lr, rec)
		assert.Equal(t, after, message())
		if body == BodyRecord {
			status, _ := lr.Body().Map().Get("status")
			assert.Equal(t, int64(3), status.Int(), "the body is still the record")
		}
	}

	tines, err := apispec.Builtin("tines_action_logs")
	require.NoError(t, err)
	m, err := New(tines, nil)
	require.NoError(t, err)
	rec := &decode.Record{ID: "1", Value: fastjson.MustParse(`{"id":1,"message":"hi"}`)}
	lr := plog.NewLogRecord()
	m.Append(lr, rec, 1)
	lr.Body().SetStr("changed")
	m.Rewrite(lr, rec)
	assert.Equal(t, "changed", lr.Body().Str(), "no enriched or attribute part: nothing to write again")
}

// What enrichment reads goes beside the record's fields: inside the
// namespace map when they are attributes, else the top-level attribute
// <namespace>.<key>; either way a log store shows make.execution.*.
func TestPutEnriched(t *testing.T) {
	spec, err := apispec.Builtin("make_scenario_logs")
	require.NoError(t, err)
	record := `{"id":"e1","type":"auto","status":3,"execution":"a vendor field of that name","timestamp":"2024-01-01T00:00:00Z"}`
	m, err := New(spec, nil)
	require.NoError(t, err)
	lr := mapOne(t, m, record)
	m.PutEnriched(lr, "execution.status").SetInt(3)
	m.PutEnriched(lr, "execution.error.name").SetStr("DataError")
	assert.Equal(t, map[string]any{
		"make": map[string]any{
			"id": "e1", "type": "auto", "status": int64(3), "timestamp": "2024-01-01T00:00:00Z",
			"execution": map[string]any{"status": int64(3), "error": map[string]any{"name": "DataError"}},
		},
		AttrUID: "id-1",
	}, lr.Attributes().AsRaw(), "a member on the way that is not a map is replaced")

	m, err = New(spec, nil, WithBody(BodyRecord))
	require.NoError(t, err)
	lr = mapOne(t, m, record)
	m.PutEnriched(lr, "execution.error.name").SetStr("DataError")
	assert.Equal(t, map[string]any{AttrUID: "id-1", AttrMessage: "auto run: error", "make.execution.error.name": "DataError"}, lr.Attributes().AsRaw())
	status, _ := lr.Body().Map().Get("status")
	assert.Equal(t, int64(3), status.Int(), "the body is the record, untouched")

	// A record that is not an object has no namespace map.
	m, err = New(spec, nil)
	require.NoError(t, err)
	lr = mapOne(t, m, `"text"`)
	m.PutEnriched(lr, "execution.status").SetInt(2)
	assert.Equal(t, map[string]any{AttrUID: "id-1", "make.execution.status": int64(2)}, lr.Attributes().AsRaw())
}

// An attribute part reads scalars only, of the attributes the receiver
// sets; an enriched part what enrichment read.
func TestMessageAttributePart(t *testing.T) {
	spec := messageSpec("", apispec.MessagePart{Attribute: "api_logs.enrich.error", Prefix: "(", Suffix: ")"},
		apispec.MessagePart{Enriched: "a.b"}, apispec.MessagePart{Attribute: AttrUID, Prefix: " #"})
	spec.Enrich = &apispec.Enrich{Attributes: map[string]string{"a.b": "x"}}
	m, err := New(spec, nil)
	require.NoError(t, err)
	rec := &decode.Record{ID: "9", Value: fastjson.MustParse(`{"a":"text"}`)}
	lr := plog.NewLogRecord()
	m.Append(lr, rec, 1)
	assert.Equal(t, "#9", lr.Body().Str(), "nothing enriched yet")
	m.PutEnriched(lr, "a.b").SetEmptyMap().PutInt("x", 1)
	lr.Attributes().PutEmptyMap("api_logs.enrich.error")
	m.Rewrite(lr, rec)
	assert.Equal(t, "#9", lr.Body().Str(), "maps are left out")
	m.PutEnriched(lr, "a.b").SetDouble(2.5)
	lr.Attributes().PutStr("api_logs.enrich.error", "timeout")
	m.Rewrite(lr, rec)
	assert.Equal(t, "(timeout)2.5 #9", lr.Body().Str())
	a, _ := fieldsOf(t, lr, "custom").Get("a")
	assert.Equal(t, map[string]any{"b": 2.5}, a.Map().AsRaw(), "the enriched value replaced the field on its way")
}

// Mapped with `body: record`, every sample record is the body it was before
// messages existed, and its message is api_logs.message: the message shape
// and the record shape hold the same fields and the same message.
func TestRecordShapeMatchesMessageShape(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(bodiesDir, "*.json"))
	require.NoError(t, err)
	checked := 0
	for _, file := range files {
		api, _, _ := strings.Cut(filepath.Base(file), ".")
		spec, err := apispec.Builtin(api)
		if err != nil {
			continue // an execution detail: no records
		}
		body, err := os.ReadFile(file)
		require.NoError(t, err)
		if strings.HasPrefix(strings.TrimSpace(string(body)), "{") && api == "stackone_action_logs" && !strings.Contains(string(body), `"data"`) {
			spec.Records.Path = "" // a single record
		}
		dec, err := decode.New(spec.Records, spec.Pagination)
		require.NoError(t, err)
		page, err := dec.Decode(body, nil)
		require.NoError(t, err)
		msgM, err := New(spec, nil)
		require.NoError(t, err)
		recM, err := New(spec, nil, WithBody(BodyRecord))
		require.NoError(t, err)
		for _, m := range []*Mapper{msgM, recM} {
			m.SetStream("s1")
		}
		for i := range page.Records {
			rec := &page.Records[i]
			a, b := plog.NewLogRecord(), plog.NewLogRecord()
			msgM.Append(a, rec, 1)
			recM.Append(b, rec, 1)
			fields := fieldsOf(t, a, spec.Records.Namespace())
			assert.Equal(t, dumpMap(fields), dumpMap(b.Body().Map()), "%s record %d: the same fields, in the same order", file, i)
			msg, ok := b.Attributes().Get(AttrMessage)
			require.True(t, ok, file)
			assert.Equal(t, a.Body().Str(), msg.Str(), file)
			a.Attributes().Remove(spec.Records.Namespace())
			b.Attributes().Remove(AttrMessage)
			assert.Equal(t, a.Attributes().AsRaw(), b.Attributes().AsRaw(), "%s record %d: the same receiver attributes", file, i)
			assert.NotEmpty(t, msg.Str(), file)
			assert.Equal(t, a.EventName(), b.EventName(), file)
			assert.Equal(t, spec.Records.EventName, a.EventName(), file)
			checked++
		}
	}
	assert.Equal(t, 32, checked, "records in the sample bodies")
}

func dumpMap(m pcommon.Map) string {
	v := pcommon.NewValueMap()
	m.CopyTo(v.Map())
	var b strings.Builder
	dump(&b, v)
	return b.String()
}

// Whatever a record holds, its message is a non-empty string of valid
// UTF-8, trimmed, at most MaxMessage bytes, in both shapes.
func FuzzMessage(f *testing.F) {
	f.Add(`{"http_method":"GET","url":"https://x","status_code":200}`, "42")
	f.Add(`{"status":3,"payload":{"result":"Error","error":{"message":"m"}}}`, "")
	f.Add("{\"key\":\"\xff\xfe\",\"n\":1e999}", " ")
	f.Add(`{"key":"  ","payload":[]}`, "\n")
	spec := messageSpec("fuzz.log",
		apispec.MessagePart{Field: "http_method"},
		apispec.MessagePart{Field: "url", Prefix: " "},
		apispec.MessagePart{Field: "status_code", Prefix: " ", Suffix: "."},
		apispec.MessagePart{Var: "stream", Prefix: " s="},
		apispec.MessagePart{Field: "status", Prefix: ": ", Values: map[string]string{"1": "success", "3": "error", "0": ""}},
		apispec.MessagePart{Field: "key"},
		apispec.MessagePart{Field: "payload.result", Prefix: " "},
		apispec.MessagePart{Field: "payload.error.message", Prefix: ": "},
		apispec.MessagePart{Attribute: AttrUID, Prefix: " uid="},
		apispec.MessagePart{Enriched: "e.x", Prefix: " e="},
	)
	spec.Enrich = &apispec.Enrich{Attributes: map[string]string{"e.x": "x"}}
	msgM, err := New(spec, nil)
	require.NoError(f, err)
	recM, err := New(spec, nil, WithBody(BodyRecord))
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, record, stream string) {
		v, err := fastjson.Parse(record)
		if err != nil || v.Type() != fastjson.TypeObject {
			return
		}
		for _, m := range []*Mapper{msgM, recM} {
			m.SetStream(stream)
			lr := plog.NewLogRecord()
			rec := &decode.Record{ID: "id-1", Value: v}
			require.NoError(t, m.AppendRecord(nil, lr, rec, 1))
			// Then as enrichment does: a value beside the fields, the
			// message written again.
			for _, enriched := range []bool{false, true} {
				if enriched {
					m.PutEnriched(lr, "e.x").SetStr(stream)
					m.Rewrite(lr, rec)
				}
				msg := lr.Body().AsString()
				if m == recM {
					a, ok := lr.Attributes().Get(AttrMessage)
					require.True(t, ok)
					msg = a.Str()
				}
				require.NotEmpty(t, msg)
				require.True(t, utf8.ValidString(msg), "%q", msg)
				require.LessOrEqual(t, len(msg), MaxMessage)
				require.Equal(t, strings.TrimSpace(msg), msg)
				_, err := (&plog.ProtoMarshaler{}).MarshalLogs(wrap(lr))
				require.NoError(t, err)
			}
		}
	})
}

func wrap(lr plog.LogRecord) plog.Logs {
	logs := plog.NewLogs()
	lr.CopyTo(logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty())
	return logs
}

func TestParseBody(t *testing.T) {
	for in, want := range map[string]Body{"": BodyMessage, "message": BodyMessage, "record": BodyRecord} {
		got, err := ParseBody(in)
		require.NoError(t, err)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseBody("map")
	assert.EqualError(t, err, `must be "message" or "record", got "map"`)
}

func TestNewMessageErrors(t *testing.T) {
	_, err := New(messageSpec("", apispec.MessagePart{Field: "a..b"}), nil)
	require.ErrorContains(t, err, "message[0].field")
	_, err = New(messageSpec("", apispec.MessagePart{}), nil)
	require.ErrorContains(t, err, "message[0] must name exactly one of field, enriched, attribute or var")
	spec := messageSpec("", apispec.MessagePart{Field: "a"})
	spec.Records.BodyField = "a"
	_, err = New(spec, nil)
	require.EqualError(t, err, "message and body field are exclusive")
	for _, ns := range []string{"", "log.record.uid", "api_logs.x"} {
		spec := messageSpec("", apispec.MessagePart{Field: "a"})
		spec.Records.AttributesNamespace = &ns
		_, err = New(spec, nil)
		assert.EqualError(t, err, fmt.Sprintf("attributes namespace %q: must be a name the receiver does not set itself", ns))
	}
}
