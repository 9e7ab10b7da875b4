package apilogsreceiver

import (
	"fmt"
	"maps"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// JWT grants: the assertion authenticates the client of a client-credentials
// grant (private_key_jwt), or is the grant itself.
const (
	jwtClientAssertion = "client_assertion"
	jwtBearer          = "jwt_bearer"
)

// JWTConfig is the `jwt` section: an RFC 7523 assertion signed with a
// private key, made afresh (new iat, exp, jti) for each token request.
type JWTConfig struct {
	// Grant is client_assertion (default: private_key_jwt, the client
	// credentials grant without client_secret) or jwt_bearer (the grant
	// urn:ietf:params:oauth:grant-type:jwt-bearer).
	Grant      string              `mapstructure:"grant"`
	PrivateKey configopaque.String `mapstructure:"private_key"` // PEM, unencrypted
	KeyID      string              `mapstructure:"key_id"`
	Algorithm  string              `mapstructure:"algorithm"`
	Issuer     string              `mapstructure:"issuer"`   // default client_id
	Subject    string              `mapstructure:"subject"`  // default issuer
	Audience   string              `mapstructure:"audience"` // default the token URL
	Lifetime   time.Duration       `mapstructure:"lifetime"` // default 5m
}

func (j *JWTConfig) assertion() *httpclient.JWTAssertionConfig {
	if j == nil {
		return nil
	}
	return &httpclient.JWTAssertionConfig{
		PrivateKey: j.PrivateKey, KeyID: j.KeyID, Algorithm: j.Algorithm,
		Issuer: j.Issuer, Subject: j.Subject, Audience: j.Audience, Lifetime: j.Lifetime,
		Grant: j.Grant == jwtBearer,
	}
}

// checkOAuth2 checks the credentials of an OAuth 2.0 API: a client secret,
// or a jwt section in its place.
func (cfg *Config) checkOAuth2() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%q %s", key, fmt.Sprintf(format, args...)))
	}
	j := cfg.JWT
	if cfg.ClientID == "" && (j == nil || j.Grant != jwtBearer || j.Issuer == "") {
		bad("client_id", "is required by api %s (the M2M application id; with jwt.grant: jwt_bearer, jwt.issuer may stand in)", cfg.API)
	}
	if cfg.ClientSecret == "" && j == nil {
		bad("client_secret", "is required by api %s (or a jwt section)", cfg.API)
	}
	if err := cfg.checkTokenURL(); err != nil {
		errs = append(errs, err)
	}
	if j == nil {
		return errs
	}
	switch {
	case j.Grant != "" && j.Grant != jwtClientAssertion && j.Grant != jwtBearer:
		bad("jwt.grant", "must be %s or %s, got %q", jwtClientAssertion, jwtBearer, j.Grant)
	case j.PrivateKey == "":
		bad("jwt.private_key", "is required (a PEM private key, e.g. ${file:/etc/otelcol/key.pem})")
	case j.Lifetime < 0:
		bad("jwt.lifetime", "must not be negative")
	case cfg.ClientID != "" || j.Issuer != "":
		// The key and the algorithm, checked now rather than at Start.
		if err := httpclient.CheckJWTAssertion(*j.assertion(), cfg.ClientID); err != nil {
			errs = append(errs, fmt.Errorf("%q %s", "jwt", strings.TrimPrefix(err.Error(), "jwt: ")))
		}
	}
	return errs
}

// checkTokenURL refuses a token_url that is not an http(s) URL.
func (cfg *Config) checkTokenURL() error {
	if cfg.TokenURL == "" {
		return nil
	}
	if u, err := url.Parse(cfg.TokenURL); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%q must be an http or https URL, got %q", "token_url", cfg.TokenURL)
	}
	return nil
}

// checkNotOAuth2 refuses the OAuth 2.0 keys for an API of another auth.
func (cfg *Config) checkNotOAuth2(auth string) []error {
	var errs []error
	for _, k := range []struct {
		key, applies string
		set          bool
	}{
		{"endpoint_params", apispec.AuthOAuth2 + " or " + apispec.AuthOAuth2Refresh, len(cfg.EndpointParams) > 0},
		{"jwt", apispec.AuthOAuth2, cfg.JWT != nil},
	} {
		if k.set {
			errs = append(errs, fmt.Errorf("%q only applies to APIs with auth %s; api %s uses %s", k.key, k.applies, cfg.API, auth))
		}
	}
	return errs
}

// resolveEndpointParams merges the extra token-request parameters: the
// spec's auth.endpoint_params, then the receiver's endpoint_params over
// them. Their values are sent in the token request's form and are not
// treated as secrets (an audience or a tenant names, it does not prove).
func (cfg *Config) resolveEndpointParams(r *resolved) []error {
	var errs []error
	specKey := "auth.endpoint_params"
	if cfg.Custom != nil {
		specKey = "custom." + specKey
	}
	if err := httpclient.CheckEndpointParams(r.spec.Auth.EndpointParams); err != nil {
		errs = append(errs, fmt.Errorf("%q: %w", specKey, err))
	}
	if err := httpclient.CheckEndpointParams(cfg.EndpointParams); err != nil {
		errs = append(errs, fmt.Errorf("%q: %w", "endpoint_params", err))
	}
	if len(r.spec.Auth.EndpointParams)+len(cfg.EndpointParams) == 0 {
		return errs
	}
	r.endpointParams = maps.Clone(r.spec.Auth.EndpointParams)
	if r.endpointParams == nil {
		r.endpointParams = map[string]string{}
	}
	maps.Copy(r.endpointParams, cfg.EndpointParams)
	return errs
}
