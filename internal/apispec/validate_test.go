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
		"custom.pagination.next_path", "custom.pagination.default_page_size",
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
	assert.EqualError(t, spec.Validate(), `"records.order" "oldest_first" needs a time_filter: without one the engine must walk newest first down to its cursor`)
}

func TestParseRejectsUnknownKeys(t *testing.T) {
	_, err := Parse([]byte("request:\n  path: /x\n  verb: GET\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "verb")
}
