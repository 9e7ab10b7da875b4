package httpclient

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// RedactHead cuts after redacting: a secret across the cut goes whole, in
// every encoding Redact finds.
func TestRedactHead(t *testing.T) {
	const secret = "head-SECRET-5a7c"
	r := NewRedactor(secret)
	for _, form := range []string{secret, base64.StdEncoding.EncodeToString([]byte(secret)), jsonUnicode(secret)} {
		text := "0123456789" + form + "tail"
		for n := 0; n <= len(text); n++ {
			got := r.RedactHead(text, n)
			assert.LessOrEqual(t, len(got), max(n, 10+len(Redacted)), "%q cut at %d: %q", form, n, got)
			for i := 0; i+5 <= len(secret); i++ {
				assert.NotContains(t, strings.ToLower(got), strings.ToLower(secret[i:i+5]), "%q cut at %d", form, n)
			}
		}
		assert.Equal(t, "0123456789"+Redacted+"tail", r.RedactHead(text, len(text)))
		assert.Equal(t, "01234", r.RedactHead(text, 5))
	}
	assert.Equal(t, "abc", r.RedactHead("abc", 10), "a cut beyond the end keeps all")
	assert.Empty(t, r.RedactHead("abc", -1))
}

// A JSON \u escape that was then URL-encoded (%5Cu0041, as a next link that
// quotes a JSON text carries it) is found too, once or twice encoded.
func TestRedactURLEncodedJSONEscapes(t *testing.T) {
	const secret = "hostile-KEY-7e3b1d9c0a"
	r := NewRedactor(secret)
	escaped := jsonUnicode(secret)
	for _, form := range []string{url.PathEscape(escaped), url.QueryEscape(escaped), url.QueryEscape(url.QueryEscape(escaped))} {
		got := r.Redact("/logs/" + form + "/next")
		assert.Equal(t, "/logs/"+Redacted+"/next", got, form)
	}
}

func jsonUnicode(s string) string {
	var b strings.Builder
	for _, c := range s {
		fmt.Fprintf(&b, `\u%04x`, c)
	}
	return b.String()
}
