package simulator

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// quiet options: no history, no background creation, so tests control every record.
func quietOpts() Options { return Options{Seed: 42, InitialRecords: -1, Paused: true} }

func newSim(t *testing.T, o Options) (*Simulator, *httptest.Server) {
	t.Helper()
	s, err := New(o)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		srv.Close()
		require.NoError(t, s.Close())
	})
	return s, srv
}

type resp struct {
	code   int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), string(r.body))
}

func do(t *testing.T, method, url, body string, hdr ...string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return resp{code: res.StatusCode, header: res.Header, body: b}
}

func get(t *testing.T, url string, hdr ...string) resp { return do(t, http.MethodGet, url, "", hdr...) }

var (
	tinesAuth = []string{"Authorization", "Bearer demo-tines-key"}
	omsAuth   = []string{"Authorization", "Token demo-oms-key"}
	makeAuth  = []string{"Authorization", "Token demo-make-key"}
	stackAuth = []string{"Authorization", "Basic ZGVtby1zdGFja29uZS1rZXk6"} // base64("demo-stackone-key:")
)

func logtoToken(t *testing.T, base string) string {
	t.Helper()
	r := do(t, http.MethodPost, base+"/logto/oidc/token", "grant_type=client_credentials&resource=https%3A%2F%2Fdefault.logto.app%2Fapi&scope=all",
		"Content-Type", "application/x-www-form-urlencoded", "Authorization", "Basic ZGVtby1sb2d0by1hcHA6ZGVtby1sb2d0by1zZWNyZXQ=")
	require.Equal(t, 200, r.code, string(r.body))
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
		TokenType   string `json:"token_type"`
		Scope       string `json:"scope"`
	}
	r.json(t, &tok)
	require.Equal(t, "Bearer", tok.TokenType)
	require.Equal(t, "all", tok.Scope)
	require.NotEmpty(t, tok.AccessToken)
	return tok.AccessToken
}

func mustAtoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, c := range s {
		require.True(t, c >= '0' && c <= '9', s)
		n = n*10 + int64(c-'0')
	}
	return n
}
