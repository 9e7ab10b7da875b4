package decode

import (
	"fmt"
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
		if d.hasMore.set && d.hasMore.saysNo(doc) {
			// The API hands out a cursor on its last page too; its own
			// flag spares the request that would find the page empty.
			pg.More = MoreNo
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

// moreSignal reads Pagination.HasMorePath.
type moreSignal struct {
	set  bool
	path Path
}

func compileMoreSignal(pag apispec.Pagination) (moreSignal, error) {
	if pag.HasMorePath == "" {
		return moreSignal{}, nil
	}
	p, err := CompilePath(pag.HasMorePath)
	if err != nil {
		return moreSignal{}, fmt.Errorf("pagination has_more path: %w", err)
	}
	return moreSignal{set: true, path: p}, nil
}

// saysNo reports whether the flag says explicitly that no page follows:
// false, 0, or the text "false" or "0". Anything else, a missing value or
// null included, says nothing, so that an API that drops the flag loses
// no page (the next link or cursor decides then).
func (m moreSignal) saysNo(doc *lookup) bool {
	v := doc.get(m.path)
	if v == nil {
		return false
	}
	switch v.Type() {
	case fastjson.TypeFalse:
		return true
	case fastjson.TypeNumber:
		f, err := v.Float64()
		return err == nil && f == 0
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		s := strings.TrimSpace(b2s(b))
		return strings.EqualFold(s, "false") || s == "0"
	}
	return false
}
