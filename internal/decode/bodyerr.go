package decode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/valyala/fastjson"
)

// Errors of a body that is not what the spec describes. The errors that wrap
// them quote parts of the body (top-level keys, the parser's message), so
// callers redact them before they log them; the sentinels alone name the
// class of the failure without any content.
var (
	ErrNotJSON   = errors.New("response is not valid JSON")
	ErrNoRecords = errors.New("records path not found in the response")
)

// bodyError is a message about a body, of a class.
type bodyError struct {
	class error
	msg   string
}

func (e *bodyError) Error() string { return e.msg }

func (e *bodyError) Unwrap() error { return e.class }

func (d *Decoder) quotedPaths() string {
	q := make([]string, len(d.pathNames))
	for i, n := range d.pathNames {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, " or ")
}

// topKeys lists keys (never values) to help fix a wrong path.
func topKeys(o *fastjson.Object, redact func(string) string) string {
	const maxKeys, maxLen = 20, 40
	var b strings.Builder
	n := 0
	o.Visit(func(k []byte, _ *fastjson.Value) {
		n++
		if n > maxKeys {
			return
		}
		if n > 1 {
			b.WriteString(", ")
		}
		key := redact(string(k))
		if len(key) > maxLen {
			key = key[:maxLen]
		}
		fmt.Fprintf(&b, "%q", key)
	})
	if n > maxKeys {
		fmt.Fprintf(&b, " and %d more", n-maxKeys)
	}
	return b.String()
}

// notJSON describes a body that failed to parse without echoing it: the
// fastjson message minus the quoted tail, and what the body looks like.
func notJSON(body []byte, err error, redact func(string) string) error {
	msg := redact(err.Error())
	for _, cut := range []string{"; unparsed tail:", " found: ", "unexpected tail: "} {
		if i := strings.Index(msg, cut); i >= 0 {
			msg = msg[:i+len(cut)-1]
			msg = strings.TrimRight(msg, ":; ")
		}
	}
	const maxLen = 120
	if len(msg) > maxLen {
		msg = msg[:maxLen] + "..."
	}
	trimmed := strings.TrimSpace(b2s(body))
	var what string
	switch {
	case trimmed == "":
		what = "the body is empty"
	case trimmed[0] == '<':
		what = fmt.Sprintf("%d bytes, looks like HTML or XML", len(body))
	default:
		what = fmt.Sprintf("%d bytes", len(body))
	}
	return &bodyError{ErrNotJSON, fmt.Sprintf("response is not valid JSON: %s (%s)", msg, what)}
}
