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
	parent, _ := parentMap(fields, k.path, true)
	return parent.PutEmpty(k.path[len(k.path)-1])
}

// enriched is the value PutEnriched wrote for k, if any.
func (m *Mapper) enriched(lr plog.LogRecord, k *enrichKey) (pcommon.Value, bool) {
	fields, ok := m.fieldsMap(lr)
	if !ok {
		return lr.Attributes().Get(k.flat)
	}
	parent, ok := parentMap(fields, k.path, false)
	if !ok {
		return pcommon.Value{}, false
	}
	return parent.Get(k.path[len(k.path)-1])
}

// parentMap is the map that holds the last member of path inside fields;
// with create, missing members on the way (or ones that are not maps) are
// made empty maps, else such a member means there is none.
func parentMap(fields pcommon.Map, path []string, create bool) (pcommon.Map, bool) {
	for _, seg := range path[:len(path)-1] {
		next, found := fields.Get(seg)
		switch {
		case found && next.Type() == pcommon.ValueTypeMap:
			fields = next.Map()
		case create:
			fields = fields.PutEmptyMap(seg)
		default:
			return pcommon.Map{}, false
		}
	}
	return fields, true
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
