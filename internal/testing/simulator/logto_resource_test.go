package simulator

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

// The simulated Logto is self-hosted: a token is for its Management API,
// https://default.logto.app/api, and nothing else, as Logto answers.
func TestLogtoTokenResource(t *testing.T) {
	_, srv := newSim(t, quietOpts())
	token := func(form string) resp {
		return do(t, "POST", srv.URL+"/logto/oidc/token", "grant_type=client_credentials&client_id=demo-logto-app&client_secret=demo-logto-secret&scope=all"+form,
			"Content-Type", "application/x-www-form-urlencoded")
	}
	assert.Equal(t, 200, token("&resource="+url.QueryEscape(LogtoResource)).code)
	for _, form := range []string{
		"",
		"&resource=" + url.QueryEscape("https://acme.logto.app/api"),
		"&resource=" + url.QueryEscape(srv.URL+"/logto/api"),
		"&resource=" + url.QueryEscape(LogtoResource) + "&resource=" + url.QueryEscape("https://acme.logto.app/api"),
	} {
		r := token(form)
		assert.Equal(t, 400, r.code, form)
		assert.JSONEq(t, `{"error":"invalid_target","error_description":"resource indicator is missing, or unknown"}`, string(r.body), form)
	}
}
