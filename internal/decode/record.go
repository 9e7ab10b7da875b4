package decode

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
)

// record reads id and time; failures become Problem, never an error, so
// one odd record does not hide the rest of the page.
func (d *Decoder) record(v *fastjson.Value, raw []byte) Record {
	r := Record{Value: v, Raw: raw}
	if raw != nil {
		d.scanKeys(raw)
	}
	problems := d.problems[:0]
	if d.id != nil {
		iv := d.field(v, raw, d.id, d.idKey)
		switch {
		case iv == nil || iv.Type() == fastjson.TypeNull:
			problems = append(problems, d.message(problemMissingID, 0))
		case iv.Type() == fastjson.TypeString:
			b, _ := iv.StringBytes()
			if len(b) == 0 {
				problems = append(problems, d.message(problemEmptyID, 0))
			}
			r.ID = d.arena.String(b)
		default:
			var ok bool
			d.scratch, ok = AppendText(d.scratch[:0], iv)
			if !ok {
				problems = append(problems, d.message(problemIDHolds, iv.Type()))
			}
			r.ID = d.arena.String(d.scratch)
		}
	} else if d.ident != nil {
		if p := d.recordID(v, raw, &r); p != "" {
			problems = append(problems, p)
		}
	}
	if d.tm[0] != nil {
		if p := d.time(v, raw, &r); p != "" {
			problems = append(problems, p)
		}
	}
	r.Key = r.Time
	if len(problems) > 0 {
		r.Problem = d.joined(problems)
	}
	d.problems = problems
	return r
}

// Problems repeat from record to record; a page of invalid records shares
// their strings instead of holding one per record.
const (
	problemMissingID = iota
	problemEmptyID
	problemIDHolds
	problemMissingTime
)

type problemKey struct {
	kind int
	typ  fastjson.Type
}

// message is a problem text, made once.
func (d *Decoder) message(kind int, typ fastjson.Type) string {
	k := problemKey{kind, typ}
	if s, ok := d.messages[k]; ok {
		return s
	}
	var s string
	switch kind {
	case problemMissingID:
		s = fmt.Sprintf("missing id field %q", d.idName)
	case problemEmptyID:
		s = fmt.Sprintf("empty id field %q", d.idName)
	case problemIDHolds:
		s = fmt.Sprintf("id field %q holds a %s", d.idName, typ)
	case problemMissingTime:
		if len(d.tm) == 1 {
			s = fmt.Sprintf("missing time field %q", d.tmNames[0])
			break
		}
		q := make([]string, len(d.tmNames))
		for i, n := range d.tmNames {
			q[i] = strconv.Quote(n)
		}
		s = "missing time fields " + strings.Join(q, ", ") + " (all missing or null)"
	}
	if d.messages == nil {
		d.messages = map[problemKey]string{}
	}
	d.messages[k] = s
	return s
}

// joined is strings.Join(ps, "; "), shared with the records before that
// had the same problems.
func (d *Decoder) joined(ps []string) string {
	if len(ps) == 1 {
		return ps[0]
	}
	b := d.scratch[:0]
	for i, p := range ps {
		if i > 0 {
			b = append(b, "; "...)
		}
		b = append(b, p...)
	}
	d.scratch = b
	if s, ok := d.joins[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.joins == nil {
		d.joins = map[string]string{}
	}
	if len(d.joins) < 64 {
		d.joins[s] = s
	}
	return s
}

// time reads the first time field that is present and not null into r;
// the answer is "" or the problem.
func (d *Decoder) time(v *fastjson.Value, raw []byte, r *Record) string {
	for i, p := range d.tm {
		tv := d.field(v, raw, p, d.tmKeys[i])
		if tv == nil || tv.Type() == fastjson.TypeNull {
			continue
		}
		ns, scratch, err := d.tf.parse(tv, d.scratch)
		d.scratch = scratch
		if err != nil {
			return fmt.Sprintf("unparseable time %q in %q", shortText(tv, d.redacted), d.tmNames[i])
		}
		r.Time, r.TimeSource = ns, i
		return ""
	}
	return d.message(problemMissingTime, 0)
}

// TimeFieldName names the field a record's time came from (its
// TimeSource): the time field or one of the fallback fields.
func (d *Decoder) TimeFieldName(source int) string {
	if source < 0 || source >= len(d.tmNames) {
		return ""
	}
	return d.tmNames[source]
}

// shortText is a value's text for a message, redacted, then cut to a
// readable length.
func shortText(v *fastjson.Value, redact func(string) string) string {
	const maxLen = 64
	var b []byte
	if t, ok := AppendText(nil, v); ok {
		b = t
	} else {
		b = v.MarshalTo(nil)
	}
	s := redact(string(b))
	if len(s) > maxLen {
		return s[:maxLen] + "..."
	}
	return s
}
