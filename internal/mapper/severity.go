package mapper

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// severityNames are the SeverityNumber names indexed by number.
var severityNames = [...]string{
	"UNSPECIFIED",
	"TRACE", "TRACE2", "TRACE3", "TRACE4",
	"DEBUG", "DEBUG2", "DEBUG3", "DEBUG4",
	"INFO", "INFO2", "INFO3", "INFO4",
	"WARN", "WARN2", "WARN3", "WARN4",
	"ERROR", "ERROR2", "ERROR3", "ERROR4",
	"FATAL", "FATAL2", "FATAL3", "FATAL4",
}

// ParseSeverity reads a SeverityNumber name (TRACE..FATAL4, UNSPECIFIED,
// any case) or its number "0".."24".
func ParseSeverity(name string) (plog.SeverityNumber, error) {
	s := strings.TrimSpace(name)
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return plog.SeverityNumber(i), nil
		}
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n < len(severityNames) {
		return plog.SeverityNumber(n), nil
	}
	return 0, fmt.Errorf("unknown severity %q (want TRACE..FATAL4, UNSPECIFIED or 0..24)", name)
}

type ruleKind uint8

const (
	matchAny ruleKind = iota
	matchEquals
	matchRange
)

// rule is an apispec.SeverityRule resolved once.
type rule struct {
	field       int // index into severity.fields
	kind        ruleKind
	equals      string // compared with strings and booleans as is
	equalsNum   string // canonical form, compared with numbers; "" if Equals is not a number
	min, max    float64
	hasMin      bool
	hasMax      bool
	num         plog.SeverityNumber
	text        string
	keepRawText bool // Text was empty: use the field's own value
}

// severity evaluates the rules for one record.
//
// Why not contrib's pkg/stanza severity parser (issue #21; the module is
// served at v0.165.1): it reads one parse_from field of a stanza
// entry.Entry and looks its text up in a value-to-severity table (integer
// ranges are expanded into that table). Our specs need rules over several
// fields taken in order, decimal ranges (min/max), numbers compared in
// canonical form, booleans and a text per rule; and every fastjson record
// would first have to become an entry.Entry. It would also bring
// expr-lang, go-syslog and doublestar into the collector for one lookup.
type severity struct {
	fields      []decode.Path // distinct rule fields, looked up once per record
	rules       []rule
	defNum      plog.SeverityNumber
	defText     string
	defRawField bool // DefaultText empty: use the first rule field's value
	// Per record, per field: the value, and its text form computed at most
	// once (several equals rules usually test the same field).
	vals     []*fastjson.Value
	texts    [][]byte
	textOK   []bool
	textDone []bool
}

func compileSeverity(spec apispec.Severity, overrides map[string]string) (severity, error) {
	var s severity
	var err error
	if spec.Default != "" {
		if s.defNum, err = ParseSeverity(spec.Default); err != nil {
			return s, fmt.Errorf("severity default: %w", err)
		}
	}
	s.defText = spec.DefaultText
	s.defRawField = spec.DefaultText == "" && !spec.EmptyDefaultText() && len(spec.Rules) > 0

	fieldIndex := map[string]int{}
	field := func(name string) (int, error) {
		if i, ok := fieldIndex[name]; ok {
			return i, nil
		}
		if name == "" {
			return 0, errors.New("empty field")
		}
		p, err := decode.CompilePath(name)
		if err != nil {
			return 0, err
		}
		fieldIndex[name] = len(s.fields)
		s.fields = append(s.fields, p)
		return len(s.fields) - 1, nil
	}

	if len(overrides) > 0 {
		if len(spec.Rules) == 0 {
			return s, errors.New("severity overrides need a spec with severity rules (they apply to the first rule's field)")
		}
		fi, err := field(spec.Rules[0].Field)
		if err != nil {
			return s, fmt.Errorf("severity rule 1: %w", err)
		}
		raws := make([]string, 0, len(overrides))
		for raw := range overrides {
			raws = append(raws, raw)
		}
		sort.Strings(raws) // deterministic; equal matches never overlap anyway
		for _, raw := range raws {
			num, err := ParseSeverity(overrides[raw])
			if err != nil {
				return s, fmt.Errorf("severity override %q: %w", raw, err)
			}
			s.rules = append(s.rules, equalsRule(fi, raw, num, "", true))
		}
	}
	for i, r := range spec.Rules {
		fi, err := field(r.Field)
		if err != nil {
			return s, fmt.Errorf("severity rule %d: %w", i+1, err)
		}
		num, err := ParseSeverity(r.Severity)
		if err != nil {
			return s, fmt.Errorf("severity rule %d: %w", i+1, err)
		}
		switch {
		case r.Min != nil || r.Max != nil:
			if r.Equals != "" || r.EqualsEmpty() {
				return s, fmt.Errorf("severity rule %d: equals and min/max are exclusive", i+1)
			}
			cr := rule{field: fi, kind: matchRange, num: num, text: r.Text, keepRawText: r.KeepsFieldText()}
			if r.Min != nil {
				cr.min, cr.hasMin = *r.Min, true
			}
			if r.Max != nil {
				cr.max, cr.hasMax = *r.Max, true
			}
			if cr.hasMin && cr.hasMax && cr.min > cr.max {
				return s, fmt.Errorf("severity rule %d: min %v is above max %v", i+1, cr.min, cr.max)
			}
			s.rules = append(s.rules, cr)
		case r.Equals != "" || r.EqualsEmpty():
			s.rules = append(s.rules, equalsRule(fi, r.Equals, num, r.Text, r.KeepsFieldText()))
		default:
			s.rules = append(s.rules, rule{field: fi, kind: matchAny, num: num, text: r.Text, keepRawText: r.KeepsFieldText()})
		}
	}
	s.vals = make([]*fastjson.Value, len(s.fields))
	s.texts = make([][]byte, len(s.fields))
	s.textOK = make([]bool, len(s.fields))
	s.textDone = make([]bool, len(s.fields))
	return s, nil
}

