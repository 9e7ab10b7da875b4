package httpclient

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

const (
	defaultTokenLifetime = 5 * time.Minute // when the server omits expires_in
	maxRenewEarly        = time.Minute
)

// OAuth2Config configures the client-credentials grant (Logto M2M apps).
type OAuth2Config struct {
	TokenURL     string
	ClientID     string
	ClientSecret configopaque.String
	Resource     string // sent as the "resource" form parameter (RFC 8707)
	Scopes       []string
	// EndpointParams are extra form parameters of the token request
	// (audience, ...). They are not secrets: no redactor learns them.
	EndpointParams map[string]string
	// Assertion, when set, signs an RFC 7523 assertion for each token
	// request: the grant itself, or the client's authentication
	// (private_key_jwt) in place of ClientSecret (jwt_assertion.go).
	Assertion *JWTAssertionConfig
	// RefreshToken, when set, makes the grant refresh_token (RFC 6749 §6)
	// in place of client_credentials; a new refresh token in an answer
	// replaces it (rotation) and goes to the RefreshTokenStore
	// (oauth_refresh.go). ClientSecret is optional then (public clients).
	RefreshToken configopaque.String
	// Owner names the receiver in errors that ask for a config change.
	Owner string
	// Redactor learns the client secret, its encodings and every access
	// token as it is obtained. Nil: a new one (Client.New adds its own).
	Redactor *Redactor
}

// OAuth2 is a client-credentials Authenticator. golang.org/x/oauth2's
// clientcredentials builds the token request and parses the answer; this type
// adds what the project promises on top: the token is cached, renewed shortly
// before expiry (keeping the old one while it is valid if renewal fails),
// dropped on Invalidate, and shared by all streams; at most one token request
// is in flight at a time, and errors are classified and free of secrets.
//
// The cache is not oauth2.ReuseTokenSource: that one reads the wall clock
// (o.now is swapped in tests), has a fixed early-expiry margin (this one is
// min(1m, lifetime/10)), cannot be invalidated, binds one ctx at creation
// rather than each caller's, and treats a missing expires_in as never
// expiring.
type OAuth2 struct {
	cfg       OAuth2Config
	cc        clientcredentials.Config
	tokenPath string
	hc        *http.Client
	timeout   time.Duration    // hc's Timeout, applied as a ctx deadline
	now       func() time.Time // replaced in tests
	refresh   chan struct{}    // 1-slot semaphore: one refresh at a time
	static    []string         // the secrets of the token request, to redact
	signer    *assertionSigner // nil: no RFC 7523 assertion
	grant     *refreshGrant    // nil: client credentials (or an assertion)

	mu        sync.Mutex
	reds      []*Redactor // told of every secret and token
	token     string
	refreshAt time.Time // renew from here on
	expiry    time.Time // hard expiry; the old token is usable until then
}

// OAuth2ClientCredentials builds an OAuth2 authenticator. hc may be nil.
func OAuth2ClientCredentials(cfg OAuth2Config, hc *http.Client) (*OAuth2, error) {
	u, err := url.Parse(cfg.TokenURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		// Don't echo the URL: a misconfigured one may embed credentials.
		return nil, errors.New("oauth2: token_url must be an absolute http(s) URL without userinfo")
	}
	if cfg.RefreshToken != "" && cfg.Assertion != nil {
		return nil, errors.New("oauth2: a refresh token and a JWT assertion cannot be combined")
	}
	if cfg.ClientID == "" && (cfg.Assertion == nil || !cfg.Assertion.Grant) {
		return nil, errors.New("oauth2: client_id is required")
	}
	if err = CheckEndpointParams(cfg.EndpointParams); err != nil {
		return nil, fmt.Errorf("oauth2: endpoint_params: %w", err)
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	cp := *hc
	// Never follow redirects with the client secret attached.
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	cp.Transport = tokenTransport{base: cp.Transport}
	// The client's Timeout becomes a ctx deadline in fetch: below a client
	// with a Timeout, a stalled body fails only as "request canceled".
	timeout := cp.Timeout
	cp.Timeout = 0
	cc := clientcredentials.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: string(cfg.ClientSecret),
		TokenURL:     u.String(),
		Scopes:       cfg.Scopes,
		// The id and secret go in the Basic header only, as before; the
		// library form-encodes them first (RFC 6749 §2.3.1), and an explicit
		// style stops it retrying with the secret in the form.
		AuthStyle:      oauth2.AuthStyleInHeader,
		EndpointParams: tokenParams(cfg.Resource, cfg.EndpointParams),
	}
	// The same encoding as the library's Basic header, kept to redact it.
	id, sec := url.QueryEscape(cfg.ClientID), url.QueryEscape(string(cfg.ClientSecret))
	basic := base64.StdEncoding.EncodeToString([]byte(id + ":" + sec))
	o := &OAuth2{
		cfg:       cfg,
		cc:        cc,
		tokenPath: pathOf(u),
		hc:        &cp,
		timeout:   timeout,
		now:       time.Now,
		refresh:   make(chan struct{}, 1),
	}
	if cfg.ClientSecret != "" {
		o.static = []string{
			string(cfg.ClientSecret), sec, id + ":" + sec, cfg.ClientID + ":" + string(cfg.ClientSecret),
			basic, "Basic " + basic,
		}
	}
	if cfg.RefreshToken != "" {
		o.grant = &refreshGrant{configured: string(cfg.RefreshToken), current: string(cfg.RefreshToken)}
		// A public client has no secret: its id goes in the form (RFC
		// 6749 §3.2.1), as with an assertion.
		o.cc.AuthStyle = assertionAuthStyle(cfg.ClientSecret)
		o.static = append(o.static, refreshTokenSecrets(string(cfg.RefreshToken))...)
	}
	if cfg.Assertion != nil {
		if o.signer, err = newAssertionSigner(*cfg.Assertion, cfg.ClientID, cc.TokenURL); err != nil {
			return nil, err
		}
		o.cc.AuthStyle = assertionAuthStyle(cfg.ClientSecret)
		o.static = append(o.static, pemSecrets(string(cfg.Assertion.PrivateKey))...)
	}
	red := cfg.Redactor
	if red == nil {
		red = NewRedactor()
	}
	o.useRedactor(red)
	return o, nil
}

