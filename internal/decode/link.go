package decode

import (
	"net/http"
	"strings"
)

// NextLink returns the target of the rel="next" link in the RFC 8288 Link
// headers of h, and whether any Link header was present at all. The URL is
// returned as sent (it may be relative; the caller resolves it).
func NextLink(h http.Header) (next string, present bool) {
	for _, line := range h.Values("Link") {
		present = true
		if u, ok := nextInLine(line); ok {
			return u, true
		}
	}
	return "", present
}

// nextInLine scans `<url>; rel="next"; title="a, b", <url2>; rel=last`.
func nextInLine(s string) (string, bool) {
	for {
		open := strings.IndexByte(s, '<')
		if open < 0 {
			return "", false
		}
		end := strings.IndexByte(s[open:], '>')
		if end < 0 {
			return "", false
		}
		target := strings.TrimSpace(s[open+1 : open+end])
		s = s[open+end+1:]
		isNext := false
		// Parameters up to the next top-level comma.
		for {
			s = strings.TrimLeft(s, " \t")
			if s == "" || s[0] != ';' {
				break
			}
			s = strings.TrimLeft(s[1:], " \t")
			eq := strings.IndexAny(s, "=;,")
			if eq < 0 || s[eq] != '=' {
				// Parameter without value: skip its name.
				if eq < 0 {
					s = ""
				} else {
					s = s[eq:]
				}
				continue
			}
			name := strings.TrimSpace(s[:eq])
			s = strings.TrimLeft(s[eq+1:], " \t")
			var val string
			if s != "" && s[0] == '"' {
				q := strings.IndexByte(s[1:], '"')
				if q < 0 {
					val, s = s[1:], ""
				} else {
					val, s = s[1:q+1], s[q+2:]
				}
			} else {
				stop := strings.IndexAny(s, ";,")
				if stop < 0 {
					stop = len(s)
				}
				val, s = strings.TrimSpace(s[:stop]), s[stop:]
			}
			if strings.EqualFold(name, "rel") {
				for _, r := range strings.Fields(val) {
					if strings.EqualFold(r, "next") {
						isNext = true
					}
				}
			}
		}
		if isNext {
			return target, true
		}
	}
}
