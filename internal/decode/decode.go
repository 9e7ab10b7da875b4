// Package decode turns one API response body into records: it finds the
// record array described by apispec.Records, reads each record's id and
// event time, and reads the pagination signal. It uses fastjson with one
// reusable parser per Decoder, so a page costs no per-value allocations.
//
// A body larger than WholeBodyLimit is not parsed whole: a parsed document
// costs about ten times its size (far more for tiny values), so it is
// validated and split by a scanner instead, and each record keeps its JSON
// text (Record.Raw) to be parsed on its own when it is mapped. The same path
// takes a body that fastjson refuses only because it is nested deeper than
// its limit of 300 levels, so that one such record does not make the whole
// page undecodable.
package decode

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"
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
	// Value is the record itself, valid until the next Decode; nil when the
	// page was decoded record by record (a body above WholeBodyLimit, or
	// one nested too deep for fastjson): Raw holds the record then.
	Value *fastjson.Value
	// Raw is the record's JSON text, a part of the body, when Value is nil.
	Raw []byte
}

// WholeBodyLimit is the largest body parsed as one document. Larger bodies
// are decoded record by record (see the package comment).
const WholeBodyLimit = 1 << 20

// DefaultMaxRecords bounds the records of one page: a page holding more is
// an error. It is one record per 32 bytes of the default max_body_size
// (1,048,576); SetMaxBodySize derives it from the configured size. No real
// record is that small, and the bound keeps a page of tiny array elements
// (each costs a Record) within a small multiple of the body's size.
const DefaultMaxRecords = apispec.DefaultMaxBodySize / bytesPerRecord

const bytesPerRecord = 32

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

	// Record by record decoding (see the package comment).
	vp     fastjson.Parser // one field value at a time
	vpBig  bool            // vp holds a large value: drop it before the next parse
	finder finder
	// One pass over a record's members finds the first key of the id and
	// time paths (rawKeys) at once.
	rawKeys    []string
	idKey      int   // index in rawKeys of the id path's first key
	tmKeys     []int // the same for each time path
	keyStarts  []int
	keyFound   []bool
	keysSeq    bool            // the one pass cannot tell (escaped keys): look up one by one
	wholeLimit int             // WholeBodyLimit; tests lower it
	empty      fastjson.Arena  // the placeholders below
	emptyObj   *fastjson.Value // stands for a large or unparseable object field
	emptyArr   *fastjson.Value
	maxRecords int
	done       <-chan struct{}

	problems []string
	messages map[problemKey]string
	joins    map[string]string
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
	key := func(p Path) int {
		if len(p) == 0 {
			return -1
		}
		if i := slices.Index(d.rawKeys, p[0]); i >= 0 {
			return i
		}
		d.rawKeys = append(d.rawKeys, p[0])
		return len(d.rawKeys) - 1
	}
	d.idKey = key(d.id)
	for _, p := range d.tm {
		d.tmKeys = append(d.tmKeys, key(p))
	}
	d.keyStarts = make([]int, len(d.rawKeys))
	d.keyFound = make([]bool, len(d.rawKeys))
	d.emptyObj = d.empty.NewObject()
	d.emptyArr = d.empty.NewArray()
	d.maxRecords = DefaultMaxRecords
	d.wholeLimit = WholeBodyLimit
	return d, nil
}

// SetMaxBodySize sets the largest body the client accepts (max_body_size);
// a page may hold one record per 32 bytes of it.
func (d *Decoder) SetMaxBodySize(n int64) {
	if n <= 0 {
		n = apispec.DefaultMaxBodySize
	}
	d.maxRecords = int(max(n/bytesPerRecord, 1024))
}

// SetWholeBodyLimit changes WholeBodyLimit for this decoder (tests and
// fuzzing: a negative limit decodes every body record by record).
func (d *Decoder) SetWholeBodyLimit(n int) { d.wholeLimit = n }

// SetDone makes Decode give up, with an error wrapping context.Canceled,
// once done is closed: decoding a large body checks it as it goes.
func (d *Decoder) SetDone(done <-chan struct{}) { d.done = done }

// Decode parses body and returns its records and pagination signal. The
// page and the records' values stay valid until the next Decode.
func (d *Decoder) Decode(body []byte, header http.Header) (*Page, error) {
	pg := &d.page
	if cap(pg.Records) > keepRecords {
		pg.Records = nil // do not hold on to the largest page ever seen
	}
	pg.Records = pg.Records[:0]
	pg.More, pg.Next = MoreUnknown, ""

	if len(body) > d.wholeLimit {
		return d.decodeRaw(body, header, false)
	}
	root, err := d.p.ParseBytes(body)
	if err != nil {
		if _, verr := validate(body, d.done); verr == nil {
			// Valid JSON that fastjson refuses: nested deeper than its limit.
			return d.decodeRaw(body, header, true)
		}
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
		if len(arr) > d.maxRecords {
			return nil, d.tooMany(at)
		}
		if cap(pg.Records) < len(arr) {
			pg.Records = make([]Record, 0, len(arr))
		}
		for _, v := range arr {
			pg.Records = append(pg.Records, d.record(v, nil))
		}
	case fastjson.TypeObject:
		// A single object is one record (Make's single-execution answer).
		pg.Records = append(pg.Records, d.record(recs, nil))
	default:
		return nil, &bodyError{ErrNoRecords, fmt.Sprintf("records path %q holds a %s, not an array or object", d.pathNames[at], recs.Type())}
	}
	doc := lookup{root: root}
	d.pagination(&doc, header)
	d.counts.read(&doc, header, pg)
	return pg, nil
}

// keepRecords is the largest record slice kept for the next page.
const keepRecords = 1 << 16

// Release lets go of the last page, once the caller is done with it, where
// keeping it for reuse would hold much memory: the records of a large page
// or of one decoded record by record (their text is the body). The page
// must not be used afterwards.
func (d *Decoder) Release() {
	pg := &d.page
	if cap(pg.Records) > keepRecords || len(pg.Records) > 0 && pg.Records[0].Raw != nil {
		pg.Records = nil
	}
}

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

func (d *Decoder) tooMany(at int) error {
	return fmt.Errorf("records path %q holds more than %d records: more than one per %d bytes of max_body_size", d.pathNames[at], d.maxRecords, bytesPerRecord)
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

// pagination reads the "has more" signal or next link.
func (d *Decoder) pagination(doc *lookup, header http.Header) {
	pg := &d.page
	if d.hasNext {
		nv := doc.get(d.next)
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
