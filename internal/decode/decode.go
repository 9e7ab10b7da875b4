package decode

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/valyala/fastjson"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

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
	ident     *identity // records.id_fields or records.id instead of id
	tm        []Path    // the time field, then the fallback fields
	tmNames   []string  // the same, as configured
	tf        timeFormat
	pagType   string
	next      Path
	hasNext   bool
	hasMore   moreSignal // Pagination.HasMorePath
	ndjson    bool       // Records.Format: one record per line
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
	d := &Decoder{idName: rec.IDField, pagType: pag.Type, ndjson: rec.IsNDJSON()}
	var errs []error
	if d.ndjson && (rec.Path != "" || len(rec.AltPaths) > 0 || pag.NextPath != "" || pag.HasMorePath != "" || pag.TotalPath != "" || pag.PageSizePath != "") {
		errs = append(errs, errors.New("ndjson records: a body of records only has no records path and no pagination fields"))
	}
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
	if d.ident, err = newIdentity(rec); err != nil {
		errs = append(errs, err)
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
	if d.hasMore, err = compileMoreSignal(pag); err != nil {
		errs = append(errs, err)
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
	if d.ndjson {
		return d.decodeLines(body, header)
	}

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

func (d *Decoder) tooMany(at int) error {
	return fmt.Errorf("records path %q holds more than %d records: more than one per %d bytes of max_body_size", d.pathNames[at], d.maxRecords, bytesPerRecord)
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
