package httpclient

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"time"

	"golang.org/x/oauth2/clientcredentials"
)

// GrantTypeRefreshToken is RFC 6749 §6's grant.
const GrantTypeRefreshToken = "refresh_token"

// saveRetryEvery spaces the retries of a rotated refresh token's write
// that failed: the token is kept in memory meanwhile.
const saveRetryEvery = 30 * time.Second

// cancelGrace is how long a refresh-token request in flight may go on once
// its poll is cancelled (a shutdown): within the engine's bound on stopping
// polls (3s).
const cancelGrace = 2 * time.Second

// saveTimeout bounds the write of a rotated refresh token, which does not
// end with the poll's context.
const saveTimeout = 5 * time.Second

// RefreshTokenStore keeps the refresh token a rotation hands out, so that a
// restart does not present the configured one the server has already
// retired. Its errors never quote the token.
type RefreshTokenStore interface {
	// Load returns the stored refresh token that replaces the configured
	// one, or "" when the configured one is to be used (none stored, or the
	// configured one changed since the stored one was saved).
	Load(ctx context.Context) (string, error)
	// Save stores a refresh token the server has just issued.
	Save(ctx context.Context, token string) error
	// SaveFailed is told of each failed Save: the token stays in memory and
	// the write is retried.
	SaveFailed(err error)
}

// refreshGrant is the state of the refresh-token grant: the refresh token
// in use, whether the stored one was read, and a rotated one not yet
// written. Guarded by OAuth2.mu; changed only under OAuth2.refresh.
type refreshGrant struct {
	configured string
	current    string
	store      RefreshTokenStore
	loaded     bool
	unsaved    bool      // current is not in the store yet
	nextSave   time.Time // when unsaved: the next write attempt
}

// UseRefreshStore sets where rotated refresh tokens are kept. Set before
// the first token request (the receiver's Start); without one a rotated
// token lives in memory only.
func (o *OAuth2) UseRefreshStore(s RefreshTokenStore) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.grant != nil {
		o.grant.store = s
	}
}

// refreshTokenSecrets are the forms of a refresh token a log could quote:
// itself and the form-encoded value the token request carries.
func refreshTokenSecrets(tok string) []string {
	return []string{tok, url.QueryEscape(tok)}
}

