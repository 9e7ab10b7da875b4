package apilogsreceiver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// A token endpoint that requires an audience: the receiver's
// endpoint_params reach it in the form, beside the grant's own parameters.
// It checks the form and passes the request on to the simulator's Logto
// token endpoint without the audience.
func TestEndpointParamsReachTheTokenEndpoint(t *testing.T) {
	sim := startSim(t, simulator.Options{Keys: simulator.Keys{LogtoClientSecret: logtoSecret}})
	var mu sync.Mutex
	var forms []url.Values
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.NoError(t, r.ParseForm())
		mu.Lock()
		forms = append(forms, r.PostForm)
		mu.Unlock()
		if r.PostForm.Get("audience") != "https://logs.example.com" {
			http.Error(w, `{"error":"access_denied"}`, http.StatusForbidden)
			return
		}
		form := url.Values{}
		for k, v := range r.PostForm {
			if k != "audience" {
				form[k] = v
			}
		}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, sim.URL()+"/logto/oidc/token", strings.NewReader(form.Encode()))
		if !assert.NoError(t, err) {
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", r.Header.Get("Authorization"))
		resp, err := http.DefaultClient.Do(req)
		if !assert.NoError(t, err) {
			return
		}
		defer resp.Body.Close()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)

	cfg := logtoConfig(sim, logtoSecret)
	cfg.TokenURL = proxy.URL + "/oauth/token"
	cfg.EndpointParams = map[string]string{"audience": "https://logs.example.com"}
	pollLogtoUntilAnswered(t, sim, nopSettings(), cfg)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, forms, 1, "one token for the whole run")
	assert.Equal(t, url.Values{
		"grant_type": {"client_credentials"},
		"resource":   {simulator.LogtoResource},
		"scope":      {"all"},
		"audience":   {"https://logs.example.com"},
	}, forms[0])
}

// The spec's auth.endpoint_params are the defaults; the receiver's
// endpoint_params add to and override them; reserved names are refused,
// naming the key.
func TestEndpointParamsResolve(t *testing.T) {
	spec, err := apispec.Builtin("logto_logs")
	require.NoError(t, err)
	spec.Auth.EndpointParams = map[string]string{"audience": "spec-aud", "tenant": "t1"}
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API, cfg.Custom, cfg.ClientConfig.Endpoint, cfg.ClientID, cfg.ClientSecret = apispec.Custom, spec, "https://auth.example.com/x", "id", "s"
	cfg.Resource = "https://api.example.com"
	cfg.EndpointParams = map[string]string{"audience": "cfg-aud"}
	r, err := cfg.resolve()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"audience": "cfg-aud", "tenant": "t1"}, r.endpointParams)
	assert.Equal(t, map[string]string{"audience": "spec-aud", "tenant": "t1"}, spec.Auth.EndpointParams, "the spec is not changed")

	cfg.EndpointParams = map[string]string{"client_secret": "x"}
	spec.Auth.EndpointParams = map[string]string{"grant_type": "password"}
	_, err = cfg.resolve()
	require.EqualError(t, err, `"custom.auth.endpoint_params": parameter "grant_type" is set by the grant or by its own key; it cannot be an extra parameter
`+`"endpoint_params": parameter "client_secret" is set by the grant or by its own key; it cannot be an extra parameter`)

	spec.Auth.EndpointParams = nil
	tines := tinesConfig(startSim(t, simulator.Options{}), "k")
	tines.EndpointParams = map[string]string{"audience": "a"}
	require.EqualError(t, tines.Validate(), `"endpoint_params" only applies to APIs with auth oauth2_client_credentials or oauth2_refresh_token; api tines_action_logs uses bearer`)
}

// pollLogtoUntilAnswered runs a receiver with cfg until the simulated Logto
// answered one list request with 200, then shuts it down: the token
// request the receiver made on the way is what the caller checks.
func pollLogtoUntilAnswered(t *testing.T, sim *simulator.Simulator, set receiver.Settings, cfg *Config) {
	t.Helper()
	rcv := newTestReceiver(t, set, cfg, &consumertest.LogsSink{})
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool {
		return sim.Stats().Requests[simulator.APILogtoLogs]["200"] >= 1
	}, 15*time.Second, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, rcv.Shutdown(ctx))
}
