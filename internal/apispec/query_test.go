package apispec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const pagedSpec = `
request:
  path: /events
  query:
    limit: "{{page_size}}"
    "filter[created_at][]": ["gte:{{window_start}}", "lte:{{window_end}}"]
    "tags": ["a,b"]
time_filter: {format: rfc3339}
pagination:
  type: cursor
  next_path: meta.next_cursor
  has_more_path: meta.has_more
records:
  path: data
  order: newest_first
  id_field: id
  time_field: created_at
  time_format: rfc3339
  time_precision: 1s
`

// A query key holds one template (the scalar every spec wrote so far) or a
// list, kept in order and never split at commas.
func TestQueryScalarAndListForms(t *testing.T) {
	spec, err := Parse([]byte(pagedSpec))
	require.NoError(t, err)
	require.NoError(t, spec.ValidateAt("custom."))
	assert.Equal(t, map[string]QueryValues{
		"limit":                {"{{page_size}}"},
		"filter[created_at][]": {"gte:{{window_start}}", "lte:{{window_end}}"},
		"tags":                 {"a,b"},
	}, spec.Request.Query)
	assert.Equal(t, "meta.has_more", spec.Pagination.HasMorePath)

	for _, name := range BuiltinNames() {
		_, err := Builtin(name)
		require.NoError(t, err, "built-in %s still decodes", name)
	}
}

// Each template of a list is checked and named by its index; has_more_path
// is refused where the pagination kind reads no such flag.
func TestValidateQueryListsAndHasMorePath(t *testing.T) {
	spec, err := Parse([]byte(pagedSpec))
	require.NoError(t, err)
	spec.Request.Query["filter[created_at][]"] = QueryValues{"gte:{{window_start}}", "lte:{{window_end"}
	spec.Pagination.Type = PaginationPage
	spec.Streams.Discover = &Discover{
		Request: Request{Path: "/s"}, IDField: "id",
		Pagination: Pagination{Type: PaginationNextURL, NextPath: "next", HasMorePath: "meta..more"},
	}
	err = spec.ValidateAt("custom.")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"custom.request.query.filter[created_at][][1]": unclosed "{{"`)
	assert.NotContains(t, err.Error(), `[0]`)
	assert.Contains(t, err.Error(), `"custom.pagination.has_more_path" applies to next_url and cursor pagination only`)
	assert.Contains(t, err.Error(), `"custom.pagination.type" is "page"`)
	assert.Contains(t, err.Error(), `"custom.streams.discover.pagination.has_more_path" must be a dotted path without empty segments, got "meta..more"`)

	for _, typ := range []string{PaginationOffset, PaginationLinkHeader, PaginationNone} {
		spec, err := Parse([]byte(pagedSpec))
		require.NoError(t, err)
		spec.Pagination.Type = typ
		require.ErrorContains(t, spec.ValidateAt(""), `"pagination.has_more_path" applies to next_url and cursor pagination only`, typ)
	}
	for _, typ := range []string{PaginationNextURL, PaginationCursor} {
		spec, err := Parse([]byte(pagedSpec))
		require.NoError(t, err)
		spec.Pagination.Type = typ
		assert.NoError(t, spec.ValidateAt(""), typ)
	}
}
