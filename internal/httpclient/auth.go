package httpclient

import (
	"context"
	"encoding/base64"
	"net/http"

	"go.opentelemetry.io/collector/config/configopaque"
)

// Authenticator adds credentials to a request. Do calls it only for requests
// to the configured origin, once per attempt.
type Authenticator interface {
	Apply(ctx context.Context, req *http.Request) error
}

// Renewer is implemented by authenticators whose credentials can go stale
// (OAuth2 tokens). After a 401, Do calls Invalidate and retries once.
type Renewer interface {
	Invalidate()
}

// redactorUser is implemented by the authenticators of this package: New
// hands them the client's Redactor, which learns their secrets (and, for
// OAuth2, every access token as it is obtained).
type redactorUser interface {
	useRedactor(r *Redactor)
}

// headerAuth sets one header; the value is configopaque so fmt/zap print it
// as [REDACTED] by accident rather than in clear.
type headerAuth struct {
	name   string
	value  configopaque.String
	secret []string
}

func (a *headerAuth) Apply(_ context.Context, req *http.Request) error {
	req.Header.Set(a.name, string(a.value))
	return nil
}

func (a *headerAuth) useRedactor(r *Redactor) { r.Add(a.secret...) }

// String and GoString keep %v/%+v/%#v of the authenticator from printing the
// credential (fmt does not call configopaque's String on unexported fields).
func (a *headerAuth) String() string { return a.name + ": [REDACTED]" }

func (a *headerAuth) GoString() string { return a.String() }

// Bearer sends "Authorization: Bearer <token>" (Tines, OMS JWT).
func Bearer(token configopaque.String) Authenticator { return Scheme("Bearer", token) }

// Scheme sends "Authorization: <scheme> <key>" ("Token" for Akinon OMS and Make).
func Scheme(scheme string, key configopaque.String) Authenticator {
	return &headerAuth{
		name:   "Authorization",
		value:  configopaque.String(scheme + " " + string(key)),
		secret: []string{string(key), scheme + " " + string(key)},
	}
}

// Basic sends HTTP Basic credentials. StackOne uses the API key as user and an
// empty password, i.e. base64("key:"). The user name alone is a secret only
// then; user:password, its base64 and the header value always are.
func Basic(user, pass configopaque.String) Authenticator {
	pair := string(user) + ":" + string(pass)
	enc := base64.StdEncoding.EncodeToString([]byte(pair))
	secret := []string{string(pass), pair, enc, "Basic " + enc}
	if pass == "" {
		secret = append(secret, string(user))
	}
	return &headerAuth{name: "Authorization", value: configopaque.String("Basic " + enc), secret: secret}
}

// Header sends an API key in a custom header (e.g. X-User-Token for old Tines).
func Header(name string, value configopaque.String) Authenticator {
	return &headerAuth{name: name, value: value, secret: []string{string(value)}}
}
