package decode

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/valyala/fastjson"
)

// decodeRaw decodes body without parsing it whole: the scanner validates it
// (unless valid says it was) and finds the records and the pagination
// fields; each record keeps its text in Raw and gets its id and time from
// the scanner, so no record is ever parsed as part of the page.
func (d *Decoder) decodeRaw(body []byte, header http.Header, valid bool) (*Page, error) {
	pg := &d.page
	if !valid {
		if _, err := validate(body, d.done); err != nil {
			if errors.Is(err, errCancelled) {
				return nil, err
			}
			return nil, notJSON(body, err, d.redacted)
		}
	}
	start := skipWSAt(body, 0)
	doc := lookup{d: d, body: body, doc: start}
	d.finder.reset()
	d.finder.forget()
	defer d.finder.forget() // it must not keep the body
	var recs int
	at, found := 0, false
	for i, p := range d.paths {
		if s, ok := d.finder.find(body, start, p); ok {
			recs, at, found = s, i, true
			break
		}
	}
	if !found {
		switch typeName(body, start) {
		case "null":
		case "object":
			empty := true
			d.finder.members(body, start, func([]byte, int) bool { empty = false; return false })
			if !empty {
				return nil, &bodyError{ErrNoRecords, fmt.Sprintf("records path %s not found in the response; top-level keys: %s", d.quotedPaths(), d.finder.topKeysOf(body, start, d.redacted))}
			}
		default:
			return nil, fmt.Errorf("records path %s not found in the response: the body is a JSON %s", d.quotedPaths(), typeName(body, start))
		}
	}
	if found {
		switch kind := typeName(body, recs); kind {
		case "null":
		case "array":
			// Counted first, so that the records take exactly their room.
			n := 0
			stopped := false
			d.finder.elements(body, recs, func(span) bool {
				n++
				if n%1024 == 0 && cancelled(d.done) {
					stopped = true
				}
				return n <= d.maxRecords && !stopped
			})
			if stopped {
				return nil, errCancelled
			}
			if n > d.maxRecords {
				return nil, d.tooMany(at)
			}
			if cap(pg.Records) < n {
				pg.Records = make([]Record, 0, n)
			}
			saved := slices.Clone(d.finder.unescaped) // the document's, for the pagination fields
			var err error
			d.finder.elements(body, recs, func(s span) bool {
				if len(pg.Records)%1024 == 1023 && cancelled(d.done) {
					err = errCancelled
					return false
				}
				d.finder.reset()
				pg.Records = append(pg.Records, d.record(nil, body[s.start:s.end]))
				return true
			})
			if err != nil {
				return nil, err
			}
			d.finder.unescaped = saved
		case "object":
			// The record is an object of the document: what the lookups so
			// far did to its keys holds for the record's lookups and back.
			doc := d.finder.unescaped
			var inRec []int
			for _, o := range doc {
				if o >= recs {
					inRec = append(inRec, o-recs) // beyond the record: never looked up in it
				}
			}
			d.finder.unescaped = inRec
			end := d.finder.end(body, recs)
			pg.Records = append(pg.Records, d.record(nil, body[recs:end]))
			for _, o := range d.finder.unescaped {
				if !slices.Contains(doc, o+recs) {
					doc = append(doc, o+recs)
				}
			}
			d.finder.unescaped = doc
		default:
			return nil, fmt.Errorf("records path %q holds a %s, not an array or object", d.pathNames[at], kind)
		}
	}
	d.pagination(&doc, header)
	d.counts.read(&doc, header, pg)
	return pg, nil
}

// lookup reads paths of a page's document: the parsed root, or the body
// through the scanner.
type lookup struct {
	root *fastjson.Value
	d    *Decoder // nil: root
	body []byte
	doc  int // where the document starts in body
}

// get is p.Get(root); for a body it parses only the value found, and it
// stays valid until the next get.
func (l *lookup) get(p Path) *fastjson.Value {
	if l.d == nil {
		return p.Get(l.root)
	}
	s, ok := l.d.finder.find(l.body, l.doc, p)
	if !ok {
		return nil
	}
	return l.d.spanValue(l.body[s:l.d.finder.end(l.body, s)])
}

// field is p.Get(v), or the same path read from raw when the record was
// not parsed (k is the index of p's first key in rawKeys); the value stays
// valid until the next field.
func (d *Decoder) field(v *fastjson.Value, raw []byte, p Path, k int) *fastjson.Value {
	if raw == nil {
		return p.Get(v)
	}
	var s int
	var ok bool
	if d.keysSeq || raw[0] != '{' || k < 0 {
		s, ok = d.finder.find(raw, 0, p)
	} else if s, ok = d.keyStarts[k], d.keyFound[k]; ok && len(p) > 1 {
		s, ok = d.finder.find(raw, s, p[1:])
	}
	if !ok {
		return nil
	}
	return d.spanValue(raw[s:d.finder.end(raw, s)])
}

// scanKeys finds the first keys of the id and time paths in one pass over
// the record's members. fastjson compares keys as written until a lookup
// misses in an object with escaped keys, and unescaped from then on; when
// that could matter (a key missed and some key has escapes), the lookups
// are made one by one instead (keysSeq).
func (d *Decoder) scanKeys(raw []byte) {
	d.keysSeq = false
	if raw[0] != '{' {
		return
	}
	clear(d.keyFound)
	left, escaped := len(d.rawKeys), false
	d.finder.members(raw, 0, func(k []byte, v int) bool {
		for i, want := range d.rawKeys {
			if !d.keyFound[i] && b2s(k) == want {
				d.keyStarts[i], d.keyFound[i] = v, true
				left--
			}
		}
		if !escaped && bytes.IndexByte(k, '\\') >= 0 {
			escaped = true
		}
		return left > 0
	})
	d.keysSeq = left > 0 && escaped
	for _, k := range d.rawKeys {
		if strings.IndexByte(k, '\\') >= 0 {
			d.keysSeq = true // fastjson never compares such a key as written
		}
	}
}

// spanValue parses one field's value. Objects and arrays above 4 KiB, or
// nested too deep to parse, are given as an empty object or array: ids,
// times, counts and next links are scalars, and only the type of anything
// else matters to them.
func (d *Decoder) spanValue(raw []byte) *fastjson.Value {
	if d.vpBig {
		d.vp, d.vpBig = fastjson.Parser{}, false
	}
	container := raw[0] == '{' || raw[0] == '['
	if !container || len(raw) <= 4<<10 {
		if v, err := d.vp.ParseBytes(raw); err == nil {
			d.vpBig = len(raw) > 64<<10
			return v
		}
	}
	if raw[0] == '{' {
		return d.emptyObj
	}
	return d.emptyArr
}
