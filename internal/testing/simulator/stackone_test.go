package simulator

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type stackOnePage struct {
	Data  []map[string]any `json:"data"`
	Query struct {
		Page     int `json:"page"`
		PageSize int `json:"page_size"`
	} `json:"query"`
	Total int `json:"total"`
}

func TestStackOneListOrderPagingFilters(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 30; i++ {
		s.AddRecords(APIStackOneActionLogs, "", 1, t0.Add(time.Duration(i)*time.Second))
	}
	body := func(extra string, page, size int) string {
		return fmt.Sprintf(`{"filters":{"start_time":"2025-01-01T00:00:05.000Z","end_time":"2025-01-01T00:00:24.000Z","order_by":"event_time","order_direction":"asc"%s},"page":%d,"page_size":%d}`, extra, page, size)
	}
	var seen []string
	for page := 1; page <= 3; page++ {
		r := do(t, "POST", srv.URL+"/stackone/logs/actions", body("", page, 8), stackAuth...)
		require.Equal(t, 200, r.code, string(r.body))
		var p stackOnePage
		r.json(t, &p)
		assert.Equal(t, 20, p.Total, "inclusive window 5..24")
		assert.Equal(t, page, p.Query.Page)
		assert.Equal(t, 8, p.Query.PageSize)
		for _, d := range p.Data {
			seen = append(seen, d["event_time"].(string))
		}
	}
	require.Len(t, seen, 20)
	assert.Equal(t, "2025-01-01T00:00:05.000Z", seen[0])
	assert.Equal(t, "2025-01-01T00:00:24.000Z", seen[19])
	for i := 1; i < len(seen); i++ {
		assert.Less(t, seen[i-1], seen[i])
	}

	// All seed-001 fields are present.
	r := do(t, "POST", srv.URL+"/stackone/logs/actions", `{"page":1,"page_size":1}`, stackAuth...)
	var p stackOnePage
	r.json(t, &p)
	require.Len(t, p.Data, 1)
	for _, k := range []string{
		"log_id", "log_type", "action_run_id", "event_time", "start_time", "end_time", "duration_ms", "project_id",
		"account_id", "success", "status_code", "connector_key", "connector_version", "connector_owner", "mode", "http_method", "url",
		"source_type", "source_id", "source_value", "auth_type", "auth_id", "user_agent", "ip_address", "session_id", "agent_id",
		"transport_type", "stream_type", "is_background", "origin_owner_id", "origin_owner_name", "action_id", "connector_profile_id",
		"action_type", "category", "risk_level", "tier2_score",
	} {
		assert.Contains(t, p.Data[0], k)
	}
	assert.Equal(t, "2025-01-01T00:00:29.000Z", p.Data[0]["event_time"], "default: newest first")

	// GET by action run id.
	id := p.Data[0]["action_run_id"].(string)
	g := get(t, srv.URL+"/stackone/logs/actions/"+id, stackAuth...)
	require.Equal(t, 200, g.code)
	var one map[string]any
	g.json(t, &one)
	assert.Equal(t, id, one["log_id"])
	assert.Equal(t, 404, get(t, srv.URL+"/stackone/logs/actions/nope", stackAuth...).code)

	// success filter.
	r = do(t, "POST", srv.URL+"/stackone/logs/actions", `{"filters":{"success":false},"page":1,"page_size":100}`, stackAuth...)
	r.json(t, &p)
	for _, d := range p.Data {
		assert.Equal(t, false, d["success"])
		assert.GreaterOrEqual(t, d["status_code"], float64(400))
	}

	// Validation and auth.
	assert.Equal(t, 400, do(t, "POST", srv.URL+"/stackone/logs/actions", `{"page":1,"page_size":101}`, stackAuth...).code)
	assert.Equal(t, 400, do(t, "POST", srv.URL+"/stackone/logs/actions", `{"filters":{"order_by":"nope"}}`, stackAuth...).code)
	assert.Equal(t, 401, do(t, "POST", srv.URL+"/stackone/logs/actions", `{}`).code)
	assert.Equal(t, 401, do(t, "POST", srv.URL+"/stackone/logs/actions", `{}`, "Authorization", "Basic d3Jvbmc6").code)
	assert.Equal(t, 200, do(t, "POST", srv.URL+"/stackone/logs/actions", `{}`, "Authorization", "Basic ZGVtby1zdGFja29uZS1rZXk=").code, "bare key form")
}

func TestStackOneExclusiveWindow(t *testing.T) {
	o := quietOpts()
	o.ExclusiveFilters = true
	s, srv := newSim(t, o)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 5; i++ {
		s.AddRecords(APIStackOneActionLogs, "", 1, t0.Add(time.Duration(i)*time.Millisecond))
	}
	r := do(t, "POST", srv.URL+"/stackone/logs/actions", `{"filters":{"start_time":"2025-01-01T00:00:00.001Z","end_time":"2025-01-01T00:00:00.003Z"}}`, stackAuth...)
	var p stackOnePage
	r.json(t, &p)
	assert.Equal(t, 1, p.Total)
}
