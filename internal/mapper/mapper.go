// Package mapper turns decoded records into OpenTelemetry log records:
// timestamps, severity from the spec's rules, the event name, the body and
// the record id as log.record.uid. The body is the record's message with
// the record's fields as one map attribute under the spec's namespace
// (records.message, records.attributes_namespace), or the record itself as
// a map (no message, or `body: record`), or one field with the others in
// the namespace map (records.body_field).
package mapper

import (
	"errors"
	"fmt"

	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// AttrUID is the attribute carrying the record id, for downstream dedupe.
const AttrUID = "log.record.uid"

// AttrDecodeError flags a record that could not be mapped as it is and is
// delivered in a safe form instead, saying which (see Mapper.Load).
const AttrDecodeError = "api_logs.decode.error"

// AttrTimeField names the field a record's Timestamp came from when it is
// not the spec's time field but one of its time fallback fields (StackOne:
// start_time or end_time when event_time is null). Records timed by the
// time field itself do not carry it.
const AttrTimeField = "api_logs.time_field"

// Mapper writes records of one API into log records. Everything is resolved
// in New. Not safe for concurrent use (it caches keys and severity texts);
// one per stream worker, like decode.Decoder.
type Mapper struct {
	sev      severity
	bodyPath decode.Path // nil: the whole record is the body
	bodyKey  string      // BodyField when it is a top-level key: left out of the attributes
	conv     converter
	texts    map[string]string // severity texts seen, so Append does not allocate them
	// timeFields are the time field and its fallbacks, indexed by
	// decode.Record.TimeSource.
	timeFields []string
	scratch    []byte
	bodyField  bool
	// msg writes the message of APIs that declare one; body says where.
	msg       template
	body      Body
	eventName string
	stream    string // the stream of the records being mapped (SetStream)
	// namespace is the attribute holding the record's fields as a map when
	// they are attributes (fieldsAsAttrs: a message body, or a body field).
	namespace     string
	fieldsAsAttrs bool
	enrichKeys    map[string]*enrichKey // enrich.attributes keys, resolved

	// Records decoded record by record are parsed here (see Load).
	rp         fastjson.Parser
	flat       []byte
	loaded     *decode.Record // the record Load parsed last
	loadedNote string         // why it was not parsed as it is; "" when it was
	emptyArena fastjson.Arena
	empty      *fastjson.Value
}

// Records nested deeper than maxDepth levels are delivered with the deeper
// objects and arrays as their JSON text; fastjson stops at 300.
const maxDepth = 256

// bigRecord: a record above this size is parsed with a parser of its own,
// dropped afterwards, so that the Mapper does not keep its memory.
const bigRecord = 256 << 10

// A record above largeRecord bytes with more than maxValues values (the
// issue's record of 200,000 keys in 2.4 MB is mapped; one of 32 MiB is not)
// is delivered as its JSON text: parsed and in pdata, every value costs
// 50 to 100 bytes, so such a record alone would take more than a small
// multiple of the page. Records of pages up to decode.WholeBodyLimit
// (1 MiB) are never that large, so whether a record is mapped does not
// depend on the size of its page.
const (
	largeRecord = 1 << 20
	maxValues   = 1 << 18
)

// The AttrDecodeError texts (they never quote the record).
const (
	noteFlattened = "nested deeper than 256 levels: objects and arrays below that depth are kept as their JSON text (strings)"
	noteRaw       = "not parseable as JSON: the whole record is kept as its JSON text (a string body)"
	noteLarge     = "larger than 1 MiB with more than 262144 values: the whole record is kept as its JSON text (a string body)"
)

// Load parses a record that was decoded record by record (Value nil, Raw
// set) into rec.Value, valid until the next Load. A record nested too deep
// for fastjson is parsed with its deepest parts flattened into JSON text;
// one that still does not parse, or that is too large to map (maxValues),
// keeps Value nil and is mapped as its text.
// It reports whether it parsed anything: the caller then calls Unload once
// it is done with the record, so that no stale value is left behind.
func (m *Mapper) Load(rec *decode.Record) bool {
	if rec.Value != nil || rec.Raw == nil || rec == m.loaded {
		return false // parsed already, or loaded and not unloaded yet
	}
	p := &m.rp
	if len(rec.Raw) > bigRecord {
		p = &fastjson.Parser{}
	}
	m.loaded, m.loadedNote = rec, ""
	if len(rec.Raw) > largeRecord && decode.CountValues(rec.Raw, maxValues) > maxValues {
		rec.Value, m.loadedNote = nil, noteLarge
		return true
	}
	v, err := p.ParseBytes(rec.Raw)
	if err != nil {
		var flattened bool
		m.flat, flattened = decode.Flatten(m.flat, rec.Raw, maxDepth)
		if flattened {
			v, err = p.ParseBytes(m.flat)
		}
		if cap(m.flat) > bigRecord {
			m.flat = nil
		}
		m.loadedNote = noteFlattened
		if err != nil {
			v, m.loadedNote = nil, noteRaw
		}
	}
	rec.Value = v
	return true
}

// Unload undoes Load.
func (m *Mapper) Unload(rec *decode.Record) {
	rec.Value = nil
	if m.loaded == rec {
		m.loaded, m.loadedNote = nil, ""
	}
}

// New resolves spec's severity rules, body field and message. overrides
// maps raw values of the first rule's field to severity names; they are
// tried before the spec's rules.
func New(spec *apispec.Spec, overrides map[string]string, opts ...Option) (*Mapper, error) {
	if spec == nil {
		return nil, errors.New("nil spec")
	}
	sev, err := compileSeverity(spec.Severity, overrides)
	if err != nil {
		return nil, err
	}
	m := &Mapper{
		sev:        sev,
		conv:       converter{keys: make(map[string]string, 64), arena: &decode.Arena{}},
		texts:      make(map[string]string, 16),
		timeFields: append([]string{spec.Records.TimeField}, spec.Records.TimeFallbackFields...),
		eventName:  spec.Records.EventName,
		namespace:  spec.Records.Namespace(),
	}
	for _, o := range opts {
		o(m)
	}
	if m.namespace == "" || apispec.ReceiverAttribute(m.namespace) {
		return nil, fmt.Errorf("attributes namespace %q: must be a name the receiver does not set itself", m.namespace)
	}
	if e := spec.Enrich; e != nil {
		m.enrichKeys = make(map[string]*enrichKey, len(e.Attributes))
		for key := range e.Attributes {
			m.enrichKeys[key] = m.newEnrichKey(key)
		}
	}
	if m.msg, err = compileTemplate(spec.Records, m); err != nil {
		return nil, err
	}
	if m.msg.parts != nil && spec.Records.BodyField != "" {
		return nil, errors.New("message and body field are exclusive")
	}
	m.fieldsAsAttrs = spec.Records.BodyField != "" || m.msg.parts != nil && m.body == BodyMessage
	if bf := spec.Records.BodyField; bf != "" {
		if m.bodyPath, err = decode.CompilePath(bf); err != nil {
			return nil, fmt.Errorf("body field: %w", err)
		}
		m.bodyField = true
		if len(m.bodyPath) == 1 {
			m.bodyKey = bf
		}
	}
	return m, nil
}

// SetStream names the stream of the records mapped next, for message
// parts that name it (var: stream).
func (m *Mapper) SetStream(stream string) { m.stream = stream }

// Append writes rec into lr: Timestamp = rec.Time, ObservedTimestamp =
// observed, severity, event name, body, attributes, log.record.uid =
// rec.ID and, for a record timed by a fallback field, api_logs.time_field.
func (m *Mapper) Append(lr plog.LogRecord, rec *decode.Record, observed pcommon.Timestamp) {
	_ = m.AppendRecord(nil, lr, rec, observed)
}

// AppendRecord is Append that gives up when done is closed (nil: never): it
// checks every 4096 values, so that a record of any size is abandoned
// promptly, and returns an error wrapping context.Canceled; lr is then
// incomplete and must be dropped. Mapping is linear in the record's size.
func (m *Mapper) AppendRecord(done <-chan struct{}, lr plog.LogRecord, rec *decode.Record, observed pcommon.Timestamp) error {
	if m.Load(rec) {
		defer m.Unload(rec)
	}
	m.conv.done, m.conv.err = done, nil
	if rec.Time > 0 {
		lr.SetTimestamp(pcommon.Timestamp(rec.Time))
	}
	lr.SetObservedTimestamp(observed)
	if m.eventName != "" {
		lr.SetEventName(m.eventName)
	}
	v := rec.Value
	note := ""
	if rec == m.loaded {
		note = m.loadedNote
	}
	if v == nil && rec.Raw != nil { // unparseable even flattened, or too large
		lr.Body().SetStr(toString(rec.Raw))
		v = m.nothing()
	}
	m.conv.slot = 0
	num, text := m.sev.eval(v, m)
	lr.SetSeverityNumber(num)
	lr.SetSeverityText(text)

	attrs := lr.Attributes()
	timeField := ""
	if rec.TimeSource > 0 && rec.TimeSource < len(m.timeFields) {
		timeField = m.timeFields[rec.TimeSource]
	}
	own := 1 // log.record.uid
	if timeField != "" {
		own++
	}
	if note != "" {
		own++
	}
	obj, isObj := object(v)
	// A record that is an object and has a message: the message goes in
	// the body or api_logs.message. Anything else (text that does not
	// parse, a scalar, an array) has no fields to write one from and is
	// the body as it is.
	hasMsg := m.msg.parts != nil && rec.Value != nil && isObj
	if hasMsg && m.body == BodyRecord {
		own++
	}
	switch {
	case rec.Value == nil && rec.Raw != nil:
		attrs.EnsureCapacity(own) // the body is the record's text
	case !m.fieldsAsAttrs && isObj:
		m.conv.fillMap(lr.Body().SetEmptyMap(), obj)
		attrs.EnsureCapacity(own)
	case !m.fieldsAsAttrs || !isObj:
		m.conv.value(lr.Body(), v)
		attrs.EnsureCapacity(own)
	default:
		if m.bodyField && m.bodyKey == "" {
			m.conv.value(lr.Body(), m.bodyPath.Get(v))
		}
		attrs.EnsureCapacity(own + 1)
		m.fillFields(attrs.PutEmptyMap(m.namespace), lr.Body(), obj)
	}
	if rec.ID != "" {
		attrs.PutStr(AttrUID, rec.ID)
	}
	if timeField != "" {
		attrs.PutStr(AttrTimeField, timeField)
	}
	if note != "" {
		attrs.PutStr(AttrDecodeError, note)
	}
	if hasMsg && m.conv.err == nil {
		m.putMessage(lr, rec)
	}
	return m.conv.err
}

// fillFields writes the members of obj into fields, the namespace map, in
// order, all but the body field, which goes into body: with Put* for small
// objects, through fillBig above bigMap members (see bigMap).
func (m *Mapper) fillFields(fields pcommon.Map, body pcommon.Value, obj *fastjson.Object) {
	if m.bodyKey == "" {
		m.conv.fillMap(fields, obj)
		return
	}
	isBody := func(k []byte) bool { return string(k) == m.bodyKey }
	if obj.Len() > bigMapAt {
		obj.Visit(func(k []byte, fv *fastjson.Value) {
			if isBody(k) {
				m.conv.value(body, fv) // the last one, as below
			}
		})
		if m.conv.fillBig(fields, obj, isBody) || m.conv.err != nil {
			return
		}
	}
	if !m.conv.count(obj.Len()) {
		return
	}
	fields.EnsureCapacity(obj.Len())
	obj.Visit(func(k []byte, fv *fastjson.Value) {
		if isBody(k) {
			m.conv.value(body, fv)
			return
		}
		if m.conv.err == nil {
			m.conv.put(fields, m.conv.key(k), fv)
		}
	})
}

// Rewrite writes the message of rec, mapped into lr, again: enrichment
// added values that message parts read. rec must still be loaded.
func (m *Mapper) Rewrite(lr plog.LogRecord, rec *decode.Record) {
	if !m.msg.late || rec.Value == nil || rec.Value.Type() != fastjson.TypeObject {
		return
	}
	m.putMessage(lr, rec)
}

func (m *Mapper) putMessage(lr plog.LogRecord, rec *decode.Record) {
	msg := m.msg.render(m, rec.Value, lr, m.stream, rec.ID)
	if m.body == BodyRecord {
		lr.Attributes().PutStr(AttrMessage, msg)
		return
	}
	lr.Body().SetStr(msg)
}

// nothing is an empty object, for a record that is only text.
func (m *Mapper) nothing() *fastjson.Value {
	if m.empty == nil {
		m.empty = m.emptyArena.NewObject()
	}
	return m.empty
}

func object(v *fastjson.Value) (*fastjson.Object, bool) {
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil, false
	}
	o, _ := v.Object()
	return o, true
}

// rawText is the field's own text as a string, cached: severity fields take
// few distinct values. Objects and arrays have no text.
func (m *Mapper) rawText(fv *fastjson.Value) string {
	var ok bool
	m.scratch, ok = decode.AppendText(m.scratch[:0], fv)
	if !ok {
		return ""
	}
	if s, hit := m.texts[string(m.scratch)]; hit {
		return s
	}
	s := toString(m.scratch)
	if len(m.texts) < maxInterned {
		m.texts[s] = s
	}
	return s
}
