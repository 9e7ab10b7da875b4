package httpclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
)

const (
	testClientID     = "m2m-app"
	testClientSecret = "cl1ent-s3cret-value"
)

// tokenServer issues tok-1, tok-2, ... and checks the client-credentials form.
type tokenServer struct {
	*server
	expiresIn atomic.Int64
	status    atomic.Int64 // non-zero: fail with this status
	delay     time.Duration
}

func newTokenServer(t *testing.T) *tokenServer {
	ts := &tokenServer{}
	ts.expiresIn.Store(3600)
	ts.server = newServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/oidc/token", r.URL.Path)
		id, secret, ok := r.BasicAuth()
		assert.True(t, ok)
		assert.Equal(t, testClientID, id)
		assert.Equal(t, testClientSecret, secret)
		assert.NoError(t, r.ParseForm()) //nolint:testifylint // in an HTTP handler: require would stop a goroutine that is not the test's
		assert.Equal(t, "client_credentials", r.PostForm.Get("grant_type"))
		assert.Equal(t, "https://default.logto.app/api", r.PostForm.Get("resource"))
		assert.Equal(t, "all", r.PostForm.Get("scope"))
		assert.Empty(t, r.PostForm.Get("client_secret"), "secret goes in the Basic header only")
		if ts.delay > 0 {
			time.Sleep(ts.delay)
		}
		if st := ts.status.Load(); st != 0 {
			w.WriteHeader(int(st))
			// Misbehaving servers echo what they got.
			fmt.Fprintf(w, `{"error":"invalid_client","echo":%q}`, r.Header.Get("Authorization")+" "+testClientSecret)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": fmt.Sprintf("tok-%d", n), "token_type": "Bearer", "expires_in": ts.expiresIn.Load(),
		})
	})
	return ts
}

func newTestOAuth(t *testing.T, ts *tokenServer) *OAuth2 {
	t.Helper()
	o, err := OAuth2ClientCredentials(OAuth2Config{
		TokenURL: ts.URL + "/oidc/token", ClientID: testClientID, ClientSecret: testClientSecret,
		Resource: "https://default.logto.app/api", Scopes: []string{"all"},
	}, ts.Client())
	require.NoError(t, err)
	return o
}

func TestOAuth2Validation(t *testing.T) {
	_, err := OAuth2ClientCredentials(OAuth2Config{TokenURL: "not a url", ClientID: "x"}, nil)
	require.Error(t, err)
	_, err = OAuth2ClientCredentials(OAuth2Config{TokenURL: "https://u:pw@h/token", ClientID: "x"}, nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "pw")
	_, err = OAuth2ClientCredentials(OAuth2Config{TokenURL: "https://h/token"}, nil)
	require.Error(t, err)
}

func TestOAuth2CachesToken(t *testing.T) {
	ts := newTokenServer(t)
	api := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Bearer tok-1", r.Header.Get("Authorization"))
		_, _ = w.Write([]byte(`[]`))
	})
	c, _, _ := newTestClient(t, api, func(cfg *Config) { cfg.Auth = newTestOAuth(t, ts) })
	for range 3 {
		_, err := c.Do(context.Background(), Request{URL: api.URL + "/api/logs"})
		require.NoError(t, err)
	}
	assert.Equal(t, int64(1), ts.hits.Load())
	assert.Equal(t, int64(3), api.hits.Load())
}

func TestOAuth2RenewsBeforeExpiry(t *testing.T) {
	ts := newTokenServer(t)
	o := newTestOAuth(t, ts)
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	ctx := context.Background()

	tok, err := o.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok)

	advance(3600*time.Second - 61*time.Second) // still outside the 60s renewal window
	tok, _ = o.Token(ctx)
	assert.Equal(t, "tok-1", tok)
	assert.Equal(t, int64(1), ts.hits.Load())

	advance(2 * time.Second) // inside the window, token not yet expired: renew now
	tok, _ = o.Token(ctx)
	assert.Equal(t, "tok-2", tok)
	assert.Equal(t, int64(2), ts.hits.Load())

	// Short lifetimes renew at 90%.
	ts.expiresIn.Store(100)
	o.Invalidate()
	tok, _ = o.Token(ctx)
	assert.Equal(t, "tok-3", tok)
	advance(89 * time.Second)
	tok, _ = o.Token(ctx)
	assert.Equal(t, "tok-3", tok)
	advance(2 * time.Second)
	tok, _ = o.Token(ctx)
	assert.Equal(t, "tok-4", tok)

	// A failed early renewal keeps the still-valid token.
	advance(89 * time.Second)
	ts.status.Store(http.StatusServiceUnavailable)
	tok, err = o.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-4", tok)
	// Past hard expiry the failure surfaces.
	advance(20 * time.Second)
	_, err = o.Token(ctx)
	require.Error(t, err)
}

