// Package decode turns one API response body into records: it finds the
// record array described by apispec.Records, reads each record's id and
// event time, and reads the pagination signal. It uses fastjson with one
// reusable parser per Decoder, so a page costs no per-value allocations.
//
// A body larger than WholeBodyLimit is not parsed whole: a parsed document
// costs about ten times its size (far more for tiny values), so it is
// validated and split by a scanner instead, and each record keeps its JSON
// text (Record.Raw) to be parsed on its own when it is mapped. The same path
// takes a body that fastjson refuses only because it is nested deeper than
// its limit of 300 levels, so that one such record does not make the whole
// page undecodable.
//
// The files, one job each:
//   - decode.go: the Decoder, its Page and Record, and Decode for a body
//     parsed whole.
//   - raw.go: the record-by-record path (decodeRaw) and the field lookups
//     it shares with the whole-body path.
//   - record.go: one record's id, time and problems.
//   - pagination.go, counts.go, link.go: the has-more signal, the next
//     link or cursor, the echoed page size and total.
//   - bodyerr.go: the errors of a body that is not what the spec says.
//   - scan.go: the validating scanner (fastjson's grammar, no depth limit).
//   - find.go: paths, members and elements in text the scanner accepted.
//   - flatten.go: Flatten and CountValues for records nested too deep.
//   - path.go, number.go, timefmt.go: dotted paths, canonical numbers,
//     the time formats.
//   - arena.go, unsafe.go: shared string storage for a page's ids.
package decode
