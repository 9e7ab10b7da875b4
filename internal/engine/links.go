package engine

import (
	"net/url"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
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

// sameOrigin reports whether raw may be requested with the endpoint's
// credentials. It is the client's own check (httpclient.SameOrigin: scheme,
// host and port, and no userinfo), so that a link the client would refuse
// is refused before the page that carried it is delivered, and never
// reaches a checkpoint.
func sameOrigin(endpoint *url.URL, raw string) bool {
	return httpclient.SameOrigin(endpoint, raw)
}

// originOnly is what may be logged of a refused link: its origin, never its
// path, query or userinfo (whose presence it notes).
func originOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "an unparseable URL"
	}
	o := u.Scheme + "://" + u.Host
	if u.User != nil {
		o += " with userinfo"
	}
	return o
}
