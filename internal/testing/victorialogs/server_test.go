package victorialogs

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/serverproc"
)

// fakeServer answers like VictoriaLogs: JSON lines for a query, a metrics page, force_flush.
func fakeServer(t *testing.T) (*Server, *[]string) {
	t.Helper()
	var queries []string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /select/logsql/query", func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.FormValue("query"))
		if r.FormValue("query") == "bad" {
			http.Error(w, "cannot parse query", http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"api_logs.api":"oms_action_logs","rows":"2"}` + "\n\n" + `{"api_logs.api":"logto_logs","rows":"1"}` + "\n"))
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("vl_rows_ingested_total{type=\"jsonline\"} 5\nvl_rows_ingested_total{type=\"opentelemetry_protobuf\"} 429\n"))
	})
	mux.HandleFunc("GET /internal/force_flush", func(http.ResponseWriter, *http.Request) {})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &Server{serverproc.Attach(srv.URL, srv.Client())}, &queries
}

func TestQueryMetricFlush(t *testing.T) {
	s, queries := fakeServer(t)
	ctx := context.Background()
	rows, err := s.Query(ctx, `* | stats by (api_logs.api) count() rows`)
	require.NoError(t, err)
	assert.Equal(t, []Row{{"api_logs.api": "oms_action_logs", "rows": "2"}, {"api_logs.api": "logto_logs", "rows": "1"}}, rows)
	assert.Equal(t, []string{`* | stats by (api_logs.api) count() rows`}, *queries)

	_, err = s.Query(ctx, "bad")
	require.ErrorContains(t, err, `victoria-logs query "bad": 400 Bad Request: cannot parse query`)

	n, err := s.Metric(ctx, `vl_rows_ingested_total{type="opentelemetry_protobuf"}`)
	require.NoError(t, err)
	assert.InDelta(t, 429, n, 0)
	n, err = s.Metric(ctx, `vl_rows_dropped_total{reason="too_many_fields"}`)
	require.NoError(t, err)
	assert.Zero(t, n, "a sample not shown yet is 0")

	require.NoError(t, s.Flush(ctx))
	assert.Equal(t, s.URL()+"/insert/opentelemetry", s.OTLPEndpoint())
}

func TestVMUIURL(t *testing.T) {
	u := VMUIURL("http://127.0.0.1:9428", "*", "last_3_hours", "api_logs.api", []string{"_msg", "log.record.uid"}, 500)
	base, fragment, ok := strings.Cut(u, "#/?")
	require.True(t, ok, u)
	assert.Equal(t, "http://127.0.0.1:9428/select/vmui/", base)
	q, err := url.ParseQuery(fragment)
	require.NoError(t, err)
	assert.Equal(t, url.Values{
		"query": {"*"}, "g0.relative_time": {"last_3_hours"}, "groupBy": {"api_logs.api"},
		"displayFields": {"_msg,log.record.uid"}, "limit": {"500"},
	}, q)
}

func TestBinary(t *testing.T) {
	t.Setenv(EnvBinary, "")
	bin, err := Binary()
	require.NoError(t, err)
	assert.Empty(t, bin, "unset: no binary and no error, the tests skip")

	t.Setenv(EnvBinary, "/nonexistent/victoria-logs")
	_, err = Binary()
	require.ErrorContains(t, err, EnvBinary+"=/nonexistent/victoria-logs")
}
