package httpclient

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// reflections are the forms in which a server may hand a secret back: every
// encoding the receiver itself sends it in, and what quoting in messages
// and logs makes of them.
func reflections(secret string) map[string]string {
	jsonEsc := func(s string) string {
		b, _ := json.Marshal(s)
		return string(b[1 : len(b)-1])
	}
	split := func(s, sep string, every int) string {
		var b strings.Builder
		for i := 0; i < len(s); i += every {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(s[i:min(i+every, len(s))])
		}
		return b.String()
	}
	std := base64.StdEncoding.EncodeToString([]byte(secret))
	out := map[string]string{
		"as is":                secret,
		"lower":                strings.ToLower(secret),
		"upper":                strings.ToUpper(secret),
		"json":                 jsonEsc(secret),
		"json of json":         jsonEsc(jsonEsc(secret)),
		"json unicode":         unicodeEscape(secret),
		"go quoted":            strconv.Quote(secret),
		"query escaped":        url.QueryEscape(secret),
		"path escaped":         url.PathEscape(secret),
		"double escaped":       url.QueryEscape(url.QueryEscape(secret)),
		"base64":               std,
		"base64 raw":           base64.RawStdEncoding.EncodeToString([]byte(secret)),
		"base64 url":           base64.URLEncoding.EncodeToString([]byte(secret)),
		"base64 url raw":       base64.RawURLEncoding.EncodeToString([]byte(secret)),
		"base64 json":          jsonEsc(std),
		"base64 query":         url.QueryEscape(std),
		"base64 lower":         strings.ToLower(std),
		"split crlf":           split(secret, "\r\n", 5),
		"split lf indented":    split(secret, "\n\t ", 3),
		"split escaped":        split(secret, `\r\n`, 4),
		"split base64 76":      split(std, "\r\n", 7),
		"split in json string": jsonEsc(split(secret, "\n", 6)),
	}
	for off := range 3 {
		pad := strings.Repeat("x", off)
		out[fmt.Sprintf("inside base64 at %d", off)] = base64.StdEncoding.EncodeToString([]byte(pad + secret + "tail"))
		out[fmt.Sprintf("inside base64url at %d", off)] = base64.RawURLEncoding.EncodeToString([]byte("Bearer " + pad + secret))
	}
	return out
}

func unicodeEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}

// secretTrace reports whether text still holds a form of secret that
// reveals it: any reflection of it, or of its first or last 8 bytes.
func secretTrace(text, secret string) string {
	for name, form := range reflections(secret) {
		if strings.Contains(text, form) {
			return name
		}
	}
	for _, part := range []string{secret[:8], secret[len(secret)-8:]} {
		if strings.Contains(strings.ToLower(text), strings.ToLower(part)) {
			return "part " + part
		}
	}
	return ""
}

func TestRedactorFindsEveryEncoding(t *testing.T) {
	const (
		key  = `sk_live/"Q+u=&<x>~\z-0123456789AbCd`
		user = "svc-reader"
		pass = "p@ss:W0rd/with+plus"
	)
	r := NewRedactor()
	Basic(user, pass).(redactorUser).useRedactor(r)
	Scheme("Token", key).(redactorUser).useRedactor(r)
	for _, secret := range []string{key, user + ":" + pass, pass, "Token " + key} {
		for name, form := range reflections(secret) {
			t.Run(secret+"/"+name, func(t *testing.T) {
				in := "before " + form + " after"
				got := r.Redact(in)
				assert.Contains(t, got, Redacted)
				assert.True(t, strings.HasPrefix(got, "before "), got)
				assert.True(t, strings.HasSuffix(got, " after") || strings.HasSuffix(got, Redacted+" after") || strings.HasSuffix(got, "after"), got)
				assert.NotContains(t, got, form)
				if trace := secretTrace(got, secret); trace != "" {
					t.Errorf("%q still shows %s", got, trace)
				}
			})
		}
	}
}

func TestRedactorNonASCIISecret(t *testing.T) {
	const secret = "clé-secrète-ünïcødé"
	r := NewRedactor(secret)
	for name, form := range map[string]string{
		"as is":   secret,
		"unicode": unicodeEscape(secret),
		"query":   url.QueryEscape(secret),
		"base64":  base64.StdEncoding.EncodeToString([]byte(secret)),
	} {
		got := r.Redact("x " + form + " y")
		assert.Equal(t, "x "+Redacted+" y", got, name)
	}
}

