// Package decode turns one API response body into records: it finds the
// record array described by apispec.Records, reads each record's id and
// event time, and reads the pagination signal. It uses fastjson with one
// reusable parser per Decoder, so a page costs no per-value allocations.
package decode

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// Errors of a body that is not what the spec describes. The errors that wrap
// them quote parts of the body (top-level keys, the parser's message), so
// callers redact them before they log them; the sentinels alone name the
// class of the failure without any content.
var (
	ErrNotJSON   = errors.New("response is not valid JSON")
	ErrNoRecords = errors.New("records path not found in the response")
)

// bodyError is a message about a body, of a class.
type bodyError struct {
	class error
	msg   string
}

func (e *bodyError) Error() string { return e.msg }

func (e *bodyError) Unwrap() error { return e.class }

// More says whether another page follows.
type More uint8

const (
	// MoreUnknown: the page carries no signal (no NextPath, no Link header);
	// the engine falls back to the page size.
	MoreUnknown More = iota
	// MoreYes: the API says another page follows.
	MoreYes
	// MoreNo: the API says this is the last page.
	MoreNo
)

func (m More) String() string {
	switch m {
	case MoreYes:
		return "yes"
	case MoreNo:
		return "no"
	}
	return "unknown"
}

// Record is one decoded record.
type Record struct {
	// ID is the id field as text: strings as they are, numbers canonical.
	ID string
	// Time is the event time in unix ns; 0 (with Problem set) when the
	// field is missing or unparseable.
	Time int64
	// TimeSource says which field Time came from: 0 for the time field,
	// i for the i-th of the time fallback fields (Decoder.TimeFieldName
	// names it).
	TimeSource int
	// Key orders records; for now it is Time.
	Key int64
	// Problem is "" or why the record lacks a usable id or time.
	Problem string
	// Value is the record itself, valid until the next Decode.
	Value *fastjson.Value
}

// Page is one decoded response.
type Page struct {
	// Records in API order. The slice is reused by the next Decode.
	Records []Record
	More    More
	// Next is the next URL (next_url, link_header) or cursor token
	// (cursor); "" when none.
	Next string
	// Size is the page size the API echoes (Pagination.PageSizePath); 0
	// when it echoes none.
	Size int
	// Total, when HasTotal, is how many records the request matches in all
	// (Pagination.TotalPath or TotalHeader).
	Total    int
	HasTotal bool
}

// Decoder turns one response body into records. Not safe for concurrent
// use; one per stream worker.
type Decoder struct {
	p fastjson.Parser

	paths     []Path   // Records.Path then AltPaths, tried in order
	pathNames []string // the same, as configured, for messages
	id        Path
	idName    string
	tm        []Path   // the time field, then the fallback fields
	tmNames   []string // the same, as configured
	tf        timeFormat
	pagType   string
	next      Path
	hasNext   bool
	counts    counts

	page    Page
	scratch []byte
	arena   Arena // ids

	// redact, when set, takes every text quoted from a body before it is
	// cut to length (see SetRedactor).
	redact func(string) string
}

// SetRedactor makes the decoder pass every text its messages quote from a
// body (top-level keys, a time value, the JSON parser's words) through
// redact before cutting it to length, so that no cut can leave part of a
// secret that redact would have found whole. The messages still quote the
// body and are redacted again where they are logged.
func (d *Decoder) SetRedactor(redact func(string) string) { d.redact = redact }

func (d *Decoder) redacted(s string) string {
	if d.redact == nil {
		return s
	}
	return d.redact(s)
}

