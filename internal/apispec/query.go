package apispec

// QueryValues is the template list of one query parameter. The YAML writes
// one template as a scalar (`limit: "{{page_size}}"`, every spec written so
// far) or several as a list, sent as the same parameter repeated in the
// order written (`filter[created_at][]: ["gte:{{window_start}}",
// "lte:{{window_end}}"]`). A template that renders empty is left out, the
// others keep their order.
type QueryValues []string

// UnmarshalText reads the scalar form: confmap hands a string value to a
// TextUnmarshaler, and decodes a list element by element. Without it a
// scalar would be refused (or split at commas by confmap's string-to-slice
// hook, were this a plain []string).
func (q *QueryValues) UnmarshalText(text []byte) error {
	*q = QueryValues{string(text)}
	return nil
}
