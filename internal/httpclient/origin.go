package httpclient

import (
	"net/url"
	"strings"
)

// origin is the (scheme, host, port) triple with default ports made explicit.
type origin struct{ scheme, host, port string }

func originOf(u *url.URL) (origin, bool) {
	o := origin{scheme: strings.ToLower(u.Scheme), host: strings.ToLower(u.Hostname()), port: u.Port()}
	if o.port == "" {
		switch o.scheme {
		case "http":
			o.port = "80"
		case "https":
			o.port = "443"
		}
	}
	return o, o.scheme != "" && o.host != "" && o.port != ""
}

func (o origin) matches(u *url.URL) bool {
	other, ok := originOf(u)
	return ok && other == o
}

// allows reports whether u may receive the credentials of o: an absolute URL
// of the same scheme, host and port, without userinfo (which would send
// credentials of the link's own and may carry secrets into a checkpoint).
func (o origin) allows(u *url.URL) bool {
	return u.User == nil && o.matches(u)
}

// SameOrigin is the one origin check of the receiver: whether raw (an
// absolute URL) may be requested with the credentials of endpoint. It is
// what Client.Do enforces before sending anything, and what the engine
// checks a next-page link against before the page that carried it is
// delivered: same scheme, host and port (default ports made explicit, case
// ignored), and no userinfo.
func SameOrigin(endpoint *url.URL, raw string) bool {
	o, ok := originOf(endpoint)
	if !ok || endpoint.User != nil {
		return false
	}
	u, err := url.Parse(raw)
	return err == nil && o.allows(u)
}

func (o origin) String() string {
	if strings.Contains(o.host, ":") {
		return o.scheme + "://[" + o.host + "]:" + o.port
	}
	return o.scheme + "://" + o.host + ":" + o.port
}

// originString names a URL's origin for error messages, without userinfo.
func originString(u *url.URL) string {
	if o, ok := originOf(u); ok {
		return o.String()
	}
	return "a non-absolute URL"
}

func pathOf(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return u.Path
}
