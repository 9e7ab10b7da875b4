package apispec

import (
	"embed"
	"fmt"
	"sort"
	"strings"

	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// Custom is the `api` value of a spec written in the receiver configuration.
const Custom = "custom"

// BuiltinNames lists the built-in APIs, sorted.
func BuiltinNames() []string {
	entries, err := builtinFS.ReadDir("builtin")
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// Builtin returns a fresh copy of a built-in spec, decoded exactly like an
// `api: custom` spec from the collector configuration.
func Builtin(name string) (*Spec, error) {
	raw, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown api %q (known: %s, %s)", name, strings.Join(BuiltinNames(), ", "), Custom)
	}
	return Parse(raw)
}

// Parse decodes a spec from YAML with the collector's own decoder, so that
// unknown keys are errors just as they are in a collector configuration.
func Parse(raw []byte) (*Spec, error) {
	var m map[string]any
	if err := yaml.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	spec := &Spec{}
	if err := confmap.NewFromStringMap(m).Unmarshal(spec); err != nil {
		return nil, err
	}
	return spec, nil
}
