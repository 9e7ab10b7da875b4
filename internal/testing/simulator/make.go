package simulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"time"
)

func makeError(w http.ResponseWriter, code int, detail string) {
	msg, imCode := "Validation failed", "IM007"
	if code == http.StatusNotFound {
		msg, imCode = "Not found", "IM005"
	}
	writeJSON(w, code, map[string]any{"detail": detail, "message": msg, "code": imCode})
}

type makePg struct {
	offset, limit     int
	echo              int // the limit the answer shows, when not limit (see capPage)
	sortBy, sortDir   string
	last              string
	showLast, hasLast bool
}

// parseMakePg reads pg[...] parameters; limits above maxLimit are rejected like Make's validator.
func parseMakePg(q url.Values, defLimit, maxLimit int, defSortBy string, sortable []string) (makePg, string) {
	pg := makePg{sortBy: defSortBy, sortDir: "desc"}
	var ok bool
	if pg.offset, ok = intParam(q, "pg[offset]", 0); !ok || pg.offset < 0 {
		return pg, "pg[offset] must be a non-negative integer"
	}
	if pg.limit, ok = intParam(q, "pg[limit]", defLimit); !ok || pg.limit < 1 || pg.limit > maxLimit {
		return pg, fmt.Sprintf("pg[limit] must be an integer between 1 and %d", maxLimit)
	}
	if v := q.Get("pg[sortBy]"); v != "" {
		if !slices.Contains(sortable, v) {
			return pg, "pg[sortBy] is not supported: " + v
		}
		pg.sortBy = v
	}
	if v := q.Get("pg[sortDir]"); v != "" {
		if v != "asc" && v != "desc" {
			return pg, "pg[sortDir] must be asc or desc"
		}
		pg.sortDir = v
	}
	if v, has := q["pg[last]"]; has {
		pg.last, pg.hasLast = v[0], true
		pg.showLast = q.Get("pg[showLast]") == "true"
	}
	return pg, ""
}

// page sorts recs by imtId (time-prefixed, so time order with a stable tie-break)
// and cuts the page either by offset or after the pg[last] key.
func (pg makePg) page(recs []*record) []*record {
	sort.SliceStable(recs, func(i, j int) bool {
		if !recs[i].t.Equal(recs[j].t) {
			return recs[i].t.Before(recs[j].t)
		}
		return recs[i].tags["imtId"] < recs[j].tags["imtId"]
	})
	if pg.sortDir == "desc" {
		reverse(recs)
	}
	if pg.hasLast {
		start := len(recs)
		for i, r := range recs {
			if r.tags["imtId"] == pg.last {
				start = i + 1
				if pg.showLast {
					start = i
				}
				break
			}
		}
		return window(recs, start, pg.limit)
	}
	return window(recs, pg.offset, pg.limit)
}

// shownLimit is the limit the answer echoes.
func (pg makePg) shownLimit() int {
	if pg.echo > 0 {
		return pg.echo
	}
	return pg.limit
}

func (pg makePg) appendJSON(buf []byte) []byte {
	m := map[string]any{"sortBy": pg.sortBy, "sortDir": pg.sortDir, "limit": pg.shownLimit()}
	if pg.hasLast {
		m["last"], m["showLast"] = pg.last, pg.showLast
	} else {
		m["offset"] = pg.offset
	}
	b, _ := json.Marshal(m)
	return append(buf, b...)
}

func writeMakeList(w http.ResponseWriter, key string, recs []*record, pg makePg) {
	buf := []byte(`{"` + key + `":[`)
	for i, r := range recs {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendListed(buf, r)
	}
	buf = append(buf, ']')
	buf = append(buf, `,"pg":`...)
	buf = pg.appendJSON(buf)
	writeRaw(w, http.StatusOK, append(buf, '}'))
}

