package httpclient

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.opentelemetry.io/collector/config/configopaque"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// RFC 7523 names.
const (
	GrantTypeJWTBearer       = "urn:ietf:params:oauth:grant-type:jwt-bearer" //nolint:gosec // an RFC 7523 name, not a credential
	ClientAssertionJWTType   = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	defaultAssertionLifetime = 5 * time.Minute
)

// JWTAssertionConfig signs RFC 7523 assertions with a private key. With
// Grant, the assertion is the grant itself (grant_type jwt-bearer,
// assertion); otherwise it authenticates the client of a client-credentials
// grant instead of a secret (private_key_jwt: client_assertion_type,
// client_assertion). github.com/golang-jwt/jwt/v5 signs: x/oauth2/jwt only
// knows RS256, sends no jti and reads the wall clock.
type JWTAssertionConfig struct {
	PrivateKey configopaque.String // PEM: PKCS#8, PKCS#1 (RSA) or SEC 1 (EC)
	KeyID      string              // the JWT header's kid; "" sends none
	Algorithm  string              // RS256 (RSA default), RS384, RS512, PS256, ES256 (P-256 default), ES384
	// Issuer defaults to the client id, Subject to Issuer, Audience to the
	// token URL.
	Issuer, Subject, Audience string
	Lifetime                  time.Duration // exp - iat; default 5m
	Grant                     bool
}

// assertionSigner makes a fresh assertion (new iat, exp and jti) for each
// token request: a server may refuse a jti it has seen.
type assertionSigner struct {
	cfg    JWTAssertionConfig
	method jwt.SigningMethod
	key    any
}

func newAssertionSigner(cfg JWTAssertionConfig, clientID, tokenURL string) (*assertionSigner, error) {
	key, err := parsePrivateKey([]byte(cfg.PrivateKey))
	if err != nil {
		return nil, err
	}
	method, err := signingMethod(cfg.Algorithm, key)
	if err != nil {
		return nil, err
	}
	if cfg.Issuer == "" {
		cfg.Issuer = clientID
	}
	if cfg.Subject == "" {
		cfg.Subject = cfg.Issuer
	}
	if cfg.Audience == "" {
		cfg.Audience = tokenURL
	}
	if cfg.Issuer == "" {
		return nil, errors.New("jwt: issuer is required (it defaults to client_id)")
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = defaultAssertionLifetime
	}
	return &assertionSigner{cfg: cfg, method: method, key: key}, nil
}

// CheckJWTAssertion reports what OAuth2ClientCredentials would refuse in
// cfg: a key that is not an unencrypted PEM RSA or EC key, an algorithm that
// does not fit it, no issuer. Its errors never quote the key.
func CheckJWTAssertion(cfg JWTAssertionConfig, clientID string) error {
	_, err := newAssertionSigner(cfg, clientID, "https://token.invalid/")
	return err
}

// params are the form parameters carrying an assertion signed at now.
func (s *assertionSigner) params(now time.Time) (url.Values, string, error) {
	var id [16]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, "", err
	}
	// A map, not jwt.RegisteredClaims, whose aud is always an array: some
	// servers only take a string (RFC 7519 allows both).
	claims := jwt.MapClaims{
		"iss": s.cfg.Issuer,
		"sub": s.cfg.Subject,
		"aud": s.cfg.Audience,
		"iat": now.Unix(),
		"exp": now.Add(s.cfg.Lifetime).Unix(),
		"jti": hex.EncodeToString(id[:]),
	}
	tok := jwt.NewWithClaims(s.method, claims)
	if s.cfg.KeyID != "" {
		tok.Header["kid"] = s.cfg.KeyID
	}
	signed, err := tok.SignedString(s.key)
	if err != nil {
		return nil, "", fmt.Errorf("jwt: signing the assertion: %w", err)
	}
	if s.cfg.Grant {
		return url.Values{"grant_type": {GrantTypeJWTBearer}, "assertion": {signed}}, signed, nil
	}
	return url.Values{"client_assertion_type": {ClientAssertionJWTType}, "client_assertion": {signed}}, signed, nil
}

// parsePrivateKey reads the first PEM block. Its errors never quote the key.
func parsePrivateKey(data []byte) (any, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("jwt: private_key is not PEM")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
		return k, nil
	}
	return nil, fmt.Errorf("jwt: private_key: PEM block %q is not an RSA or EC private key (PKCS#8, PKCS#1 or SEC 1, unencrypted)", block.Type)
}

func signingMethod(alg string, key any) (jwt.SigningMethod, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if alg == "" {
			alg = "RS256"
		}
		if m := jwt.GetSigningMethod(alg); m != nil && (strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")) {
			return m, nil
		}
		return nil, fmt.Errorf("jwt: algorithm %q does not apply to an RSA key (RS256, RS384, RS512, PS256, PS384, PS512)", alg)
	case *ecdsa.PrivateKey:
		want := map[elliptic.Curve]string{elliptic.P256(): "ES256", elliptic.P384(): "ES384", elliptic.P521(): "ES512"}[k.Curve]
		if alg == "" {
			alg = want
		}
		if alg == want && want != "" {
			return jwt.GetSigningMethod(alg), nil
		}
		return nil, fmt.Errorf("jwt: algorithm %q does not apply to this EC key (its curve signs %s)", alg, want)
	}
	return nil, fmt.Errorf("jwt: unsupported private key type %T", key)
}

// pemSecrets are the forms of a PEM key a log could quote: the whole text
// and each base64 line of its body.
func pemSecrets(key string) []string {
	out := []string{key}
	for line := range strings.Lines(key) {
		line = strings.TrimSpace(line)
		if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
			out = append(out, line)
		}
	}
	return out
}

// withAssertion is cc with a fresh assertion among its form parameters; the
// assertion is returned to be redacted. A new Config, not a copy: the
// library's holds a cache that must not be copied.
func (s *assertionSigner) withAssertion(cc *clientcredentials.Config, now time.Time) (*clientcredentials.Config, string, error) {
	params, assertion, err := s.params(now)
	if err != nil {
		return nil, "", err
	}
	for k, v := range cc.EndpointParams {
		params[k] = v
	}
	return &clientcredentials.Config{
		ClientID: cc.ClientID, ClientSecret: cc.ClientSecret, TokenURL: cc.TokenURL, Scopes: cc.Scopes,
		AuthStyle: cc.AuthStyle, EndpointParams: params,
	}, assertion, nil
}

// assertionAuthStyle: a client secret, when there is one, goes in the Basic
// header as for client credentials; without one the client id (if any) is a
// form parameter, which private_key_jwt requires (RFC 7523 §3: client_id
// optional, but servers such as Okta want it).
func assertionAuthStyle(secret configopaque.String) oauth2.AuthStyle {
	if secret != "" {
		return oauth2.AuthStyleInHeader
	}
	return oauth2.AuthStyleInParams
}
