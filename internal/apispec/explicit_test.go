package apispec

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"
)

// explicitBase is a valid spec with every section that has a key whose
// zero value the table below writes.
const explicitBase = `
request: {path: /events}
time_filter: {format: unix_s}
pagination: {type: page, next_path: has_more}
records: {path: data, order: newest_first, id_field: id, time_field: ts, time_format: unix_s, time_precision: 1s}
severity: {rules: [{field: level, severity: WARN}]}
streams:
  key: stream_ids
  discover: {request: {path: /streams}, pagination: {type: none}, id_field: id}
enrich: {field: status, values: [failed], request: {path: "/runs/{{record:id}}"}, max_per_poll: 5}
`

// absent deletes a key of explicitBase.
const absent = "<absent>"

// specWith is explicitBase with the value at a dotted key replaced (or,
// for absent, deleted), decoded as a collector configuration is.
func specWith(t *testing.T, key string, value any) *Spec {
	t.Helper()
	var m map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(explicitBase), &m))
	parts := strings.Split(key, ".")
	at := m
	for _, p := range parts[:len(parts)-1] {
		next, ok := at[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			at[p] = next
		}
		at = next
	}
	if value == absent {
		delete(at, parts[len(parts)-1])
	} else {
		at[parts[len(parts)-1]] = value
	}
	spec := &Spec{}
	require.NoError(t, confmap.NewFromStringMap(m).Unmarshal(spec))
	return spec
}

