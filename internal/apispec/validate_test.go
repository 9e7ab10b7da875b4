package apispec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A broken custom spec reports every problem at once, each naming its key
// under the given prefix.
func TestValidateNamesEveryKey(t *testing.T) {
	spec, err := Parse([]byte(`
request:
  method: DELETE
  path: "events/{{stream"
time_filter:
  format: epoch_weeks
  max_window: -1h
pagination:
  type: next_url
  total_header: "Total Number"
  default_page_size: 500
  max_page_size: 100
records:
  order: sideways
  time_format: whenever
severity:
  rules:
    - {min: 5, max: 1}
auth:
  type: scheme
requests_per_minute: -1
`))
	require.NoError(t, err)
	err = spec.ValidateAt("custom.")
	require.Error(t, err)
	for _, key := range []string{
		"custom.request.method", "custom.request.path",
		"custom.time_filter.format", "custom.time_filter.max_window",
		"custom.pagination.next_path", "custom.pagination.default_page_size", "custom.pagination.total_header",
		"custom.records.order", "custom.records.id_field", "custom.records.time_field",
		"custom.records.time_format", "custom.records.time_precision",
		"custom.auth.scheme", "custom.requests_per_minute",
	} {
		assert.Contains(t, err.Error(), `"`+key+`"`, "the error names %s", key)
	}
	for _, line := range []string{
		`"custom.severity.rules[0].field" is required`,
		`"custom.severity.rules[0].severity" is required`,
		`"custom.severity.rules[0]" min is greater than max`,
	} {
		assert.Contains(t, err.Error(), line)
	}
}

func TestValidateExactMessages(t *testing.T) {
	spec, err := Builtin("tines_audit_logs")
	require.NoError(t, err)
	spec.Records.IDField = ""
	spec.Pagination.Type = "cursor"
	spec.Pagination.NextPath = ""
	err = spec.ValidateAt("custom.")
	require.Error(t, err)
	assert.Equal(t, `"custom.pagination.next_path" is required when "custom.pagination.type" is "cursor"`+"\n"+
		`"custom.records.id_field" is required (or custom.records.id_fields, or custom.records.id: hash): records are deduplicated by id`, err.Error())
}

func TestValidateOldestFirstNeedsTimeFilter(t *testing.T) {
	spec, err := Builtin("stackone_action_logs")
	require.NoError(t, err)
	spec.TimeFilter = nil
	assert.EqualError(t, spec.ValidateAt(""), `"records.order" "oldest_first" needs a time_filter or resume: without either the engine must walk newest first down to its cursor`)
}

