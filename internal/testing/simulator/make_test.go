package simulator

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type makeScenarioPage struct {
	ScenarioLogs []map[string]any `json:"scenarioLogs"`
	Pg           map[string]any   `json:"pg"`
}

var imtRe = regexp.MustCompile(`^(\d{13})_scenario\.1229\.(auto|manual)\.([0-9a-f]{32})$`)

func TestMakeScenarioLogs(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	t0 := time.Date(2021, 9, 23, 4, 35, 44, 497e6, time.UTC)
	for i := 0; i < 12; i++ {
		s.AddRecords(APIMakeScenarioLogs, "1229", 1+i%2, t0.Add(time.Duration(i)*time.Second))
	}
	base := srv.URL + "/make/api/v2/scenarios/1229/logs"
	r := get(t, base, makeAuth...)
	require.Equal(t, 200, r.code, string(r.body))
	var p makeScenarioPage
	r.json(t, &p)
	require.Len(t, p.ScenarioLogs, 18)
	assert.Equal(t, map[string]any{"sortBy": "imtId", "sortDir": "desc", "limit": float64(50), "offset": float64(0)}, p.Pg)
	for i, l := range p.ScenarioLogs {
		m := imtRe.FindStringSubmatch(l["imtId"].(string))
		require.NotNil(t, m, l["imtId"])
		assert.Equal(t, m[3], l["id"])
		if i > 0 {
			assert.Greater(t, p.ScenarioLogs[i-1]["imtId"], l["imtId"])
		}
		assert.Contains(t, []any{float64(1), float64(2), float64(3)}, l["status"])
		for _, k := range []string{"duration", "operations", "transfer", "centicredits", "organizationId", "teamId", "type", "authorId", "instant", "timestamp"} {
			assert.Contains(t, l, k)
		}
	}
	// Offset paging.
	r = get(t, base+"?pg%5Blimit%5D=5&pg%5Boffset%5D=15", makeAuth...)
	r.json(t, &p)
	assert.Len(t, p.ScenarioLogs, 3)
	// Window from/to, inclusive by default: seconds 2..4 -> 1+2+1 = 4? (i%2: 2->1, 3->2, 4->1)
	from, to := t0.Add(2*time.Second).UnixMilli(), t0.Add(4*time.Second).UnixMilli()
	r = get(t, fmt.Sprintf("%s?from=%d&to=%d", base, from, to), makeAuth...)
	r.json(t, &p)
	assert.Len(t, p.ScenarioLogs, 4)
	// pg[limit] above 100 is rejected.
	assert.Equal(t, 400, get(t, base+"?pg%5Blimit%5D=101", makeAuth...).code)
	// Status filter.
	r = get(t, base+"?status=1", makeAuth...)
	r.json(t, &p)
	for _, l := range p.ScenarioLogs {
		assert.InDelta(t, float64(1), l["status"], 0)
	}
	// pg[last] cursor.
	r = get(t, base+"?pg%5Blimit%5D=5", makeAuth...)
	r.json(t, &p)
	last := p.ScenarioLogs[4]["imtId"].(string)
	r = get(t, base+"?pg%5Blimit%5D=5&pg%5Blast%5D="+last, makeAuth...)
	var p2 makeScenarioPage
	r.json(t, &p2)
	assert.Equal(t, last, p2.Pg["last"])
	assert.Less(t, p2.ScenarioLogs[0]["imtId"], last)

	// Detail endpoints.
	id := p.ScenarioLogs[0]["id"].(string)
	r = get(t, base+"/"+id, makeAuth...)
	require.Equal(t, 200, r.code)
	var one struct {
		ScenarioLog map[string]any `json:"scenarioLog"`
	}
	r.json(t, &one)
	assert.Equal(t, id, one.ScenarioLog["id"])
	r = get(t, srv.URL+"/make/api/v2/scenarios/1229/executions/"+id, makeAuth...)
	require.Equal(t, 200, r.code)
	var det map[string]any
	r.json(t, &det)
	assert.Contains(t, []any{"SUCCESS", "WARNING", "ERROR"}, det["status"])
	if det["status"] != "SUCCESS" {
		assert.Contains(t, det, "error")
	}
	assert.Equal(t, 404, get(t, base+"/ffff", makeAuth...).code)

	// Auth.
	assert.Equal(t, 401, get(t, base).code)
	assert.Equal(t, 401, get(t, base, "Authorization", "Bearer demo-make-key").code)
}

