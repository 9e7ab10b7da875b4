package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"encoding"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/confmap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

var _ confmap.Unmarshaler = (*Config)(nil)

// Unmarshal decodes the receiver's configuration like the collector does and
// adds what its decoder misses:
//
//   - Unknown keys are errors that name the closest valid key. The
//     collector's decoder rejects them too (since confighttp v1.71, whose
//     ClientConfig no longer has an Unmarshal that made confmap ignore the
//     unused keys of every other field), but names no valid one.
//   - A duration written as a bare number ("collection_interval: 5", read as
//     5ns) or as text without a unit is an error that asks for one; 0 stays
//     accepted.
//   - An unquoted start_at that YAML reads as a timestamp is accepted.
//   - The options a spec declares that APIOptions has no field for are
//     decoded, by the spec's type, into MoreOptions.
//
// conf is the collector's fresh copy of the receiver's section; the keys
// decoded here are deleted from it before the rest is decoded.
//
// Why the key walk below stays beside confmap (issue #21): confmap v1.71
// already refuses unknown keys (ErrorUnused; its message is "'...' has
// invalid keys: colection_interval", with no valid key named) and offers
// nothing to suggest one, and it decodes "collection_interval: 5" as 5ns
// without a word. TestConfmapAloneMissesWhatUnmarshalAdds checks both, so
// the walk can shrink when confmap learns either. It runs once per config
// load: no benchmark applies.
func (cfg *Config) Unmarshal(conf *confmap.Conf) error {
	moved, err := moveKeepaliveKeys(conf)
	if err != nil {
		return err
	}
	cfg.movedKeys = moved
	raw := conf.ToStringMap()
	more, err := moreOptionTypes(raw)
	if err != nil {
		return err
	}
	if keysErr := checkConfig(raw, more); keysErr != nil {
		return keysErr
	}
	startAt, isTime := raw["start_at"].(time.Time)
	if isTime {
		conf.Delete("start_at")
	}
	values, err := decodeMoreOptions(conf, more)
	if err != nil {
		return err
	}
	for key := range more {
		conf.Delete(key)
	}
	if err := conf.Unmarshal(cfg); err != nil {
		return err
	}
	if isTime {
		cfg.StartAt = startAt.Format(time.RFC3339Nano)
	}
	if len(values) > 0 {
		if cfg.MoreOptions == nil {
			cfg.MoreOptions = map[string]any{}
		}
		maps.Copy(cfg.MoreOptions, values)
	}
	return nil
}

// moreOptionTypes returns the option type of every top-level key of raw that
// a spec declares as an option but that has no field in Config: from the
// `custom` spec in raw if it declares the key, else from the built-in specs.
func moreOptionTypes(raw map[string]any) (map[string]string, error) {
	builtin, err := apispec.BuiltinOptions()
	if err != nil {
		return nil, err
	}
	custom := map[string]string{}
	if spec, ok := raw["custom"].(map[string]any); ok {
		if opts, ok := spec["options"].(map[string]any); ok {
			for key, o := range opts {
				opt, _ := o.(map[string]any)
				typ, _ := opt["type"].(string)
				custom[key] = typ
			}
		}
	}
	own := configKeys()
	out := map[string]string{}
	for key := range raw {
		if _, ok := own[key]; ok {
			continue
		}
		if typ, ok := custom[key]; ok {
			out[key] = typ
		} else if opt, ok := builtin[key]; ok {
			out[key] = opt.Type
		}
	}
	return out, nil
}

// decodeMoreOptions decodes the keys of more from conf, each into the Go type
// of its option type (any when the type is unknown: the spec's validation
// reports it), so that they are read exactly like the fields of APIOptions.
func decodeMoreOptions(conf *confmap.Conf, more map[string]string) (map[string]any, error) {
	if len(more) == 0 {
		return nil, nil
	}
	keys := slices.Sorted(maps.Keys(more))
	fields := make([]reflect.StructField, 0, len(keys))
	for i, key := range keys {
		t := optionGoType(more[key])
		if t == nil {
			t = reflect.TypeFor[any]()
		}
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("F%d", i), Type: t, Tag: reflect.StructTag(`mapstructure:"` + key + `"`)})
	}
	v := reflect.New(reflect.StructOf(fields))
	if err := conf.Unmarshal(v.Interface(), confmap.WithIgnoreUnused()); err != nil {
		return nil, err
	}
	out := make(map[string]any, len(keys))
	for i, key := range keys {
		out[key] = v.Elem().Field(i).Interface()
	}
	return out, nil
}

