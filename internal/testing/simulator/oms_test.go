package simulator

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type omsPage struct {
	Count    int              `json:"count"`
	Next     *string          `json:"next"`
	Previous *string          `json:"previous"`
	Results  []map[string]any `json:"results"`
}

func TestOMSDRFPaging(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	s.AddRecords(APIOMSActionLogs, "", 45, time.Date(2023, 12, 1, 8, 25, 56, 88353000, time.UTC))
	next := srv.URL + "/oms/api/v1/oms/logs/action_log/"
	var ids []float64
	var pages []omsPage
	for next != "" {
		r := get(t, next, omsAuth...)
		require.Equal(t, 200, r.code, string(r.body))
		var p omsPage
		r.json(t, &p)
		pages = append(pages, p)
		assert.Equal(t, 45, p.Count)
		for _, row := range p.Results {
			ids = append(ids, row["id"].(float64))
			assert.Equal(t, "2023-12-01T08:25:56.088353Z", row["created_at"])
			for _, k := range []string{"level", "logger_name", "message", "app_name", "trace"} {
				assert.Contains(t, row, k)
			}
		}
		next = ""
		if p.Next != nil {
			next = *p.Next
		}
	}
	require.Len(t, pages, 3)
	require.Len(t, ids, 45)
	for i := 1; i < len(ids); i++ {
		assert.Greater(t, ids[i-1], ids[i], "newest id first")
	}
	assert.Nil(t, pages[0].Previous)
	require.NotNil(t, pages[1].Previous)
	u, _ := url.Parse(*pages[1].Previous)
	assert.Empty(t, u.Query().Get("page"), "DRF drops page=1")
	assert.Equal(t, "/oms/api/v1/oms/logs/action_log/", u.Path)

	r := get(t, srv.URL+"/oms/api/v1/oms/logs/action_log/?page=4", omsAuth...)
	assert.Equal(t, 404, r.code)
	assert.JSONEq(t, `{"detail":"Invalid page."}`, string(r.body))

	// page_size honored, next keeps it.
	r = get(t, srv.URL+"/oms/api/v1/oms/logs/action_log/?page_size=10", omsAuth...)
	var p omsPage
	r.json(t, &p)
	assert.Len(t, p.Results, 10)
	assert.Contains(t, *p.Next, "page_size=10")

	// Detail, Bearer accepted, auth failures.
	assert.Equal(t, 200, get(t, srv.URL+"/oms/api/v1/oms/logs/action_log/1/", "Authorization", "Bearer demo-oms-key").code)
	assert.Equal(t, 404, get(t, srv.URL+"/oms/api/v1/oms/logs/action_log/999/", omsAuth...).code)
	r = get(t, srv.URL+"/oms/api/v1/oms/logs/action_log/")
	assert.Equal(t, 401, r.code)
	assert.Contains(t, string(r.body), "Authentication credentials were not provided.")
	assert.Equal(t, 401, get(t, srv.URL+"/oms/api/v1/oms/logs/action_log/", "Authorization", "Token nope").code)
}

func TestOMSIgnorePageSize(t *testing.T) {
	o := quietOpts()
	o.OMSIgnorePageSize = true
	s, srv := newSim(t, o)
	s.AddRecords(APIOMSActionLogs, "", 30, time.Now())
	r := get(t, srv.URL+"/oms/api/v1/oms/logs/action_log/?page_size=100", omsAuth...)
	var p omsPage
	r.json(t, &p)
	assert.Len(t, p.Results, 20)
	// An empty first page is fine in DRF.
	_, srv2 := newSim(t, quietOpts())
	r = get(t, srv2.URL+"/oms/api/v1/oms/logs/action_log/", omsAuth...)
	assert.Equal(t, 200, r.code)
	assert.JSONEq(t, `{"count":0,"next":null,"previous":null,"results":[]}`, string(r.body))
}
