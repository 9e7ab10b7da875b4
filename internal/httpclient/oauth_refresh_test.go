package httpclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
)

const testRefreshToken = "rt-0-configured-4b7d1e9a"

// rotatingServer accepts each refresh token once: it answers with a new
// access token and a new refresh token, and refuses any other with
// invalid_grant, echoing what it got (as careless servers do).
type rotatingServer struct {
	*server
	mu        sync.Mutex
	current   string
	presented []string // the refresh tokens the client sent, in order
	forms     []url.Values
	refused   int
	expiresIn int
	rotate    bool // false: answers keep the refresh token
}

func newRotatingServer(t *testing.T, first string) *rotatingServer {
	rs := &rotatingServer{current: first, expiresIn: 100, rotate: true}
	rs.server = newServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		assert.NoError(t, r.ParseForm()) //nolint:testifylint // in a handler
		rs.mu.Lock()
		defer rs.mu.Unlock()
		got := r.PostForm.Get("refresh_token")
		rs.presented = append(rs.presented, got)
		rs.forms = append(rs.forms, r.PostForm)
		w.Header().Set("Content-Type", "application/json")
		if got != rs.current || r.PostForm.Get("grant_type") != "refresh_token" {
			rs.refused++
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":"invalid_grant","error_description":"refresh token %s was used already; current is %s"}`, got, rs.current)
			return
		}
		answer := fmt.Sprintf(`{"access_token":"at-%d-5c8e2f71","token_type":"Bearer","expires_in":%d`, n, rs.expiresIn)
		if rs.rotate {
			rs.current = fmt.Sprintf("rt-%d-rotated-9a3c6d20", n)
			answer += fmt.Sprintf(`,"refresh_token":%q`, rs.current)
		}
		fmt.Fprint(w, answer+"}")
	})
	return rs
}

func (rs *rotatingServer) snapshot() (presented []string, refused int, current string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return append([]string(nil), rs.presented...), rs.refused, rs.current
}

// memRefreshStore is a RefreshTokenStore whose writes fail while failSaves
// is positive.
type memRefreshStore struct {
	mu        sync.Mutex
	stored    string
	saves     int // attempts
	failSaves int
	failed    int // SaveFailed calls
	loads     int
}

func (m *memRefreshStore) Load(context.Context) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.loads++
	return m.stored, nil
}

func (m *memRefreshStore) Save(_ context.Context, tok string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.saves++
	if m.failSaves > 0 {
		m.failSaves--
		return errors.New("disk full")
	}
	m.stored = tok
	return nil
}

func (m *memRefreshStore) SaveFailed(error) {
	m.mu.Lock()
	m.failed++
	m.mu.Unlock()
}

func (m *memRefreshStore) state() (stored string, saves, failed, loads int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stored, m.saves, m.failed, m.loads
}

// fakeClock drives an OAuth2's renewals.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *fakeClock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

func newRefreshOAuth(t *testing.T, rs *rotatingServer, store RefreshTokenStore, secret string) (*OAuth2, *fakeClock) {
	t.Helper()
	hc := *rs.Client()
	hc.Timeout = time.Minute // as the receiver's client has one (a ctx deadline in fetch)
	o, err := OAuth2ClientCredentials(OAuth2Config{
		TokenURL: rs.URL + "/oauth/token", ClientID: testClientID, ClientSecret: configopaque.String(secret),
		Scopes: []string{"logs.read"}, EndpointParams: map[string]string{"audience": "https://logs.example.com"},
		RefreshToken: testRefreshToken, Owner: "api_logs/test",
	}, &hc)
	require.NoError(t, err)
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	o.now = clock.Now
	if store != nil {
		o.UseRefreshStore(store)
	}
	return o, clock
}