func TestMakeExclusiveWindow(t *testing.T) {
	o := quietOpts()
	o.ExclusiveFilters = true
	s, srv := newSim(t, o)
	t0 := time.UnixMilli(1_632_371_744_497)
	for i := 0; i < 5; i++ {
		s.AddRecords(APIMakeScenarioLogs, "5", 1, t0.Add(time.Duration(i)*time.Millisecond))
	}
	r := get(t, fmt.Sprintf("%s/make/api/v2/scenarios/5/logs?from=%d&to=%d", srv.URL, t0.UnixMilli()+1, t0.UnixMilli()+3), makeAuth...)
	var p makeScenarioPage
	r.json(t, &p)
	assert.Len(t, p.ScenarioLogs, 1)
}

func TestMakeModulesScenariosAudit(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	s.AddRecords(APIMakeModuleLogs, "1229/7", 3, time.Now())
	r := get(t, srv.URL+"/make/api/v2/scenarios/1229/modules/7/logs?pg%5Blimit%5D=2", makeAuth...)
	require.Equal(t, 200, r.code)
	var mp struct {
		ModuleLogs []map[string]any `json:"moduleLogs"`
		Pg         map[string]any   `json:"pg"`
	}
	r.json(t, &mp)
	require.Len(t, mp.ModuleLogs, 2)
	for _, k := range []string{"imtId", "executionId", "organizationId", "teamId", "scenarioId", "timestamp", "status", "bundles", "size"} {
		assert.Contains(t, mp.ModuleLogs[0], k)
	}
	assert.InDelta(t, float64(1229), mp.ModuleLogs[0]["scenarioId"], 0)

	r = get(t, srv.URL+"/make/api/v2/scenarios?teamId=4", makeAuth...)
	require.Equal(t, 200, r.code)
	var sp struct {
		Scenarios []map[string]any `json:"scenarios"`
	}
	r.json(t, &sp)
	require.Len(t, sp.Scenarios, 3)
	assert.InDelta(t, float64(4001), sp.Scenarios[0]["id"], 0)
	assert.InDelta(t, float64(4), sp.Scenarios[0]["teamId"], 0)
	assert.Equal(t, 400, get(t, srv.URL+"/make/api/v2/scenarios", makeAuth...).code)

	t0 := time.Date(2024, 4, 19, 12, 0, 0, 0, time.UTC)
	for i := 0; i < 4; i++ {
		s.AddRecords(APIMakeAuditLogs, "3", 1, t0.Add(time.Duration(i)*time.Minute))
	}
	r = get(t, srv.URL+"/make/api/v2/audit-logs/organization/3?dateFrom=2024-04-19T12:01:00.000Z&dateTo=2024-04-19T12:02:00.000Z", makeAuth...)
	require.Equal(t, 200, r.code, string(r.body))
	var ap struct {
		AuditLogs []map[string]any `json:"auditLogs"`
		Pg        map[string]any   `json:"pg"`
	}
	r.json(t, &ap)
	require.Len(t, ap.AuditLogs, 2)
	assert.Equal(t, "2024-04-19T12:02:00.000Z", ap.AuditLogs[0]["triggeredAt"], "triggeredAt desc")
	for _, k := range []string{"uuid", "imtId", "createdAt", "triggeredAt", "organizationId", "organization", "eventName", "team", "actor", "targetId"} {
		assert.Contains(t, ap.AuditLogs[0], k)
	}
	assert.InDelta(t, float64(3), ap.AuditLogs[0]["organizationId"], 0)
	r = get(t, srv.URL+"/make/api/v2/audit-logs/organization/3?pg%5BsortDir%5D=asc", makeAuth...)
	r.json(t, &ap)
	assert.Equal(t, "2024-04-19T12:00:00.000Z", ap.AuditLogs[0]["triggeredAt"])
}
