package httpclient

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Redacted replaces every copy of a secret.
const Redacted = "[REDACTED]"

const (
	// minNeedle is the shortest secret searched for on its own, after
	// normalization: shorter ones would blank out ordinary words. They are
	// still redacted as part of the longer values they appear in (the
	// Authorization header, base64(user:password)).
	minNeedle = 4
	// maxTokenGroups bounds the OAuth access tokens kept: a token renewed
	// every hour for months must not grow the redactor without end.
	maxTokenGroups = 4
	// maxRefreshTokens bounds the rotated OAuth refresh tokens kept, apart
	// from the access tokens so that these do not push them out: a retired
	// one still matters for a while (a server that sees one reused may
	// revoke the whole family), but not for months of hourly rotations.
	maxRefreshTokens = 16
)

// Redactor removes the credentials of one source from any text that quotes
// an API's answer: error snippets, messages that quote a body, record ids or
// times, next links, and every string of the receiver's log lines. It knows
// every secret of the source (api_key, password, client_secret, the
// Authorization values the authenticators send, OAuth access tokens as they
// are obtained) and finds each one in every encoding the receiver itself
// sends or a server may reflect it in: as is, in any letter case,
// JSON-escaped (\", \/, \u0041, doubly escaped), URL-encoded (query and path
// escaping, + for space, %25 double encoding, %5Cu0041), base64 (standard and URL
// alphabets, padded or not, at any alignment inside a longer base64 text) of
// the key, of the header value and of user:password, and split across lines
// (CR, LF, escaped \r\n, with the indentation after them). Safe for
// concurrent use; a nil Redactor redacts nothing.
type Redactor struct {
	mu      sync.Mutex
	static  []string
	tokens  [][]string
	refresh [][]string
	// needles are the normalized encodings of every secret, longest first.
	needles atomic.Pointer[[][]byte]
}

// NewRedactor returns a Redactor that knows secrets (empty ones are ignored).
func NewRedactor(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add makes r know more secrets.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if s != "" && !slices.Contains(r.static, s) {
			r.static = append(r.static, s)
		}
	}
	r.rebuild()
}

// AddToken makes r know one short-lived credential (an OAuth access token
// and the header value that carries it). Only the last few are kept.
func (r *Redactor) AddToken(values ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if keepLast(&r.tokens, values, maxTokenGroups) {
		r.rebuild()
	}
}

// AddRefreshToken makes r know a rotated OAuth refresh token (and its
// encodings in a token request). Only the last maxRefreshTokens are kept,
// apart from the access tokens, so that frequent access tokens never push
// out a refresh token that is still valid.
func (r *Redactor) AddRefreshToken(values ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if keepLast(&r.refresh, values, maxRefreshTokens) {
		r.rebuild()
	}
}

// keepLast adds the group values to ring unless it holds it already,
// keeping the last limit groups, and reports whether ring changed.
func keepLast(ring *[][]string, values []string, limit int) bool {
	for _, g := range *ring {
		if slices.Equal(g, values) {
			return false
		}
	}
	*ring = append(*ring, slices.Clone(values))
	if len(*ring) > limit {
		*ring = (*ring)[len(*ring)-limit:]
	}
	return true
}

// rebuild recomputes the needles; r.mu is held.
func (r *Redactor) rebuild() {
	var needles [][]byte
	add := func(s string) {
		n, _, _ := normalize(s, false)
		if len(n) >= minNeedle && !slices.ContainsFunc(needles, func(o []byte) bool { return bytes.Equal(o, n) }) {
			needles = append(needles, n)
		}
	}
	secrets := slices.Clone(r.static)
	for _, g := range slices.Concat(r.tokens, r.refresh) {
		secrets = append(secrets, g...)
	}
	for _, s := range secrets {
		for _, v := range encodings(s) {
			add(v)
		}
	}
	slices.SortFunc(needles, func(a, b []byte) int { return len(b) - len(a) })
	r.needles.Store(&needles)
}

