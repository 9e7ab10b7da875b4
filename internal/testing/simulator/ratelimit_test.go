package simulator

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func rateHeaders(t *testing.T, r resp) (limit, remaining, reset int) {
	t.Helper()
	var err error
	limit, err = strconv.Atoi(r.header.Get("X-RateLimit-Limit"))
	require.NoError(t, err)
	remaining, err = strconv.Atoi(r.header.Get("X-RateLimit-Remaining"))
	require.NoError(t, err)
	reset, err = strconv.Atoi(r.header.Get("X-RateLimit-Reset"))
	require.NoError(t, err)
	return limit, remaining, reset
}

func TestRateLimitHeaders(t *testing.T) {
	o := quietOpts()
	o.RateLimitHeaders = true
	o.RatePerMinute = map[string]int{"tines": 3, "make": 10, APIMakeAuditLogs: 2}
	_, srv := newSim(t, o)
	u := srv.URL + "/tines/api/v1/audit_logs"
	for want := 2; want >= 0; want-- {
		r := get(t, u, tinesAuth...)
		require.Equal(t, 200, r.code)
		limit, remaining, reset := rateHeaders(t, r)
		assert.Equal(t, 3, limit)
		assert.Equal(t, want, remaining, "counts down")
		assert.True(t, reset >= 1 && reset <= 60, reset)
	}
	r := get(t, u, tinesAuth...)
	require.Equal(t, 429, r.code)
	limit, remaining, reset := rateHeaders(t, r)
	assert.Equal(t, []int{3, 0}, []int{limit, remaining})
	assert.True(t, reset >= 1 && reset <= 60, reset)
	assert.NotEmpty(t, r.header.Get("Retry-After"))

	// The tightest budget is advertised: the audit-log budget, not the vendor's.
	r = get(t, srv.URL+"/make/api/v2/audit-logs/organization/1", makeAuth...)
	limit, remaining, _ = rateHeaders(t, r)
	assert.Equal(t, []int{2, 1}, []int{limit, remaining})
	r = get(t, srv.URL+"/make/api/v2/scenarios/1/logs", makeAuth...)
	limit, remaining, _ = rateHeaders(t, r)
	assert.Equal(t, []int{10, 8}, []int{limit, remaining}, "the vendor budget counts every Make request")

	// An API without a budget carries no headers.
	tok := logtoToken(t, srv.URL)
	r = get(t, srv.URL+"/logto/api/logs", "Authorization", "Bearer "+tok)
	assert.Equal(t, 200, r.code)
	assert.Empty(t, r.header.Get("X-RateLimit-Limit"))
}

func TestRateLimitHeadersOff(t *testing.T) {
	o := quietOpts()
	o.RatePerMinute = map[string]int{"tines": 1}
	_, srv := newSim(t, o)
	u := srv.URL + "/tines/api/v1/audit_logs"
	r := get(t, u, tinesAuth...)
	assert.Equal(t, 200, r.code)
	assert.Empty(t, r.header.Get("X-RateLimit-Remaining"))
	r = get(t, u, tinesAuth...)
	assert.Equal(t, 429, r.code)
	assert.NotEmpty(t, r.header.Get("Retry-After"))
	assert.Empty(t, r.header.Get("X-RateLimit-Remaining"))
}
