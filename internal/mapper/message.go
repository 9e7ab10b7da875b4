package mapper

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// AttrMessage carries the message of a record when the receiver keeps the
// record itself as the body (`body: record`).
const AttrMessage = "api_logs.message"

// MaxMessage bounds a message in bytes: longer ones are cut at a character
// boundary and end in "…". The values stay whole in the attributes; a
// message is what a log store lists, and a vendor field of megabytes
// should not be in the record twice.
const MaxMessage = 16 << 10

// Body says what the log body of an API with a message (records.message)
// is.
type Body int

const (
	// BodyMessage: the body is the message and the fields of the record
	// are one map attribute under the spec's namespace (the default).
	BodyMessage Body = iota
	// BodyRecord: the body is the record as a map, as before messages
	// existed; the message is the attribute api_logs.message.
	BodyRecord
)

// Body values as the receiver configuration writes them.
const (
	BodyNameMessage = "message"
	BodyNameRecord  = "record"
)

// ParseBody reads the receiver's `body` key; "" is the default.
func ParseBody(s string) (Body, error) {
	switch s {
	case "", BodyNameMessage:
		return BodyMessage, nil
	case BodyNameRecord:
		return BodyRecord, nil
	}
	return 0, fmt.Errorf("must be %q or %q, got %q", BodyNameMessage, BodyNameRecord, s)
}

// Option changes how a Mapper writes records.
type Option func(*Mapper)

// WithBody chooses the body of APIs with a message.
func WithBody(b Body) Option { return func(m *Mapper) { m.body = b } }

// messagePart is apispec.MessagePart resolved.
type messagePart struct {
	path           decode.Path // the part reads a field
	enriched       *enrichKey  // or what enrichment read
	attr           string      // or an attribute the receiver sets
	stream         bool        // or the stream id
	prefix, suffix string
	values         map[string]string
}

// template writes messages; nil parts: the API has none.
type template struct {
	parts []messagePart
	// late: a part reads what enrichment read or an attribute, so the
	// message changes when enrichment ran (Mapper.Rewrite).
	late bool
	// fallback opens the message of a record none of whose parts is
	// present: the event name, or "record".
	fallback string
	buf      []byte
	text     []byte
}

func compileTemplate(r apispec.Records, m *Mapper) (template, error) {
	t := template{fallback: r.EventName}
	if t.fallback == "" {
		t.fallback = "record"
	}
	for i, p := range r.Message {
		mp := messagePart{attr: p.Attribute, stream: p.Var == apispec.VarStream, prefix: p.Prefix, suffix: p.Suffix, values: p.Values}
		if p.Field != "" {
			path, err := decode.CompilePath(p.Field)
			if err != nil {
				return t, fmt.Errorf("message[%d].field: %w", i, err)
			}
			mp.path = path
		}
		if p.Enriched != "" {
			mp.enriched = m.enrichKey(p.Enriched)
		}
		if mp.path == nil && mp.enriched == nil && mp.attr == "" && !mp.stream {
			return t, fmt.Errorf("message[%d] must name exactly one of field, enriched, attribute or var %q", i, apispec.VarStream)
		}
		t.late = t.late || mp.attr != "" || mp.enriched != nil
		t.parts = append(t.parts, mp)
	}
	return t, nil
}

// render writes the message of record v (its id: id) as lr, mapped by m,
// holds it; the result is valid UTF-8, never empty, at most MaxMessage
// bytes.
func (t *template) render(m *Mapper, v *fastjson.Value, lr plog.LogRecord, stream, id string) string {
	t.buf = t.buf[:0]
	for i := range t.parts {
		p := &t.parts[i]
		var ok bool
		t.text, ok = p.value(t.text[:0], v, lr, stream, m)
		if !ok || len(t.text) == 0 {
			continue
		}
		if mapped, hit := p.values[string(t.text)]; hit {
			if mapped == "" {
				continue
			}
			t.text = append(t.text[:0], mapped...)
		}
		t.buf = append(t.buf, p.prefix...)
		t.buf = append(t.buf, t.text...)
		t.buf = append(t.buf, p.suffix...)
	}
	msg := bytes.TrimSpace(t.buf)
	if len(msg) == 0 {
		t.buf = append(t.buf[:0], t.fallback...)
		if id != "" {
			t.buf = append(append(t.buf, ' '), id...)
		}
		msg = t.buf
	}
	if len(msg) > MaxMessage {
		cut := MaxMessage - len("…")
		for cut > 0 && !utf8.RuneStart(msg[cut]) {
			cut--
		}
		msg = append(msg[:cut:cut], "…"...)
	}
	if cap(t.buf) > 4*MaxMessage {
		t.buf = nil // do not keep the largest record's text
	}
	if cap(t.text) > 4*MaxMessage {
		t.text = nil
	}
	if !utf8.Valid(msg) {
		return strings.ToValidUTF8(string(msg), "\uFFFD")
	}
	return string(msg)
}

// value appends the text of the part's value; false when it has none
// (absent, null, an object, an array, an attribute that is not a scalar).
func (p *messagePart) value(dst []byte, v *fastjson.Value, lr plog.LogRecord, stream string, m *Mapper) ([]byte, bool) {
	var a pcommon.Value
	var ok bool
	switch {
	case p.stream:
		return append(dst, stream...), stream != ""
	case p.enriched != nil:
		a, ok = m.enriched(lr, p.enriched)
	case p.attr != "":
		a, ok = lr.Attributes().Get(p.attr)
	default:
		return decode.AppendText(dst, p.path.Get(v))
	}
	if !ok {
		return dst, false
	}
	switch a.Type() {
	case pcommon.ValueTypeStr:
		return append(dst, a.Str()...), true
	case pcommon.ValueTypeInt, pcommon.ValueTypeDouble, pcommon.ValueTypeBool:
		return append(dst, a.AsString()...), true
	}
	return dst, false
}
