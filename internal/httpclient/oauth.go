package httpclient

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
)

const (
	tokenBodyLimit       = 1 << 20
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
}

// OAuth2 is a client-credentials Authenticator. The token is cached, renewed
// shortly before expiry, and shared by all streams; at most one token request
// is in flight at a time.
type OAuth2 struct {
	cfg       OAuth2Config
	tokenURL  string
	tokenPath string
	basic     string // base64(id:secret), kept to redact it from snippets
	hc        *http.Client
	now       func() time.Time // replaced in tests
	refresh   chan struct{}    // 1-slot semaphore: one refresh at a time

	mu        sync.Mutex
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
	if cfg.ClientID == "" {
		return nil, errors.New("oauth2: client_id is required")
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	cp := *hc
	// Never follow redirects with the client secret attached.
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// RFC 6749 §2.3.1: form-encode id and secret before Basic encoding.
	id, sec := url.QueryEscape(cfg.ClientID), url.QueryEscape(string(cfg.ClientSecret))
	return &OAuth2{
		cfg:       cfg,
		tokenURL:  u.String(),
		tokenPath: pathOf(u),
		basic:     base64.StdEncoding.EncodeToString([]byte(id + ":" + sec)),
		hc:        &cp,
		now:       time.Now,
		refresh:   make(chan struct{}, 1),
	}, nil
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
func (o *OAuth2) String() string { return "oauth2 client credentials (" + o.tokenPath + ")" }

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
	sent := o.now()
	tok, lifetime, err := o.fetch(ctx)
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

func (o *OAuth2) cached() (string, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.token != "" && o.now().Before(o.refreshAt) {
		return o.token, true
	}
	return "", false
}

func (o *OAuth2) secrets() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return []string{string(o.cfg.ClientSecret), url.QueryEscape(string(o.cfg.ClientSecret)), o.basic, o.token}
}

type tokenResponse struct {
	AccessToken string      `json:"access_token"`
	TokenType   string      `json:"token_type"`
	ExpiresIn   json.Number `json:"expires_in"`
}

func (o *OAuth2) fetch(ctx context.Context) (string, time.Duration, error) {
	form := url.Values{"grant_type": {"client_credentials"}}
	if o.cfg.Resource != "" {
		form.Set("resource", o.cfg.Resource)
	}
	if len(o.cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(o.cfg.Scopes, " "))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.tokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("token request POST %s: cannot build request", o.tokenPath)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Basic "+o.basic)
	resp, err := o.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", 0, ctx.Err()
		}
		return "", 0, &TransportError{Method: "token request POST", Path: o.tokenPath, Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, tokenBodyLimit+1))
	if err != nil {
		return "", 0, &TransportError{Method: "token request POST", Path: o.tokenPath, Err: err}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return "", 0, &StatusError{
			Status: resp.StatusCode, Method: http.MethodPost, Path: o.tokenPath,
			Snippet: redactSnippet(resp.StatusCode, body, o.secrets()), TokenEndpoint: true,
		}
	}
	if len(body) > tokenBodyLimit {
		return "", 0, fmt.Errorf("token request POST %s: %w", o.tokenPath, ErrBodyTooLarge)
	}
	var tr tokenResponse
	// The decode error is not wrapped: it could quote parts of the body.
	if err := json.Unmarshal(body, &tr); err != nil {
		return "", 0, fmt.Errorf("token request POST %s: malformed token response", o.tokenPath)
	}
	if tr.AccessToken == "" {
		return "", 0, fmt.Errorf("token request POST %s: response has no access_token", o.tokenPath)
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return "", 0, fmt.Errorf("token request POST %s: unsupported token_type %q", o.tokenPath, tr.TokenType)
	}
	lifetime := defaultTokenLifetime
	if secs, err := tr.ExpiresIn.Float64(); err == nil && secs > 0 {
		lifetime = secondsToDuration(secs)
	}
	return tr.AccessToken, lifetime, nil
}
