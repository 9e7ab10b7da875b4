package apilogsreceiver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/refreshstore"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadatatest"
)

const (
	configuredRefresh = "rt-0-configured-e41b7c29"
	pastedRefresh     = "rt-pasted-by-operator-8d03aa5f"
	refreshEncKey     = "token-encryption-key-6c1f0e93"
)

// rotatingIssuer is a token endpoint of the refresh-token grant for a
// public client, first accepting configuredRefresh: each refresh token works once and is answered with a new
// one; any other gets 400 invalid_grant, whose body echoes what it got and
// the live token. The access tokens come from the simulator's Logto.
type rotatingIssuer struct {
	t         *testing.T
	sim       *simulator.Simulator
	srv       *httptest.Server
	mu        sync.Mutex
	current   string
	issued    []string // the refresh tokens handed out, in order
	presented []string // the refresh tokens received, in order
	refused   int
	expiresIn int
	// awayAfter > 0: once that many tokens are issued, another client
	// rotates the last one away.
	awayAfter int
}

func newRotatingIssuer(t *testing.T, sim *simulator.Simulator, expiresIn int) *rotatingIssuer {
	ri := &rotatingIssuer{t: t, sim: sim, current: configuredRefresh, expiresIn: expiresIn}
	ri.srv = httptest.NewServer(http.HandlerFunc(ri.serve))
	t.Cleanup(ri.srv.Close)
	return ri
}