// Each renewal presents the refresh token of the previous answer, and each
// rotated token is stored before the access token is handed out: four
// token requests for four renewals, none refused, the store holding the
// server's current token after each.
func TestRefreshTokenRotatesOnEveryRenewal(t *testing.T) {
	rs := newRotatingServer(t, testRefreshToken)
	store := &memRefreshStore{}
	o, clock := newRefreshOAuth(t, rs, store, testClientSecret)
	ctx := context.Background()
	for i := 1; i <= 4; i++ {
		tok, err := o.Token(ctx)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("at-%d-5c8e2f71", i), tok)
		stored, _, _, _ := store.state()
		_, _, current := rs.snapshot()
		assert.Equal(t, current, stored, "stored before the access token is used")
		tok, err = o.Token(ctx)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprintf("at-%d-5c8e2f71", i), tok, "cached")
		clock.Advance(91 * time.Second) // past the 90% renewal point
	}
	presented, refused, _ := rs.snapshot()
	assert.Equal(t, []string{testRefreshToken, "rt-1-rotated-9a3c6d20", "rt-2-rotated-9a3c6d20", "rt-3-rotated-9a3c6d20"}, presented)
	assert.Zero(t, refused)
	_, saves, failed, loads := store.state()
	assert.Equal(t, 4, saves)
	assert.Zero(t, failed)
	assert.Equal(t, 1, loads, "the store is read once, before the first token request")

	// The form: the grant, the token, the scopes and the extra parameters;
	// the secret in the Basic header only.
	rs.mu.Lock()
	form := rs.forms[0]
	rs.mu.Unlock()
	assert.Equal(t, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {testRefreshToken},
		"scope": {"logs.read"}, "audience": {"https://logs.example.com"},
	}, form)
}

// A server that keeps the refresh token (no refresh_token in its answers)
// is presented the same one each time; nothing is written.
func TestRefreshTokenWithoutRotation(t *testing.T) {
	rs := newRotatingServer(t, testRefreshToken)
	rs.rotate = false
	store := &memRefreshStore{}
	o, clock := newRefreshOAuth(t, rs, store, testClientSecret)
	for range 3 {
		_, err := o.Token(context.Background())
		require.NoError(t, err)
		clock.Advance(91 * time.Second)
	}
	presented, refused, _ := rs.snapshot()
	assert.Equal(t, []string{testRefreshToken, testRefreshToken, testRefreshToken}, presented)
	assert.Zero(t, refused)
	_, saves, _, _ := store.state()
	assert.Zero(t, saves)
}

// The stored token replaces the configured one, which the server retired
// before a restart: one token request, presenting the stored token.
func TestRefreshTokenStoredOneIsUsed(t *testing.T) {
	rs := newRotatingServer(t, "rt-7-rotated-9a3c6d20")
	store := &memRefreshStore{stored: "rt-7-rotated-9a3c6d20"}
	o, _ := newRefreshOAuth(t, rs, store, testClientSecret)
	_, err := o.Token(context.Background())
	require.NoError(t, err)
	presented, refused, current := rs.snapshot()
	assert.Equal(t, []string{"rt-7-rotated-9a3c6d20"}, presented)
	assert.Zero(t, refused)
	stored, _, _, _ := store.state()
	assert.Equal(t, current, stored)
}

// A failed write keeps the rotated token in memory (the next renewal
// presents it), is told to the store each time, and is retried every
// saveRetryEvery by Token, even while the access token is cached.
func TestRefreshTokenFailedWriteIsRetried(t *testing.T) {
	rs := newRotatingServer(t, testRefreshToken)
	rs.expiresIn = 3600 // no renewal during the test
	store := &memRefreshStore{failSaves: 2}
	o, clock := newRefreshOAuth(t, rs, store, testClientSecret)
	ctx := context.Background()
	_, err := o.Token(ctx)
	require.NoError(t, err, "a failed write does not fail the token")
	stored, saves, failed, _ := store.state()
	assert.Empty(t, stored)
	assert.Equal(t, 1, saves)
	assert.Equal(t, 1, failed)

	clock.Advance(saveRetryEvery - time.Second)
	_, err = o.Token(ctx)
	require.NoError(t, err)
	_, saves, _, _ = store.state()
	assert.Equal(t, 1, saves, "not before saveRetryEvery")

	clock.Advance(time.Second)
	_, err = o.Token(ctx) // cached access token; the write is retried and fails again
	require.NoError(t, err)
	_, saves, failed, _ = store.state()
	assert.Equal(t, 2, saves)
	assert.Equal(t, 2, failed)

	clock.Advance(saveRetryEvery)
	_, err = o.Token(ctx)
	require.NoError(t, err)
	stored, saves, failed, _ = store.state()
	assert.Equal(t, "rt-1-rotated-9a3c6d20", stored)
	assert.Equal(t, 3, saves)
	assert.Equal(t, 2, failed)

	clock.Advance(saveRetryEvery)
	_, err = o.Token(ctx)
	require.NoError(t, err)
	_, saves, _, _ = store.state()
	assert.Equal(t, 3, saves, "nothing left to write")
	presented, refused, _ := rs.snapshot()
	assert.Equal(t, []string{testRefreshToken}, presented)
	assert.Zero(t, refused)
}