func TestOAuth2RenewsOnceOn401(t *testing.T) {
	ts := newTokenServer(t)
	api := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer tok-1" { // revoked early
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`[]`))
	})
	c, obs, _ := newTestClient(t, api, func(cfg *Config) { cfg.Auth = newTestOAuth(t, ts) })
	_, err := c.Do(context.Background(), Request{URL: api.URL + "/api/logs"})
	require.NoError(t, err)
	assert.Equal(t, int64(2), ts.hits.Load())
	assert.Equal(t, int64(2), api.hits.Load())
	_, retries, _ := obs.snapshot()
	assert.Equal(t, 1, retries)
}

func TestOAuth2Second401IsPermanent(t *testing.T) {
	ts := newTokenServer(t)
	api := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	})
	c, _, _ := newTestClient(t, api, func(cfg *Config) { cfg.Auth = newTestOAuth(t, ts) })
	_, err := c.Do(context.Background(), Request{URL: api.URL + "/api/logs"})
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 401, se.Status)
	assert.True(t, IsPermanent(err))
	assert.Equal(t, int64(2), api.hits.Load(), "exactly one renewal")
	assert.Equal(t, int64(2), ts.hits.Load())
}

func TestOAuth2NoRenewalForStaticAuth(t *testing.T) {
	api := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	})
	c, _, _ := newTestClient(t, api, func(cfg *Config) { cfg.Auth = Bearer("k") })
	_, err := c.Do(context.Background(), Request{URL: api.URL + "/x"})
	assert.True(t, IsPermanent(err))
	assert.Equal(t, int64(1), api.hits.Load())
}

func TestOAuth2ConcurrentRefreshIsSingle(t *testing.T) {
	ts := newTokenServer(t)
	ts.delay = 50 * time.Millisecond
	o := newTestOAuth(t, ts)
	var wg sync.WaitGroup
	toks := make([]string, 20)
	for i := range toks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, err := o.Token(context.Background())
			assert.NoError(t, err)
			toks[i] = tok
		}()
	}
	wg.Wait()
	assert.Equal(t, int64(1), ts.hits.Load())
	for _, tok := range toks {
		assert.Equal(t, "tok-1", tok)
	}
}

func TestOAuth2TokenEndpointErrors(t *testing.T) {
	for _, status := range []int{400, 401, 500} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			ts := newTokenServer(t)
			ts.status.Store(int64(status))
			api := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
			c, _, _ := newTestClient(t, api, func(cfg *Config) {
				cfg.Auth = newTestOAuth(t, ts)
				cfg.MaxAttempts = 3
			})
			_, err := c.Do(context.Background(), Request{URL: api.URL + "/api/logs"})
			var se *StatusError
			require.ErrorAs(t, err, &se)
			assert.True(t, se.TokenEndpoint)
			assert.Equal(t, status, se.Status)
			assert.Contains(t, err.Error(), "/oidc/token")
			assert.Contains(t, err.Error(), strconv.Itoa(status))
			assert.Contains(t, err.Error(), "GET /api/logs")
			assert.NotContains(t, err.Error(), testClientSecret)
			assert.NotContains(t, err.Error(), base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(testClientID)+":"+url.QueryEscape(testClientSecret))))
			assert.Zero(t, api.hits.Load(), "no API call without a token")
			if status == 500 {
				assert.False(t, IsPermanent(err))
				assert.Equal(t, int64(3), ts.hits.Load(), "token 5xx is retried")
			} else {
				assert.True(t, IsPermanent(err))
				assert.Equal(t, int64(1), ts.hits.Load())
			}
			if status == 400 {
				assert.Contains(t, se.Snippet, "invalid_client")
				assert.Contains(t, se.Snippet, "[REDACTED]")
			}
		})
	}
}