// useRedactor makes r know the client secret and every access token, those
// already obtained and those to come.
func (o *OAuth2) useRedactor(r *Redactor) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if slices.Contains(o.reds, r) {
		return
	}
	o.reds = append(o.reds, r)
	r.Add(o.static...)
	if o.token != "" {
		r.AddToken(o.token, "Bearer "+o.token)
	}
}

// redactor is the first redactor given, for the token endpoint's snippets.
func (o *OAuth2) redactor() *Redactor {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.reds[0]
}

// Apply sets "Authorization: Bearer <access token>".
func (o *OAuth2) Apply(ctx context.Context, req *http.Request) error {
	tok, err := o.Token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	return nil
}

// String keeps fmt from printing the client secret or token.
func (o *OAuth2) String() string {
	if o.grant != nil {
		return "oauth2 refresh token (" + o.tokenPath + ")"
	}
	return "oauth2 client credentials (" + o.tokenPath + ")"
}

// GoString is String, for %#v.
func (o *OAuth2) GoString() string { return o.String() }

// Invalidate drops the cached token so the next Apply fetches a new one.
func (o *OAuth2) Invalidate() {
	o.mu.Lock()
	o.token, o.refreshAt, o.expiry = "", time.Time{}, time.Time{}
	o.mu.Unlock()
}

// Token returns a valid access token, fetching one if needed.
func (o *OAuth2) Token(ctx context.Context) (string, error) {
	o.retrySave(ctx)
	if tok, ok := o.cached(); ok {
		return tok, nil
	}
	select {
	case o.refresh <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-o.refresh }()
	// Another caller may have refreshed while we waited for the semaphore.
	if tok, ok := o.cached(); ok {
		return tok, nil
	}
	if o.grant != nil {
		if err := o.loadRefreshToken(ctx); err != nil {
			return "", err
		}
	}
	sent := o.now()
	tok, lifetime, err := o.fetch(ctx)
	if err == nil {
		// Known before any request carries it, so that no answer
		// reflecting it can be quoted unredacted.
		o.learnToken(tok, "Bearer "+tok)
	}
	if err != nil {
		// Renewal is early on purpose; keep using the old token until it
		// really expires rather than failing the poll.
		o.mu.Lock()
		old, exp := o.token, o.expiry
		o.mu.Unlock()
		if old != "" && o.now().Before(exp) && ctx.Err() == nil {
			return old, nil
		}
		return "", err
	}
	early := min(maxRenewEarly, lifetime/10)
	o.mu.Lock()
	o.token = tok
	// Lifetime counts from when we sent the request: conservative.
	o.expiry = sent.Add(lifetime)
	o.refreshAt = o.expiry.Add(-early)
	o.mu.Unlock()
	return tok, nil
}

// learnToken tells every redactor of a bearer credential (an access token,
// a signed assertion).
func (o *OAuth2) learnToken(values ...string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.reds {
		r.AddToken(values...)
	}
}

func (o *OAuth2) cached() (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.token != "" && o.now().Before(o.refreshAt) {
		return o.token, true
	}
	return "", false
}

