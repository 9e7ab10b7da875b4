package simulator

import (
	"net/http"
	"strconv"
)

const (
	omsDefaultPageSize = 20
	omsMaxPageSize     = 500
)

// omsList: GET /api/v1/oms/logs/action_log/, DRF PageNumberPagination, newest id first.
func (s *Simulator) omsList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pageSize := omsDefaultPageSize
	if !s.opts.OMSIgnorePageSize {
		// DRF ignores an invalid page_size and clamps to max_page_size.
		if n, err := strconv.Atoi(q.Get("page_size")); err == nil && n > 0 {
			pageSize = min(n, omsMaxPageSize)
		}
	}
	pageSize, _ = s.capPage(pageSize)
	as := s.stores[APIOMSActionLogs]
	recs := as.query(s.stream(APIOMSActionLogs, ""), timeRange{}, nil)
	reverse(recs)
	count := len(recs)
	numPages := max(1, (count+pageSize-1)/pageSize) // DRF allows an empty first page
	page := 1
	if v := q.Get("page"); v == "last" {
		page = numPages
	} else if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > numPages {
			writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Invalid page."})
			return
		}
		page = n
	}
	buf := []byte(`{"count":`)
	buf = strconv.AppendInt(buf, int64(count), 10)
	buf = append(buf, `,"next":`...)
	if page < numPages {
		buf = strconv.AppendQuote(buf, pageURL(s.linkBase(r), r, strconv.Itoa(page+1)))
	} else {
		buf = append(buf, "null"...)
	}
	buf = append(buf, `,"previous":`...)
	switch {
	case page == 2: // DRF drops ?page= for the first page
		buf = strconv.AppendQuote(buf, pageURL(requestBase(r), r, ""))
	case page > 2:
		buf = strconv.AppendQuote(buf, pageURL(requestBase(r), r, strconv.Itoa(page-1)))
	default:
		buf = append(buf, "null"...)
	}
	buf = append(buf, `,"results":`...)
	buf = appendArray(buf, s.ordered(r, window(recs, (page-1)*pageSize, pageSize)))
	buf = append(buf, '}')
	writeRaw(w, http.StatusOK, buf)
}

// omsGet: GET /api/v1/oms/logs/action_log/{id}/.
func (s *Simulator) omsGet(w http.ResponseWriter, r *http.Request) {
	as := s.stores[APIOMSActionLogs]
	rec := as.lookup(s.stream(APIOMSActionLogs, ""), r.PathValue("id"))
	if rec == nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
		return
	}
	writeRaw(w, http.StatusOK, rec.body)
}