// invalid_grant: a RefreshTokenRefusedError that names the receiver and the
// key, is permanent (slow retries), and quotes no token although the
// server's body echoes the presented and the current one.
func TestRefreshTokenInvalidGrant(t *testing.T) {
	rs := newRotatingServer(t, testRefreshToken)
	o, clock := newRefreshOAuth(t, rs, nil, testClientSecret)
	_, err := o.Token(context.Background())
	require.NoError(t, err)
	// Another client rotates the token away.
	rs.mu.Lock()
	rs.current = "rt-99-elsewhere-71be03d4"
	rs.mu.Unlock()
	clock.Advance(101 * time.Second) // past expiry: no access token to fall back on
	_, err = o.Token(context.Background())
	var refused *RefreshTokenRefusedError
	require.ErrorAs(t, err, &refused)
	assert.True(t, IsPermanent(err))
	msg := err.Error()
	assert.Contains(t, msg, `api_logs/test: the token endpoint refused "refresh_token" (invalid_grant)`)
	assert.Contains(t, msg, "status 400")
	for _, secret := range []string{testRefreshToken, "rt-1-rotated-9a3c6d20", "at-1-5c8e2f71"} {
		assert.NotContains(t, msg, secret)
	}
	// The elsewhere-rotated token is not this client's: it was never told.
	assert.Contains(t, msg, "rt-99-elsewhere-71be03d4")
}

// A public client (no secret): the client id goes in the form, no Basic
// header.
func TestRefreshTokenPublicClient(t *testing.T) {
	rs := newRotatingServer(t, testRefreshToken)
	var basic []bool
	inner := rs.Config.Handler
	rs.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _, ok := r.BasicAuth()
		basic = append(basic, ok)
		inner.ServeHTTP(w, r)
	})
	o, _ := newRefreshOAuth(t, rs, nil, "")
	_, err := o.Token(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []bool{false}, basic)
	rs.mu.Lock()
	defer rs.mu.Unlock()
	assert.Equal(t, testClientID, rs.forms[0].Get("client_id"))
	assert.False(t, rs.forms[0].Has("client_secret"))
	assert.Equal(t, "oauth2 refresh token (/oauth/token)", o.String())
}

// Every refresh token the client holds, configured and rotated, is known to
// the redactors: a body quoting them is redacted in every encoding.
func TestRefreshTokensAreRedacted(t *testing.T) {
	rs := newRotatingServer(t, testRefreshToken)
	red := NewRedactor()
	o, clock := newRefreshOAuth(t, rs, nil, testClientSecret)
	o.useRedactor(red)
	for range 3 {
		_, err := o.Token(context.Background())
		require.NoError(t, err)
		clock.Advance(91 * time.Second)
	}
	_, _, current := rs.snapshot()
	for _, secret := range []string{testRefreshToken, "rt-1-rotated-9a3c6d20", current} {
		for _, form := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), `"refresh_token=` + secret + `"`} {
			assert.NotContains(t, red.Redact("echo: "+form+" end"), strings.Trim(form, `"`), form)
			assert.Contains(t, red.Redact("echo: "+form+" end"), "[REDACTED]", form)
		}
	}
}

// A shutdown cancels a poll while its token request is in flight, after
// the server rotated: the answer is still read (within cancelGrace) and its
// refresh token stored, or the next start would present a retired one.
func TestRefreshTokenAnswerAfterCancelIsKept(t *testing.T) {
	rs := newRotatingServer(t, testRefreshToken)
	received, answer := make(chan struct{}), make(chan struct{})
	inner := rs.Config.Handler
	rs.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(received)
		<-answer
		inner.ServeHTTP(w, r)
	})
	store := &memRefreshStore{}
	o, _ := newRefreshOAuth(t, rs, store, testClientSecret)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := o.Token(ctx)
		done <- err
	}()
	<-received
	cancel()
	close(answer)
	require.NoError(t, <-done, "the answer arrived within the grace")
	stored, saves, _, _ := store.state()
	assert.Equal(t, "rt-1-rotated-9a3c6d20", stored)
	assert.Equal(t, 1, saves)
}
