package engine

import (
	"net/url"
	"strings"
)

// resolveURL resolves ref against base; an unparseable ref is returned as is
// and refused by the client.
func resolveURL(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return b.ResolveReference(r).String()
}

// sameOrigin reports whether raw has the endpoint's scheme, host and port.
func sameOrigin(endpoint *url.URL, raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Scheme, endpoint.Scheme) && strings.EqualFold(hostPort(u), hostPort(endpoint))
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u.Hostname() + ":443"
	case "http":
		return u.Hostname() + ":80"
	}
	return u.Host
}

// originOnly is what may be logged of a foreign link: its origin, never its
// path or query.
func originOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "an unparseable URL"
	}
	return u.Scheme + "://" + u.Host
}
