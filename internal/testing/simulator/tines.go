package simulator

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
)

const tinesMaxPerPage = 500

// tinesPaging reads per_page (default 20, capped at 500) and page (default 1).
func tinesPaging(q url.Values) (page, perPage int, ok bool) {
	perPage, ok1 := intParam(q, "per_page", 20)
	page, ok2 := intParam(q, "page", 1)
	if !ok1 || !ok2 {
		return 0, 0, false
	}
	if perPage < 1 {
		perPage = 20
	}
	perPage = min(perPage, tinesMaxPerPage)
	page = max(page, 1)
	return page, perPage, true
}

func tinesURL(base string, r *http.Request, page, perPage int) string {
	q := r.URL.Query()
	q.Set("per_page", strconv.Itoa(perPage))
	q.Set("page", strconv.Itoa(page))
	return base + r.URL.EscapedPath() + "?" + q.Encode()
}

// appendTinesEnvelope writes {"<key>":<items>,"meta":{...}} with Tines' absolute page links.
func (s *Simulator) appendTinesEnvelope(buf []byte, r *http.Request, key string, items []byte, count, page, perPage, echo int) []byte {
	pages := (count + perPage - 1) / perPage
	base := requestBase(r)
	buf = append(buf, `{"`...)
	buf = append(buf, key...)
	buf = append(buf, `":`...)
	buf = append(buf, items...)
	buf = append(buf, `,"meta":{"current_page":`...)
	buf = strconv.AppendQuote(buf, tinesURL(base, r, page, perPage))
	buf = append(buf, `,"previous_page":`...)
	if page > 1 {
		buf = strconv.AppendQuote(buf, tinesURL(base, r, page-1, perPage))
	} else {
		buf = append(buf, "null"...)
	}
	buf = append(buf, `,"next_page":`...)
	switch {
	case page < pages:
		buf = strconv.AppendQuote(buf, tinesURL(s.linkBase(r), r, page+1, perPage))
		buf = append(buf, `,"next_page_number":`...)
		buf = strconv.AppendInt(buf, int64(page+1), 10)
	case s.opts.StringNullNextPage:
		buf = append(buf, `"null","next_page_number":null`...)
	default:
		buf = append(buf, `null,"next_page_number":null`...)
	}
	buf = append(buf, `,"per_page":`...)
	buf = strconv.AppendInt(buf, int64(echo), 10)
	buf = append(buf, `,"pages":`...)
	buf = strconv.AppendInt(buf, int64(pages), 10)
	buf = append(buf, `,"count":`...)
	buf = strconv.AppendInt(buf, int64(count), 10)
	return append(buf, "}}"...)
}

func tinesBadRequest(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": msg})
}

// tinesActionLogs: GET /api/v1/actions/{action_id}/logs, newest first by created_at then id.
func (s *Simulator) tinesActionLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, perPage, ok := tinesPaging(q)
	if !ok {
		tinesBadRequest(w, "page and per_page must be integers")
		return
	}
	aid := r.PathValue("action_id")
	if s.bench != nil && aid == s.bench.id {
		s.serveBench(w, r, page, perPage)
		return
	}
	var keep func(*record) bool
	if lv := q.Get("level"); lv != "" {
		want, err := strconv.Atoi(lv)
		if err != nil {
			tinesBadRequest(w, "level must be 2, 3 or 4")
			return
		}
		keep = func(rec *record) bool { return rec.level == want }
	}
	as := s.stores[APITinesActionLogs]
	recs := as.query(s.stream(APITinesActionLogs, aid), timeRange{}, keep)
	reverse(recs)
	perPage, echo := s.capPage(perPage)
	items := appendArray(nil, s.ordered(r, window(recs, (page-1)*perPage, perPage)))
	writeRaw(w, http.StatusOK, s.appendTinesEnvelope(nil, r, "action_logs", items, len(recs), page, perPage, echo))
}

// tinesAuditLogs: GET /api/v1/audit_logs with after/before, operation_name[], user_id[].
func (s *Simulator) tinesAuditLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	page, perPage, ok := tinesPaging(q)
	if !ok {
		tinesBadRequest(w, "page and per_page must be integers")
		return
	}
	tr, bad := s.timeRangeOf(bound{"after", q.Get("after")}, bound{"before", q.Get("before")}, parseRFC3339)
	if bad != "" {
		tinesBadRequest(w, bad+" must be an ISO 8601 timestamp")
		return
	}
	ops := slices.Concat(q["operation_name[]"], q["operation_name"])
	users := slices.Concat(q["user_id[]"], q["user_id"])
	keep := func(rec *record) bool {
		return (len(ops) == 0 || slices.Contains(ops, rec.tags["operation_name"])) &&
			(len(users) == 0 || slices.Contains(users, rec.tags["user_id"]))
	}
	as := s.stores[APITinesAuditLogs]
	recs := as.query(s.stream(APITinesAuditLogs, ""), tr, keep)
	reverse(recs)
	perPage, echo := s.capPage(perPage)
	items := appendArray(nil, s.ordered(r, window(recs, (page-1)*perPage, perPage)))
	writeRaw(w, http.StatusOK, s.appendTinesEnvelope(nil, r, "audit_logs", items, len(recs), page, perPage, echo))
}