func (ri *rotatingIssuer) serve(w http.ResponseWriter, r *http.Request) {
	t := ri.t
	assert.NoError(t, r.ParseForm())
	_, _, basic := r.BasicAuth()
	assert.False(t, basic, "a public client sends no secret")
	assert.Equal(t, simulator.DefaultKeys().LogtoClientID, r.PostForm.Get("client_id"))
	assert.Equal(t, "refresh_token", r.PostForm.Get("grant_type"))
	got := r.PostForm.Get("refresh_token")
	ri.mu.Lock()
	defer ri.mu.Unlock()
	ri.presented = append(ri.presented, got)
	w.Header().Set("Content-Type", "application/json")
	if got != ri.current {
		ri.refused++
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"%s was rotated already; the live token is %s (%s)"}`,
			got, ri.current, strings.Join(ri.issued, ","))
		return
	}
	access, err := ri.accessToken(r.Context())
	if !assert.NoError(t, err) {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	ri.current = fmt.Sprintf("rt-%d-rotated-%08x", len(ri.issued)+1, 0x5eed0000+len(ri.issued))
	ri.issued = append(ri.issued, ri.current)
	answer := ri.current
	if len(ri.issued) == ri.awayAfter {
		ri.current = "rt-elsewhere-0b5d2e77"
	}
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": access, "token_type": "Bearer", "expires_in": ri.expiresIn, "refresh_token": answer,
	})
}

// accessToken gets one from the simulator's Logto by client credentials.
func (ri *rotatingIssuer) accessToken(ctx context.Context) (string, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {simulator.LogtoResource}, "scope": {"all"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ri.sim.URL()+"/logto/oidc/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(simulator.DefaultKeys().LogtoClientID, logtoSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		return "", errors.Join(err, fmt.Errorf("token status %d", resp.StatusCode))
	}
	return body.AccessToken, nil
}

// state returns copies of what the issuer saw and gave.
func (ri *rotatingIssuer) state() (presented, issued []string, refused int) {
	ri.mu.Lock()
	defer ri.mu.Unlock()
	return append([]string(nil), ri.presented...), append([]string(nil), ri.issued...), ri.refused
}

// setCurrent is the operator getting a new refresh token from the vendor.
func (ri *rotatingIssuer) setCurrent(tok string) {
	ri.mu.Lock()
	ri.current = tok
	ri.mu.Unlock()
}

// tokenStorage is an in-memory storage client whose next failSets writes of
// the refresh token fail.
type tokenStorage struct {
	component.StartFunc
	component.ShutdownFunc
	mu       sync.Mutex
	data     map[string][]byte
	failSets int
}

func (s *tokenStorage) GetClient(context.Context, component.Kind, component.ID, string) (storage.Client, error) {
	return s, nil
}

func (s *tokenStorage) Get(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.data[key], nil
}

func (s *tokenStorage) Set(_ context.Context, key string, value []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key == refreshstore.Key && s.failSets > 0 {
		s.failSets--
		return errStorageDown
	}
	s.data[key] = append([]byte(nil), value...)
	return nil
}

func (s *tokenStorage) Delete(_ context.Context, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.data, key)
	return nil
}

func (s *tokenStorage) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		if op.Type != storage.Set {
			return errors.New("unexpected operation")
		}
		if err := s.Set(ctx, op.Key, op.Value); err != nil {
			return err
		}
	}
	return nil
}

func (s *tokenStorage) Close(context.Context) error { return nil }

func (s *tokenStorage) raw(key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.data[key]...)
}

var tokenStorageID = component.MustNewID("token_storage")

// refreshConfig polls the simulator's Logto through a custom spec whose
// auth is the refresh-token grant of a public client (no client_secret),
// with the rotated token stored encrypted.
func refreshConfig(t *testing.T, sim *simulator.Simulator, ri *rotatingIssuer, refresh string) *Config {
	t.Helper()
	spec, err := apispec.Builtin("logto_logs")
	require.NoError(t, err)
	spec.Auth.Type = apispec.AuthOAuth2Refresh
	cfg := logtoConfig(sim, "")
	cfg.API, cfg.Custom = apispec.Custom, spec
	cfg.TokenURL = ri.srv.URL + "/oauth/token"
	cfg.RefreshToken = configopaque.String(refresh)
	cfg.TokenEncryptionKey = refreshEncKey
	id := tokenStorageID
	cfg.Storage = &id
	return cfg
}

// runUntil starts a receiver on the storage, waits for cond, and shuts it
// down.
func runUntil(t *testing.T, set receiver.Settings, cfg *Config, st *tokenStorage, host *statusHost, cond func() bool) {
	t.Helper()
	rcv := newTestReceiver(t, set, cfg, &consumertest.LogsSink{})
	require.NoError(t, rcv.Start(context.Background(), &storageHost{statusHost: host, id: tokenStorageID, ext: st}))
	require.Eventually(t, cond, 30*time.Second, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, rcv.Shutdown(ctx))
}

// Restarts with a rotating server: each start presents the token the last
// run stored (not the configured one the server retired), one token request
// per run and none refused; an operator's new refresh_token wins over the
// stored one, and is rotated and stored in turn. The stored bytes quote no
// refresh token (AES-256-GCM).
func TestRefreshTokenSurvivesRestarts(t *testing.T) {
	sim := startSim(t, simulator.Options{Keys: simulator.Keys{LogtoClientSecret: logtoSecret}})
	ri := newRotatingIssuer(t, sim, 3600)
	st := &tokenStorage{data: map[string][]byte{}}
	// A refusal ends a run too: the assertions below say which token it was.
	answered := func(n int64) func() bool {
		return func() bool {
			_, _, refused := ri.state()
			return refused > 0 || sim.Stats().Requests[simulator.APILogtoLogs]["200"] >= n
		}
	}
	cfg := refreshConfig(t, sim, ri, configuredRefresh)
	runUntil(t, nopSettings(), cfg, st, &statusHost{}, answered(1))
	runUntil(t, nopSettings(), cfg, st, &statusHost{}, answered(2))

	presented, issued, refused := ri.state()
	require.Zero(t, refused, "presented %v", presented)
	require.Len(t, issued, 2)
	assert.Equal(t, []string{configuredRefresh, issued[0]}, presented, "the restart presents the stored token")

	// The operator pastes a new token: it wins over the stored one; the
	// next restart presents its rotated successor.
	ri.setCurrent(pastedRefresh)
	cfg = refreshConfig(t, sim, ri, pastedRefresh)
	runUntil(t, nopSettings(), cfg, st, &statusHost{}, answered(3))
	runUntil(t, nopSettings(), cfg, st, &statusHost{}, answered(4))
	presented, issued, refused = ri.state()
	require.Zero(t, refused, "presented %v", presented)
	require.Len(t, issued, 4)
	assert.Equal(t, []string{configuredRefresh, issued[0], pastedRefresh, issued[2]}, presented)
	assert.Zero(t, refused)

	raw := string(st.raw(refreshstore.Key))
	assert.Contains(t, raw, `"encryption":"aes-256-gcm"`)
	for _, tok := range append(issued, configuredRefresh, pastedRefresh) {
		assert.NotContains(t, raw, tok)
	}
}

// Short-lived access tokens: every renewal presents the token of the last
// answer. The first two writes of the rotated token fail: warned (without
// the token) and counted, the token kept in memory (nothing is refused),
// and a later write stores a token the server issued after them.
func TestRefreshTokenFailedWritesKeepItInMemory(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sim := startSim(t, simulator.Options{Keys: simulator.Keys{LogtoClientSecret: logtoSecret}})
	ri := newRotatingIssuer(t, sim, 1)
	st := &tokenStorage{data: map[string][]byte{}, failSets: 2}
	core, logs := zapobserver.New(zapcore.DebugLevel)
	set := metadatatest.NewSettings(tt)
	set.Logger = zap.New(core)
	runUntil(t, set, refreshConfig(t, sim, ri, configuredRefresh), st, &statusHost{}, func() bool {
		_, issued, refused := ri.state()
		return len(issued) >= 4 || refused > 0
	})

	presented, issued, refused := ri.state()
	require.Zero(t, refused, "every renewal presented the live token: %v", presented)
	assert.Equal(t, append([]string{configuredRefresh}, issued[:len(presented)-1]...), presented)
	assert.Equal(t, 2, logs.FilterMessageSnippet("Could not store the rotated refresh token").Len())
	metadatatest.AssertEqualAPILogsRefreshTokenSaveErrors(t, tt, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("receiver", set.ID.String())), Value: 2},
	}, metricdatatest.IgnoreTimestamp())

	// What is stored is a token issued after the two failed writes.
	got, err := refreshstoreLoad(st, configuredRefresh)
	require.NoError(t, err)
	assert.Contains(t, issued[2:], got)
	var text strings.Builder
	for _, e := range logs.All() {
		fmt.Fprint(&text, e.Message, e.ContextMap())
	}
	for _, tok := range append(issued, configuredRefresh) {
		assert.NotContains(t, text.String(), tok)
	}
}

// refreshstoreLoad reads the stored token as the receiver would.
func refreshstoreLoad(st *tokenStorage, configured string) (string, error) {
	s, err := refreshstore.New(refreshstore.Config{Storage: rawBytes{st}, Configured: configured, Secret: refreshEncKey})
	if err != nil {
		return "", err
	}
	return s.Load(context.Background())
}

type rawBytes struct{ st *tokenStorage }

func (b rawBytes) Load(_ context.Context, key string) ([]byte, error) { return b.st.raw(key), nil }

func (b rawBytes) Put(ctx context.Context, key string, v []byte) error { return b.st.Set(ctx, key, v) }

// The token was rotated elsewhere (another collector holding the same
// refresh token): invalid_grant is a recoverable error naming the key,
// retried slowly (one token request), and the answer, which echoes every
// refresh token the server issued this receiver, leaks none into logs or
// status.
func TestRefreshTokenRotatedElsewhere(t *testing.T) {
	sim := startSim(t, simulator.Options{Keys: simulator.Keys{LogtoClientSecret: logtoSecret}})
	ri := newRotatingIssuer(t, sim, 1)
	st := &tokenStorage{data: map[string][]byte{}}
	core, logs := zapobserver.New(zapcore.DebugLevel)
	set := nopSettings()
	set.Logger = zap.New(core)
	// Three rotations, then another client rotates the token away.
	ri.awayAfter = 3
	host := &statusHost{}
	runUntil(t, set, refreshConfig(t, sim, ri, configuredRefresh), st, host, func() bool {
		return host.count(componentstatus.StatusRecoverableError) >= 1
	})

	presented, issued, refused := ri.state()
	require.Len(t, issued, 3)
	assert.Equal(t, 1, refused, "one refused token request, then a slow retry")
	assert.Equal(t, []string{configuredRefresh, issued[0], issued[1], issued[2]}, presented)
	var ev *componentstatus.Event
	for _, e := range host.snapshot() {
		if e.Status() == componentstatus.StatusRecoverableError {
			ev = e
			break
		}
	}
	require.NotNil(t, ev)
	assert.Equal(t, `1 of the streams failing; stream default: token request POST /oauth/token: status 400 invalid_grant: "refresh_token" was revoked, expired or rotated elsewhere; set a new one`, ev.Err().Error())
	failed := logs.FilterMessageSnippet("Poll failed").All()
	require.NotEmpty(t, failed)
	assert.Contains(t, failed[0].ContextMap()["error"], set.ID.String()+`: the token endpoint refused "refresh_token" (invalid_grant)`)
	var text strings.Builder
	for _, e := range logs.All() {
		fmt.Fprint(&text, e.Message, e.ContextMap())
	}
	fmt.Fprint(&text, ev.Err())
	for _, tok := range append(issued, configuredRefresh) {
		assert.NotContains(t, text.String(), tok)
	}
}

// The keys of the grant, the combinations refused and the keys of other
// auths.
func TestRefreshTokenConfigErrors(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	ri := &rotatingIssuer{srv: &httptest.Server{URL: "https://auth.example.com"}}
	coord := component.MustNewID("api_logs_coordinator")
	elector := component.MustNewID("k8s_leader_elector")
	for _, tt := range []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"valid public client", func(*Config) {}, ""},
		{"valid with secret", func(c *Config) { c.ClientSecret = "s3cret-value" }, ""},
		{
			"no refresh token", func(c *Config) { c.RefreshToken = "" },
			`"refresh_token" is required by api custom (auth oauth2_refresh_token): the refresh token the authorization server issued to this client`,
		},
		{
			"no client", func(c *Config) { c.ClientID = "" },
			`"client_id" is required by api custom (auth oauth2_refresh_token): the client the refresh token was issued to`,
		},
		{
			"jwt", func(c *Config) { c.JWT = &JWTConfig{PrivateKey: "k"} },
			`"jwt" only applies to auth oauth2_client_credentials; api custom uses oauth2_refresh_token`,
		},
		{
			"short key", func(c *Config) { c.TokenEncryptionKey = "short" },
			"\"token_encryption_key\" must be at least 16 characters of a random secret (for example `openssl rand -base64 32`)",
		},
		{"bad token url", func(c *Config) { c.TokenURL = "ftp://x" }, `"token_url" must be an http or https URL, got "ftp://x"`},
		{
			"coordinator", func(c *Config) { c.Coordinator = &coord },
			`"refresh_token" and "coordinator" cannot be set together: each collector would refresh with the same token and the first rotation would retire the others' (the rotated token is kept in this collector's storage, not in etcd); use a client-credentials or JWT grant with the coordinator`,
		},
		{
			"leader elector", func(c *Config) { c.K8sLeaderElector = &elector },
			`"refresh_token" and "k8s_leader_elector" cannot be set together: the rotated token is kept in the leader's storage, and the next leader would present a token the server has retired; use a client-credentials or JWT grant with leader election`,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := refreshConfig(t, sim, ri, configuredRefresh)
			tt.mutate(cfg)
			if tt.want == "" {
				require.NoError(t, cfg.Validate())
				return
			}
			require.EqualError(t, cfg.Validate(), tt.want)
		})
	}
	logto := logtoConfig(sim, logtoSecret)
	logto.RefreshToken, logto.TokenEncryptionKey = "x", "y"
	require.EqualError(t, logto.Validate(), `"refresh_token" only applies to APIs with auth oauth2_refresh_token; api logto_logs uses oauth2_client_credentials
"token_encryption_key" only applies to APIs with auth oauth2_refresh_token; api logto_logs uses oauth2_client_credentials`)
	tines := tinesConfig(sim, "k")
	tines.RefreshToken = "x"
	require.EqualError(t, tines.Validate(), `"refresh_token" only applies to APIs with auth oauth2_refresh_token; api tines_action_logs uses bearer`)
}

