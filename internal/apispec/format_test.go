package apispec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ndjsonSpec = `
request: {path: /logs, query: {page: "{{page}}"}}
time_filter: {format: unix_s}
pagination: {type: link_header, total_header: X-Total}
records:
  format: ndjson
  order: newest_first
  id_field: id
  time_field: ts
  time_format: unix_s
  time_precision: 1s
`

func TestNDJSONFormatValidation(t *testing.T) {
	spec, err := Parse([]byte(ndjsonSpec))
	require.NoError(t, err)
	require.NoError(t, spec.ValidateAt("custom."))
	assert.True(t, spec.Records.IsNDJSON())

	for _, typ := range []string{PaginationPage, PaginationOffset, PaginationNone} {
		spec.Pagination.Type = typ
		require.NoError(t, spec.ValidateAt("custom."), typ)
	}

	spec.Records.Path = "data"
	spec.Pagination = Pagination{Type: PaginationCursor, NextPath: "next", TotalPath: "total", PageSizePath: "size", HasMorePath: "more"}
	err = spec.ValidateAt("custom.")
	require.Error(t, err)
	for _, want := range []string{
		`"custom.records.path" and records.alt_paths must be empty with records.format "ndjson"`,
		`"custom.pagination.type" "cursor" reads the body for the next page, which records.format "ndjson" cannot hold`,
		`"custom.pagination.next_path" cannot be read from a body of records.format "ndjson"`,
		`"custom.pagination.total_path" cannot be read`,
		`"custom.pagination.page_size_path" cannot be read`,
		`"custom.pagination.has_more_path" cannot be read`,
	} {
		assert.Contains(t, err.Error(), want)
	}

	spec, err = Parse([]byte(ndjsonSpec))
	require.NoError(t, err)
	spec.Records.Format = "csv"
	require.EqualError(t, spec.ValidateAt("custom."), `"custom.records.format" must be "json" (the default) or "ndjson", got "csv"`)
	spec.Records.Format = FormatJSON
	assert.NoError(t, spec.ValidateAt("custom."))
}
