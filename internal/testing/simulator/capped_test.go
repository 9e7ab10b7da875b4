package simulator

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A capping server cuts every list page at CapPageSize, counts pages at the
// size it applied, keeps its own signals truthful and echoes the applied
// size, or with CapEchoRequested the requested one.
func TestCapPageSize(t *testing.T) {
	for _, echoRequested := range []bool{false, true} {
		t.Run(fmt.Sprintf("echo_requested=%v", echoRequested), func(t *testing.T) {
			o := quietOpts()
			o.CapPageSize, o.CapEchoRequested = 4, echoRequested
			s, srv := newSim(t, o)
			t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range 10 {
				for _, api := range []string{APITinesActionLogs, APIStackOneActionLogs, APILogtoLogs, APIOMSActionLogs, APIMakeScenarioLogs} {
					stream := map[string]string{APITinesActionLogs: "5", APIMakeScenarioLogs: "7001"}[api]
					s.AddRecords(api, stream, 1, t0.Add(time.Duration(i)*time.Second))
				}
			}
			echo := 4
			if echoRequested {
				echo = 10
			}

			var tines struct {
				Logs []map[string]any `json:"action_logs"`
				Meta struct {
					NextPage *string `json:"next_page"`
					PerPage  int     `json:"per_page"`
					Count    int     `json:"count"`
				} `json:"meta"`
			}
			var ids []any
			for page := 1; page <= 3; page++ {
				get(t, fmt.Sprintf("%s/tines/api/v1/actions/5/logs?per_page=10&page=%d", srv.URL, page), tinesAuth...).json(t, &tines)
				assert.Equal(t, echo, tines.Meta.PerPage)
				assert.Equal(t, page < 3, tines.Meta.NextPage != nil, "next_page of page %d", page)
				for _, l := range tines.Logs {
					ids = append(ids, l["id"])
				}
			}
			assert.Len(t, ids, 10, "pages 1..3 of 4, 4 and 2 records")
			assert.Len(t, uniq(ids), 10, "capped pages do not overlap")

			var so stackOnePage
			r := do(t, http.MethodPost, srv.URL+"/stackone/logs/actions", `{"filters":{"order_by":"event_time","order_direction":"asc"},"page":2,"page_size":10}`, stackAuth...)
			r.json(t, &so)
			assert.Len(t, so.Data, 4)
			assert.Equal(t, echo, so.Query.PageSize)
			assert.Equal(t, 10, so.Total)
			assert.Equal(t, "2025-01-01T00:00:04.000Z", so.Data[0]["event_time"], "page 2 starts after the capped page 1")

			tok := logtoToken(t, srv.URL)
			r = get(t, srv.URL+"/logto/api/logs?page=3&page_size=10", "Authorization", "Bearer "+tok)
			var logto []map[string]any
			r.json(t, &logto)
			assert.Len(t, logto, 2)
			assert.Equal(t, "10", r.header.Get("Total-Number"))
			assert.NotContains(t, r.header.Get("Link"), `rel="next"`)

			var oms struct {
				Next    *string          `json:"next"`
				Results []map[string]any `json:"results"`
			}
			get(t, srv.URL+"/oms/api/v1/oms/logs/action_log/?page=2&page_size=10", omsAuth...).json(t, &oms)
			assert.Len(t, oms.Results, 4)
			require.NotNil(t, oms.Next, "DRF links the third page")

			var mk struct {
				Logs []map[string]any `json:"scenarioLogs"`
				Pg   struct {
					Limit int `json:"limit"`
				} `json:"pg"`
			}
			get(t, srv.URL+"/make/api/v2/scenarios/7001/logs?pg[offset]=8&pg[limit]=10", makeAuth...).json(t, &mk)
			assert.Len(t, mk.Logs, 2)
			assert.Equal(t, echo, mk.Pg.Limit)
			// 3 Tines, 1 StackOne, Logto, OMS and Make requests, all asking for 10.
			assert.Equal(t, int64(7), s.Stats().Modes.CappedRequests)
		})
	}
}

// A stream listed in OutOfOrder serves its pages reversed; other streams
// keep their order.
func TestOutOfOrder(t *testing.T) {
	o := quietOpts()
	o.OutOfOrder = []string{APITinesActionLogs + "/5"}
	s, srv := newSim(t, o)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3 {
		s.AddRecords(APITinesActionLogs, "5", 1, t0.Add(time.Duration(i)*time.Minute))
		s.AddRecords(APITinesActionLogs, "6", 1, t0.Add(time.Duration(i)*time.Minute))
	}
	times := func(action string) []any {
		var p struct {
			Logs []map[string]any `json:"action_logs"`
		}
		get(t, srv.URL+"/tines/api/v1/actions/"+action+"/logs", tinesAuth...).json(t, &p)
		var out []any
		for _, l := range p.Logs {
			out = append(out, l["created_at"])
		}
		return out
	}
	assert.Equal(t, []any{"2025-01-01T00:00:00Z", "2025-01-01T00:01:00Z", "2025-01-01T00:02:00Z"}, times("5"))
	assert.Equal(t, []any{"2025-01-01T00:02:00Z", "2025-01-01T00:01:00Z", "2025-01-01T00:00:00Z"}, times("6"))
}

func uniq(v []any) map[any]bool {
	out := map[any]bool{}
	for _, x := range v {
		out[x] = true
	}
	return out
}