var (
	durationType    = reflect.TypeFor[time.Duration]()
	unmarshalerType = reflect.TypeFor[confmap.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// configKeys are the top-level keys of Config, squashed fields included.
var configKeys = sync.OnceValue(func() map[string]reflect.Type {
	return keysOf(reflect.TypeFor[Config]())
})

// keysOf maps the configuration keys of a struct type to their field types;
// the keys of squashed fields are the struct's own.
func keysOf(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, ok := f.Tag.Lookup("mapstructure")
		if !ok {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		switch {
		case slices.Contains(strings.Split(opts, ","), "squash"):
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			maps.Copy(out, keysOf(ft))
		case name != "" && name != "-":
			out[name] = f.Type
		}
	}
	return out
}

// walkable reports whether the keys of a struct type can be checked from its
// fields: not when the type decodes itself (configoptional.Optional, a
// component.ID), unless it is a spec section whose Unmarshal only records
// its explicit zeros.
func walkable(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	if apispec.KeysAreFields(t) {
		return true
	}
	p := reflect.PointerTo(t)
	return !p.Implements(unmarshalerType) && !p.Implements(textType)
}

// checkConfig reports every unknown key, unit-less duration and start_at of
// the wrong type in raw, the receiver's section; more are the option keys
// that have no field.
func checkConfig(raw map[string]any, more map[string]string) error {
	var c keyCheck
	c.section(raw, reflect.TypeFor[Config](), "", more)
	switch v := raw["start_at"].(type) {
	case nil, string, time.Time:
	default:
		c.bad("start_at", "%s; got %v", startAtForms, v)
	}
	return errors.Join(c.errs...)
}

type keyCheck struct{ errs []error }

func (c *keyCheck) bad(path, format string, args ...any) {
	c.errs = append(c.errs, fmt.Errorf("%q %s", path, fmt.Sprintf(format, args...)))
}

// section checks the keys of m, the value at path, against the struct type t.
func (c *keyCheck) section(m map[string]any, t reflect.Type, path string, more map[string]string) {
	fields := keysOf(t)
	for _, key := range slices.Sorted(maps.Keys(m)) {
		if ft, ok := fields[key]; ok {
			c.value(m[key], ft, join(path, key))
			continue
		}
		if _, ok := more[key]; ok {
			continue
		}
		c.unknown(path, key, fields, more)
	}
}

// value checks v, the value at path, against the field type t.
func (c *keyCheck) value(v any, t reflect.Type, path string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType {
		c.duration(v, path)
		return
	}
	switch v := v.(type) {
	case map[string]any:
		switch {
		case walkable(t):
			c.section(v, t, path, nil)
		case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String:
			for _, key := range slices.Sorted(maps.Keys(v)) {
				c.value(v[key], t.Elem(), join(path, key))
			}
		}
	case []any:
		if t.Kind() == reflect.Slice {
			for i, e := range v {
				c.value(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
}

// duration rejects a number other than 0 (a bare number would be read as
// nanoseconds) and text that is not a Go duration.
func (c *keyCheck) duration(v any, path string) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		if !rv.IsZero() {
			c.bad(path, "must be a duration with a unit, such as %vs or %vm; got %v", v, v, v)
		}
	case reflect.String:
		if _, err := time.ParseDuration(rv.String()); err != nil {
			c.bad(path, "must be a duration with a unit, such as 30s, 5m or 1h30m; got %q", rv.String())
		}
	}
}

// unknown reports key, unknown at path, with the closest valid key.
func (c *keyCheck) unknown(path, key string, fields map[string]reflect.Type, more map[string]string) {
	var cands []candidate
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		cands = append(cands, candidate{name, join(path, name)})
	}
	for _, name := range slices.Sorted(maps.Keys(more)) {
		cands = append(cands, candidate{name, name})
	}
	if path == "" {
		// A key of a section written at the top (requests_per_minute); not
		// the sections of a custom spec, which users write whole.
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			if t := deref(fields[name]); walkable(t) && name != "custom" {
				for _, child := range slices.Sorted(maps.Keys(keysOf(t))) {
					cands = append(cands, candidate{child, name + "." + child})
				}
			}
		}
		if builtin, err := apispec.BuiltinOptions(); err == nil {
			for _, name := range slices.Sorted(maps.Keys(builtin)) {
				cands = append(cands, candidate{name, name})
			}
		}
	}
	full := join(path, key)
	switch s := closest(key, cands); {
	case s != "":
		c.bad(full, "is not an api_logs key; did you mean %q?", s)
	case path != "" && len(fields) <= 12:
		c.bad(full, "is not an api_logs key; %s takes %s", path, strings.Join(slices.Sorted(maps.Keys(fields)), ", "))
	default:
		c.bad(full, "is not an api_logs key (the README lists them under Options)")
	}
}

// keepaliveKeys are the keep-alive keys of confighttp's client that v1.71
// (collector v0.165) removed in favor of its keepalive section, and where
// each now goes. Configurations written for earlier releases keep working:
// moveKeepaliveKeys rewrites them, and Start warns once.
var keepaliveKeys = []struct{ old, replacement string }{
	{"idle_conn_timeout", "keepalive::idle_conn_timeout"},
	{"max_idle_conns", "keepalive::max_idle_conns"},
	{"max_idle_conns_per_host", "keepalive::max_idle_conns_per_host"},
	{"disable_keep_alives", "keepalive::enabled"},
}

// moveKeepaliveKeys rewrites the top-level keep-alive keys of confighttp
// before v1.71 into its keepalive section (disable_keep_alives: true becomes
// keepalive: {enabled: false}) and returns the keys it moved. A key set both
// ways is an error: which one is meant cannot be told.
func moveKeepaliveKeys(conf *confmap.Conf) ([]string, error) {
	var moved []string
	for _, k := range keepaliveKeys {
		if !conf.IsSet(k.old) {
			continue
		}
		if conf.IsSet(k.replacement) {
			return nil, fmt.Errorf("%q and %s are both set; %q was removed in collector v0.165 (confighttp v1.71): keep only %s",
				k.old, strings.ReplaceAll(k.replacement, "::", "."), k.old, strings.ReplaceAll(k.replacement, "::", "."))
		}
		v := conf.Get(k.old)
		if k.old == "disable_keep_alives" {
			disable, ok := v.(bool)
			if !ok {
				return nil, fmt.Errorf("%q must be true or false, got %v", k.old, v)
			}
			v = !disable
		}
		if err := conf.Merge(confmap.NewFromStringMap(map[string]any{k.replacement: v})); err != nil {
			return nil, err
		}
		conf.Delete(k.old)
		moved = append(moved, k.old)
	}
	return moved, nil
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// candidate is a valid key: name is compared with the unknown key, display
// is what the error suggests.
type candidate struct{ name, display string }

// closest returns the display of the candidate nearest to key: the fewest
// edits (a swap of two letters is one) ignoring case, '_' and '-', within
// about one edit per six letters; else one that contains key or is
// contained in it; else "".
func closest(key string, cands []candidate) string {
	nk := normKey(key)
	best, bestD := "", 1+len(nk)/6
	for _, c := range cands {
		if d := editDistance(nk, normKey(c.name)); d <= bestD && (best == "" || d < bestD) {
			best, bestD = c.display, d
		}
	}
	if best != "" || len(nk) < 4 {
		return best
	}
	bestDiff := 0
	for _, c := range cands {
		nc := normKey(c.name)
		if len(nc) < 4 || (!strings.Contains(nc, nk) && !strings.Contains(nk, nc)) {
			continue
		}
		if diff := abs(len(nc) - len(nk)); best == "" || diff < bestDiff {
			best, bestDiff = c.display, diff
		}
	}
	return best
}

func normKey(s string) string {
	return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// editDistance is the optimal string alignment distance: insertions,
// deletions, substitutions and swaps of adjacent letters.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
