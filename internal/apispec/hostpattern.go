package apispec

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// HostPattern is a compiled Spec.EndpointHost: a host name in which each
// placeholder stands for one DNS label ("{{tenant_id}}.logto.app").
type HostPattern struct {
	re    *regexp.Regexp
	names []string
}

// CompileHostPattern parses an EndpointHost.
func CompileHostPattern(s string) (HostPattern, error) {
	t, err := ParseTemplate(s)
	if err != nil {
		return HostPattern{}, err
	}
	var b strings.Builder
	var names []string
	b.WriteString("^")
	for _, p := range t.parts {
		switch {
		case p.name == "":
			if strings.ContainsAny(p.literal, "/:@?# ") {
				return HostPattern{}, fmt.Errorf("must be a host name, without scheme, port or path; got %q", s)
			}
			b.WriteString(regexp.QuoteMeta(strings.ToLower(p.literal)))
		case p.list || IsEngineVar(p.name):
			return HostPattern{}, fmt.Errorf("{{%s}} cannot stand for part of a host name", p.name)
		default:
			b.WriteString(`([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)`)
			names = append(names, p.name)
		}
	}
	b.WriteString("$")
	if len(names) == 0 {
		return HostPattern{}, errors.New("has no placeholder: it would read nothing from the endpoint")
	}
	return HostPattern{re: regexp.MustCompile(b.String()), names: names}, nil
}

// Match returns the placeholders' values when host has the pattern's form.
func (p HostPattern) Match(host string) (Vars, bool) {
	if p.re == nil {
		return nil, false
	}
	m := p.re.FindStringSubmatch(strings.ToLower(host))
	if m == nil {
		return nil, false
	}
	vars := Vars{}
	for i, name := range p.names {
		if prev := vars.Get(name); prev != "" && prev != m[i+1] {
			return nil, false // one name, two different labels
		}
		vars.Set(name, m[i+1])
	}
	return vars, true
}