func pathInt(w http.ResponseWriter, r *http.Request, name string) (int, bool) {
	n, err := strconv.Atoi(r.PathValue(name))
	if err != nil || n < 1 {
		makeError(w, http.StatusBadRequest, name+" must be a positive integer")
		return 0, false
	}
	return n, true
}

// makeScenarioLogs: GET /api/v2/scenarios/{scenarioId}/logs, imtId desc by default.
func (s *Simulator) makeScenarioLogs(w http.ResponseWriter, r *http.Request) {
	sid, ok := pathInt(w, r, "sid")
	if !ok {
		return
	}
	q := r.URL.Query()
	pg, bad := parseMakePg(q, 50, 100, "imtId", []string{"imtId", "timestamp"})
	if bad != "" {
		makeError(w, http.StatusBadRequest, bad)
		return
	}
	tr, bad := s.timeRangeOf(bound{"from", q.Get("from")}, bound{"to", q.Get("to")}, parseUnixMilli)
	if bad != "" {
		makeError(w, http.StatusBadRequest, bad+" must be a timestamp in milliseconds")
		return
	}
	var keep func(*record) bool
	if v := q.Get("status"); v != "" {
		want, err := strconv.Atoi(v)
		if err != nil || want < 1 || want > 3 {
			makeError(w, http.StatusBadRequest, "status must be 1, 2 or 3")
			return
		}
		keep = func(rec *record) bool { return rec.level == want }
	}
	as := s.stores[APIMakeScenarioLogs]
	recs := as.query(s.stream(APIMakeScenarioLogs, strconv.Itoa(sid)), tr, keep)
	pg.limit, pg.echo = s.capPage(pg.limit)
	writeMakeList(w, "scenarioLogs", s.ordered(r, pg.page(recs)), pg)
}

func (s *Simulator) makeExecutionRecord(w http.ResponseWriter, r *http.Request) *record {
	sid, ok := pathInt(w, r, "sid")
	if !ok {
		return nil
	}
	as := s.stores[APIMakeScenarioLogs]
	rec := as.lookup(s.stream(APIMakeScenarioLogs, strconv.Itoa(sid)), r.PathValue("eid"))
	if rec == nil {
		makeError(w, http.StatusNotFound, "Execution not found.")
	}
	return rec
}

// makeScenarioLog: GET /api/v2/scenarios/{id}/logs/{executionId} -> {"scenarioLog":{...}}.
func (s *Simulator) makeScenarioLog(w http.ResponseWriter, r *http.Request) {
	if rec := s.makeExecutionRecord(w, r); rec != nil {
		body := rec.body
		if rec.running() {
			body = rec.pending.body
		}
		writeRaw(w, http.StatusOK, append(append([]byte(`{"scenarioLog":`), body...), '}'))
	}
}

// makeModuleLogs: GET /api/v2/scenarios/{scenarioId}/modules/{moduleId}/logs.
func (s *Simulator) makeModuleLogs(w http.ResponseWriter, r *http.Request) {
	sid, ok := pathInt(w, r, "sid")
	if !ok {
		return
	}
	mid, ok := pathInt(w, r, "mid")
	if !ok {
		return
	}
	pg, bad := parseMakePg(r.URL.Query(), 50, 100, "imtId", []string{"imtId", "timestamp"})
	if bad != "" {
		makeError(w, http.StatusBadRequest, bad)
		return
	}
	name := strconv.Itoa(sid) + "/" + strconv.Itoa(mid)
	as := s.stores[APIMakeModuleLogs]
	recs := as.query(s.stream(APIMakeModuleLogs, name), timeRange{}, nil)
	pg.limit, pg.echo = s.capPage(pg.limit)
	writeMakeList(w, "moduleLogs", s.ordered(r, pg.page(recs)), pg)
}

