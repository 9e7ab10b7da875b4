package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// streamIDsKey lists the streams of a custom API that has no streams.key.
const streamIDsKey = "stream_ids"

// apiOptionFields maps the keys of APIOptions to their field index.
var apiOptionFields = sync.OnceValue(func() map[string]int {
	t := reflect.TypeFor[APIOptions]()
	out := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("mapstructure"), ",")
		out[name] = i
	}
	return out
})

// optionGoType is the Go type a value of an option type decodes to; nil for
// an unknown type.
func optionGoType(typ string) reflect.Type {
	switch typ {
	case apispec.OptionInt:
		return reflect.TypeFor[int64]()
	case apispec.OptionIntList:
		return reflect.TypeFor[[]int64]()
	case apispec.OptionString:
		return reflect.TypeFor[string]()
	case apispec.OptionStringList:
		return reflect.TypeFor[[]string]()
	}
	return nil
}

// optionValues returns the options the configuration sets, as text: every
// APIOptions field and MoreOptions entry with a value other than zero, "" or
// an empty list (the same as not set).
func (cfg *Config) optionValues() map[string][]string {
	out := map[string][]string{}
	v := reflect.ValueOf(cfg.APIOptions)
	for key, i := range apiOptionFields() {
		if vals := optionStrings(v.Field(i)); len(vals) > 0 {
			out[key] = vals
		}
	}
	for key, val := range cfg.MoreOptions {
		if vals := optionStrings(reflect.ValueOf(val)); len(vals) > 0 {
			out[key] = vals
		}
	}
	return out
}

// optionStrings writes an option value as template values: a list gives one
// value per element, a scalar one value unless it is zero.
func optionStrings(v reflect.Value) []string {
	if !v.IsValid() {
		return nil
	}
	if v.Kind() == reflect.Slice {
		out := make([]string, 0, v.Len())
		for i := range v.Len() {
			out = append(out, scalarString(v.Index(i)))
		}
		return out
	}
	if v.IsZero() {
		return nil
	}
	return []string{scalarString(v)}
}

func scalarString(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.String:
		return v.String()
	}
	return fmt.Sprint(v.Interface())
}

// apiOptions returns the options the API reads. A built-in API reads what its
// spec declares. A custom spec reads what it declares under custom.options
// and, as before options existed, every key of the built-in specs its
// templates, streams.key or streams.discover.when name.
func (cfg *Config) apiOptions(spec *apispec.Spec) (map[string]apispec.Option, []error) {
	opts := maps.Clone(spec.Options)
	if opts == nil {
		opts = map[string]apispec.Option{}
	}
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%q %s", key, fmt.Sprintf(format, args...)))
	}
	if cfg.API != apispec.Custom {
		if key := spec.Streams.Key; key != "" && !opts[key].IsList() {
			// A broken built-in spec; TestBuiltinOptionsAreComplete keeps them whole.
			bad("api", "%s: the spec's streams.key %q is not one of its list options", cfg.API, key)
		}
		return opts, errs
	}
	own := configKeys()
	for _, key := range slices.Sorted(maps.Keys(opts)) {
		typ := opts[key].Type
		if i, ok := apiOptionFields()[key]; ok {
			if ft := reflect.TypeFor[APIOptions]().Field(i).Type; optionGoType(typ) != ft {
				bad("custom.options."+key+".type", "must be %s: the receiver reads %s as %s, got %q", optionTypeOf(ft), key, optionTypeOf(ft), typ)
			}
		} else if _, ok := own[key]; ok || key == streamIDsKey {
			bad("custom.options."+key, "is a key of the receiver itself; give the option another name")
		}
	}
	builtin, err := apispec.BuiltinOptions()
	if err != nil {
		return opts, append(errs, err)
	}
	named := spec.ConfigVars()
	named = append(named, spec.Streams.Key)
	if d := spec.Streams.Discover; d != nil {
		named = append(named, d.When...)
	}
	for _, key := range named {
		if _, declared := opts[key]; !declared {
			if opt, ok := builtin[key]; ok {
				opts[key] = opt
			}
		}
	}
	if key := spec.Streams.Key; key != "" && key != streamIDsKey {
		if _, ok := opts[key]; !ok {
			bad("custom.streams.key", "names %q, which is neither %s nor an option under custom.options", key, streamIDsKey)
		}
	}
	return opts, errs
}

// optionTypeOf names the option type of an APIOptions field type.
func optionTypeOf(t reflect.Type) string {
	for _, typ := range apispec.OptionTypes() {
		if optionGoType(typ) == t {
			return typ
		}
	}
	return t.String()
}

// resolveOptions maps the API's options to the streams and the template
// variables, and rejects options the API does not read.
func (cfg *Config) resolveOptions(r *resolved) []error {
	spec := r.spec
	opts, errs := cfg.apiOptions(spec)
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%q %s", key, fmt.Sprintf(format, args...)))
	}
	values := cfg.optionValues()
	for _, key := range slices.Sorted(maps.Keys(values)) {
		if _, ok := opts[key]; !ok {
			bad(key, "is not used by api %s%s", cfg.API, optionsHint(opts))
		}
	}

	streamKey := spec.Streams.Key
	if cfg.API == apispec.Custom && streamKey == "" && len(cfg.StreamIDs) > 0 {
		streamKey = streamIDsKey
	}
	if len(cfg.StreamIDs) > 0 && streamKey != streamIDsKey {
		bad(streamIDsKey, "is not used by api %s%s", cfg.API, optionsHint(opts))
	}
	for key := range opts {
		if key != streamKey && len(values[key]) > 0 {
			r.vars[key] = values[key]
		}
	}
	for k, v := range cfg.Vars {
		r.vars.Set(k, v)
	}

	if _, ok := opts[streamKey]; streamKey != "" && (ok || streamKey == streamIDsKey) {
		ids := values[streamKey]
		if streamKey == streamIDsKey {
			ids = cfg.StreamIDs
		}
		r.streamIDs = dedupe(ids)
		disc := spec.Streams.Discover
		canDiscover := disc != nil && anySet(r.vars, disc.When)
		if len(r.streamIDs) == 0 && !canDiscover {
			if disc != nil {
				bad(streamKey, "or one of %s is required by api %s", strings.Join(disc.When, ", "), cfg.API)
			} else {
				bad(streamKey, "is required by api %s: list at least one id", cfg.API)
			}
		}
	}
	return errs
}

// optionsHint lists the options an API reads, for "is not used" errors.
func optionsHint(opts map[string]apispec.Option) string {
	if len(opts) == 0 {
		return " (it has no options of its own)"
	}
	return " (its options: " + strings.Join(slices.Sorted(maps.Keys(opts)), ", ") + ")"
}
