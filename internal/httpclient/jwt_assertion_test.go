package httpclient

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

var jwtNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func testKey(t *testing.T, alg string) (pemKey string, public crypto.PublicKey) {
	t.Helper()
	var der []byte
	var err error
	switch alg {
	case "RS256":
		k, gerr := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, gerr)
		der, public = x509.MarshalPKCS1PrivateKey(k), &k.PublicKey
		return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der})), public
	case "ES256":
		k, gerr := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, gerr)
		der, err = x509.MarshalPKCS8PrivateKey(k)
		require.NoError(t, err)
		return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), &k.PublicKey
	}
	t.Fatalf("no key for %s", alg)
	return "", nil
}

// assertionServer verifies the assertion of each token request with the
// public key and records its form, header and claims.
type assertionServer struct {
	*server
	mu     sync.Mutex
	forms  []url.Values
	auths  []string
	claims []jwt.MapClaims
	kids   []any
}

func newAssertionServer(t *testing.T, public crypto.PublicKey, alg, field string) *assertionServer {
	as := &assertionServer{}
	as.server = newServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		assert.NoError(t, r.ParseForm()) //nolint:testifylint // in an HTTP handler: require would stop a goroutine that is not the test's
		claims := jwt.MapClaims{}
		tok, err := jwt.ParseWithClaims(r.PostForm.Get(field), claims, func(*jwt.Token) (any, error) { return public, nil },
			jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(func() time.Time { return jwtNow }), jwt.WithIssuedAt())
		as.mu.Lock()
		as.forms, as.auths, as.claims = append(as.forms, r.PostForm), append(as.auths, r.Header.Get("Authorization")), append(as.claims, claims)
		if tok != nil {
			as.kids = append(as.kids, tok.Header["kid"])
		}
		as.mu.Unlock()
		if !assert.NoError(t, err, "the signature and times verify") { //nolint:testifylint // in an HTTP handler: require would stop a goroutine that is not the test's
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, n)
	})
	return as
}

// The jwt-bearer grant (RFC 7523 §2.1), RS256 and ES256: each token request
// carries a fresh assertion signed with the key, with the configured claims.
func TestJWTBearerGrant(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256"} {
		t.Run(alg, func(t *testing.T) {
			key, public := testKey(t, alg)
			ts := newAssertionServer(t, public, alg, "assertion")
			o, err := OAuth2ClientCredentials(OAuth2Config{
				TokenURL: ts.URL + "/token", Scopes: []string{"logs.read"}, EndpointParams: map[string]string{"audience": "api"},
				Assertion: &JWTAssertionConfig{
					PrivateKey: configopaque.String(key), KeyID: "k1", Issuer: "svc@example.com", Subject: "user-7",
					Audience: "https://idp.example.com", Lifetime: 10 * time.Minute, Grant: true,
				},
			}, ts.Client())
			require.NoError(t, err)
			o.now = func() time.Time { return jwtNow }
			for i := range 2 {
				tok, err := o.Token(context.Background())
				require.NoError(t, err)
				assert.Equal(t, fmt.Sprintf("tok-%d", i+1), tok)
				o.Invalidate()
			}
			ts.mu.Lock()
			defer ts.mu.Unlock()
			require.Len(t, ts.forms, 2)
			for i, form := range ts.forms {
				assert.Equal(t, []string{"assertion", "audience", "grant_type", "scope"}, sortedKeys(form))
				assert.Equal(t, GrantTypeJWTBearer, form.Get("grant_type"))
				assert.Equal(t, "logs.read", form.Get("scope"))
				assert.Empty(t, ts.auths[i], "no client authentication without a client")
				c := ts.claims[i]
				assert.Equal(t, "svc@example.com", c["iss"])
				assert.Equal(t, "user-7", c["sub"])
				assert.Equal(t, "https://idp.example.com", c["aud"])
				assert.InDelta(t, float64(jwtNow.Unix()), c["iat"], 0)
				assert.InDelta(t, float64(jwtNow.Add(10*time.Minute).Unix()), c["exp"], 0)
				assert.Len(t, c["jti"], 32)
				assert.Equal(t, "k1", ts.kids[i])
			}
			assert.NotEqual(t, ts.claims[0]["jti"], ts.claims[1]["jti"], "a fresh jti for each request")
		})
	}
}

// private_key_jwt (RFC 7523 §2.2): the client credentials grant with the
// client authenticated by an assertion instead of a secret; the claims
// default to iss = sub = client_id and aud = the token URL.
func TestPrivateKeyJWT(t *testing.T) {
	key, public := testKey(t, "ES256")
	ts := newAssertionServer(t, public, "ES256", "client_assertion")
	o, err := OAuth2ClientCredentials(OAuth2Config{
		TokenURL: ts.URL + "/token", ClientID: testClientID, Resource: "https://api.example.com",
		Assertion: &JWTAssertionConfig{PrivateKey: configopaque.String(key)},
	}, ts.Client())
	require.NoError(t, err)
	o.now = func() time.Time { return jwtNow }
	tok, err := o.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok)
	ts.mu.Lock()
	defer ts.mu.Unlock()
	require.Len(t, ts.forms, 1)
	form := ts.forms[0]
	assert.Equal(t, []string{"client_assertion", "client_assertion_type", "client_id", "grant_type", "resource"}, sortedKeys(form))
	assert.Equal(t, "client_credentials", form.Get("grant_type"))
	assert.Equal(t, ClientAssertionJWTType, form.Get("client_assertion_type"))
	assert.Equal(t, testClientID, form.Get("client_id"))
	assert.Empty(t, ts.auths[0], "no Basic header")
	c := ts.claims[0]
	assert.Equal(t, testClientID, c["iss"])
	assert.Equal(t, testClientID, c["sub"])
	assert.Equal(t, ts.URL+"/token", c["aud"])
	assert.InDelta(t, float64(jwtNow.Add(defaultAssertionLifetime).Unix()), c["exp"], 0)
	assert.Nil(t, ts.kids[0])
}