// encodings are the forms of s that are searched for besides the character
// escapes normalize undoes: s itself and its base64 encodings, whole and
// from each of the three alignments a copy inside a longer base64 text can
// have (the characters of complete 3-byte groups of s only).
func encodings(s string) []string {
	out := []string{s}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		out = append(out, enc.EncodeToString([]byte(s)))
		for j := range 3 {
			if j >= len(s) {
				break
			}
			core := s[j:]
			core = core[:len(core)/3*3]
			if len(core) >= 6 {
				out = append(out, enc.EncodeToString([]byte(core)))
			}
		}
	}
	return out
}

// Redact returns s with every copy of every secret replaced by [REDACTED].
func (r *Redactor) Redact(s string) string {
	return r.redactHead(s, len(s))
}

// Error returns err with its message redacted; errors.Is and errors.As
// still see the original chain. A nil error stays nil.
func (r *Redactor) Error(err error) error {
	if err == nil || !r.active() {
		return err
	}
	return &redactedError{msg: r.Redact(err.Error()), err: err}
}

// active reports whether r knows any secret.
func (r *Redactor) active() bool {
	if r == nil {
		return false
	}
	np := r.needles.Load()
	return np != nil && len(*np) > 0
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

func (e *redactedError) Unwrap() error { return e.err }

// Logger returns l with every message and field redacted: strings, errors,
// stringers, and arrays or objects (which become a redacted JSON string
// when they held a secret). A nil Redactor returns l.
func (r *Redactor) Logger(l *zap.Logger) *zap.Logger {
	if r == nil || l == nil {
		return l
	}
	return l.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return redactCore{Core: c, r: r} }))
}

type redactCore struct {
	zapcore.Core
	r *Redactor
}

func (c redactCore) With(fields []zapcore.Field) zapcore.Core {
	return redactCore{Core: c.Core.With(c.r.fields(fields)), r: c.r}
}

// Check lets the wrapped core decide (its levels, its sampling, which of
// its cores take the entry) on the redacted entry, and redacts the fields
// before they reach the cores that took it.
func (c redactCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if !c.Enabled(e.Level) {
		return ce
	}
	e.Message = c.r.Redact(e.Message)
	inner := c.Core.Check(e, nil)
	if inner == nil {
		return ce
	}
	return ce.AddCore(e, checkedWrite{Core: c.Core, inner: inner, r: c.r})
}

// checkedWrite writes one entry the wrapped core already checked.
type checkedWrite struct {
	zapcore.Core
	inner *zapcore.CheckedEntry
	r     *Redactor
}

func (w checkedWrite) Write(e zapcore.Entry, fields []zapcore.Field) error {
	// The logger adds the caller and stack to the entry after Check, so the
	// inner entry, checked before that, takes them from this one.
	w.inner.Caller, w.inner.Stack = e.Caller, e.Stack
	w.inner.Write(w.r.fields(fields)...)
	return nil
}

func (c redactCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	e.Message = c.r.Redact(e.Message)
	return c.Core.Write(e, c.r.fields(fields))
}

func (r *Redactor) fields(fields []zapcore.Field) []zapcore.Field {
	var out []zapcore.Field
	for i, f := range fields {
		g, changed := r.field(f)
		if out == nil && changed {
			out = slices.Clone(fields[:i:i])
		}
		if out != nil {
			out = append(out, g)
		}
	}
	if out == nil {
		return fields
	}
	return out
}

// field returns f redacted, and whether that changed it.
func (r *Redactor) field(f zapcore.Field) (zapcore.Field, bool) {
	switch f.Type {
	case zapcore.StringType:
		red := r.Redact(f.String)
		if red == f.String {
			return f, false
		}
		f.String = red
		return f, true
	case zapcore.ErrorType:
		if err, ok := f.Interface.(error); ok && r.active() {
			f.Interface = r.Error(err)
			return f, true
		}
		return f, false
	case zapcore.ByteStringType, zapcore.BinaryType, zapcore.StringerType, zapcore.ReflectType,
		zapcore.ArrayMarshalerType, zapcore.ObjectMarshalerType, zapcore.InlineMarshalerType:
		enc := zapcore.NewMapObjectEncoder()
		f.AddTo(enc)
		var text string
		if v, ok := enc.Fields[f.Key]; ok && len(enc.Fields) == 1 {
			if s, isString := v.(string); isString {
				text = s
			} else if j, err := json.Marshal(v); err == nil {
				text = string(j)
			} else {
				text = fmt.Sprint(v)
			}
		} else if j, err := json.Marshal(enc.Fields); err == nil {
			text = string(j)
		}
		if red := r.Redact(text); red != text {
			key := f.Key
			if key == "" {
				key = "redacted"
			}
			return zap.String(key, red), true
		}
	}
	return f, false
}

