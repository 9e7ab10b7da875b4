package apispec

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// IDHash is the records.id value that makes a record's id the SHA-256 of
// its canonical JSON (see decode.CanonicalJSON).
const IDHash = "hash"

// validateID checks that exactly one of id_field, id_fields and id says
// where a record's id comes from.
func (r Records) validateID(prefix string) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%q %s", prefix+key, fmt.Sprintf(format, args...)))
	}
	errs = append(errs, r.zeros.problems(prefix, reflect.TypeFor[Records]())...)
	var set []string
	if r.IDField != "" {
		set = append(set, prefix+"id_field")
	}
	if len(r.IDFields) > 0 {
		set = append(set, prefix+"id_fields")
	}
	if r.ID != "" {
		set = append(set, prefix+"id")
	}
	switch len(set) {
	case 0:
		if !slices.Contains(r.zeros, "id_fields") && !slices.Contains(r.zeros, "id") {
			bad("id_field", "is required (or %sid_fields, or %sid: %s): records are deduplicated by id", prefix, prefix, IDHash)
		}
	case 1:
	default:
		q := make([]string, len(set)-1)
		for i, k := range set[1:] {
			q[i] = strconv.Quote(k)
		}
		bad(set[0][len(prefix):], "and %s are exclusive: a record's id comes from one of them", strings.Join(q, ", "))
	}
	if r.ID != "" && r.ID != IDHash {
		bad("id", "must be %q (the SHA-256 of the record's canonical JSON), got %q", IDHash, r.ID)
	}
	for i, f := range r.IDFields {
		key := fmt.Sprintf("id_fields[%d]", i)
		switch {
		case !dottedPath(f):
			bad(key, "must be a dotted path without empty segments, got %q", f)
		case slices.Contains(r.IDFields[:i], f):
			bad(key, "repeats %q", f)
		}
	}
	return errs
}
