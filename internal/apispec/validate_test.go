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
		`"custom.records.id_field" is required: records are deduplicated by id`, err.Error())
}

func TestValidateOldestFirstNeedsTimeFilter(t *testing.T) {
	spec, err := Builtin("stackone_action_logs")
	require.NoError(t, err)
	spec.TimeFilter = nil
	assert.EqualError(t, spec.ValidateAt(""), `"records.order" "oldest_first" needs a time_filter: without one the engine must walk newest first down to its cursor`)
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
			want: `"custom.options.page_size" is a variable the engine fills (stream, page, page_size, offset, cursor, window_start, window_end)`,
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
