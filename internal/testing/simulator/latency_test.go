package simulator

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLatency(t *testing.T) {
	const lat = 300 * time.Millisecond
	o := quietOpts()
	o.Latency = lat
	_, srv := newSim(t, o)
	for _, c := range []struct {
		method, path, body string
		hdr                []string
	}{
		{"GET", "/tines/api/v1/audit_logs", "", tinesAuth},
		{"GET", "/make/api/v2/scenarios?teamId=1", "", makeAuth},
		{
			"POST", "/logto/oidc/token", "grant_type=client_credentials&resource=https%3A%2F%2Fdefault.logto.app%2Fapi&scope=all",
			[]string{"Content-Type", "application/x-www-form-urlencoded", "Authorization", "Basic ZGVtby1sb2d0by1hcHA6ZGVtby1sb2d0by1zZWNyZXQ="},
		},
		{"GET", "/tines/api/v1/audit_logs", "", nil}, // a 401 waits too
	} {
		start := time.Now()
		r := do(t, c.method, srv.URL+c.path, c.body, c.hdr...)
		assert.GreaterOrEqual(t, time.Since(start), lat, c.path)
		assert.NotZero(t, r.code)
	}
}

// With an hour of latency the control API still answers, and a client giving
// up ends the wait instead of leaving the handler behind.
func TestLatencySparesControlAPIAndEndsWithClient(t *testing.T) {
	o := quietOpts()
	o.Latency = time.Hour
	s, srv := newSim(t, o)
	cl := &http.Client{Timeout: 10 * time.Second}
	res, err := cl.Get(srv.URL + "/_sim/stats")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 200, res.StatusCode)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/tines/api/v1/audit_logs", http.NoBody)
	require.NoError(t, err)
	req.Header.Set(tinesAuth[0], tinesAuth[1])
	_, err = cl.Do(req)
	require.Error(t, err)
	// The request was counted on arrival even though it was never answered.
	assert.Equal(t, int64(1), s.StreamRequests(APITinesAuditLogs)[""].List)

	// Off (the default): the same request is answered within the client's patience.
	s0, srv0 := newSim(t, quietOpts())
	assert.Zero(t, s0.Options().Latency)
	req, err = http.NewRequest(http.MethodGet, srv0.URL+"/tines/api/v1/audit_logs", http.NoBody)
	require.NoError(t, err)
	req.Header.Set(tinesAuth[0], tinesAuth[1])
	res, err = cl.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 200, res.StatusCode)
}
