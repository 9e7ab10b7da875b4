package apispec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuiltinsLoadAndValidate(t *testing.T) {
	names := BuiltinNames()
	require.Len(t, names, 8)
	for _, name := range names {
		spec, err := Builtin(name)
		require.NoError(t, err, name)
		require.NoError(t, spec.ValidateAt(""), name)
	}
}

// Every built-in spec names its namespace: the vendor, shared by the APIs
// of one vendor, so that a log store shows tines.*, make.*.
func TestBuiltinNamespaces(t *testing.T) {
	want := map[string]string{
		"tines_action_logs": "tines", "tines_audit_logs": "tines", "stackone_action_logs": "stackone",
		"logto_logs": "logto", "oms_action_logs": "oms",
		"make_scenario_logs": "make", "make_module_logs": "make", "make_audit_logs": "make",
	}
	require.Len(t, want, len(BuiltinNames()))
	for api, ns := range want {
		spec, err := Builtin(api)
		require.NoError(t, err)
		require.NotNil(t, spec.Records.AttributesNamespace, "%s sets records.attributes_namespace itself", api)
		assert.Equal(t, ns, spec.Records.Namespace(), api)
	}
	assert.Equal(t, "custom", Records{}.Namespace(), "the default")
}

func TestUnknownBuiltin(t *testing.T) {
	_, err := Builtin("nope")
	require.ErrorContains(t, err, `unknown api "nope"`)
}

// Every built-in spec says what its receiver configuration writes: how the
// endpoint looks (or its default), and one option for every value its
// templates take from the configuration, none unused.
func TestBuiltinOptionsAreComplete(t *testing.T) {
	for _, name := range BuiltinNames() {
		spec, err := Builtin(name)
		require.NoError(t, err, name)
		assert.True(t, spec.EndpointExample != "" || spec.DefaultEndpoint != "", "%s: no endpoint_example or default_endpoint", name)
		used := map[string]bool{}
		for _, v := range spec.ConfigVars() {
			assert.Contains(t, spec.Options, v, "%s: {{%s}} is not one of its options", name, v)
			used[v] = true
		}
		if key := spec.Streams.Key; key != "" {
			require.Contains(t, spec.Options, key, "%s: streams.key", name)
			assert.True(t, spec.Options[key].IsList(), "%s: streams.key %s must be a list", name, key)
			used[key] = true
		}
		if d := spec.Streams.Discover; d != nil {
			for _, w := range d.When {
				assert.Contains(t, spec.Options, w, "%s: streams.discover.when", name)
			}
		}
		for key := range spec.Options {
			assert.True(t, used[key], "%s: option %s is used by no template and is not streams.key", name, key)
		}
	}
}

func TestBuiltinOptions(t *testing.T) {
	all, err := BuiltinOptions()
	require.NoError(t, err)
	assert.Equal(t, map[string]Option{
		"action_ids": {Type: OptionIntList}, "operation_names": {Type: OptionStringList}, "user_ids": {Type: OptionIntList},
		"log_key": {Type: OptionString}, "user_id": {Type: OptionString}, "application_id": {Type: OptionString},
		"scenario_ids": {Type: OptionIntList}, "team_id": {Type: OptionInt}, "organization_id": {Type: OptionInt},
		"scenario_id": {Type: OptionInt}, "module_ids": {Type: OptionIntList}, "tenant_id": {Type: OptionString},
	}, all)
	all["x"] = Option{}
	again, err := BuiltinOptions()
	require.NoError(t, err)
	assert.NotContains(t, again, "x", "callers get a copy")
}

func TestBuiltinEndpoints(t *testing.T) {
	tests := []struct{ api, example, def string }{
		{api: "tines_action_logs", example: "https://<tenant>.tines.com"},
		{api: "tines_audit_logs", example: "https://<tenant>.tines.com"},
		{api: "stackone_action_logs", def: "https://api.stackone.com"},
		{api: "logto_logs", example: "https://<tenant>.logto.app"},
		{api: "oms_action_logs", example: "https://<oms domain>"},
		{api: "make_scenario_logs", example: "https://eu1.make.com"},
		{api: "make_module_logs", example: "https://eu1.make.com"},
		{api: "make_audit_logs", example: "https://eu1.make.com"},
	}
	require.Len(t, tests, len(BuiltinNames()))
	for _, tt := range tests {
		spec, err := Builtin(tt.api)
		require.NoError(t, err)
		assert.Equal(t, tt.example, spec.EndpointExample, tt.api)
		assert.Equal(t, tt.def, spec.DefaultEndpoint, tt.api)
	}
}
