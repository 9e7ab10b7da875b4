package mapper

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// An empty severity text or equals written in the spec is that empty
// string; left out, the text is the field's own value and a rule without
// equals matches any value.
func TestSeverityEmptyIsNotAbsent(t *testing.T) {
	tests := []struct {
		severity string
		record   string
		num      plog.SeverityNumber
		text     string
	}{
		{`{rules: [{field: level, severity: WARN}]}`, `{"level":"oops"}`, plog.SeverityNumberWarn, "oops"},
		{`{rules: [{field: level, severity: WARN, text: ""}]}`, `{"level":"oops"}`, plog.SeverityNumberWarn, ""},
		{`{rules: [{field: level, equals: "", severity: WARN}]}`, `{"level":"oops"}`, plog.SeverityNumberUnspecified, "oops"},
		{`{rules: [{field: level, equals: "", severity: WARN}]}`, `{"level":""}`, plog.SeverityNumberWarn, ""},
		{`{rules: [{field: level, equals: x, severity: WARN}], default: INFO}`, `{"level":"y"}`, plog.SeverityNumberInfo, "y"},
		{`{rules: [{field: level, equals: x, severity: WARN}], default: INFO, default_text: ""}`, `{"level":"y"}`, plog.SeverityNumberInfo, ""},
	}
	for _, tt := range tests {
		spec, err := apispec.Parse([]byte(`
request: {path: /x}
pagination: {type: none}
records: {order: newest_first, id_field: id, time_field: ts, time_format: unix_s, time_precision: 1s}
severity: ` + tt.severity))
		require.NoError(t, err)
		require.NoError(t, spec.ValidateAt(""))
		m, err := New(spec, nil)
		require.NoError(t, err)
		lr := mapOne(t, m, tt.record)
		assert.Equal(t, tt.num, lr.SeverityNumber(), "%s %s", tt.severity, tt.record)
		assert.Equal(t, tt.text, lr.SeverityText(), "%s %s", tt.severity, tt.record)
	}
}
