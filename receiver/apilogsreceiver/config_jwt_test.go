package apilogsreceiver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

func ecKeyPEM(t *testing.T) (string, *ecdsa.PublicKey) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	der, err := x509.MarshalPKCS8PrivateKey(k)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})), &k.PublicKey
}

// private_key_jwt end to end: the receiver authenticates to a token endpoint
// with an ES256 client assertion and no secret. The endpoint verifies the
// signature and the claims, then gets the token from the simulator's Logto
// with the client secret the receiver never had. Neither the key nor the
// assertion is logged.
func TestPrivateKeyJWTReceiver(t *testing.T) {
	sim := startSim(t, simulator.Options{Keys: simulator.Keys{LogtoClientSecret: logtoSecret}})
	key, public := ecKeyPEM(t)
	var mu sync.Mutex
	var forms []url.Values
	var assertions []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.NoError(t, r.ParseForm())
		assert.Empty(t, r.Header.Get("Authorization"), "no client secret")
		tokenURL := "http://" + r.Host + "/oauth/token"
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(r.PostForm.Get("client_assertion"), claims, func(*jwt.Token) (any, error) { return public, nil },
			jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer(simulator.DefaultKeys().LogtoClientID),
			jwt.WithSubject(simulator.DefaultKeys().LogtoClientID), jwt.WithAudience(tokenURL), jwt.WithExpirationRequired())
		mu.Lock()
		forms, assertions = append(forms, r.PostForm), append(assertions, r.PostForm.Get("client_assertion"))
		mu.Unlock()
		if !assert.NoError(t, err) {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		form := url.Values{"grant_type": r.PostForm["grant_type"], "resource": r.PostForm["resource"], "scope": r.PostForm["scope"]}
		req, err := http.NewRequestWithContext(r.Context(), http.MethodPost, sim.URL()+"/logto/oidc/token", strings.NewReader(form.Encode()))
		if !assert.NoError(t, err) {
			return
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(simulator.DefaultKeys().LogtoClientID, logtoSecret)
		resp, err := http.DefaultClient.Do(req)
		if !assert.NoError(t, err) {
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)

	cfg := logtoConfig(sim, "")
	cfg.TokenURL = proxy.URL + "/oauth/token"
	cfg.JWT = &JWTConfig{PrivateKey: configopaque.String(key)}
	core, logs := zapobserver.New(zapcore.DebugLevel)
	set := nopSettings()
	set.Logger = zap.New(core)
	pollLogtoUntilAnswered(t, sim, set, cfg)

	mu.Lock()
	defer mu.Unlock()
	require.Len(t, forms, 1, "one token for the whole run")
	assert.Equal(t, url.Values{
		"grant_type":            {"client_credentials"},
		"client_id":             {simulator.DefaultKeys().LogtoClientID},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertions[0]},
		"resource":              {simulator.LogtoResource},
		"scope":                 {"all"},
	}, forms[0])
	var b strings.Builder
	for _, e := range logs.All() {
		fmt.Fprint(&b, e.Message, e.ContextMap())
	}
	for _, s := range append(strings.Split(key, "\n")[1:3], assertions[0]) {
		assert.NotContains(t, b.String(), s)
	}
}

func TestJWTConfigErrors(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	key, _ := ecKeyPEM(t)
	for _, tt := range []struct {
		name string
		jwt  *JWTConfig
		id   string
		want string
	}{
		{"no key", &JWTConfig{}, "app", `"jwt.private_key" is required (a PEM private key, e.g. ${file:/etc/otelcol/key.pem})`},
		{"bad grant", &JWTConfig{Grant: "saml", PrivateKey: "x"}, "app", `"jwt.grant" must be client_assertion or jwt_bearer, got "saml"`},
		{"not pem", &JWTConfig{PrivateKey: "MIIEsecret"}, "app", `"jwt" private_key is not PEM`},
		{"wrong alg", &JWTConfig{PrivateKey: configopaque.String(key), Algorithm: "RS256"}, "app", `"jwt" algorithm "RS256" does not apply to this EC key (its curve signs ES256)`},
		{"negative", &JWTConfig{PrivateKey: configopaque.String(key), Lifetime: -time.Second}, "app", `"jwt.lifetime" must not be negative`},
		{"no client", &JWTConfig{PrivateKey: configopaque.String(key)}, "", `"client_id" is required by api logto_logs (the M2M application id; with jwt.grant: jwt_bearer, jwt.issuer may stand in)`},
		{"bearer with issuer", &JWTConfig{Grant: "jwt_bearer", Issuer: "svc", PrivateKey: configopaque.String(key)}, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := logtoConfig(sim, "")
			cfg.ClientID, cfg.JWT = tt.id, tt.jwt
			if tt.want == "" {
				require.NoError(t, cfg.Validate())
				return
			}
			require.EqualError(t, cfg.Validate(), tt.want)
		})
	}
	noJWT := logtoConfig(sim, "")
	require.EqualError(t, noJWT.Validate(), `"client_secret" is required by api logto_logs (or a jwt section)`)
	tines := tinesConfig(sim, "k")
	tines.JWT = &JWTConfig{PrivateKey: configopaque.String(key)}
	require.EqualError(t, tines.Validate(), `"jwt" only applies to APIs with auth oauth2_client_credentials; api tines_action_logs uses bearer`)
}
