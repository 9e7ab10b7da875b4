package decode

import (
	"fmt"
	"strings"

	"github.com/valyala/fastjson"
)

// Path is a dotted path split once, so lookups on the hot path do not split
// or allocate.
type Path []string

// CompilePath splits a dotted path; "" is the value itself. Empty segments
// ("a..b", ".a") are refused: they are always typos.
func CompilePath(p string) (Path, error) {
	if p == "" {
		return nil, nil
	}
	segs := strings.Split(p, ".")
	for _, s := range segs {
		if s == "" {
			return nil, fmt.Errorf("invalid dotted path %q: empty segment", p)
		}
	}
	return segs, nil
}

// Get follows p from v; nil when a step is missing. Array elements are
// addressed by decimal index ("items.0.id").
func (p Path) Get(v *fastjson.Value) *fastjson.Value {
	if v == nil {
		return nil
	}
	return v.Get(p...)
}

// Lookup follows the dotted path in v ("" is v itself) and returns nil when a
// step is missing. It is meant for enrichment documents and tests; the
// decoder itself uses paths split once in New.
func Lookup(v *fastjson.Value, dotted string) *fastjson.Value {
	for v != nil && dotted != "" {
		seg := dotted
		if i := strings.IndexByte(dotted, '.'); i >= 0 {
			seg, dotted = dotted[:i], dotted[i+1:]
		} else {
			dotted = ""
		}
		v = v.Get(seg)
	}
	return v
}
