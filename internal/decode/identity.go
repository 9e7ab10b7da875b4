package decode

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// identity makes the id of a record that has no id field: records.id_fields
// (the values of several fields, as one JSON array) or records.id: hash
// (the SHA-256 of the whole record). Both read the record parsed, so the
// whole-body and the record-by-record paths give the same id: the latter
// parses each record on its own with a parser of its own.
type identity struct {
	fields []Path
	names  string // for messages: "a", "b"
	hash   bool
	parser fastjson.Parser // records decoded record by record
	buf    []byte
	hexBuf [2 * sha256.Size]byte
	pairs  [][]member // per depth, reused
}

type member struct {
	key []byte
	v   *fastjson.Value
}

// newIdentity compiles records.id_fields or records.id; nil when the
// record's id is its id_field.
func newIdentity(rec apispec.Records) (*identity, error) {
	switch {
	case rec.ID == apispec.IDHash:
		return &identity{hash: true}, nil
	case len(rec.IDFields) == 0:
		return nil, nil
	}
	id := &identity{}
	q := make([]string, len(rec.IDFields))
	for i, name := range rec.IDFields {
		p, err := CompilePath(name)
		if err != nil || p == nil {
			return nil, fmt.Errorf("id_fields[%d] %q: not a dotted path", i, name)
		}
		id.fields = append(id.fields, p)
		q[i] = fmt.Sprintf("%q", name)
	}
	id.names = strings.Join(q, ", ")
	return id, nil
}

// recordID sets r.ID from v, or from raw when the record was not parsed;
// the answer is "" or the problem.
func (d *Decoder) recordID(v *fastjson.Value, raw []byte, r *Record) string {
	id := d.ident
	if v == nil {
		var err error
		if v, err = id.parser.ParseBytes(raw); err != nil {
			// Only a record nested deeper than fastjson's limit gets here.
			return "record cannot be parsed to compute its id (records.id_fields or records.id): " + shortErr(err)
		}
	}
	if id.hash {
		id.buf = id.appendCanonical(id.buf[:0], v, 0)
		sum := sha256.Sum256(id.buf)
		hex.Encode(id.hexBuf[:], sum[:])
		r.ID = d.arena.String(id.hexBuf[:])
		return ""
	}
	id.buf = append(id.buf[:0], '[')
	for i, p := range id.fields {
		if i > 0 {
			id.buf = append(id.buf, ',')
		}
		if fv := p.Get(v); fv != nil {
			id.buf = id.appendCanonical(id.buf, fv, 0)
		} else {
			id.buf = append(id.buf, "null"...) // absent and null are the same
		}
	}
	id.buf = append(id.buf, ']')
	r.ID = d.arena.String(id.buf)
	return ""
}

func shortErr(err error) string {
	s := err.Error()
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// CanonicalJSON appends v in the canonical form records.id: hash hashes:
// no white space; object members sorted by key (compared as UTF-8 bytes,
// after unescaping; members with the same key keep their order); strings
// escaped only where JSON requires it (\" and \\, control characters
// below U+0020 as \u00xx, everything else as its UTF-8 bytes); numbers
// exactly as written in the body (1, 1.0 and 1e0 differ); true, false and
// null as such.
func CanonicalJSON(dst []byte, v *fastjson.Value) []byte {
	var id identity
	return id.appendCanonical(dst, v, 0)
}

func (id *identity) appendCanonical(b []byte, v *fastjson.Value, depth int) []byte {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		for len(id.pairs) <= depth {
			id.pairs = append(id.pairs, nil)
		}
		ms := id.pairs[depth][:0]
		o.Visit(func(k []byte, mv *fastjson.Value) { ms = append(ms, member{k, mv}) })
		slices.SortStableFunc(ms, func(a, b member) int { return strings.Compare(b2s(a.key), b2s(b.key)) })
		id.pairs[depth] = ms
		b = append(b, '{')
		for i, m := range ms {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, m.key)
			b = append(b, ':')
			b = id.appendCanonical(b, m.v, depth+1)
		}
		clear(ms) // hold no value of this record past it
		return append(b, '}')
	case fastjson.TypeArray:
		arr, _ := v.Array()
		b = append(b, '[')
		for i, e := range arr {
			if i > 0 {
				b = append(b, ',')
			}
			b = id.appendCanonical(b, e, depth+1)
		}
		return append(b, ']')
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		return appendJSONString(b, s)
	default: // numbers as written; true, false, null
		return v.MarshalTo(b)
	}
}
