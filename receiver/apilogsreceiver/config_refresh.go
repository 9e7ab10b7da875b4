package apilogsreceiver

import (
	"fmt"

	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/refreshstore"
)

// minEncryptionKey is the shortest token_encryption_key taken: HKDF does not
// make a guessable secret strong.
const minEncryptionKey = 16

// checkRefresh checks the credentials of the refresh-token grant. A public
// client has no client_secret; jwt is client credentials' business.
func (cfg *Config) checkRefresh() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%q %s", key, fmt.Sprintf(format, args...)))
	}
	if cfg.RefreshToken == "" {
		bad("refresh_token", "is required by api %s (auth %s): the refresh token the authorization server issued to this client", cfg.API, apispec.AuthOAuth2Refresh)
	}
	if cfg.ClientID == "" {
		bad("client_id", "is required by api %s (auth %s): the client the refresh token was issued to", cfg.API, apispec.AuthOAuth2Refresh)
	}
	if cfg.JWT != nil {
		bad("jwt", "only applies to auth %s; api %s uses %s", apispec.AuthOAuth2, cfg.API, apispec.AuthOAuth2Refresh)
	}
	if err := cfg.checkTokenURL(); err != nil {
		errs = append(errs, err)
	}
	if k := cfg.TokenEncryptionKey; k != "" && len(k) < minEncryptionKey {
		bad("token_encryption_key", "must be at least %d characters of a random secret (for example `openssl rand -base64 32`)", minEncryptionKey)
	}
	// Each rotation retires the token the others hold: two pollers with one
	// refresh token lock each other out at the first refresh.
	if cfg.Coordinator != nil {
		bad("refresh_token", "and \"coordinator\" cannot be set together: each collector would refresh with the same token and the first rotation "+
			"would retire the others' (the rotated token is kept in this collector's storage, not in etcd); use a client-credentials or JWT grant with the coordinator")
	}
	if cfg.K8sLeaderElector != nil {
		bad("refresh_token", "and \"k8s_leader_elector\" cannot be set together: the rotated token is kept in the leader's storage, and the next leader "+
			"would present a token the server has retired; use a client-credentials or JWT grant with leader election")
	}
	return errs
}

// checkNotRefresh refuses the refresh-token keys for an API of another auth.
func (cfg *Config) checkNotRefresh(auth string) []error {
	var errs []error
	for _, k := range []struct {
		key string
		set bool
	}{{"refresh_token", cfg.RefreshToken != ""}, {"token_encryption_key", cfg.TokenEncryptionKey != ""}} {
		if k.set {
			errs = append(errs, fmt.Errorf("%q only applies to APIs with auth %s; api %s uses %s", k.key, apispec.AuthOAuth2Refresh, cfg.API, auth))
		}
	}
	return errs
}

// keepRefreshTokens gives the refresh-token grant its store of rotated
// tokens: the storage extension's (encrypted when a key is at hand), or
// none, with a warning, without storage. Nothing is read here: the first
// token request, in a poll, reads the stored token.
func (lr *logsReceiver) keepRefreshTokens() error {
	if lr.oauth == nil {
		return nil
	}
	cfg, log := lr.cfg, lr.set.Logger
	if cfg.Storage == nil {
		log.Warn("No storage extension configured: a rotated refresh token lives in memory only, and a restart presents the configured " +
			"refresh_token, which the server may have retired; set storage")
		return nil
	}
	secret, keyFrom := string(cfg.TokenEncryptionKey), "token_encryption_key"
	if secret == "" {
		secret, keyFrom = string(cfg.ClientSecret), "client_secret"
	}
	store, err := refreshstore.New(refreshstore.Config{
		Storage:    lr.store,
		Configured: string(cfg.RefreshToken),
		Secret:     secret,
		Logger:     lr.oauthLog,
		SaveFailed: lr.obs.RefreshTokenSaveError,
	})
	if err != nil {
		return err
	}
	if store.Encrypted() {
		log.Info("Rotated refresh tokens are stored encrypted (AES-256-GCM)", zap.String("key_from", keyFrom), zap.String("storage", cfg.Storage.String()))
	} else {
		log.Warn("Rotated refresh tokens are stored unencrypted, like the cursors: set token_encryption_key to encrypt them",
			zap.String("storage", cfg.Storage.String()))
	}
	lr.oauth.UseRefreshStore(store)
	return nil
}
