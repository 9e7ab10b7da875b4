package simulator

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStreamRequests(t *testing.T) {
	o := quietOpts()
	o.RatePerMinute = map[string]int{APIMakeAuditLogs: 2}
	s, srv := newSim(t, o)
	s.AddRecords(APITinesActionLogs, "11", 1, time.Now())
	s.AddRecords(APIMakeScenarioLogs, "7", 1, time.Now())
	mk := srv.URL + "/make/api/v2"

	for i := 0; i < 3; i++ {
		get(t, srv.URL+"/tines/api/v1/actions/11/logs", tinesAuth...)
	}
	get(t, srv.URL+"/tines/api/v1/actions/12/logs", tinesAuth...)
	get(t, srv.URL+"/tines/api/v1/actions/12/logs") // 401 still counts
	get(t, srv.URL+"/tines/api/v1/audit_logs", tinesAuth...)

	eid := s.Records(APIMakeScenarioLogs)[0].ID
	get(t, mk+"/scenarios/7/logs", makeAuth...)
	get(t, mk+"/scenarios/7/logs/"+eid, makeAuth...)
	get(t, mk+"/scenarios/7/executions/"+eid, makeAuth...)
	get(t, mk+"/scenarios/7/modules/3/logs", makeAuth...)
	get(t, mk+"/scenarios?teamId=1", makeAuth...)
	codes := []int{}
	for i := 0; i < 3; i++ {
		codes = append(codes, get(t, mk+"/audit-logs/organization/5", makeAuth...).code)
	}
	assert.Equal(t, []int{200, 200, 429}, codes)

	tok := logtoToken(t, srv.URL)
	get(t, srv.URL+"/logto/api/logs", "Authorization", "Bearer "+tok)
	get(t, srv.URL+"/_sim/stats") // the control API is not counted

	assert.Equal(t, map[string]RequestCounts{"11": {List: 3}, "12": {List: 2}}, s.StreamRequests(APITinesActionLogs))
	assert.Equal(t, map[string]RequestCounts{"": {List: 1}}, s.StreamRequests(APITinesAuditLogs))
	assert.Equal(t, map[string]RequestCounts{"7": {List: 1, Detail: 2}}, s.StreamRequests(APIMakeScenarioLogs))
	assert.Equal(t, map[string]RequestCounts{"7/3": {List: 1}}, s.StreamRequests(APIMakeModuleLogs))
	assert.Equal(t, map[string]RequestCounts{"5": {List: 3, Throttled: 1}}, s.StreamRequests(APIMakeAuditLogs))
	assert.Equal(t, map[string]RequestCounts{"": {Other: 1}}, s.StreamRequests("make_scenarios"))
	assert.Equal(t, map[string]RequestCounts{"": {Other: 1}}, s.StreamRequests("logto_token"))
	assert.Equal(t, map[string]RequestCounts{"": {List: 1}}, s.StreamRequests(APILogtoLogs))
	assert.Empty(t, s.StreamRequests(APIOMSActionLogs))

	times := s.ListRequestTimes(APITinesActionLogs, "11")
	require.Len(t, times, 3)
	assert.True(t, !times[1].Before(times[0]) && !times[2].Before(times[1]), "in arrival order")
	assert.Len(t, s.ListRequestTimes(APIMakeAuditLogs, "5"), 3, "throttled list requests have times too")
	assert.Empty(t, s.ListRequestTimes(APIMakeScenarioLogs, "8"))

	// The same counts over the control API.
	var st Stats
	get(t, srv.URL+"/_sim/stats").json(t, &st)
	assert.Equal(t, RequestCounts{List: 3, Throttled: 1}, st.StreamRequests[APIMakeAuditLogs]["5"])
	assert.Equal(t, RequestCounts{List: 1, Detail: 2}, st.StreamRequests[APIMakeScenarioLogs]["7"])
	var raw map[string]any
	get(t, srv.URL+"/_sim/stats").json(t, &raw)
	assert.Equal(t, map[string]any{"list": float64(3), "detail": float64(0), "other": float64(0), "throttled": float64(1)},
		raw["stream_requests"].(map[string]any)[APIMakeAuditLogs].(map[string]any)["5"])
}

// Injected 429 faults are throttled answers too; other faults count as plain requests.
func TestStreamRequestsCountFaults(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	require.NoError(t, s.SetFault(Fault{Kind: Fault429Seconds, Count: 1, API: APIMakeScenarioLogs}))
	require.NoError(t, s.SetFault(Fault{Kind: Fault500, Count: 1, API: APIMakeScenarioLogs}))
	u := srv.URL + "/make/api/v2/scenarios/0042/logs?" + url.Values{"pg[limit]": {"5"}}.Encode()
	assert.Equal(t, 429, get(t, u, makeAuth...).code)
	assert.Equal(t, 500, get(t, u, makeAuth...).code)
	assert.Equal(t, 200, get(t, u, makeAuth...).code)
	assert.Equal(t, map[string]RequestCounts{"42": {List: 3, Throttled: 1}}, s.StreamRequests(APIMakeScenarioLogs),
		"stream named like AddRecords names it")
}

// RequestTimes has every kind of request of a stream, throttled ones too,
// so a test can check a budget over any window.
func TestRequestTimes(t *testing.T) {
	o := quietOpts()
	o.RatePerMinute = map[string]int{"make": 5}
	s, srv := newSim(t, o)
	s.AddRecords(APIMakeScenarioLogs, "7", 1, time.Now())
	eid := s.Records(APIMakeScenarioLogs)[0].ID
	mk := srv.URL + "/make/api/v2"

	before := time.Now()
	codes := []int{
		get(t, mk+"/scenarios/7/logs", makeAuth...).code,
		get(t, mk+"/scenarios/7/executions/"+eid, makeAuth...).code,
		get(t, mk+"/scenarios/7/logs/"+eid, makeAuth...).code,
		get(t, mk+"/scenarios?teamId=1", makeAuth...).code,
		get(t, mk+"/scenarios/7/modules/3/logs", makeAuth...).code,
		get(t, mk+"/scenarios/7/logs", makeAuth...).code, // the sixth Make request: over budget
	}
	after := time.Now()
	assert.Equal(t, []int{200, 200, 200, 200, 200, 429}, codes)

	all := s.RequestTimes(APIMakeScenarioLogs, "7")
	require.Len(t, all, 4, "two list, two detail requests of scenario 7")
	for i, at := range all {
		assert.WithinRange(t, at, before, after)
		if i > 0 {
			assert.False(t, at.Before(all[i-1]), "in arrival order")
		}
	}
	list := s.ListRequestTimes(APIMakeScenarioLogs, "7")
	require.Len(t, list, 2)
	assert.Equal(t, all[0], list[0], "the same arrival time as ListRequestTimes")
	assert.Equal(t, all[3], list[1], "the throttled request has a time too")
	assert.Len(t, s.RequestTimes("make_scenarios", ""), 1, "discovery")
	assert.Len(t, s.RequestTimes(APIMakeModuleLogs, "7/3"), 1)
	assert.Empty(t, s.RequestTimes(APIMakeAuditLogs, "21"))

	tok := logtoToken(t, srv.URL)
	get(t, srv.URL+"/logto/api/logs", "Authorization", "Bearer "+tok)
	assert.Len(t, s.RequestTimes("logto_token", ""), 1, "token requests")
	assert.Len(t, s.RequestTimes(APILogtoLogs, ""), 1)
}
