package apispec

import (
	"fmt"
	"strings"
)

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
		if rest, ok := strings.CutPrefix(name, "list:"); ok {
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
