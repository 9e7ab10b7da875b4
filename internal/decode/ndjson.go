package decode

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"
)

// decodeLines decodes an NDJSON body (records.format: ndjson): every line
// that is not blank is one record, decoded record by record like a large
// JSON body (each keeps its text in Raw). A line that is not JSON is a
// record with a Problem, counted and warned about like any invalid record,
// so one torn line does not hide the rest of the page. The body carries no
// pagination fields; a Link header and a total header still count.
func (d *Decoder) decodeLines(body []byte, header http.Header) (*Page, error) {
	pg := &d.page
	d.finder.reset()
	d.finder.forget()
	defer d.finder.forget() // it must not keep the body
	// An upper bound first, so that the records take at most their room.
	if n := bytes.Count(body, []byte{'\n'}) + 1; cap(pg.Records) < n && n <= d.maxRecords {
		pg.Records = make([]Record, 0, n)
	}
	lineNo := 0
	for rest := body; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		lineNo++
		line = bytes.TrimRight(line[skipWSAt(line, 0):], " \t\r")
		if len(line) == 0 {
			continue
		}
		if len(pg.Records) == d.maxRecords {
			return nil, fmt.Errorf("the NDJSON body holds more than %d records: more than one per %d bytes of max_body_size", d.maxRecords, bytesPerRecord)
		}
		if len(pg.Records)%1024 == 1023 && cancelled(d.done) {
			return nil, errCancelled
		}
		if _, err := validate(line, d.done); err != nil {
			if errors.Is(err, errCancelled) {
				return nil, err
			}
			// The line's text is not quoted: it may hold anything, secrets
			// included, and its number finds it.
			pg.Records = append(pg.Records, Record{Raw: line, Problem: "line " + strconv.Itoa(lineNo) + " of the NDJSON body is not JSON"})
			continue
		}
		d.finder.reset()
		pg.Records = append(pg.Records, d.record(nil, line))
	}
	doc := lookup{d: d, body: body}
	d.pagination(&doc, header)
	d.counts.read(&doc, header, pg)
	return pg, nil
}