func equalsRule(field int, equals string, num plog.SeverityNumber, text string, keepRawText bool) rule {
	r := rule{field: field, kind: matchEquals, equals: equals, num: num, text: text, keepRawText: keepRawText}
	if b, ok := decode.AppendNumber(nil, strings.TrimSpace(equals)); ok {
		r.equalsNum = string(b)
	}
	return r
}

// eval returns the severity of record v. scratch is reused for text forms;
// rawText turns the matched field's text into a (cached) string.
func (s *severity) eval(v *fastjson.Value, m *Mapper) (plog.SeverityNumber, string) {
	for i, p := range s.fields {
		fv := p.Get(v)
		if fv != nil && fv.Type() == fastjson.TypeNull {
			fv = nil // null counts as absent
		}
		s.vals[i] = fv
		s.textDone[i] = false
	}
	for i := range s.rules {
		r := &s.rules[i]
		fv := s.vals[r.field]
		if fv == nil || !r.matches(fv, s) {
			continue
		}
		if r.keepRawText {
			return r.num, m.rawText(fv)
		}
		return r.num, r.text
	}
	if s.defRawField {
		if fv := s.vals[s.rules[0].field]; fv != nil {
			return s.defNum, m.rawText(fv)
		}
	}
	return s.defNum, s.defText
}

// text is the text form of field i's value in this record, computed once.
func (s *severity) text(i int) ([]byte, bool) {
	if !s.textDone[i] {
		s.texts[i], s.textOK[i] = decode.AppendText(s.texts[i][:0], s.vals[i])
		s.textDone[i] = true
	}
	return s.texts[i], s.textOK[i]
}

func (r *rule) matches(fv *fastjson.Value, s *severity) bool {
	switch r.kind {
	case matchAny:
		return true
	case matchEquals:
		switch fv.Type() {
		case fastjson.TypeNumber:
			if r.equalsNum == "" {
				return false
			}
			t, ok := s.text(r.field)
			return ok && string(t) == r.equalsNum
		case fastjson.TypeString, fastjson.TypeTrue, fastjson.TypeFalse:
			t, ok := s.text(r.field)
			return ok && string(t) == r.equals
		}
		return false
	case matchRange:
		var f float64
		switch fv.Type() {
		case fastjson.TypeNumber:
			var err error
			if f, err = fv.Float64(); err != nil {
				return false
			}
		case fastjson.TypeString:
			b, _ := fv.StringBytes()
			var err error
			if f, err = strconv.ParseFloat(strings.TrimSpace(string(b)), 64); err != nil {
				return false
			}
		default:
			return false
		}
		return (!r.hasMin || f >= r.min) && (!r.hasMax || f <= r.max)
	}
	return false
}
