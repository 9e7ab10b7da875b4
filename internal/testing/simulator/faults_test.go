package simulator

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultKinds(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	s.AddRecords(APIOMSActionLogs, "", 30, time.Now())
	u := srv.URL + "/oms/api/v1/oms/logs/action_log/"

	require.NoError(t, s.SetFault(Fault{Kind: Fault429Seconds, Count: 1, RetryAfter: 3 * time.Second}))
	r := get(t, u, omsAuth...)
	assert.Equal(t, 429, r.code)
	assert.Equal(t, "3", r.header.Get("Retry-After"))
	assert.Equal(t, 200, get(t, u, omsAuth...).code, "count exhausted")

	require.NoError(t, s.SetFault(Fault{Kind: Fault429Date, Count: 1, RetryAfter: 2 * time.Second}))
	r = get(t, u, omsAuth...)
	assert.Equal(t, 429, r.code)
	at, err := http.ParseTime(r.header.Get("Retry-After"))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now().Add(2*time.Second), at, 2*time.Second)

	require.NoError(t, s.SetFault(Fault{Kind: Fault429RateLimit, Count: 1}))
	r = get(t, u, omsAuth...)
	assert.Equal(t, 429, r.code)
	assert.Equal(t, "0", r.header.Get("X-RateLimit-Remaining"))
	reset, err := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
	require.NoError(t, err)
	assert.InDelta(t, time.Now().Unix()+1, reset, 2)

	for _, k := range []string{Fault500, Fault502, Fault503} {
		require.NoError(t, s.SetFault(Fault{Kind: k, Count: 1}))
		assert.Equal(t, k, strconv.Itoa(get(t, u, omsAuth...).code))
	}

	require.NoError(t, s.SetFault(Fault{Kind: FaultHTML, Count: 1}))
	r = get(t, u, omsAuth...)
	assert.Equal(t, 200, r.code)
	assert.Contains(t, r.header.Get("Content-Type"), "text/html")
	assert.True(t, strings.HasPrefix(string(r.body), "<!DOCTYPE html>"))

	require.NoError(t, s.SetFault(Fault{Kind: FaultTruncated, Count: 1}))
	r = get(t, u, omsAuth...)
	assert.Equal(t, 200, r.code)
	var v any
	require.Error(t, json.Unmarshal(r.body, &v), "truncated JSON")
	assert.NotEmpty(t, r.body)

	require.NoError(t, s.SetFault(Fault{Kind: FaultSlow, Count: 1, Slow: 300 * time.Millisecond}))
	start := time.Now()
	assert.Equal(t, 200, get(t, u, omsAuth...).code)
	assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond)

	// API-scoped: a Tines fault does not touch OMS.
	require.NoError(t, s.SetFault(Fault{Kind: Fault500, API: APITinesAuditLogs}))
	assert.Equal(t, 200, get(t, u, omsAuth...).code)
	assert.Equal(t, 500, get(t, srv.URL+"/tines/api/v1/audit_logs", tinesAuth...).code)
	s.ClearFaults()
	assert.Equal(t, 200, get(t, srv.URL+"/tines/api/v1/audit_logs", tinesAuth...).code)

	st := s.Stats()
	assert.Equal(t, int64(1), st.Requests[APIOMSActionLogs]["500"])
	assert.Equal(t, int64(3), st.Requests[APIOMSActionLogs]["429"])
}

func TestFaultProbabilityIsDeterministic(t *testing.T) {
	run := func() []int {
		s, srv := newSim(t, quietOpts())
		require.NoError(t, s.SetFault(Fault{Kind: Fault503, Probability: 0.3}))
		var codes []int
		for i := 0; i < 40; i++ {
			codes = append(codes, get(t, srv.URL+"/tines/api/v1/audit_logs", tinesAuth...).code)
		}
		return codes
	}
	a, b := run(), run()
	assert.Equal(t, a, b)
	n := 0
	for _, c := range a {
		if c == 503 {
			n++
		}
	}
	assert.Greater(t, n, 3)
	assert.Less(t, n, 25)
}

func TestForeignNextFault(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	s.AddRecords(APITinesActionLogs, "1", 5, time.Now())
	require.NoError(t, s.SetFault(Fault{Kind: FaultForeignNext, Count: 1}))
	r := get(t, srv.URL+"/tines/api/v1/actions/1/logs?per_page=2", tinesAuth...)
	var p tinesActionPage
	r.json(t, &p)
	next := p.Meta.NextPage.(string)
	assert.True(t, strings.HasPrefix(next, s.ForeignURL()+"/tines/api/v1/actions/1/logs?"), next)
	// A careless client sends its key there; the foreign origin records it.
	fr := get(t, next, tinesAuth...)
	assert.Equal(t, 403, fr.code)
	get(t, next)
	st := s.Stats()
	assert.Equal(t, int64(2), st.ForeignRequests)
	assert.Equal(t, int64(1), st.ForeignRequestsWithAuth)
	// Count consumed: the next link is local again.
	r = get(t, srv.URL+"/tines/api/v1/actions/1/logs?per_page=2", tinesAuth...)
	r.json(t, &p)
	assert.True(t, strings.HasPrefix(p.Meta.NextPage.(string), srv.URL))

	// Logto Link and OMS next honor it too.
	require.NoError(t, s.SetFault(Fault{Kind: FaultForeignNext, Count: 1, API: APIOMSActionLogs}))
	s.AddRecords(APIOMSActionLogs, "", 25, time.Now())
	r = get(t, srv.URL+"/oms/api/v1/oms/logs/action_log/", omsAuth...)
	var op omsPage
	r.json(t, &op)
	assert.True(t, strings.HasPrefix(*op.Next, s.ForeignURL()))
}

func TestTokenExpiryFault(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	tok := logtoToken(t, srv.URL)
	require.NoError(t, s.SetFault(Fault{Kind: FaultTokenExpiry, Count: 1}))
	assert.Equal(t, 401, get(t, srv.URL+"/logto/api/logs", "Authorization", "Bearer "+tok).code)
	assert.Equal(t, 401, get(t, srv.URL+"/logto/api/logs", "Authorization", "Bearer "+tok).code, "the expired token stays rejected")
	tok = logtoToken(t, srv.URL)
	assert.Equal(t, 200, get(t, srv.URL+"/logto/api/logs", "Authorization", "Bearer "+tok).code)
}

func TestRateLimit(t *testing.T) {
	o := quietOpts()
	o.RatePerMinute = map[string]int{"make": 3}
	_, srv := newSim(t, o)
	u := srv.URL + "/make/api/v2/scenarios/1/logs"
	for i := 0; i < 3; i++ {
		assert.Equal(t, 200, get(t, u, makeAuth...).code)
	}
	r := get(t, u, makeAuth...)
	assert.Equal(t, 429, r.code)
	ra, err := strconv.Atoi(r.header.Get("Retry-After"))
	require.NoError(t, err)
	assert.True(t, ra >= 1 && ra <= 60)
	assert.Equal(t, 200, get(t, srv.URL+"/tines/api/v1/audit_logs", tinesAuth...).code, "other vendors unaffected")
}
