package apispec

import (
	"fmt"
	"reflect"
	"slices"

	"go.opentelemetry.io/collector/confmap"
)

// A spec key written with a zero value (0, "", 0s, []) must not silently
// mean the same as a key left out: `pagination.first_page: 0` once read as
// 1 and lost the newest page of every window. Keys where zero is a value
// are pointers (first_page); keys where zero is not a legal value are
// recorded here when they are written with one, and ValidateAt rejects
// them by name instead of applying the default.

// explicitZeros lists the keys of one spec section written with a zero
// value, in the order of the section's zeroKeys.
type explicitZeros []string

// zeroChecked are the keys of each section whose zero value is recorded:
// the reason is what the error says when zero is refused; "" marks a key
// whose zero is a value of its own (an empty SeverityText), which the
// section's methods report.
var zeroChecked = map[reflect.Type]map[string]string{
	reflect.TypeFor[Severity]():     {"default_text": ""},
	reflect.TypeFor[SeverityRule](): {"text": "", "equals": ""},
	reflect.TypeFor[Pagination](): {
		"default_page_size": "must be positive: leave it out for no default page size",
		"max_page_size":     "must be positive: leave it out for no maximum page size",
	},
	reflect.TypeFor[Request](): {
		"method": "must be GET or POST: leave it out for GET",
	},
	reflect.TypeFor[Auth](): {
		"type": "must name an auth type: leave it out, or write none, for no credentials",
	},
	reflect.TypeFor[TimeFilter](): {
		"max_window": "must be positive: leave it out for windows of any length",
	},
	reflect.TypeFor[Discover](): {
		"refresh": "must be positive: leave it out for the default (" + DefaultDiscoveryInterval.String() + ")",
	},
	reflect.TypeFor[Resume](): {"refused_statuses": ""},
	reflect.TypeFor[Continue](): {
		"query": "must not be empty: leave it out for the request's own query",
		"body":  "must not be empty: leave it out for the request's own body",
	},
	reflect.TypeFor[Records](): {
		"id_fields": "must name at least one field: leave it out and use id_field or id",
		"id":        "must be \"hash\": leave it out and use id_field or id_fields",
	},
}

// KeysAreFields reports whether t is a spec section whose Unmarshal only
// records its explicit zeros: its keys are still its fields, which a
// configuration's key check may walk.
func KeysAreFields(t reflect.Type) bool {
	_, ok := zeroChecked[t]
	return ok
}

// unmarshalSection decodes conf into the section v (a pointer to one of
// the zeroChecked types) and returns the checked keys it sets to a zero
// value. conf.Unmarshal does not call v's own Unmarshal again (the
// collector's decoder skips the top level).
func unmarshalSection(conf *confmap.Conf, v any) (explicitZeros, error) {
	if err := conf.Unmarshal(v); err != nil {
		return nil, err
	}
	rv := reflect.ValueOf(v).Elem()
	var zeros explicitZeros
	for i := range rv.NumField() {
		f := rv.Type().Field(i)
		key := f.Tag.Get("mapstructure")
		if _, checked := zeroChecked[rv.Type()][key]; !checked || !conf.IsSet(key) {
			continue
		}
		fv := rv.Field(i)
		if fv.IsZero() || (fv.Kind() == reflect.Slice || fv.Kind() == reflect.Map) && fv.Len() == 0 {
			zeros = append(zeros, key)
		}
	}
	return zeros, nil
}

// problems is one error per recorded key, named under prefix
// ("custom.pagination.").
func (z explicitZeros) problems(prefix string, section reflect.Type) []error {
	var errs []error
	for _, key := range z {
		errs = append(errs, fmt.Errorf("%q %s", prefix+key, zeroChecked[section][key]))
	}
	return errs
}

// Unmarshal implements confmap.Unmarshaler (see explicitZeros).
func (p *Pagination) Unmarshal(conf *confmap.Conf) (err error) {
	p.zeros, err = unmarshalSection(conf, p)
	return err
}

// Unmarshal implements confmap.Unmarshaler (see explicitZeros).
func (r *Request) Unmarshal(conf *confmap.Conf) (err error) {
	r.zeros, err = unmarshalSection(conf, r)
	return err
}

// Unmarshal implements confmap.Unmarshaler (see explicitZeros).
func (a *Auth) Unmarshal(conf *confmap.Conf) (err error) {
	a.zeros, err = unmarshalSection(conf, a)
	return err
}

// Unmarshal implements confmap.Unmarshaler (see explicitZeros).
func (t *TimeFilter) Unmarshal(conf *confmap.Conf) (err error) {
	t.zeros, err = unmarshalSection(conf, t)
	return err
}

// Unmarshal implements confmap.Unmarshaler (see explicitZeros).
func (d *Discover) Unmarshal(conf *confmap.Conf) (err error) {
	d.zeros, err = unmarshalSection(conf, d)
	return err
}

// Unmarshal implements confmap.Unmarshaler (see explicitZeros).
func (r *Records) Unmarshal(conf *confmap.Conf) (err error) {
	r.zeros, err = unmarshalSection(conf, r)
	return err
}

// Unmarshal implements confmap.Unmarshaler (see explicitZeros).
func (r *Resume) Unmarshal(conf *confmap.Conf) (err error) {
	r.zeros, err = unmarshalSection(conf, r)
	return err
}

// Unmarshal implements confmap.Unmarshaler (see explicitZeros).
func (c *Continue) Unmarshal(conf *confmap.Conf) (err error) {
	c.zeros, err = unmarshalSection(conf, c)
	return err
}

// Unmarshal implements confmap.Unmarshaler (see explicitZeros).
func (s *Severity) Unmarshal(conf *confmap.Conf) (err error) {
	s.zeros, err = unmarshalSection(conf, s)
	return err
}

// Unmarshal implements confmap.Unmarshaler (see explicitZeros).
func (r *SeverityRule) Unmarshal(conf *confmap.Conf) (err error) {
	r.zeros, err = unmarshalSection(conf, r)
	return err
}

// EmptyDefaultText reports whether default_text was written as "": the
// SeverityText is then empty, where leaving it out keeps the field's value.
func (s Severity) EmptyDefaultText() bool { return slices.Contains(s.zeros, "default_text") }

// KeepsFieldText reports whether the rule's SeverityText is the matched
// field's own value: text left out (text: "" is an empty text).
func (r SeverityRule) KeepsFieldText() bool {
	return r.Text == "" && !slices.Contains(r.zeros, "text")
}

// EqualsEmpty reports whether the rule was written with equals: "", which
// matches an empty string (a rule without equals matches any value).
func (r SeverityRule) EqualsEmpty() bool { return slices.Contains(r.zeros, "equals") }

// DefaultFirstPage is the first page number when pagination.first_page is
// left out.
const DefaultFirstPage = 1

// First is the number of the first page: first_page, 0 included, or
// DefaultFirstPage when it is left out.
func (p Pagination) First() int {
	if p.FirstPage == nil {
		return DefaultFirstPage
	}
	return *p.FirstPage
}