// Every spec key with a default: absent, zero and empty are told apart.
// Where zero is a value it is that value; where it is not, it is an error
// naming the key, never the default in disguise.
func TestExplicitZeroIsNeverTheDefault(t *testing.T) {
	rule := func(extra map[string]any) map[string]any {
		r := map[string]any{"field": "level", "severity": "WARN"}
		for k, v := range extra {
			r[k] = v
		}
		return map[string]any{"rules": []any{r}}
	}
	tests := []struct {
		key   string
		value any
		want  string           // the error; "" when valid
		check func(*Spec) bool // what the value means, when valid
	}{
		{key: "pagination.first_page", value: absent, check: func(s *Spec) bool { return s.Pagination.First() == 1 }},
		{key: "pagination.first_page", value: 0, check: func(s *Spec) bool { return s.Pagination.First() == 0 }},
		{key: "pagination.first_page", value: 2, check: func(s *Spec) bool { return s.Pagination.First() == 2 }},
		{key: "pagination.first_page", value: -1, want: `"custom.pagination.first_page" must not be negative, got -1`},
		{key: "streams.discover.pagination.first_page", value: 0, check: func(s *Spec) bool { return s.Streams.Discover.Pagination.First() == 0 }},
		{key: "pagination.default_page_size", value: absent, check: func(s *Spec) bool { return s.Pagination.DefaultPageSize == 0 }},
		{key: "pagination.default_page_size", value: 0, want: `"custom.pagination.default_page_size" must be positive: leave it out for no default page size`},
		{key: "pagination.max_page_size", value: 0, want: `"custom.pagination.max_page_size" must be positive: leave it out for no maximum page size`},
		{key: "streams.discover.pagination.max_page_size", value: 0, want: `"custom.streams.discover.pagination.max_page_size" must be positive: leave it out for no maximum page size`},
		{key: "request.method", value: absent, check: func(s *Spec) bool { return s.Request.Method == "" }},
		{key: "request.method", value: "", want: `"custom.request.method" must be GET or POST: leave it out for GET`},
		{key: "enrich.request.method", value: "", want: `"custom.enrich.request.method" must be GET or POST: leave it out for GET`},
		{key: "streams.discover.request.method", value: "", want: `"custom.streams.discover.request.method" must be GET or POST: leave it out for GET`},
		{key: "auth.type", value: absent, check: func(s *Spec) bool { return s.Auth.Type == "" }},
		{key: "auth.type", value: "", want: `"custom.auth.type" must name an auth type: leave it out, or write none, for no credentials`},
		{key: "time_filter.max_window", value: absent, check: func(s *Spec) bool { return s.TimeFilter.MaxWindow == 0 }},
		{key: "time_filter.max_window", value: "0s", want: `"custom.time_filter.max_window" must be positive: leave it out for windows of any length`},
		{key: "time_filter.max_window", value: 0, want: `"custom.time_filter.max_window" must be positive: leave it out for windows of any length`},
		{key: "streams.discover.refresh", value: absent, check: func(s *Spec) bool { return s.Streams.Discover.Refresh == 0 }},
		{key: "streams.discover.refresh", value: "0s", want: `"custom.streams.discover.refresh" must be positive: leave it out for the default (10m0s)`},
		{key: "enrich.max_per_poll", value: absent, want: `"custom.enrich.max_per_poll" must be positive: the extra requests one poll of one stream may spend (0 would enrich nothing)`},
		{key: "enrich.max_per_poll", value: 0, want: `"custom.enrich.max_per_poll" must be positive: the extra requests one poll of one stream may spend (0 would enrich nothing)`},
		{key: "records.time_precision", value: "0s", want: `"custom.records.time_precision" must be positive (1s, 1ms, ...)`},
		{key: "records.attributes_namespace", value: absent, check: func(s *Spec) bool { return s.Records.Namespace() == DefaultAttributesNamespace }},
		{key: "records.attributes_namespace", value: "", want: `"custom.records.attributes_namespace" must not be empty: the record's fields go in one map under this attribute (default "custom")`},
		{key: "records.id_fields", value: []any{}, want: `"custom.records.id_fields" must name at least one field: leave it out and use id_field or id`},
		{key: "records.id_fields", value: []any{"ts", "user"}, want: `"custom.records.id_field" and "custom.records.id_fields" are exclusive: a record's id comes from one of them`},
		{key: "records.id", value: "", want: `"custom.records.id" must be "hash": leave it out and use id_field or id_fields`},
		{key: "records.id", value: "hash", want: `"custom.records.id_field" and "custom.records.id" are exclusive: a record's id comes from one of them`},
		{key: "severity", value: map[string]any{"default": "INFO"}, check: func(s *Spec) bool { return !s.Severity.EmptyDefaultText() }},
		{key: "severity", value: map[string]any{"default": "INFO", "default_text": ""}, check: func(s *Spec) bool { return s.Severity.EmptyDefaultText() }},
		{key: "severity", value: rule(nil), check: func(s *Spec) bool { return s.Severity.Rules[0].KeepsFieldText() && !s.Severity.Rules[0].EqualsEmpty() }},
		{key: "severity", value: rule(map[string]any{"text": ""}), check: func(s *Spec) bool { return !s.Severity.Rules[0].KeepsFieldText() }},
		{key: "severity", value: rule(map[string]any{"equals": ""}), check: func(s *Spec) bool { return s.Severity.Rules[0].EqualsEmpty() }},
		// Zero is defined as the same as absent here: no limit, no maximum.
		{key: "requests_per_minute", value: 0, check: func(s *Spec) bool { return s.RequestsPerMinute == 0 }},
		{key: "max_requests_per_minute", value: 0, check: func(s *Spec) bool { return s.MaxRequestsPerMinute == 0 }},
	}
	for _, tt := range tests {
		var name strings.Builder
		name.WriteString(tt.key + "=")
		if b, err := yaml.Marshal(tt.value); err == nil {
			name.WriteString(strings.TrimSpace(string(b)))
		}
		t.Run(name.String(), func(t *testing.T) {
			spec := specWith(t, tt.key, tt.value)
			err := spec.ValidateAt("custom.")
			if tt.want != "" {
				assert.EqualError(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.check(spec))
		})
	}
}

// Records without id_field name their id with id_fields or id: hash.
func TestValidateRecordIdentity(t *testing.T) {
	for _, tt := range []struct {
		edit func(r *Records)
		want string
	}{
		{edit: func(r *Records) { r.IDField, r.IDFields = "", []string{"ts", "user.name"} }},
		{edit: func(r *Records) { r.IDField, r.ID = "", IDHash }},
		{edit: func(r *Records) { r.IDField = "" }, want: `"custom.records.id_field" is required (or custom.records.id_fields, or custom.records.id: hash): records are deduplicated by id`},
		{edit: func(r *Records) { r.IDField, r.ID = "", "sha1" }, want: `"custom.records.id" must be "hash" (the SHA-256 of the record's canonical JSON), got "sha1"`},
		{edit: func(r *Records) { r.ID, r.IDFields = IDHash, []string{"a"} }, want: `"custom.records.id_field" and "custom.records.id_fields", "custom.records.id" are exclusive: a record's id comes from one of them`},
		{edit: func(r *Records) { r.IDField, r.IDFields = "", []string{"a", "", "a", "b..c"} }, want: `"custom.records.id_fields[1]" must be a dotted path without empty segments, got ""
"custom.records.id_fields[2]" repeats "a"
"custom.records.id_fields[3]" must be a dotted path without empty segments, got "b..c"`},
	} {
		spec := specWith(t, "records.path", "data")
		tt.edit(&spec.Records)
		err := spec.ValidateAt("custom.")
		if tt.want == "" {
			assert.NoError(t, err)
		} else {
			assert.EqualError(t, err, tt.want)
		}
	}
}