func TestParseRejectsUnknownKeys(t *testing.T) {
	_, err := Parse([]byte("request:\n  path: /x\n  verb: GET\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "verb")
}

func TestValidateOptionsAndEndpoints(t *testing.T) {
	tests := []struct {
		name string
		edit func(s *Spec)
		want string
	}{
		{name: "valid", edit: func(s *Spec) {
			s.Options = map[string]Option{"workspace_ids": {Type: OptionStringList}, "region": {Type: OptionString}}
			s.Streams.Key = "workspace_ids"
			s.DefaultEndpoint = "https://api.example.com/v2"
			s.EndpointExample = "https://<tenant>.example.com"
		}},
		{
			name: "bad name", edit: func(s *Spec) { s.Options = map[string]Option{"Team-ID": {Type: OptionInt}} },
			want: `"custom.options.Team-ID" must be lower case letters, digits and '_', starting with a letter`,
		},
		{
			name: "engine variable", edit: func(s *Spec) { s.Options = map[string]Option{VarPageSize: {Type: OptionInt}} },
			want: `"custom.options.page_size" is a variable the engine fills (stream, page, page_size, offset, cursor, window_start, window_end, last_id)`,
		},
		{
			name: "bad type", edit: func(s *Spec) { s.Options = map[string]Option{"team_id": {Type: "integer"}} },
			want: `"custom.options.team_id.type" must be one of int, int_list, string, string_list; got "integer"`,
		},
		{name: "streams key not a list", edit: func(s *Spec) {
			s.Options = map[string]Option{"team_id": {Type: OptionInt}}
			s.Streams.Key = "team_id"
		}, want: `"custom.streams.key" names option "team_id", which must be a list (int_list or string_list) to hold stream ids`},
		{
			name: "default endpoint", edit: func(s *Spec) { s.DefaultEndpoint = "api.example.com" },
			want: `"custom.default_endpoint" must be an http or https URL with a host and no credentials or query, got "api.example.com"`,
		},
		{
			name: "endpoint example", edit: func(s *Spec) { s.EndpointExample = "<tenant>.example.com" },
			want: `"custom.endpoint_example" must start with https:// or http://, got "<tenant>.example.com"`,
		},
		{name: "endpoint host and resource", edit: func(s *Spec) {
			s.EndpointHost = "{{tenant_id}}.example.com"
			s.Auth = Auth{Type: AuthOAuth2, Resource: "https://{{tenant_id}}.example.com/api"}
		}},
		{
			name: "endpoint host with a scheme", edit: func(s *Spec) { s.EndpointHost = "https://{{tenant_id}}.example.com" },
			want: `"custom.endpoint_host" must be a host name, without scheme, port or path; got "https://{{tenant_id}}.example.com"`,
		},
		{
			name: "endpoint host without placeholder", edit: func(s *Spec) { s.EndpointHost = "api.example.com" },
			want: `"custom.endpoint_host" has no placeholder: it would read nothing from the endpoint`,
		},
		{
			name: "endpoint host with an engine variable", edit: func(s *Spec) { s.EndpointHost = "{{stream}}.example.com" },
			want: `"custom.endpoint_host" {{stream}} cannot stand for part of a host name`,
		},
		{
			name: "resource and resource path", edit: func(s *Spec) { s.Auth = Auth{Type: AuthOAuth2, Resource: "https://x/api", ResourcePath: "/api"} },
			want: `"custom.auth.resource" and auth.resource_path are exclusive`,
		},
		{
			name: "resource template", edit: func(s *Spec) { s.Auth = Auth{Type: AuthOAuth2, Resource: "https://{{tenant_id/api"} },
			want: `"custom.auth.resource" unclosed "{{" in "https://{{tenant_id/api"`,
		},
		{name: "time fallback fields", edit: func(s *Spec) { s.Records.TimeFallbackFields = []string{"start_time", "end_time"} }},
		{
			name: "time fallback field repeated", edit: func(s *Spec) { s.Records.TimeFallbackFields = []string{"created_at", "a", "", "a"} },
			want: `"custom.records.time_fallback_fields[0]" repeats records.time_field "created_at"
"custom.records.time_fallback_fields[2]" must not be empty
"custom.records.time_fallback_fields[3]" repeats "a"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec, err := Builtin("tines_audit_logs")
			require.NoError(t, err)
			tt.edit(spec)
			err = spec.ValidateAt("custom.")
			if tt.want == "" {
				assert.NoError(t, err)
			} else {
				assert.EqualError(t, err, tt.want)
			}
		})
	}
}

// Spec is not a confmap.Validator: the collector would validate a custom
// spec a second time, without the "custom." prefix.
func TestSpecHasNoValidateMethod(t *testing.T) {
	_, ok := any(&Spec{}).(interface{ Validate() error })
	assert.False(t, ok)
}

// An endpoint_host reads one DNS label per placeholder, whatever the case,
// and nothing from hosts of another form.
func TestHostPattern(t *testing.T) {
	p, err := CompileHostPattern("{{tenant_id}}.logto.app")
	require.NoError(t, err)
	tests := []struct {
		host string
		want string // "" = no match
	}{
		{"abc123.logto.app", "abc123"},
		{"ABC123.Logto.App", "abc123"},
		{"default.logto.app", "default"},
		{"a-b.logto.app", "a-b"},
		{"logto.app", ""},
		{"x.y.logto.app", ""},
		{"auth.example.com", ""},
		{"abc.logto.app.evil.com", ""},
		{"abclogto.app", ""},
		{"-a.logto.app", ""},
		{"127.0.0.1", ""},
	}
	for _, tt := range tests {
		vars, ok := p.Match(tt.host)
		assert.Equal(t, tt.want != "", ok, tt.host)
		assert.Equal(t, tt.want, vars.Get("tenant_id"), tt.host)
	}
	p, err = CompileHostPattern("{{a}}.{{a}}.example.com")
	require.NoError(t, err)
	_, ok := p.Match("x.y.example.com")
	assert.False(t, ok, "one name, two labels")
	vars, ok := p.Match("x.x.example.com")
	assert.True(t, ok)
	assert.Equal(t, "x", vars.Get("a"))
	_, ok = HostPattern{}.Match("x")
	assert.False(t, ok, "the zero pattern matches nothing")
}

// records.message, records.event_name and records.attributes_namespace:
// every problem names its key.
func TestValidateMessage(t *testing.T) {
	spec, err := Builtin("tines_audit_logs")
	require.NoError(t, err)
	spec.Records.EventName = "Tines Audit"
	spec.Records.BodyField = "operation_name"
	spec.Records.Message = []MessagePart{
		{Field: "operation_name", Attribute: "x"},
		{},
		{Field: "a..b"},
		{Var: "team_id"},
		{Attribute: "make.execution.error.message", Prefix: ": "},
		{Enriched: "execution.error.message"},
		{Attribute: "api_logs.message"},
		{Attribute: "api_logs.enrich.error"},
		{Attribute: "log.record.uid"},
	}
	err = spec.ValidateAt("custom.")
	require.Error(t, err)
	assert.Equal(t, `"custom.records.event_name" must be lower-case words joined by dots, such as tines.audit_log; got "Tines Audit"`+"\n"+
		`"custom.records.message" and custom.records.body_field are exclusive: with a message the body is the message and the fields are attributes`+"\n"+
		`"custom.records.message[0]" must name exactly one of field, enriched, attribute or var`+"\n"+
		`"custom.records.message[0].attribute" must be an attribute the receiver sets (log.record.uid, api_logs.*, not api_logs.message); the record's fields are read with field, what enrichment read with enriched; got "x"`+"\n"+
		`"custom.records.message[1]" must name exactly one of field, enriched, attribute or var`+"\n"+
		`"custom.records.message[2].field" must be a dotted path without empty segments, got "a..b"`+"\n"+
		`"custom.records.message[3].var" must be one of stream; got "team_id"`+"\n"+
		`"custom.records.message[4].attribute" must be an attribute the receiver sets (log.record.uid, api_logs.*, not api_logs.message); the record's fields are read with field, what enrichment read with enriched; got "make.execution.error.message"`+"\n"+
		`"custom.records.message[5].enriched" must be a key of enrich.attributes, and the spec enriches nothing; got "execution.error.message"`+"\n"+
		`"custom.records.message[6].attribute" must be an attribute the receiver sets (log.record.uid, api_logs.*, not api_logs.message); the record's fields are read with field, what enrichment read with enriched; got "api_logs.message"`, err.Error())

	spec.Records.EventName, spec.Records.BodyField = "", ""
	spec.Records.Message = make([]MessagePart, MaxMessageParts+1)
	for i := range spec.Records.Message {
		spec.Records.Message[i].Field = "f"
	}
	assert.EqualError(t, spec.ValidateAt(""), `"records.message" has 33 parts; at most 32`)
}

// An enriched part names a key of enrich.attributes; those keys are paths
// inside the namespace.
func TestValidateEnrichedPart(t *testing.T) {
	spec, err := Builtin("make_scenario_logs")
	require.NoError(t, err)
	require.NoError(t, spec.ValidateAt(""))
	spec.Records.Message = append(spec.Records.Message, MessagePart{Enriched: "execution.error.nme"})
	spec.Enrich.Attributes["execution..x"] = "error.name"
	assert.EqualError(t, spec.ValidateAt("custom."),
		`"custom.records.message[6].enriched" must be a key of enrich.attributes (execution..x, execution.error.app, execution.error.message, execution.error.module, execution.error.name, execution.status); got "execution.error.nme"`+"\n"+
			`"custom.enrich.attributes" key must be a dotted path without empty segments, got "execution..x"`)
}

func TestValidateNamespace(t *testing.T) {
	for _, tt := range []struct{ ns, err string }{
		{ns: "acme"},
		{ns: "acme.audit"},
		{ns: "", err: `"custom.records.attributes_namespace" must not be empty: the record's fields go in one map under this attribute (default "custom")`},
		{ns: "  ", err: `"custom.records.attributes_namespace" must not be empty: the record's fields go in one map under this attribute (default "custom")`},
		{ns: "acme..audit", err: `"custom.records.attributes_namespace" must be a dotted name without empty segments or surrounding spaces, such as acme or acme.audit; got "acme..audit"`},
		{ns: " acme", err: `"custom.records.attributes_namespace" must be a dotted name without empty segments or surrounding spaces, such as acme or acme.audit; got " acme"`},
		{ns: "log.record.uid", err: `"custom.records.attributes_namespace" must not be log.record.uid or start with api_logs: the receiver sets those attributes; got "log.record.uid"`},
		{ns: "api_logs", err: `"custom.records.attributes_namespace" must not be log.record.uid or start with api_logs: the receiver sets those attributes; got "api_logs"`},
		{ns: "api_logs.acme", err: `"custom.records.attributes_namespace" must not be log.record.uid or start with api_logs: the receiver sets those attributes; got "api_logs.acme"`},
	} {
		spec, err := Builtin("oms_action_logs")
		require.NoError(t, err)
		spec.Records.AttributesNamespace = &tt.ns
		err = spec.ValidateAt("custom.")
		if tt.err == "" {
			require.NoError(t, err, tt.ns)
			continue
		}
		assert.EqualError(t, err, tt.err, tt.ns)
	}
}

// A message written in YAML: keys of values that YAML reads as numbers are
// compared as text; an unknown key in a part is an error.
func TestParseMessage(t *testing.T) {
	spec, err := Parse([]byte(`
records:
  event_name: acme.audit_log
  attributes_namespace: acme
  message:
    - field: action
    - {field: status, prefix: ": ", values: {1: ok, "2": failed}}
    - {var: stream, prefix: " on ", suffix: "."}
`))
	require.NoError(t, err)
	assert.Equal(t, "acme.audit_log", spec.Records.EventName)
	assert.Equal(t, "acme", spec.Records.Namespace())
	assert.Equal(t, []MessagePart{
		{Field: "action"},
		{Field: "status", Prefix: ": ", Values: map[string]string{"1": "ok", "2": "failed"}},
		{Var: "stream", Prefix: " on ", Suffix: "."},
	}, spec.Records.Message)
	_, err = Parse([]byte("records:\n  message:\n    - {field: a, prefx: x}\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "prefx")
}

// Every built-in API names its event and writes a message.
func TestBuiltinMessages(t *testing.T) {
	for _, name := range BuiltinNames() {
		spec, err := Builtin(name)
		require.NoError(t, err)
		assert.NotEmpty(t, spec.Records.EventName, name)
		assert.NotEmpty(t, spec.Records.Message, name)
		assert.Empty(t, spec.Records.BodyField, name)
	}
}
