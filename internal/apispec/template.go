package apispec

import (
	"fmt"
	"slices"
	"strings"
)

// Template variables the engine fills itself; every other name comes from the
// receiver configuration (an API option, `vars`).
const (
	VarStream      = "stream"       // the stream id (a Tines action, a Make scenario)
	VarPage        = "page"         // page pagination: the page number
	VarPageSize    = "page_size"    // records per request
	VarOffset      = "offset"       // offset pagination: records already read in this walk
	VarCursor      = "cursor"       // cursor pagination: the token of the next page
	VarWindowStart = "window_start" // time filter: the window's lower bound
	VarWindowEnd   = "window_end"   // time filter: the window's upper bound
	VarLastID      = "last_id"      // resume.from last_id: the id of the last record read
	// VarRecordPrefix starts the names of enrichment placeholders:
	// {{record:id}} is the field id of the record being enriched.
	VarRecordPrefix = "record:"
	// ListPrefix marks a list placeholder: {{list:user_ids}} repeats the
	// query parameter once per value.
	ListPrefix = "list:"
)

// EngineVars lists the variables the engine fills (VarStream ... VarLastID).
func EngineVars() []string {
	return []string{VarStream, VarPage, VarPageSize, VarOffset, VarCursor, VarWindowStart, VarWindowEnd, VarLastID}
}

// IsEngineVar reports whether the engine fills the placeholder name: one of
// EngineVars or a {{record:<field>}} of enrichment.
func IsEngineVar(name string) bool {
	return strings.HasPrefix(name, VarRecordPrefix) || slices.Contains(EngineVars(), name)
}

// Vars are the values a template can use. A name maps to one value, or to
// several for list parameters ({{list:name}}).
type Vars map[string][]string

// Get returns the first value of name, or "".
func (v Vars) Get(name string) string {
	if vals := v[name]; len(vals) > 0 {
		return vals[0]
	}
	return ""
}

// Set replaces name with a single value.
func (v Vars) Set(name, value string) { v[name] = []string{value} }

// Template is a string with {{name}} placeholders, parsed once.
type Template struct {
	parts []templatePart
}

type templatePart struct {
	literal string
	name    string // set for a placeholder
	list    bool   // {{list:name}}: every value, for repeated query parameters
}

// ParseTemplate parses s. Names are letters, digits, '_', '.', ':' and '-'.
func ParseTemplate(s string) (Template, error) {
	var t Template
	for {
		open := strings.Index(s, "{{")
		if open < 0 {
			if s != "" {
				t.parts = append(t.parts, templatePart{literal: s})
			}
			return t, nil
		}
		end := strings.Index(s[open:], "}}")
		if end < 0 {
			return Template{}, fmt.Errorf("unclosed \"{{\" in %q", s)
		}
		if open > 0 {
			t.parts = append(t.parts, templatePart{literal: s[:open]})
		}
		name := strings.TrimSpace(s[open+2 : open+end])
		if name == "" {
			return Template{}, fmt.Errorf("empty placeholder in %q", s)
		}
		part := templatePart{name: name}
		if rest, ok := strings.CutPrefix(name, ListPrefix); ok {
			part.name, part.list = rest, true
		}
		t.parts = append(t.parts, part)
		s = s[open+end+2:]
	}
}

// MustParseTemplate is ParseTemplate for specs already validated.
func MustParseTemplate(s string) Template {
	t, err := ParseTemplate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// Names lists the placeholders used.
func (t Template) Names() []string {
	var names []string
	for _, p := range t.parts {
		if p.name != "" {
			names = append(names, p.name)
		}
	}
	return names
}

// IsList reports whether the template is exactly one {{list:name}} placeholder.
func (t Template) IsList() (string, bool) {
	if len(t.parts) == 1 && t.parts[0].list {
		return t.parts[0].name, true
	}
	return "", false
}

// Render substitutes vars; an unknown name renders empty. escape, when not
// nil, is applied to substituted values (path escaping, JSON string escaping).
func (t Template) Render(vars Vars, escape func(string) string) string {
	if len(t.parts) == 1 && t.parts[0].name == "" {
		return t.parts[0].literal
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.name == "" {
			b.WriteString(p.literal)
			continue
		}
		v := vars.Get(p.name)
		if escape != nil {
			v = escape(v)
		}
		b.WriteString(v)
	}
	return b.String()
}
