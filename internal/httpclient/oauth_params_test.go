package httpclient

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An endpoint that requires an audience gets it, with the resource and the
// grant's own parameters, and nothing more; without it, it refuses the token.
func TestOAuth2EndpointParams(t *testing.T) {
	var form url.Values
	ts := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		assert.NoError(t, r.ParseForm()) //nolint:testifylint // in an HTTP handler
		form = r.PostForm
		if r.PostForm.Get("audience") != "https://api.example.com" {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":"access_denied"}`))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"tok-aud","token_type":"Bearer","expires_in":3600}`))
	})
	build := func(params map[string]string) *OAuth2 {
		o, err := OAuth2ClientCredentials(OAuth2Config{
			TokenURL: ts.URL + "/oauth/token", ClientID: testClientID, ClientSecret: testClientSecret,
			Resource: "https://default.logto.app/api", Scopes: []string{"read", "audit"},
			EndpointParams: params,
		}, ts.Client())
		require.NoError(t, err)
		return o
	}

	tok, err := build(map[string]string{"audience": "https://api.example.com", "organization": "org 1&2"}).Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "tok-aud", tok)
	assert.Equal(t, url.Values{
		"grant_type":   {"client_credentials"},
		"scope":        {"read audit"},
		"resource":     {"https://default.logto.app/api"},
		"audience":     {"https://api.example.com"},
		"organization": {"org 1&2"},
	}, form)

	_, err = build(nil).Token(context.Background())
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusForbidden, se.Status)
	assert.Equal(t, url.Values{
		"grant_type": {"client_credentials"}, "scope": {"read audit"}, "resource": {"https://default.logto.app/api"},
	}, form)
	assert.Equal(t, int64(2), ts.hits.Load())
}

func TestOAuth2EndpointParamsReserved(t *testing.T) {
	for _, name := range []string{"grant_type", "client_secret", "client_id", "scope", "resource", "client_assertion", ""} {
		_, err := OAuth2ClientCredentials(OAuth2Config{
			TokenURL: "https://h/token", ClientID: "x", EndpointParams: map[string]string{name: "v"},
		}, nil)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "endpoint_params")
	}
	require.NoError(t, CheckEndpointParams(map[string]string{"audience": "a", "tenant": ""}))
}