// Start says where rotated tokens go: in memory only without storage,
// unencrypted without a key, encrypted otherwise (and from which key).
func TestRefreshTokenStartWarnings(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	// Nothing listens there: a token request started before Shutdown fails at once.
	ri := &rotatingIssuer{srv: &httptest.Server{URL: "http://127.0.0.1:1"}}
	for _, tt := range []struct {
		name   string
		mutate func(*Config)
		level  zapcore.Level
		msg    string
	}{
		{
			"no storage", func(c *Config) { c.Storage = nil }, zapcore.WarnLevel,
			"No storage extension configured: a rotated refresh token lives in memory only, and a restart presents the configured refresh_token, which the server may have retired; set storage",
		},
		{
			"no key", func(c *Config) { c.TokenEncryptionKey = "" }, zapcore.WarnLevel,
			"Rotated refresh tokens are stored unencrypted, like the cursors: set token_encryption_key to encrypt them",
		},
		{
			"client secret", func(c *Config) { c.TokenEncryptionKey, c.ClientSecret = "", "s3cret-value" }, zapcore.InfoLevel,
			"Rotated refresh tokens are stored encrypted (AES-256-GCM)",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			core, logs := zapobserver.New(zapcore.DebugLevel)
			set := nopSettings()
			set.Logger = zap.New(core)
			cfg := refreshConfig(t, sim, ri, configuredRefresh)
			cfg.CollectionInterval = time.Hour
			tt.mutate(cfg)
			rcv := newTestReceiver(t, set, cfg, &consumertest.LogsSink{})
			st := &tokenStorage{data: map[string][]byte{}}
			require.NoError(t, rcv.Start(context.Background(), &storageHost{statusHost: &statusHost{}, id: tokenStorageID, ext: st}))
			require.NoError(t, rcv.Shutdown(context.Background()))
			got := logs.FilterMessage(tt.msg).All()
			require.Len(t, got, 1)
			assert.Equal(t, tt.level, got[0].Level)
		})
	}
}

// The one-shot check refuses the grant: its token request would rotate the
// collector's refresh token and keep nothing.
func TestRefreshTokenCheckRefused(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	ri := newRotatingIssuer(t, sim, 3600)
	_, err := NewCheck(context.Background(), nopSettings(), refreshConfig(t, sim, ri, configuredRefresh), &consumertest.LogsSink{}, nil)
	require.EqualError(t, err, `"refresh_token": a check cannot poll with auth oauth2_refresh_token: its token request would rotate the refresh token that the collector holds, and the check stores nothing`)
	presented, _, _ := ri.state()
	assert.Empty(t, presented)
}
