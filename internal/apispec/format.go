package apispec

import "fmt"

// Record formats: how a page's body holds its records.
const (
	// FormatJSON is one JSON document, the records at Records.Path.
	FormatJSON = "json"
	// FormatNDJSON is newline-delimited JSON (JSON Lines): one record per
	// line, no envelope around them.
	FormatNDJSON = "ndjson"
)

// IsNDJSON reports whether the records are one per line.
func (r Records) IsNDJSON() bool { return r.Format == FormatNDJSON }

// validateFormat checks records.format and what an NDJSON body cannot
// carry: it has no document around its records, so nothing can be read
// from it but the records. Its pages follow each other by page number,
// offset or Link header, or one request per time window; the total may come
// from a header.
func (s *Spec) validateFormat(prefix string) []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%q %s", prefix+key, fmt.Sprintf(format, args...)))
	}
	switch s.Records.Format {
	case "", FormatJSON:
		return nil
	case FormatNDJSON:
	default:
		bad("records.format", "must be %q (the default) or %q, got %q", FormatJSON, FormatNDJSON, s.Records.Format)
		return errs
	}
	why := "an NDJSON body is only records, one per line"
	if s.Records.Path != "" || len(s.Records.AltPaths) > 0 {
		bad("records.path", "and records.alt_paths must be empty with records.format %q: %s", FormatNDJSON, why)
	}
	p := s.Pagination
	switch p.Type {
	case PaginationNextURL, PaginationCursor:
		bad("pagination.type", "%q reads the body for the next page, which records.format %q cannot hold (%s): use page, offset, link_header or none", p.Type, FormatNDJSON, why)
	}
	for _, f := range []struct{ key, value string }{
		{"next_path", p.NextPath}, {"total_path", p.TotalPath}, {"page_size_path", p.PageSizePath}, {"has_more_path", p.HasMorePath},
	} {
		if f.value != "" {
			bad("pagination."+f.key, "cannot be read from a body of records.format %q (%s); total_header reads a header", FormatNDJSON, why)
		}
	}
	return errs
}
