package httpclient

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Sentinel errors; callers match them with errors.Is.
var (
	// ErrForeignOrigin means the request URL's scheme/host/port differ from
	// the configured endpoint, or it carries userinfo; nothing was sent.
	ErrForeignOrigin = errors.New("request origin differs from the configured endpoint")
	// ErrBodyTooLarge means the response body exceeded Config.MaxBodySize.
	ErrBodyTooLarge = errors.New("response body exceeds size limit")
	// ErrUnexpectedContentType means a successful response was HTML (a login
	// page, a proxy error page, ...) instead of an API payload.
	ErrUnexpectedContentType = errors.New("unexpected content type")
)

const snippetLimit = 200

// StatusError is a final non-2xx answer. Path never holds the query string,
// userinfo or headers, and Snippet is redacted, so the error is safe to log.
type StatusError struct {
	Status  int
	Method  string
	Path    string
	Snippet string
	// TokenEndpoint marks answers from the OAuth2 token endpoint.
	TokenEndpoint bool
}

func (e *StatusError) Error() string {
	var b strings.Builder
	if e.TokenEndpoint {
		b.WriteString("token request ")
	}
	fmt.Fprintf(&b, "%s %s: status %d", e.Method, e.Path, e.Status)
	if t := http.StatusText(e.Status); t != "" {
		b.WriteString(" " + t)
	}
	if e.Snippet != "" {
		fmt.Fprintf(&b, " (body: %q)", e.Snippet)
	}
	return b.String()
}

// ThrottledError means the server asked us to wait longer than the retry
// budget allows; the engine should reschedule the stream at Until.
type ThrottledError struct {
	Until  time.Time
	Method string
	Path   string
	// Err is the 429 StatusError, or nil when a pause set by another stream
	// already exceeded the budget and nothing was sent.
	Err error
}

func (e *ThrottledError) Error() string {
	msg := fmt.Sprintf("%s %s: rate limited until %s", e.Method, e.Path, e.Until.UTC().Format(time.RFC3339))
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *ThrottledError) Unwrap() error { return e.Err }

// TransportError is a failure below HTTP (dial, TLS, timeout, dropped
// connection). It replaces *url.Error, whose message contains the full URL.
type TransportError struct {
	Method string
	Path   string
	Err    error
}

func (e *TransportError) Error() string { return fmt.Sprintf("%s %s: %v", e.Method, e.Path, e.Err) }

func (e *TransportError) Unwrap() error { return e.Err }

// IsPermanent reports whether the credentials were refused: 401/403 (Do
// already renewed credentials once) or a 4xx from the token endpoint (bad
// client id/secret/resource). Retrying at the poll rate cannot help until
// someone mends them, in the config or at the vendor (a key re-enabled, a
// scenario shared again): the stream retries slowly, and the component
// status is a RecoverableError, which may return to OK.
func IsPermanent(err error) bool {
	if _, throttled := IsThrottled(err); throttled {
		return false // a 403 that named its wait: a spent quota, not refused credentials
	}
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	switch {
	case se.Status == http.StatusUnauthorized, se.Status == http.StatusForbidden:
		return true
	case se.TokenEndpoint:
		return se.Status >= 400 && se.Status < 500 &&
			se.Status != http.StatusTooManyRequests && se.Status != http.StatusRequestTimeout
	}
	return false
}

// IsThrottled returns the ThrottledError in err's chain, if any.
func IsThrottled(err error) (*ThrottledError, bool) {
	var te *ThrottledError
	if errors.As(err, &te) {
		return te, true
	}
	return nil, false
}

// redactSnippet returns at most snippetLimit bytes of body with every secret
// removed by red. 401/403 bodies are dropped entirely: they are the likeliest
// to echo credentials back.
func redactSnippet(status int, body []byte, red *Redactor) string {
	if status == http.StatusUnauthorized || status == http.StatusForbidden || len(body) == 0 {
		return ""
	}
	// Redact the whole body before truncating so a secret can't survive
	// half-cut at the boundary.
	s := red.Redact(strings.ToValidUTF8(string(body), ""))
	s = strings.TrimSpace(s)
	if len(s) > snippetLimit {
		cut := snippetLimit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