// fetch asks the token endpoint for a new token through the library, with
// the caller's ctx and this authenticator's HTTP client (TLS, proxy, no
// redirects).
func (o *OAuth2) fetch(ctx context.Context) (string, time.Duration, error) {
	var bodyErr error
	tctx := ctx
	if o.grant != nil {
		var stop func()
		tctx, stop = o.outliveCancel(ctx)
		defer stop()
	}
	if o.timeout > 0 {
		var cancel context.CancelFunc
		tctx, cancel = context.WithTimeout(tctx, o.timeout)
		defer cancel()
	}
	tctx = context.WithValue(tctx, oauth2.HTTPClient, o.hc)
	tctx = context.WithValue(tctx, bodyErrKey{}, &bodyErr)
	cc := &o.cc
	if o.signer != nil {
		var assertion string
		var err error
		if cc, assertion, err = o.signer.withAssertion(cc, o.now()); err != nil {
			return "", 0, err
		}
		// The signature alone too: it is what makes the assertion.
		o.learnToken(assertion, assertion[strings.LastIndexByte(assertion, '.')+1:])
	}
	if o.grant != nil {
		cc = o.withRefreshToken(cc)
	}
	tok, err := cc.Token(tctx)
	if err != nil {
		return "", 0, o.tokenError(ctx, err, bodyErr)
	}
	if o.grant != nil {
		// Before anything can refuse the answer: the server has retired
		// the old refresh token already. The write outlives a cancelled
		// poll (a shutdown) for a moment: a lost rotation costs a human.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
		o.rotated(sctx, tok.RefreshToken)
		cancel()
	}
	if tok.TokenType != "" && !strings.EqualFold(tok.TokenType, "bearer") {
		return "", 0, fmt.Errorf("token request POST %s: unsupported token_type %q", o.tokenPath, tok.TokenType)
	}
	lifetime := defaultTokenLifetime
	if secs, ok := expiresIn(tok); ok && secs > 0 {
		lifetime = secondsToDuration(secs)
	}
	return tok.AccessToken, lifetime, nil
}

// tokenError turns the library's error into this package's types. Its text is
// never kept: *oauth2.RetrieveError quotes the endpoint's body (which may echo
// the credentials) and parse errors may quote parts of it.
func (o *OAuth2) tokenError(ctx context.Context, err, bodyErr error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if bodyErr != nil {
		// The connection failed mid-body; the library only reports it as text.
		return &TransportError{Method: "token request POST", Path: o.tokenPath, Err: bodyErr}
	}
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.Response != nil {
		if st := re.Response.StatusCode; st < 200 || st > 299 {
			se := &StatusError{
				Status: st, Method: http.MethodPost, Path: o.tokenPath,
				Snippet: redactSnippet(st, re.Body, o.redactor()), TokenEndpoint: true,
			}
			if o.grant != nil && re.ErrorCode == "invalid_grant" {
				return &RefreshTokenRefusedError{Owner: o.owner(), Err: se}
			}
			return se
		}
		// A 2xx carrying an OAuth "error" field.
		return fmt.Errorf("token request POST %s: status %d answer carries an OAuth error", o.tokenPath, re.Response.StatusCode)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return &TransportError{Method: "token request POST", Path: o.tokenPath, Err: ue.Err}
	}
	if strings.Contains(err.Error(), "missing access_token") {
		return fmt.Errorf("token request POST %s: response has no access_token", o.tokenPath)
	}
	return fmt.Errorf("token request POST %s: malformed token response", o.tokenPath)
}

// expiresIn reads expires_in from the raw response: the library's
// Token.Expiry counts from when the answer arrived and is zero when the field
// is missing, but the lifetime here counts from when the request was sent.
func expiresIn(tok *oauth2.Token) (float64, bool) {
	switch v := tok.Extra("expires_in").(type) {
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	}
	return 0, false
}

type bodyErrKey struct{}

// tokenTransport keeps the token exchange as it was before the library: it
// asks for JSON (Accept) and always has the answer read as JSON, whatever its
// Content-Type (the library parses text/plain as a form, but servers that
// send JSON often label it so, or not at all and get text/plain sniffed). It
// also records a failure while the library reads the response body, so that
// it stays a retryable TransportError.
type tokenTransport struct{ base http.RoundTripper }

func (t tokenTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Accept", "application/json")
	resp, err := t.baseOrDefault().RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	resp.Header.Set("Content-Type", "application/json")
	if rec, ok := req.Context().Value(bodyErrKey{}).(*error); ok {
		resp.Body = &recordingBody{ReadCloser: resp.Body, ctx: req.Context(), err: rec}
	}
	return resp, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the base.
func (t tokenTransport) CloseIdleConnections() {
	if ci, ok := t.baseOrDefault().(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

func (t tokenTransport) baseOrDefault() http.RoundTripper {
	if t.base == nil {
		return http.DefaultTransport
	}
	return t.base
}

// recordingBody keeps the first read error. A read cut by the request ctx
// (the caller's or the client Timeout's deadline) is recorded as the ctx's
// error, as http.Client's own body error would say.
type recordingBody struct {
	io.ReadCloser
	ctx context.Context
	err *error
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && *b.err == nil {
		*b.err = err
		if cerr := b.ctx.Err(); cerr != nil {
			*b.err = fmt.Errorf("%w while reading body", cerr)
		}
	}
	return n, err
}
