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