func TestOAuth2RejectsBadTokenResponses(t *testing.T) {
	for name, body := range map[string]string{
		"no token":   `{"token_type":"Bearer"}`,
		"bad json":   `{"access_token":`,
		"mac token":  `{"access_token":"x","token_type":"mac"}`,
		"html login": `<html></html>`,
	} {
		srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) })
		o, err := OAuth2ClientCredentials(OAuth2Config{TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "sec"}, srv.Client())
		require.NoError(t, err)
		_, err = o.Token(context.Background())
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), "POST /token", name)
	}
}

func TestOAuth2StringExpiresInAndDefault(t *testing.T) {
	for body, want := range map[string]time.Duration{
		`{"access_token":"a","expires_in":"120"}`: 120 * time.Second,
		`{"access_token":"a"}`:                    defaultTokenLifetime,
	} {
		srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte(body)) })
		o, err := OAuth2ClientCredentials(OAuth2Config{TokenURL: srv.URL + "/token", ClientID: "id"}, srv.Client())
		require.NoError(t, err)
		now := time.Now()
		o.now = func() time.Time { return now }
		_, err = o.Token(context.Background())
		require.NoError(t, err, body)
		assert.Equal(t, now.Add(want), o.expiry, body)
	}
}

// The token exchange goes through golang.org/x/oauth2, whose
// *oauth2.RetrieveError prints the endpoint's body and whose parse errors may
// quote it. None of that text, nor the error itself, may reach callers.
func TestOAuth2LibraryErrorsCarryNoSecrets(t *testing.T) {
	basic := base64.StdEncoding.EncodeToString([]byte(testClientID + ":" + testClientSecret))
	for name, tc := range map[string]struct {
		status int
		body   string
	}{
		"400 echo":          {400, `{"error":"invalid_client","error_description":"` + testClientSecret + `","got":"Basic ` + basic + `"}`},
		"500 plain echo":    {500, "upstream said " + testClientSecret + " / " + basic},
		"200 oauth error":   {200, `{"error":"invalid_client","error_description":"` + testClientSecret + `"}`},
		"200 cut json":      {200, `{"access_token":"` + testClientSecret},
		"200 bad expires":   {200, `{"access_token":"` + testClientSecret + `","expires_in":"` + testClientSecret + `"}`},
		"200 form no token": {200, "error_description=" + testClientSecret},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tc.status)
				_, _ = w.Write([]byte(tc.body))
			})
			o, err := OAuth2ClientCredentials(OAuth2Config{
				TokenURL: srv.URL + "/oidc/token", ClientID: testClientID, ClientSecret: testClientSecret,
			}, srv.Client())
			require.NoError(t, err)
			_, err = o.Token(context.Background())
			require.Error(t, err)
			text := fmt.Sprintf("%s %v %+v %#v", err.Error(), err, err, err)
			assert.NotContains(t, text, testClientSecret)
			assert.NotContains(t, text, basic)
			assert.Contains(t, err.Error(), "POST /oidc/token")
			var re *oauth2.RetrieveError
			assert.NotErrorAs(t, err, &re, "the library's error must not be wrapped")
			var se *StatusError
			if tc.status != 200 {
				require.ErrorAs(t, err, &se)
				assert.True(t, se.TokenEndpoint)
				assert.Equal(t, tc.status, se.Status)
				assert.Equal(t, tc.status >= 500, retryableErr(err))
			} else {
				assert.NotErrorAs(t, err, &se)
				assert.False(t, retryableErr(err))
				assert.False(t, IsPermanent(err))
			}
		})
	}
}

