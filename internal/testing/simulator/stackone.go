package simulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
)

const stackOneMaxPageSize = 100

type stackOneFilters struct {
	StartTime      string   `json:"start_time"`
	EndTime        string   `json:"end_time"`
	OrderBy        string   `json:"order_by"`
	OrderDirection string   `json:"order_direction"`
	Success        *bool    `json:"success"`
	StatusCode     []string `json:"status_code"`
	ActionID       []string `json:"action_id"`
	ActionRunID    []string `json:"action_run_id"`
	ConnectorKey   []string `json:"connector_key"`
	HTTPMethod     []string `json:"http_method"`
	Category       []string `json:"category"`
	Mode           []string `json:"mode"`
}

type stackOneQuery struct {
	Filters  stackOneFilters `json:"filters"`
	Page     *int            `json:"page"`
	PageSize *int            `json:"page_size"`
}

// stackOneError is NestJS' validation error shape.
func stackOneError(w http.ResponseWriter, code int, msgs ...string) {
	writeJSON(w, code, map[string]any{"statusCode": code, "message": msgs, "error": http.StatusText(code)})
}

func tagIn(vals []string, v string) bool { return len(vals) == 0 || slices.Contains(vals, v) }

// stackOneList: POST /logs/actions, page/page_size paging with total.
func (s *Simulator) stackOneList(w http.ResponseWriter, r *http.Request) {
	var q stackOneQuery
	if r.ContentLength != 0 {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&q); err != nil {
			stackOneError(w, http.StatusBadRequest, "body must be a JSON object")
			return
		}
	}
	page, pageSize := 1, 25
	if q.Page != nil {
		page = *q.Page
	}
	if q.PageSize != nil {
		pageSize = *q.PageSize
	}
	var errs []string
	if page < 1 {
		errs = append(errs, "page must not be less than 1")
	}
	if pageSize < 1 {
		errs = append(errs, "page_size must not be less than 1")
	}
	if pageSize > stackOneMaxPageSize {
		errs = append(errs, "page_size must not be greater than 100")
	}
	f := q.Filters
	if f.OrderBy == "" {
		f.OrderBy = "event_time"
	}
	if f.OrderDirection == "" {
		f.OrderDirection = "desc"
	}
	if !slices.Contains([]string{"event_time", "start_time", "end_time", "duration_ms"}, f.OrderBy) {
		errs = append(errs, "filters.order_by must be one of the following values: start_time, end_time, event_time, duration_ms")
	}
	if f.OrderDirection != "asc" && f.OrderDirection != "desc" {
		errs = append(errs, "filters.order_direction must be one of the following values: asc, desc")
	}
	tr, bad := s.timeRangeOf(bound{"start_time", f.StartTime}, bound{"end_time", f.EndTime}, parseRFC3339)
	if bad != "" {
		errs = append(errs, "filters."+bad+" must be a valid ISO 8601 date string")
	}
	if len(errs) > 0 {
		stackOneError(w, http.StatusBadRequest, errs...)
		return
	}
	keep := func(rec *record) bool {
		return (f.Success == nil || rec.tags["success"] == strconv.FormatBool(*f.Success)) &&
			tagIn(f.StatusCode, rec.tags["status_code"]) && tagIn(f.ActionID, rec.tags["action_id"]) &&
			tagIn(f.ActionRunID, rec.tags["action_run_id"]) && tagIn(f.ConnectorKey, rec.tags["connector_key"]) &&
			tagIn(f.HTTPMethod, rec.tags["http_method"]) && tagIn(f.Category, rec.tags["category"]) && tagIn(f.Mode, rec.tags["mode"])
	}
	as := s.stores[APIStackOneActionLogs]
	recs := as.query(s.stream(APIStackOneActionLogs, ""), tr, keep) // event_time ascending
	switch f.OrderBy {
	case "start_time":
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].n1 < recs[j].n1 })
	case "duration_ms":
		sort.SliceStable(recs, func(i, j int) bool { return recs[i].n2 < recs[j].n2 })
	}
	if f.OrderDirection == "desc" {
		reverse(recs)
	}
	pageSize, echo := s.capPage(pageSize)
	buf := []byte(`{"data":`)
	buf = appendArray(buf, s.ordered(r, window(recs, (page-1)*pageSize, pageSize)))
	buf = append(buf, `,"query":{"page":`...)
	buf = strconv.AppendInt(buf, int64(page), 10)
	buf = append(buf, `,"page_size":`...)
	buf = strconv.AppendInt(buf, int64(echo), 10)
	buf = append(buf, `},"total":`...)
	buf = strconv.AppendInt(buf, int64(len(recs)), 10)
	buf = append(buf, '}')
	writeRaw(w, http.StatusOK, buf)
}

// stackOneGet: GET /logs/actions/{actionRunId}.
func (s *Simulator) stackOneGet(w http.ResponseWriter, r *http.Request) {
	as := s.stores[APIStackOneActionLogs]
	rec := as.lookup(s.stream(APIStackOneActionLogs, ""), r.PathValue("id"))
	if rec == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"statusCode": 404, "message": "Action log not found", "error": "Not Found"})
		return
	}
	writeRaw(w, http.StatusOK, rec.body)
}