func TestJWTAssertionConfigErrors(t *testing.T) {
	rsaKey, _ := testKey(t, "RS256")
	ecKey, _ := testKey(t, "ES256")
	for name, tc := range map[string]struct {
		cfg  OAuth2Config
		want string
	}{
		"not pem":       {OAuth2Config{ClientID: "c", Assertion: &JWTAssertionConfig{PrivateKey: "MIIEsecretbytes"}}, "jwt: private_key is not PEM"},
		"not a key":     {OAuth2Config{ClientID: "c", Assertion: &JWTAssertionConfig{PrivateKey: "-----BEGIN X-----\nQUJD\n-----END X-----\n"}}, `PEM block "X" is not an RSA or EC private key`},
		"rsa as ES256":  {OAuth2Config{ClientID: "c", Assertion: &JWTAssertionConfig{PrivateKey: configopaque.String(rsaKey), Algorithm: "ES256"}}, `algorithm "ES256" does not apply to an RSA key`},
		"ec as RS256":   {OAuth2Config{ClientID: "c", Assertion: &JWTAssertionConfig{PrivateKey: configopaque.String(ecKey), Algorithm: "RS256"}}, `algorithm "RS256" does not apply to this EC key (its curve signs ES256)`},
		"no issuer":     {OAuth2Config{Assertion: &JWTAssertionConfig{PrivateKey: configopaque.String(ecKey), Grant: true}}, "issuer is required"},
		"client needed": {OAuth2Config{Assertion: &JWTAssertionConfig{PrivateKey: configopaque.String(ecKey)}}, "client_id is required"},
	} {
		t.Run(name, func(t *testing.T) {
			tc.cfg.TokenURL = "https://idp.example.com/token"
			_, err := OAuth2ClientCredentials(tc.cfg, nil)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotContains(t, err.Error(), "MII")
		})
	}
}

// A token endpoint that echoes the assertion's signature and a line of the
// key in its error (short enough to be quoted whole): the error and the logs
// quote neither, raw or base64-encoded.
func TestJWTAssertionSecretsNeverLeak(t *testing.T) {
	key, _ := testKey(t, "ES256")
	var mu sync.Mutex
	var assertion string
	keyLine := strings.Split(key, "\n")[1]
	ts := newServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		assert.NoError(t, r.ParseForm()) //nolint:testifylint // in an HTTP handler: require would stop a goroutine that is not the test's
		mu.Lock()
		assertion = r.PostForm.Get("assertion")
		mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		sig := assertion[strings.LastIndexByte(assertion, '.')+1:]
		if n%2 == 1 {
			fmt.Fprintf(w, `{"error":"invalid_grant","s":%q,"k":%q}`, sig, keyLine)
			return
		}
		fmt.Fprintf(w, `{"error":"invalid_grant","s64":%q}`, base64.StdEncoding.EncodeToString([]byte(sig)))
	})
	o, err := OAuth2ClientCredentials(OAuth2Config{
		TokenURL: ts.URL + "/token", Assertion: &JWTAssertionConfig{PrivateKey: configopaque.String(key), Issuer: "svc", Grant: true},
	}, ts.Client())
	require.NoError(t, err)
	api := newServer(t, echo(200))
	core, logs := observer.New(zap.DebugLevel)
	c, err := New(api.Client(), Config{Origin: mustURL(t, api.URL), Auth: o, Retry: fastRetry(), Logger: zap.New(core)})
	require.NoError(t, err)
	_, err = c.Do(context.Background(), Request{URL: api.URL + "/api/logs"})
	require.Error(t, err)
	var b strings.Builder
	fmt.Fprintf(&b, "%v %+v %v %#v", err, err, o, o)
	_, err = c.Do(context.Background(), Request{URL: api.URL + "/api/logs"})
	require.Error(t, err)
	b.WriteString(err.Error())
	for _, e := range logs.All() {
		fmt.Fprint(&b, e.Message, e.ContextMap())
	}
	all := b.String()
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, assertion)
	for _, quoted := range []string{`\"s\":\"[REDACTED]\"`, `\"k\":\"[REDACTED]\"`, `\"s64\":\"[REDACTED]\"`} {
		assert.Contains(t, all, quoted, "the error bodies are quoted, the secrets replaced")
	}
	sig := assertion[strings.LastIndexByte(assertion, '.')+1:]
	for _, s := range []string{assertion, sig, base64.StdEncoding.EncodeToString([]byte(sig)), keyLine, key} {
		assert.NotContains(t, all, s)
	}
}

func sortedKeys(v url.Values) []string { return slices.Sorted(maps.Keys(v)) }