func TestRedactorLeavesOtherTextAlone(t *testing.T) {
	r := NewRedactor("sk_live_0123456789", "ab") // too short to search for alone
	for _, s := range []string{"", "a", "GET /api/v1/logs: status 500", "about abc", "tab\tand\nnewline %41 \\u0041"} {
		assert.Equal(t, s, r.Redact(s))
	}
	assert.Equal(t, "x", (*Redactor)(nil).Redact("x"))
	require.NoError(t, (*Redactor)(nil).Error(nil))
	assert.Equal(t, "a [REDACTED] b [REDACTED]", r.Redact("a sk_live_0123456789 b SK_LIVE_0123456789"))
}

func TestRedactorTokensAreBounded(t *testing.T) {
	r := NewRedactor("static-secret")
	for i := range maxTokenGroups + 3 {
		tok := fmt.Sprintf("access-token-%04d", i)
		r.AddToken(tok, "Bearer "+tok)
	}
	assert.Equal(t, Redacted, r.Redact("static-secret"))
	assert.Equal(t, Redacted, r.Redact(fmt.Sprintf("access-token-%04d", maxTokenGroups+2)))
	assert.Equal(t, "access-token-0000", r.Redact("access-token-0000"), "the oldest token is forgotten")
}

func TestRedactorErrorKeepsTheChain(t *testing.T) {
	r := NewRedactor("sk_live_0123456789")
	inner := &StatusError{Status: 500, Method: "GET", Path: "/x", Snippet: "echo sk_live_0123456789"}
	err := r.Error(fmt.Errorf("poll: %w", inner))
	assert.NotContains(t, err.Error(), "sk_live")
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 500, se.Status)
}

type stringer string

func (s stringer) String() string { return string(s) }

func TestRedactorLogger(t *testing.T) {
	const secret = "sk_live_0123456789"
	core, logs := observer.New(zapcore.DebugLevel)
	log := NewRedactor(secret).Logger(zap.New(core)).With(zap.String("ctx", "with "+secret))
	log.Info("message "+secret,
		zap.String("s", secret),
		zap.ByteString("b", []byte(url.QueryEscape(secret))),
		zap.Error(errors.New("err "+secret)),
		zap.Stringer("st", stringer(secret)),
		zap.Strings("list", []string{"a", secret}),
		zap.Any("map", map[string]string{"k": secret}),
		zap.Int("n", 3),
	)
	log.Debug("debug too", zap.String("s", base64.StdEncoding.EncodeToString([]byte(secret))))
	require.Equal(t, 2, logs.Len())
	for _, e := range logs.All() {
		text := e.Message + fmt.Sprint(e.ContextMap())
		assert.NotContains(t, strings.ToLower(text), "sk_live", text)
		assert.Contains(t, text, Redacted)
	}
	assert.Equal(t, int64(3), logs.All()[0].ContextMap()["n"])
}

func BenchmarkRedact(b *testing.B) {
	r := NewRedactor("sk_live_0123456789abcdef", "another-secret-value", "Bearer sk_live_0123456789abcdef")
	r.AddToken("eyJhbGciOiJIUzI1NiJ9.payload.signature", "Bearer eyJhbGciOiJIUzI1NiJ9.payload.signature")
	msg := strings.Repeat(`api_logs/tines: stream 1001: GET /api/v1/actions/1001/logs: status 500 Internal Server Error (body: "{\"error\":\"x\"}") `, 4)
	b.ReportAllocs()
	for b.Loop() {
		_ = r.Redact(msg)
	}
}

// Each core of a tee keeps its own level under the redactor.
func TestRedactorLoggerKeepsTheLevelsOfATee(t *testing.T) {
	infoCore, infoLogs := observer.New(zapcore.InfoLevel)
	debugCore, debugLogs := observer.New(zapcore.DebugLevel)
	log := NewRedactor("sk_live_0123456789").Logger(zap.New(zapcore.NewTee(infoCore, debugCore)))
	log.Debug("debug sk_live_0123456789")
	log.Info("info", zap.String("k", "sk_live_0123456789"))
	assert.Equal(t, 1, infoLogs.Len())
	require.Equal(t, 2, debugLogs.Len())
	assert.Equal(t, "debug "+Redacted, debugLogs.All()[0].Message)
	assert.Equal(t, Redacted, infoLogs.All()[0].ContextMap()["k"])
}

// A line through the redacting logger keeps the caller the logger adds, and
// still loses the secret.
func TestRedactingLoggerKeepsTheCaller(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	log := NewRedactor("canary-secret-value").Logger(zap.New(core, zap.AddCaller()))
	log.Info("answer was canary-secret-value")
	entries := logs.All()
	require.Len(t, entries, 1)
	assert.True(t, entries[0].Caller.Defined, "the caller is kept")
	assert.Contains(t, entries[0].Caller.File, "redact_test.go")
	assert.NotContains(t, entries[0].Message, "canary-secret-value")
}
