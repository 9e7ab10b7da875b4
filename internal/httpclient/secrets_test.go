package httpclient

import (
	"context"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// echo answers with the given status and a body that repeats every credential
// header it received, like a careless API or proxy would.
func echo(status int) func(int64, http.ResponseWriter, *http.Request) {
	return func(_ int64, w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":"x","auth":%q,"token":%q}`, r.Header.Get("Authorization"), r.Header.Get("X-Api-Key"))
	}
}

func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	const (
		apiKey      = "sk_live_APIKEY_0123456789"
		oauthSecret = "oauth-CLIENT-secret-987"
		accessToken = "eyJ-ACCESS-token-555"
	)
	tokenSrv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, `{"access_token":%q,"token_type":"Bearer","expires_in":3600}`, accessToken)
	})
	badTokenSrv := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_target","got":%q,"s":%q}`, r.Header.Get("Authorization"), oauthSecret)
	})
	oauthFor := func(srv *server) Authenticator {
		o, err := OAuth2ClientCredentials(OAuth2Config{
			TokenURL: srv.URL + "/oidc/token", ClientID: "app", ClientSecret: configopaque.String(oauthSecret), Resource: "r",
		}, srv.Client())
		require.NoError(t, err)
		return o
	}
	jwtKey, _ := testKey(t, "ES256")
	jwtFor := func(srv *server) Authenticator {
		o, err := OAuth2ClientCredentials(OAuth2Config{
			TokenURL: srv.URL + "/oidc/token", ClientID: "app", Resource: "r",
			Assertion: &JWTAssertionConfig{PrivateKey: configopaque.String(jwtKey)},
		}, srv.Client())
		require.NoError(t, err)
		return o
	}
	auths := map[string]func() Authenticator{
		"bearer":   func() Authenticator { return Bearer(apiKey) },
		"token":    func() Authenticator { return Scheme("Token", apiKey) },
		"stackone": func() Authenticator { return Basic(apiKey, "") },
		"header":   func() Authenticator { return Header("X-Api-Key", apiKey) },
		"oauth2":   func() Authenticator { return oauthFor(tokenSrv) },
		"jwt":      func() Authenticator { return jwtFor(tokenSrv) },
	}
	secrets := []string{
		apiKey, oauthSecret, accessToken,
		base64.StdEncoding.EncodeToString([]byte(apiKey + ":")),
		base64.StdEncoding.EncodeToString([]byte("app:" + oauthSecret)),
		strings.Split(jwtKey, "\n")[1], strings.Split(jwtKey, "\n")[2],
	}

	refused := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := "http://" + ln.Addr().String()
		require.NoError(t, ln.Close())
		return addr
	}()

	type errorCase struct {
		handler func(int64, http.ResponseWriter, *http.Request)
		origin  string // default: the handler's server
		url     func(base string) string
		mutate  func(*Config)
		ctx     func() (context.Context, context.CancelFunc)
	}
	cases := map[string]errorCase{
		"401":           {handler: echo(401)},
		"403":           {handler: echo(403)},
		"400 echo":      {handler: echo(400)},
		"404 echo":      {handler: echo(404)},
		"500 retried":   {handler: echo(500)},
		"503 retried":   {handler: echo(503)},
		"429 throttled": {handler: echo(429)},
		"302 off-origin": {handler: func(_ int64, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://192.0.2.1/x", http.StatusFound)
		}},
		"foreign":   {handler: echo(200), url: func(string) string { return "http://192.0.2.1/api?key=" + apiKey }},
		"too large": {handler: echo(200), mutate: func(c *Config) { c.MaxBodySize = 4 }},
		"html": {handler: func(_ int64, w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, r.Header.Get("Authorization"))
		}},
		"refused": {origin: refused, url: func(string) string { return refused + "/api/logs?api_key=" + apiKey }},
		"cancelled": {handler: echo(500), ctx: func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}},
	}

	check := func(t *testing.T, err error, logs *observer.ObservedLogs) {
		t.Helper()
		require.Error(t, err)
		var all strings.Builder
		all.WriteString(err.Error())
		fmt.Fprintf(&all, " %v %+v", err, err)
		for _, e := range logs.All() {
			all.WriteString(e.Message)
			fmt.Fprint(&all, e.ContextMap())
		}
		for _, s := range secrets {
			assert.NotContains(t, all.String(), s)
		}
	}

	for authName, mkAuth := range auths {
		for caseName, tc := range cases {
			t.Run(authName+"/"+caseName, func(t *testing.T) {
				origin := tc.origin
				var hc *http.Client
				if tc.handler != nil {
					srv := newServer(t, tc.handler)
					origin, hc = srv.URL, srv.Client()
				}
				core, logs := observer.New(zap.DebugLevel)
				cfg := Config{
					Origin: mustURL(t, origin), Auth: mkAuth(), Retry: fastRetry(), MaxAttempts: 3,
					Logger: zap.New(core), Observer: &recObserver{},
				}
				cfg.Retry.MaxElapsedTime = time.Minute
				if tc.mutate != nil {
					tc.mutate(&cfg)
				}
				c, err := New(hc, cfg)
				require.NoError(t, err)
				u := origin + "/api/logs"
				if tc.url != nil {
					u = tc.url(origin)
				}
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if tc.ctx != nil {
					ctx, cancel = tc.ctx()
				}
				defer cancel()
				_, err = c.Do(ctx, Request{URL: u, Stream: "s"})
				check(t, err, logs)
			})
		}
	}

	t.Run("token endpoint error", func(t *testing.T) {
		api := newServer(t, echo(200))
		core, logs := observer.New(zap.DebugLevel)
		c, err := New(api.Client(), Config{Origin: mustURL(t, api.URL), Auth: oauthFor(badTokenSrv), Retry: fastRetry(), Logger: zap.New(core)})
		require.NoError(t, err)
		_, err = c.Do(context.Background(), Request{URL: api.URL + "/api/logs"})
		check(t, err, logs)
		assert.Contains(t, err.Error(), "POST /oidc/token")
		assert.Contains(t, err.Error(), "400")
	})
}

func TestRedactSnippet(t *testing.T) {
	long := strings.Repeat("a", 195) + "SECRETVALUE" + strings.Repeat("b", 50)
	got := redactSnippet(500, []byte(long), NewRedactor("SECRETVALUE"))
	assert.LessOrEqual(t, len(got), snippetLimit)
	assert.NotContains(t, got, "SECR")
	assert.Empty(t, redactSnippet(401, []byte("anything"), nil))
	assert.Empty(t, redactSnippet(403, []byte("anything"), nil))
	// Multi-byte runes are not split.
	got = redactSnippet(500, []byte(strings.Repeat("é", 150)), nil)
	assert.LessOrEqual(t, len(got), snippetLimit)
	assert.True(t, strings.HasSuffix(got, "é"))
}