// New validates the paths and the time format once.
func New(rec apispec.Records, pag apispec.Pagination) (*Decoder, error) {
	d := &Decoder{idName: rec.IDField, pagType: pag.Type}
	var errs []error
	for _, p := range append([]string{rec.Path}, rec.AltPaths...) {
		cp, err := CompilePath(p)
		if err != nil {
			errs = append(errs, fmt.Errorf("records path: %w", err))
		}
		d.paths = append(d.paths, cp)
		d.pathNames = append(d.pathNames, p)
	}
	var err error
	if d.id, err = CompilePath(rec.IDField); err != nil {
		errs = append(errs, fmt.Errorf("id field: %w", err))
	}
	for i, name := range append([]string{rec.TimeField}, rec.TimeFallbackFields...) {
		p, perr := CompilePath(name)
		switch {
		case perr != nil && i == 0:
			errs = append(errs, fmt.Errorf("time field: %w", perr))
		case perr != nil:
			errs = append(errs, fmt.Errorf("time fallback field %q: %w", name, perr))
		case p == nil && i > 0:
			errs = append(errs, errors.New("time fallback field: empty"))
		}
		d.tm = append(d.tm, p)
		d.tmNames = append(d.tmNames, name)
	}
	if d.tf, err = compileTimeFormat(rec.TimeFormat); err != nil {
		errs = append(errs, fmt.Errorf("time format: %w", err))
	}
	if pag.NextPath != "" {
		d.hasNext = true
		if d.next, err = CompilePath(pag.NextPath); err != nil {
			errs = append(errs, fmt.Errorf("pagination next path: %w", err))
		}
	}
	if d.counts, err = compileCounts(pag); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return d, nil
}

// Decode parses body and returns its records and pagination signal. The
// page and the records' values stay valid until the next Decode.
func (d *Decoder) Decode(body []byte, header http.Header) (*Page, error) {
	pg := &d.page
	pg.Records = pg.Records[:0]
	pg.More, pg.Next = MoreUnknown, ""

	root, err := d.p.ParseBytes(body)
	if err != nil {
		return nil, notJSON(body, err, d.redacted)
	}
	recs, at, err := d.locate(root)
	if err != nil {
		return nil, err
	}
	kind := fastjson.TypeNull // nil: no records
	if recs != nil {
		kind = recs.Type()
	}
	switch kind {
	case fastjson.TypeNull:
	case fastjson.TypeArray:
		arr, _ := recs.Array()
		if cap(pg.Records) < len(arr) {
			pg.Records = make([]Record, 0, len(arr))
		}
		for _, v := range arr {
			pg.Records = append(pg.Records, d.record(v))
		}
	case fastjson.TypeObject:
		// A single object is one record (Make's single-execution answer).
		pg.Records = append(pg.Records, d.record(recs))
	default:
		return nil, &bodyError{ErrNoRecords, fmt.Sprintf("records path %q holds a %s, not an array or object", d.pathNames[at], recs.Type())}
	}
	d.pagination(root, header)
	d.counts.read(root, header, pg)
	return pg, nil
}

// locate finds the record container: Path, then each AltPath. A missing
// path in an empty object (or null body) means no records: a nil value.
// at is the index of the path that matched.
func (d *Decoder) locate(root *fastjson.Value) (v *fastjson.Value, at int, err error) {
	for i, p := range d.paths {
		if v := p.Get(root); v != nil {
			return v, i, nil
		}
	}
	switch root.Type() {
	case fastjson.TypeNull:
		return nil, 0, nil
	case fastjson.TypeObject:
		o, _ := root.Object()
		if o.Len() == 0 {
			return nil, 0, nil // {} has no records, the object itself is not one
		}
		return nil, 0, &bodyError{ErrNoRecords, fmt.Sprintf("records path %s not found in the response; top-level keys: %s", d.quotedPaths(), topKeys(o, d.redacted))}
	}
	return nil, 0, &bodyError{ErrNoRecords, fmt.Sprintf("records path %s not found in the response: the body is a JSON %s", d.quotedPaths(), root.Type())}
}

func (d *Decoder) quotedPaths() string {
	q := make([]string, len(d.pathNames))
	for i, n := range d.pathNames {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, " or ")
}

// topKeys lists keys (never values) to help fix a wrong path.
func topKeys(o *fastjson.Object, redact func(string) string) string {
	const maxKeys, maxLen = 20, 40
	var b strings.Builder
	n := 0
	o.Visit(func(k []byte, _ *fastjson.Value) {
		n++
		if n > maxKeys {
			return
		}
		if n > 1 {
			b.WriteString(", ")
		}
		key := redact(string(k))
		if len(key) > maxLen {
			key = key[:maxLen]
		}
		fmt.Fprintf(&b, "%q", key)
	})
	if n > maxKeys {
		fmt.Fprintf(&b, " and %d more", n-maxKeys)
	}
	return b.String()
}