// The library parses text/plain answers as forms; JSON is read as JSON
// whatever the label, as before, and the request still asks for JSON.
func TestOAuth2ReadsJSONWhateverContentType(t *testing.T) {
	for _, ct := range []string{"application/json", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", ""} {
		srv := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
			assert.Equal(t, "application/json", r.Header.Get("Accept"))
			assert.Equal(t, "application/x-www-form-urlencoded", r.Header.Get("Content-Type"))
			if ct != "" {
				w.Header().Set("Content-Type", ct)
			}
			_, _ = w.Write([]byte(`{"access_token":"tok","token_type":"bearer","expires_in":60}`))
		})
		o, err := OAuth2ClientCredentials(OAuth2Config{TokenURL: srv.URL + "/token", ClientID: "id"}, srv.Client())
		require.NoError(t, err)
		now := time.Now()
		o.now = func() time.Time { return now }
		tok, err := o.Token(context.Background())
		require.NoError(t, err, ct)
		assert.Equal(t, "tok", tok, ct)
		assert.Equal(t, now.Add(time.Minute), o.expiry, ct)
	}
}

// A connection dropped while the library reads the token body stays a
// retryable TransportError (the library reports it only as text).
func TestOAuth2TokenBodyDropIsRetryable(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		conn, buf, err := http.NewResponseController(w).Hijack()
		if !assert.NoError(t, err) { //nolint:testifylint // in an HTTP handler: require would stop a goroutine that is not the test's
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"access_")
		_ = buf.Flush()
		_ = conn.Close()
	})
	o, err := OAuth2ClientCredentials(OAuth2Config{TokenURL: srv.URL + "/token", ClientID: "id", ClientSecret: "sec"}, srv.Client())
	require.NoError(t, err)
	_, err = o.Token(context.Background())
	var te *TransportError
	require.ErrorAs(t, err, &te)
	assert.True(t, retryableErr(err), err.Error())
	assert.Contains(t, err.Error(), "token request POST /token")
}

// A token answer that stalls past the HTTP client's Timeout, before or after
// its headers, is retryable too.
func TestOAuth2TokenTimeoutIsRetryable(t *testing.T) {
	for _, headersFirst := range []bool{false, true} {
		release := make(chan struct{})
		srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
			if headersFirst {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				_, _ = w.Write([]byte(`{"access_`))
				_ = http.NewResponseController(w).Flush()
			}
			<-release
		})
		hc := srv.Client()
		hc.Timeout = 200 * time.Millisecond
		o, err := OAuth2ClientCredentials(OAuth2Config{TokenURL: srv.URL + "/token", ClientID: "id"}, hc)
		require.NoError(t, err)
		_, err = o.Token(context.Background())
		close(release)
		var te *TransportError
		require.ErrorAs(t, err, &te, "headers first: %v", headersFirst)
		assert.True(t, retryableErr(err), err.Error())
	}
}

// The token request goes through the caller's client (its TLS settings) and
// with the caller's ctx, and never follows a redirect.
func TestOAuth2UsesCallersClientAndContext(t *testing.T) {
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"access_token":"tls-tok"}`))
	}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	o, err := OAuth2ClientCredentials(OAuth2Config{TokenURL: tlsSrv.URL + "/token", ClientID: "id"}, tlsSrv.Client())
	require.NoError(t, err)
	tok, err := o.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "tls-tok", tok)

	// The default client does not trust the test certificate.
	o, err = OAuth2ClientCredentials(OAuth2Config{TokenURL: tlsSrv.URL + "/token", ClientID: "id"}, nil)
	require.NoError(t, err)
	_, err = o.Token(context.Background())
	var te *TransportError
	require.ErrorAs(t, err, &te)

	target := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"access_token":"stolen"}`))
	})
	redirect := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/token", http.StatusTemporaryRedirect)
	})
	o, err = OAuth2ClientCredentials(OAuth2Config{TokenURL: redirect.URL + "/token", ClientID: "id", ClientSecret: "s"}, redirect.Client())
	require.NoError(t, err)
	_, err = o.Token(context.Background())
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusTemporaryRedirect, se.Status)
	assert.Zero(t, target.hits.Load())

	slow := newServer(t, func(_ int64, _ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	o, err = OAuth2ClientCredentials(OAuth2Config{TokenURL: slow.URL + "/token", ClientID: "id"}, slow.Client())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	_, err = o.Token(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(t0), 2*time.Second)
}
