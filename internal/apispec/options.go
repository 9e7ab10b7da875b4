package apispec

import (
	"fmt"
	"maps"
	"slices"
	"sync"
)

// builtinOptions is the union of the options the built-in specs declare,
// parsed once.
var builtinOptions = sync.OnceValues(func() (map[string]Option, error) {
	all := map[string]Option{}
	from := map[string]string{}
	for _, name := range BuiltinNames() {
		spec, err := Builtin(name)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for key, opt := range spec.Options {
			if prev, ok := all[key]; ok && prev.Type != opt.Type {
				return nil, fmt.Errorf("option %q is %s in %s but %s in %s", key, prev.Type, from[key], opt.Type, name)
			}
			all[key], from[key] = opt, name
		}
	}
	return all, nil
})

// BuiltinOptions returns every option a built-in spec declares. A key has
// one type across the specs (an error says otherwise).
func BuiltinOptions() (map[string]Option, error) {
	all, err := builtinOptions()
	return maps.Clone(all), err
}

// ConfigVars lists, sorted and once each, the placeholders of the spec's
// templates (the page request, the discovery and the enrichment requests,
// the OAuth2 resource) that the engine does not fill: their values come
// from the receiver configuration. Templates that do not parse are skipped
// (ValidateAt reports them).
func (s *Spec) ConfigVars() []string {
	reqs := []Request{s.Request}
	if d := s.Streams.Discover; d != nil {
		reqs = append(reqs, d.Request)
	}
	if e := s.Enrich; e != nil {
		reqs = append(reqs, e.Request)
	}
	texts := []string{s.Auth.Resource}
	for _, r := range reqs {
		texts = append(texts, r.templates()...)
	}
	seen := map[string]bool{}
	for _, text := range texts {
		t, err := ParseTemplate(text)
		if err != nil {
			continue
		}
		for _, name := range t.Names() {
			if !IsEngineVar(name) {
				seen[name] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// templates returns every template text of the request, its continue's
// included.
func (r Request) templates() []string {
	var out []string
	for _, kv := range r.keyedTemplates("") {
		out = append(out, kv[1])
	}
	return out
}