// makeScenarios: GET /api/v2/scenarios?teamId=X|organizationId=Y, three scenarios per team.
func (s *Simulator) makeScenarios(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	team, err := strconv.Atoi(q.Get("teamId"))
	if q.Get("teamId") == "" {
		// An organization lists its first team's scenarios: team id = organization id.
		team, err = strconv.Atoi(q.Get("organizationId"))
	}
	if err != nil || team < 1 {
		makeError(w, http.StatusBadRequest, "teamId or organizationId is required")
		return
	}
	pg, bad := parseMakePg(q, 10000, 10000, "proprietal", []string{"proprietal", "name", "id"})
	if bad != "" {
		makeError(w, http.StatusBadRequest, bad)
		return
	}
	all := make([]map[string]any, 0, 3)
	for k := 1; k <= 3; k++ {
		id := team*1000 + k
		if s.scenarioHidden(id) {
			continue
		}
		all = append(all, map[string]any{
			"id": id, "name": fmt.Sprintf("Demo scenario %d", id), "teamId": team, "hookId": nil, "deviceId": nil,
			"deviceScope": nil, "concept": false, "description": "", "folderId": nil, "isinvalid": false, "islinked": true,
			"islocked": false, "isPaused": false, "usedPackages": []string{"http", "json"}, "lastEdit": "2024-01-15T10:00:00.000Z",
			"scheduling": map[string]any{"type": "indefinitely", "interval": 900}, "iswaiting": false, "dlqCount": 0,
			"createdByUser": map[string]any{"id": 5, "name": "John Doe", "email": "john.doe@example.com"},
			"updatedByUser": map[string]any{"id": 5, "name": "John Doe", "email": "john.doe@example.com"},
			"created":       "2023-06-01T08:00:00.000Z",
		})
	}
	pg.limit, pg.echo = s.capPage(pg.limit)
	lo := min(pg.offset, len(all))
	hi := min(lo+pg.limit, len(all))
	buf := []byte(`{"scenarios":`)
	b, _ := json.Marshal(all[lo:hi])
	buf = append(buf, b...)
	buf = append(buf, `,"pg":`...)
	buf = pg.appendJSON(buf)
	writeRaw(w, http.StatusOK, append(buf, '}'))
}

// parseMakeDate accepts ISO datetimes and the documented YYYY-MM-DD.
func parseMakeDate(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", v)
}

// makeAuditLogs: GET /api/v2/audit-logs/organization/{organizationId}, triggeredAt desc.
func (s *Simulator) makeAuditLogs(w http.ResponseWriter, r *http.Request) {
	oid, ok := pathInt(w, r, "oid")
	if !ok {
		return
	}
	q := r.URL.Query()
	pg, bad := parseMakePg(q, 50, 1000, "triggeredAt", []string{"triggeredAt"})
	if bad != "" {
		makeError(w, http.StatusBadRequest, bad)
		return
	}
	tr, bad := s.timeRangeOf(bound{"dateFrom", q.Get("dateFrom")}, bound{"dateTo", q.Get("dateTo")}, parseMakeDate)
	if bad != "" {
		makeError(w, http.StatusBadRequest, bad+" must be an ISO 8601 date")
		return
	}
	events := slices.Concat(q["event[]"], q["event"])
	team := q.Get("team")
	keep := func(rec *record) bool {
		return tagIn(events, rec.tags["event"]) && (team == "" || rec.tags["team"] == team)
	}
	as := s.stores[APIMakeAuditLogs]
	recs := as.query(s.stream(APIMakeAuditLogs, strconv.Itoa(oid)), tr, keep)
	pg.limit, pg.echo = s.capPage(pg.limit)
	page := s.ordered(r, pg.page(recs))
	buf := []byte(`{"auditLogs":`)
	buf = appendArray(buf, page)
	buf = append(buf, `,"pg":`...)
	m := map[string]any{"sortBy": pg.sortBy, "sortDir": pg.sortDir, "returnTotalCount": false, "limit": pg.shownLimit(), "offset": pg.offset}
	b, _ := json.Marshal(m)
	buf = append(buf, b...)
	writeRaw(w, http.StatusOK, append(buf, '}'))
}