// normalize undoes the character-level encodings a secret may be found in,
// so that one search finds them all, mixed as they may be: it lowercases
// ASCII, maps + to space, decodes %XX (and %25XX), decodes backslash escapes
// (\uXXXX, \" and the like, any number of backslashes), drops backslashes
// (literal or decoded), and drops line breaks (CR, LF, %0D, %0A, \r, \n)
// with the spaces or tabs after them.
// With spans, from[i] and to[i] are the bytes of s that normalized byte i
// came from: s[from[i]:to[i]].
func normalize(s string, spans bool) (norm []byte, from, to []int) {
	norm = make([]byte, 0, len(s))
	if spans {
		from, to = make([]int, 0, len(s)), make([]int, 0, len(s))
	}
	afterBreak := false
	emit := func(b []byte, start, end int) {
		norm = append(norm, b...)
		if spans {
			for range b {
				from, to = append(from, start), append(to, end)
			}
		}
		afterBreak = false
	}
	var one [utf8.UTFMax]byte
	// emitByte takes one byte of UTF-8 (decoded from %XX, or escaped).
	emitByte := func(b byte, start, end int) {
		switch b {
		case '\r', '\n':
			afterBreak = true
			return
		case '\\':
			// Literal backslashes go (escapes); so do decoded ones, so that
			// a secret holding one reads the same in every encoding.
			return
		}
		one[0] = canon(b)
		emit(one[:1], start, end)
	}
	// emitRune takes a code point (decoded from \uXXXX).
	var enc [utf8.UTFMax]byte
	emitRune := func(r rune, start, end int) {
		for _, b := range enc[:utf8.EncodeRune(enc[:], r)] {
			emitByte(b, start, end)
		}
	}
	for i := 0; i < len(s); {
		c, start := s[i], i
		switch {
		case c == '\r' || c == '\n':
			afterBreak = true
			i++
		case (c == ' ' || c == '\t') && afterBreak:
			i++
		case c == '\\':
			j := i
			for j < len(s) && s[j] == '\\' {
				j++
			}
			if j == len(s) {
				i = j
				continue
			}
			switch d := s[j]; {
			case d == 'u' && j+5 <= len(s) && isHex(s[j+1:j+5]):
				i = j + 5
				emitRune(rune(unhex(s[j+1]))<<12|rune(unhex(s[j+2]))<<8|rune(unhex(s[j+3]))<<4|rune(unhex(s[j+4])), start, i)
			case d == 'r' || d == 'n':
				i = j + 1
				afterBreak = true
			default:
				i = j + 1
				emitByte(d, start, i)
			}
		case c == '%' && i+3 <= len(s) && isHex(s[i+1:i+3]):
			b := unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 3
			if b == '%' && i+2 <= len(s) && isHex(s[i:i+2]) {
				b = unhex(s[i])<<4 | unhex(s[i+1])
				i += 2
			}
			if b == '\\' && i+5 <= len(s) && s[i] == 'u' && isHex(s[i+1:i+5]) {
				// %5Cu0041: a JSON escape, URL-encoded (a next link that
				// quotes a JSON text).
				i += 5
				emitRune(rune(unhex(s[i-4]))<<12|rune(unhex(s[i-3]))<<8|rune(unhex(s[i-2]))<<4|rune(unhex(s[i-1])), start, i)
				continue
			}
			emitByte(b, start, i)
		default:
			one[0] = canon(c)
			emit(one[:1], start, i+1)
			i++
		}
	}
	return norm, from, to
}

func canon(b byte) byte {
	switch {
	case b >= 'A' && b <= 'Z':
		return b + 'a' - 'A'
	case b == '+':
		return ' '
	}
	return b
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// unhex is the value of one hex digit (isHex said it is one).
func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
