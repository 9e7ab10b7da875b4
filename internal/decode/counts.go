package decode

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// Counts: what a page says about its own size and about the whole listing,
// besides a next link or "has more" flag. A server that caps the page size
// silently returns short pages that are not the last; these counts are how
// the walk tells the two apart (see cursor.Pager.Last).

// counts reads Pagination.PageSizePath, TotalPath and TotalHeader.
type counts struct {
	size, total       Path
	hasSize, hasTotal bool
	header            string
}

func compileCounts(pag apispec.Pagination) (counts, error) {
	var c counts
	var errs []error
	var err error
	if pag.PageSizePath != "" {
		c.hasSize = true
		if c.size, err = CompilePath(pag.PageSizePath); err != nil {
			errs = append(errs, fmt.Errorf("pagination page size path: %w", err))
		}
	}
	if pag.TotalPath != "" {
		c.hasTotal = true
		if c.total, err = CompilePath(pag.TotalPath); err != nil {
			errs = append(errs, fmt.Errorf("pagination total path: %w", err))
		}
	}
	c.header = http.CanonicalHeaderKey(strings.TrimSpace(pag.TotalHeader))
	return c, errors.Join(errs...)
}

// read fills pg.Size, pg.Total and pg.HasTotal; a missing or unreadable
// value leaves them unknown.
func (c *counts) read(doc *lookup, header http.Header, pg *Page) {
	pg.Size, pg.Total, pg.HasTotal = 0, 0, false
	if c.hasSize {
		if n, ok := count(doc.get(c.size)); ok && n > 0 {
			pg.Size = n
		}
	}
	if c.hasTotal {
		pg.Total, pg.HasTotal = count(doc.get(c.total))
	}
	if c.header != "" && !pg.HasTotal {
		pg.Total, pg.HasTotal = HeaderTotal(header, c.header)
	}
}

// HeaderTotal reads a total count from header name. A count the server says
// is capped (Logto's Total-Number-Is-Capped: true with enableCap, which
// answers 10001 for anything larger) is no count: it is reported unknown.
func HeaderTotal(h http.Header, name string) (int, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" || strings.EqualFold(strings.TrimSpace(h.Get(name+"-Is-Capped")), "true") {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// PageCounts reads the counts of pag from a parsed document and its headers,
// for listings decoded without a Decoder (stream discovery). size is 0 and
// hasTotal false when the page does not say.
func PageCounts(pag apispec.Pagination, doc *fastjson.Value, header http.Header) (size, total int, hasTotal bool) {
	c, err := compileCounts(pag)
	if err != nil {
		return 0, 0, false
	}
	var pg Page
	c.read(&lookup{root: doc}, header, &pg)
	return pg.Size, pg.Total, pg.HasTotal
}

// count reads a non-negative integer: a JSON number or a string of digits.
func count(v *fastjson.Value) (int, bool) {
	if v == nil {
		return 0, false
	}
	var s string
	switch v.Type() {
	case fastjson.TypeNumber:
		s = v.String()
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		s = strings.TrimSpace(b2s(b))
	default:
		return 0, false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