// record reads id and time; failures become Problem, never an error, so
// one odd record does not hide the rest of the page.
func (d *Decoder) record(v *fastjson.Value) Record {
	r := Record{Value: v}
	var problems []string
	if d.id != nil {
		iv := d.id.Get(v)
		switch {
		case iv == nil || iv.Type() == fastjson.TypeNull:
			problems = append(problems, fmt.Sprintf("missing id field %q", d.idName))
		case iv.Type() == fastjson.TypeString:
			b, _ := iv.StringBytes()
			if len(b) == 0 {
				problems = append(problems, fmt.Sprintf("empty id field %q", d.idName))
			}
			r.ID = d.arena.String(b)
		default:
			var ok bool
			d.scratch, ok = AppendText(d.scratch[:0], iv)
			if !ok {
				problems = append(problems, fmt.Sprintf("id field %q holds a %s", d.idName, iv.Type()))
			}
			r.ID = d.arena.String(d.scratch)
		}
	}
	if d.tm[0] != nil {
		if p := d.time(v, &r); p != "" {
			problems = append(problems, p)
		}
	}
	r.Key = r.Time
	if problems != nil {
		r.Problem = strings.Join(problems, "; ")
	}
	return r
}

// time reads the first time field that is present and not null into r;
// the answer is "" or the problem.
func (d *Decoder) time(v *fastjson.Value, r *Record) string {
	for i, p := range d.tm {
		tv := p.Get(v)
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
	if len(d.tm) == 1 {
		return fmt.Sprintf("missing time field %q", d.tmNames[0])
	}
	q := make([]string, len(d.tmNames))
	for i, n := range d.tmNames {
		q[i] = strconv.Quote(n)
	}
	return "missing time fields " + strings.Join(q, ", ") + " (all missing or null)"
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

// pagination reads the "has more" signal or next link.
func (d *Decoder) pagination(root *fastjson.Value, header http.Header) {
	pg := &d.page
	if d.hasNext {
		nv := d.next.Get(root)
		more, text := signal(nv)
		if !more {
			pg.More = MoreNo
			return
		}
		pg.More = MoreYes
		switch d.pagType {
		case apispec.PaginationNextURL, apispec.PaginationCursor:
			pg.Next = text
		}
		return
	}
	if d.pagType == apispec.PaginationLinkHeader {
		next, present := NextLink(header)
		switch {
		case next != "":
			pg.More, pg.Next = MoreYes, next
		case strings.EqualFold(header.Get("Total-Number-Is-Capped"), "true"):
			// Logto drops rel="next" past 10,000 matches: walk on until an
			// empty page.
		case present:
			pg.More = MoreNo
		}
	}
}

// signal reads a NextPath value: null, the string "null", false, "" or a
// missing value mean no more; anything else means more, with its text as
// the next URL or cursor.
func signal(v *fastjson.Value) (more bool, text string) {
	if v == nil {
		return false, ""
	}
	switch v.Type() {
	case fastjson.TypeNull, fastjson.TypeFalse:
		return false, ""
	case fastjson.TypeTrue:
		return true, ""
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		s := strings.TrimSpace(b2s(b))
		if s == "" || s == "null" {
			return false, ""
		}
		return true, strings.Clone(s)
	case fastjson.TypeNumber:
		t, _ := Text(v)
		return true, t
	}
	return true, ""
}

// notJSON describes a body that failed to parse without echoing it: the
// fastjson message minus the quoted tail, and what the body looks like.
func notJSON(body []byte, err error, redact func(string) string) error {
	msg := redact(err.Error())
	for _, cut := range []string{"; unparsed tail:", " found: ", "unexpected tail: "} {
		if i := strings.Index(msg, cut); i >= 0 {
			msg = msg[:i+len(cut)-1]
			msg = strings.TrimRight(msg, ":; ")
		}
	}
	const maxLen = 120
	if len(msg) > maxLen {
		msg = msg[:maxLen] + "..."
	}
	trimmed := strings.TrimSpace(b2s(body))
	var what string
	switch {
	case trimmed == "":
		what = "the body is empty"
	case trimmed[0] == '<':
		what = fmt.Sprintf("%d bytes, looks like HTML or XML", len(body))
	default:
		what = fmt.Sprintf("%d bytes", len(body))
	}
	return &bodyError{ErrNotJSON, fmt.Sprintf("response is not valid JSON: %s (%s)", msg, what)}
}