// loadRefreshToken reads the stored refresh token once, before the first
// token request (in a poll, not in Start: the storage may block). A read
// error fails this token request; the next one reads again.
func (o *OAuth2) loadRefreshToken(ctx context.Context) error {
	o.mu.Lock()
	g := o.grant
	done, store := g.loaded, g.store
	o.mu.Unlock()
	if done {
		return nil
	}
	stored := ""
	if store != nil {
		var err error
		if stored, err = store.Load(ctx); err != nil {
			return fmt.Errorf("%s: reading the stored \"refresh_token\" from the storage extension: %w", o.owner(), err)
		}
	}
	if stored != "" {
		o.learnRefreshToken(stored)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if stored != "" {
		g.current = stored
	}
	g.loaded = true
	return nil
}

// outliveCancel is ctx, except that its cancellation reaches the token
// request only cancelGrace later: the server may rotate the token on
// receipt, and an answer cut off then would take the only live token with
// it (the next start would meet invalid_grant). Deadlines still apply
// through the client's timeout.
func (o *OAuth2) outliveCancel(ctx context.Context) (context.Context, func()) {
	detached, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var timer *time.Timer
	var mu sync.Mutex
	stopAfter := context.AfterFunc(ctx, func() {
		mu.Lock()
		timer = time.AfterFunc(cancelGrace, cancel)
		mu.Unlock()
	})
	return detached, func() {
		stopAfter()
		mu.Lock()
		if timer != nil {
			timer.Stop()
		}
		mu.Unlock()
		cancel()
	}
}

// withRefreshToken is cc with the refresh-token grant and the current token
// among its form parameters. The library's clientcredentials config sends
// them (it lets grant_type be replaced): oauth2.Config's refresher would
// drop the scopes, the resource and the extra parameters, binds one ctx for
// good and its errors would need the same classification again.
func (o *OAuth2) withRefreshToken(cc *clientcredentials.Config) *clientcredentials.Config {
	o.mu.Lock()
	current := o.grant.current
	o.mu.Unlock()
	params := url.Values{"grant_type": {GrantTypeRefreshToken}, GrantTypeRefreshToken: {current}}
	for k, v := range cc.EndpointParams {
		params[k] = v
	}
	return &clientcredentials.Config{
		ClientID: cc.ClientID, ClientSecret: cc.ClientSecret, TokenURL: cc.TokenURL, Scopes: cc.Scopes,
		AuthStyle: cc.AuthStyle, EndpointParams: params,
	}
}

// rotated takes the refresh token of a token answer ("" when the server
// keeps the old one): every redactor learns it, it replaces the current one
// and it is written to the store before the new access token is used. A
// failed write keeps it in memory, to be written again later (retrySave).
func (o *OAuth2) rotated(ctx context.Context, tok string) {
	o.mu.Lock()
	g := o.grant
	same := tok == "" || tok == g.current
	o.mu.Unlock()
	if same {
		return
	}
	o.learnRefreshToken(tok)
	o.mu.Lock()
	g.current, g.unsaved = tok, true
	o.mu.Unlock()
	o.saveRefreshToken(ctx)
}

// saveRefreshToken writes the current refresh token if it is not stored
// yet; the caller holds o.refresh.
func (o *OAuth2) saveRefreshToken(ctx context.Context) {
	o.mu.Lock()
	g := o.grant
	tok, store, unsaved := g.current, g.store, g.unsaved
	o.mu.Unlock()
	if !unsaved || store == nil {
		return
	}
	err := store.Save(ctx, tok)
	o.mu.Lock()
	if err == nil && g.current == tok {
		g.unsaved = false
	}
	g.nextSave = o.now().Add(saveRetryEvery)
	o.mu.Unlock()
	if err != nil {
		store.SaveFailed(err)
	}
}

// retrySave writes a rotated refresh token whose write failed, at most
// every saveRetryEvery, and only when no token request is in flight (that
// one writes it itself).
func (o *OAuth2) retrySave(ctx context.Context) {
	o.mu.Lock()
	due := o.grant != nil && o.grant.unsaved && o.grant.store != nil && !o.now().Before(o.grant.nextSave)
	o.mu.Unlock()
	if !due {
		return
	}
	select {
	case o.refresh <- struct{}{}:
	default:
		return
	}
	defer func() { <-o.refresh }()
	o.saveRefreshToken(ctx)
}

// learnRefreshToken tells every redactor of a rotated refresh token (the
// configured one is a static secret). Not as a static secret either: months
// of rotations would grow the redactor without end.
func (o *OAuth2) learnRefreshToken(tok string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, r := range o.reds {
		r.AddRefreshToken(refreshTokenSecrets(tok)...)
	}
}

// owner names the receiver in errors ("the token endpoint" without one).
func (o *OAuth2) owner() string {
	if o.cfg.Owner != "" {
		return o.cfg.Owner
	}
	return "oauth2"
}

// RefreshTokenRefusedError is the token endpoint's invalid_grant for the
// refresh-token grant: the token was revoked, expired, or rotated by
// another client that holds the same one. It wraps the StatusError, so the
// stream retries slowly (IsPermanent) and the status is a RecoverableError
// until someone sets a new refresh_token.
type RefreshTokenRefusedError struct {
	Owner string
	Err   *StatusError
}

func (e *RefreshTokenRefusedError) Error() string {
	return fmt.Sprintf("%s: the token endpoint refused \"refresh_token\" (invalid_grant): it was revoked or expired, or rotated by another "+
		"client holding the same token (another collector or receiver); set a new one in refresh_token: %v", e.Owner, e.Err)
}

func (e *RefreshTokenRefusedError) Unwrap() error { return e.Err }
