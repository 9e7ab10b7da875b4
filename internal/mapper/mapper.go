// Package mapper turns decoded records into OpenTelemetry log records:
// timestamps, severity from the spec's rules, the record as body (or one
// field as body and the rest as attributes) and the record id as
// log.record.uid.
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
}

// New resolves spec's severity rules and body field. overrides maps raw
// values of the first rule's field to severity names; they are tried before
// the spec's rules.
func New(spec *apispec.Spec, overrides map[string]string) (*Mapper, error) {
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
	}
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

// Append writes rec into lr: Timestamp = rec.Time, ObservedTimestamp =
// observed, severity, body, log.record.uid = rec.ID and, for a record timed
// by a fallback field, api_logs.time_field.
func (m *Mapper) Append(lr plog.LogRecord, rec *decode.Record, observed pcommon.Timestamp) {
	if rec.Time > 0 {
		lr.SetTimestamp(pcommon.Timestamp(rec.Time))
	}
	lr.SetObservedTimestamp(observed)
	v := rec.Value
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
	obj, isObj := object(v)
	switch {
	case !m.bodyField && isObj:
		m.conv.fillMap(lr.Body().SetEmptyMap(), obj)
		attrs.EnsureCapacity(own)
	case !m.bodyField || !isObj:
		m.conv.value(lr.Body(), v)
		attrs.EnsureCapacity(own)
	default:
		attrs.EnsureCapacity(obj.Len() + own)
		if m.bodyKey == "" {
			m.conv.value(lr.Body(), m.bodyPath.Get(v))
		}
		obj.Visit(func(k []byte, fv *fastjson.Value) {
			if m.bodyKey != "" && string(k) == m.bodyKey {
				m.conv.value(lr.Body(), fv)
				return
			}
			m.conv.put(attrs, m.conv.key(k), fv)
		})
	}
	if rec.ID != "" {
		attrs.PutStr(AttrUID, rec.ID)
	}
	if timeField != "" {
		attrs.PutStr(AttrTimeField, timeField)
	}
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
