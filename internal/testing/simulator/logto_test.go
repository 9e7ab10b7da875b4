package simulator

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type logtoRow struct {
	TenantID  string         `json:"tenantId"`
	ID        string         `json:"id"`
	Key       string         `json:"key"`
	Payload   map[string]any `json:"payload"`
	CreatedAt int64          `json:"createdAt"`
}

func TestLogtoTokenAndAuth(t *testing.T) {
	o := quietOpts()
	o.TokenTTL = 300 * time.Millisecond
	_, srv := newSim(t, o)
	// Body client auth works too.
	r := do(t, "POST", srv.URL+"/logto/oidc/token", "grant_type=client_credentials&client_id=demo-logto-app&client_secret=demo-logto-secret&resource=https%3A%2F%2Fdefault.logto.app%2Fapi&scope=all",
		"Content-Type", "application/x-www-form-urlencoded")
	require.Equal(t, 200, r.code, string(r.body))
	assert.Contains(t, string(r.body), `"expires_in":1`)
	// Wrong secret, wrong grant.
	assert.Equal(t, 401, do(t, "POST", srv.URL+"/logto/oidc/token", "grant_type=client_credentials&client_id=demo-logto-app&client_secret=x", "Content-Type", "application/x-www-form-urlencoded").code)
	assert.Equal(t, 400, do(t, "POST", srv.URL+"/logto/oidc/token", "grant_type=password&client_id=demo-logto-app&client_secret=demo-logto-secret", "Content-Type", "application/x-www-form-urlencoded").code)

	tok := logtoToken(t, srv.URL)
	assert.Equal(t, 200, get(t, srv.URL+"/logto/api/logs", "Authorization", "Bearer "+tok).code)
	assert.Equal(t, 401, get(t, srv.URL+"/logto/api/logs").code)
	assert.Equal(t, 401, get(t, srv.URL+"/logto/api/logs", "Authorization", "Bearer nope").code)
	time.Sleep(400 * time.Millisecond)
	r = get(t, srv.URL+"/logto/api/logs", "Authorization", "Bearer "+tok)
	assert.Equal(t, 401, r.code, "expired token")
	assert.Contains(t, string(r.body), "auth.unauthorized")
}

func TestLogtoPagingLinksAndValidation(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 45; i++ {
		s.AddRecords(APILogtoLogs, "", 1, t0.Add(time.Duration(i)*time.Millisecond))
	}
	auth := []string{"Authorization", "Bearer " + logtoToken(t, srv.URL)}
	r := get(t, srv.URL+"/logto/api/logs?page=2", auth...)
	require.Equal(t, 200, r.code)
	assert.Equal(t, "45", r.header.Get("Total-Number"))
	link := r.header.Get("Link")
	for _, rel := range []string{"first", "prev", "next", "last"} {
		assert.Contains(t, link, `rel="`+rel+`"`)
	}
	assert.Contains(t, link, "/logto/api/logs?page=3>; rel=\"next\"")
	assert.Contains(t, link, "/logto/api/logs?page=1>; rel=\"first\"")
	var rows []logtoRow
	r.json(t, &rows)
	require.Len(t, rows, 20)
	assert.Equal(t, t0.Add(24*time.Millisecond).UnixMilli(), rows[0].CreatedAt, "newest first")
	assert.Len(t, rows[0].ID, 21)
	assert.Contains(t, []any{"Success", "Error"}, rows[0].Payload["result"])

	r = get(t, srv.URL+"/logto/api/logs?page=3", auth...)
	assert.NotContains(t, r.header.Get("Link"), `rel="next"`)
	assert.Contains(t, r.header.Get("Link"), `rel="last"`)
	r = get(t, srv.URL+"/logto/api/logs?page=4", auth...)
	assert.Equal(t, "[]", string(r.body))

	r = get(t, srv.URL+"/logto/api/logs?page_size=101", auth...)
	assert.Equal(t, 400, r.code)
	assert.Contains(t, string(r.body), "guard.invalid_pagination")
	assert.Equal(t, 200, get(t, srv.URL+"/logto/api/logs?page_size=100", auth...).code)
	assert.Equal(t, 400, get(t, srv.URL+"/logto/api/logs?start_time=10&end_time=5", auth...).code)

	// Inclusive window [5ms, 9ms] -> 5 rows.
	q := fmt.Sprintf("start_time=%d&end_time=%d&page_size=100", t0.Add(5*time.Millisecond).UnixMilli(), t0.Add(9*time.Millisecond).UnixMilli())
	r = get(t, srv.URL+"/logto/api/logs?"+q, auth...)
	r.json(t, &rows)
	assert.Len(t, rows, 5)
	assert.Equal(t, "5", r.header.Get("Total-Number"))

	// logKey filter.
	key := rows[0].Key
	r = get(t, srv.URL+"/logto/api/logs?page_size=100&logKey="+key, auth...)
	r.json(t, &rows)
	for _, row := range rows {
		assert.Equal(t, key, row.Key)
	}
}

func TestLogtoPre140IgnoresWindow(t *testing.T) {
	o := quietOpts()
	o.LogtoPre140 = true
	s, srv := newSim(t, o)
	s.AddRecords(APILogtoLogs, "", 3, time.UnixMilli(1000))
	auth := []string{"Authorization", "Bearer " + logtoToken(t, srv.URL)}
	r := get(t, srv.URL+"/logto/api/logs?start_time=5000&end_time=6000", auth...)
	var rows []logtoRow
	r.json(t, &rows)
	assert.Len(t, rows, 3)
}

func TestLogtoTiesComeBackInRandomOrder(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	s.AddRecords(APILogtoLogs, "", 30, time.UnixMilli(1_700_000_000_000))
	auth := []string{"Authorization", "Bearer " + logtoToken(t, srv.URL)}
	orders := map[string]bool{}
	for i := 0; i < 5; i++ {
		r := get(t, srv.URL+"/logto/api/logs?page_size=100", auth...)
		var rows []logtoRow
		r.json(t, &rows)
		require.Len(t, rows, 30)
		ids := make([]string, len(rows))
		for j, row := range rows {
			ids[j] = row.ID
		}
		orders[strings.Join(ids, ",")] = true
	}
	assert.Greater(t, len(orders), 1, "equal createdAt must not have a stable order")
}

func TestLogtoEnableCap(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	s.AddRecords(APILogtoLogs, "", 10001, time.UnixMilli(1_700_000_000_000))
	auth := []string{"Authorization", "Bearer " + logtoToken(t, srv.URL)}
	r := get(t, srv.URL+"/logto/api/logs?enableCap=true&page_size=1", auth...)
	require.Equal(t, http.StatusOK, r.code)
	assert.Equal(t, "10001", r.header.Get("Total-Number"))
	assert.Equal(t, "true", r.header.Get("Total-Number-Is-Capped"))
	assert.NotContains(t, r.header.Get("Link"), `rel="next"`)
	assert.NotContains(t, r.header.Get("Link"), `rel="last"`)
}
