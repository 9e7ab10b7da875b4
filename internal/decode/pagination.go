package decode

import (
	"net/http"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

// pagination reads the "has more" signal or next link.
func (d *Decoder) pagination(doc *lookup, header http.Header) {
	pg := &d.page
	if d.hasNext {
		nv := doc.get(d.next)
		more, text := signal(nv)
		if !more {
			pg.More = MoreNo
			return
		}
		pg.More = MoreYes
		switch d.pagType {
		case apispec.PaginationNextURL, apispec.PaginationCursor:
			pg.Next = text
		}
		return
	}
	if d.pagType == apispec.PaginationLinkHeader {
		next, present := NextLink(header)
		switch {
		case next != "":
			pg.More, pg.Next = MoreYes, next
		case strings.EqualFold(header.Get("Total-Number-Is-Capped"), "true"):
			// Logto drops rel="next" past 10,000 matches: walk on until an
			// empty page.
		case present:
			pg.More = MoreNo
		}
	}
}

// signal reads a NextPath value: null, the string "null", false, "" or a
// missing value mean no more; anything else means more, with its text as
// the next URL or cursor.
func signal(v *fastjson.Value) (more bool, text string) {
	if v == nil {
		return false, ""
	}
	switch v.Type() {
	case fastjson.TypeNull, fastjson.TypeFalse:
		return false, ""
	case fastjson.TypeTrue:
		return true, ""
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		s := strings.TrimSpace(b2s(b))
		if s == "" || s == "null" {
			return false, ""
		}
		return true, strings.Clone(s)
	case fastjson.TypeNumber:
		t, _ := Text(v)
		return true, t
	}
	return true, ""
}
