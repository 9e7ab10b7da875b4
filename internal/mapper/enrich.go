package mapper

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
)

// enrichKey is a key of enrich.attributes, resolved: what enrichment reads
// goes beside the record's fields, so that a log store shows it under
// <namespace>.<key> whatever the record's shape.
type enrichKey struct {
	path []string // inside the namespace map, when the fields are attributes
	flat string   // <namespace>.<key>, the top-level attribute otherwise
}

func (m *Mapper) newEnrichKey(key string) *enrichKey {
	return &enrichKey{path: strings.Split(key, "."), flat: m.namespace + "." + key}
}

func (m *Mapper) enrichKey(key string) *enrichKey {
	if k, ok := m.enrichKeys[key]; ok {
		return k
	}
	return m.newEnrichKey(key)
}

// PutEnriched returns the empty value that enrichment writes key (a key of
// enrich.attributes) into, for lr as this Mapper mapped it: inside the
// namespace map when the record's fields are there (make: {execution:
// {error: {name}}}; a member on the way that is not a map is replaced),
// else the top-level attribute <namespace>.<key> (`body: record`, a record
// as the body), which log stores flatten to the same name.
func (m *Mapper) PutEnriched(lr plog.LogRecord, key string) pcommon.Value {
	k := m.enrichKey(key)
	fields, ok := m.fieldsMap(lr)
	if !ok {
		return lr.Attributes().PutEmpty(k.flat)
	}
	last := len(k.path) - 1
	for _, seg := range k.path[:last] {
		next, found := fields.Get(seg)
		if !found || next.Type() != pcommon.ValueTypeMap {
			fields = fields.PutEmptyMap(seg)
			continue
		}
		fields = next.Map()
	}
	return fields.PutEmpty(k.path[last])
}

// enriched is the value PutEnriched wrote for k, if any.
func (m *Mapper) enriched(lr plog.LogRecord, k *enrichKey) (pcommon.Value, bool) {
	fields, ok := m.fieldsMap(lr)
	if !ok {
		return lr.Attributes().Get(k.flat)
	}
	last := len(k.path) - 1
	for _, seg := range k.path[:last] {
		next, found := fields.Get(seg)
		if !found || next.Type() != pcommon.ValueTypeMap {
			return pcommon.Value{}, false
		}
		fields = next.Map()
	}
	return fields.Get(k.path[last])
}

// fieldsMap is the namespace map of lr, when the record's fields are
// attributes.
func (m *Mapper) fieldsMap(lr plog.LogRecord) (pcommon.Map, bool) {
	if !m.fieldsAsAttrs {
		return pcommon.Map{}, false
	}
	v, ok := lr.Attributes().Get(m.namespace)
	if !ok || v.Type() != pcommon.ValueTypeMap {
		return pcommon.Map{}, false
	}
	return v.Map(), true
}
