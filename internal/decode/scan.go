package decode

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// The scanner reads JSON text without building values: it validates a body,
// finds a dotted path in it and splits arrays and objects into the spans of
// their elements. It accepts exactly the grammar of fastjson's parser (the
// same lenient numbers, strings taken as they are, the same literals) but
// without its nesting limit, and it is iterative, so that no body can exhaust
// the stack. Pages too large to be parsed whole, and bodies fastjson refuses
// only for their depth, are decoded with it one record at a time (see
// Decoder.Decode).

// errCancelled: the done channel closed while a body was decoded.
var errCancelled = fmt.Errorf("decoding abandoned: %w", context.Canceled)

// validate checks that b holds exactly one JSON value in fastjson's grammar
// and returns the deepest nesting of containers it saw (a top-level scalar
// is 0, [] is 1). It checks done every 64 KiB.
func validate(b []byte, done <-chan struct{}) (maxDepth int, err error) {
	// open holds one bit per open container: 1 for an object.
	var open []uint64
	depth := 0
	push := func(obj bool) {
		w := depth / 64
		if w == len(open) {
			open = append(open, 0)
		}
		if obj {
			open[w] |= 1 << (depth % 64)
		} else {
			open[w] &^= 1 << (depth % 64)
		}
		depth++
		maxDepth = max(maxDepth, depth)
	}
	inObject := func() bool { return open[(depth-1)/64]&(1<<((depth-1)%64)) != 0 }

	next := 64 << 10
	i := skipWSAt(b, 0)
	if i == len(b) {
		return 0, scanErr("cannot parse empty string", i)
	}
	for {
		if i >= next {
			next = i + 64<<10
			if cancelled(done) {
				return maxDepth, errCancelled
			}
		}
		// A value starts at i.
		if i >= len(b) {
			return maxDepth, scanErr("unexpected end", i)
		}
		switch b[i] {
		case '{':
			i = skipWSAt(b, i+1)
			if i < len(b) && b[i] == '}' {
				i++
				maxDepth = max(maxDepth, depth+1)
				break
			}
			push(true)
			if i, err = objectKey(b, i); err != nil {
				return maxDepth, err
			}
			continue
		case '[':
			i = skipWSAt(b, i+1)
			if i < len(b) && b[i] == ']' {
				i++
				maxDepth = max(maxDepth, depth+1)
				break
			}
			push(false)
			continue
		default:
			if i, err = scalarEnd(b, i); err != nil {
				return maxDepth, err
			}
		}
		// After a value: close containers, or go on to the next element.
		for {
			i = skipWSAt(b, i)
			if depth == 0 {
				if i != len(b) {
					return maxDepth, scanErr("unexpected tail", i)
				}
				return maxDepth, nil
			}
			if i >= len(b) {
				return maxDepth, scanErr("unexpected end of object or array", i)
			}
			obj := inObject()
			c := b[i]
			if c == ',' {
				i = skipWSAt(b, i+1)
				if obj {
					if i, err = objectKey(b, i); err != nil {
						return maxDepth, err
					}
				}
				break
			}
			if obj && c == '}' || !obj && c == ']' {
				depth--
				i++
				continue
			}
			if obj {
				return maxDepth, scanErr("missing ',' after object value", i)
			}
			return maxDepth, scanErr("missing ',' after array value", i)
		}
	}
}

func cancelled(done <-chan struct{}) bool {
	if done == nil {
		return false
	}
	select {
	case <-done:
		return true
	default:
		return false
	}
}

// scanErr is in fastjson's style so that notJSON shortens it alike; it
// never quotes the body.
func scanErr(what string, at int) error {
	return fmt.Errorf("cannot parse JSON: %s at offset %d", what, at)
}

// objectKey reads `"key" :` at i (after '{' or ',' and white space) and
// returns where the value starts.
func objectKey(b []byte, i int) (int, error) {
	if i >= len(b) || b[i] != '"' {
		return i, scanErr(`cannot find opening '"' for object key`, i)
	}
	end, ok := stringEnd(b, i+1)
	if !ok {
		return i, scanErr(`missing closing '"'`, i)
	}
	i = skipWSAt(b, end)
	if i >= len(b) || b[i] != ':' {
		return i, scanErr("missing ':' after object key", i)
	}
	return skipWSAt(b, i+1), nil
}

// scalarEnd returns the end of the string, literal or number at i, as
// fastjson's parser reads them.
func scalarEnd(b []byte, i int) (int, error) {
	switch c := b[i]; c {
	case '"':
		end, ok := stringEnd(b, i+1)
		if !ok {
			return i, scanErr(`missing closing '"'`, i)
		}
		return end, nil
	case 't':
		return literal(b, i, "true")
	case 'f':
		return literal(b, i, "false")
	case 'n':
		if hasPrefix(b[i:], "null") {
			return i + 4, nil
		}
		if len(b)-i >= 3 && strings.EqualFold(b2s(b[i:i+3]), "nan") {
			return i + 3, nil
		}
		return i, scanErr("unexpected value", i)
	}
	return numberEnd(b, i)
}

func literal(b []byte, i int, lit string) (int, error) {
	if !hasPrefix(b[i:], lit) {
		return i, scanErr("unexpected value", i)
	}
	return i + len(lit), nil
}

func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && b2s(b[:len(s)]) == s
}

// numberEnd is fastjson's parseRawNumber: any run of digits, '.', '-', '+',
// 'e' and 'E', or inf and nan (any case) after at most a sign.
func numberEnd(b []byte, i int) (int, error) {
	for j := i; j < len(b); j++ {
		c := b[j]
		if c >= '0' && c <= '9' || c == '.' || c == '-' || c == 'e' || c == 'E' || c == '+' {
			continue
		}
		if j == i || j == i+1 && (b[i] == '-' || b[i] == '+') {
			if len(b)-j >= 3 {
				w := b2s(b[j : j+3])
				if strings.EqualFold(w, "inf") || strings.EqualFold(w, "nan") {
					return j + 3, nil
				}
			}
			return i, scanErr("unexpected char", j)
		}
		return j, nil
	}
	return len(b), nil
}

// stringEnd returns the index after the closing quote of the string whose
// text starts at i (after the opening quote). A quote preceded by an odd
// number of backslashes is part of the string.
func stringEnd(b []byte, i int) (int, bool) {
	start := i
	for {
		n := bytes.IndexByte(b[i:], '"')
		if n < 0 {
			return len(b), false
		}
		q := i + n
		k := q
		for k > start && b[k-1] == '\\' {
			k--
		}
		if (q-k)%2 == 0 {
			return q + 1, true
		}
		i = q + 1
	}
}

func skipWSAt(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\n', '\t', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// The functions below read text that validate accepted.

// valueEnd returns the end of the value that starts at i.
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		end, _ := stringEnd(b, i+1)
		return end
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i, _ = stringEnd(b, i+1)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(b)
	}
	for j := i; j < len(b); j++ {
		switch b[j] {
		case ',', ']', '}', ' ', '\n', '\t', '\r':
			return j
		}
	}
	return len(b)
}

// span is a part of a body: [start, end).
type span struct{ start, end int }

// finder reads text that validate accepted: it follows paths the way
// fastjson's Value.Get does (the first member whose key matches, keys
// compared as written until a lookup missed in that object, unescaped from
// then on, so that a key written twice, once with escapes, is found as
// fastjson finds it; array elements by decimal index), and splits arrays
// and objects. It remembers where the last array it walked through ends, so
// that the records array is walked once however often a path skips it.
type finder struct {
	scratch   []byte
	unescaped []int // starts of the objects whose keys fastjson would have unescaped
	known     struct {
		buf        *byte
		start, end int
	}
}

// reset forgets the unescaped objects: a new record or document.
func (f *finder) reset() { f.unescaped = f.unescaped[:0] }

// forget drops what the finder knows of a body.
func (f *finder) forget() { f.known.buf = nil }

// end returns the end of the value that starts at i.
func (f *finder) end(b []byte, i int) int {
	if f.known.buf == &b[0] && f.known.start == i {
		return f.known.end
	}
	return valueEnd(b, i)
}

// elements calls fn with the span of every element of the array at b[i],
// until fn returns false.
func (f *finder) elements(b []byte, i int, fn func(s span) bool) {
	start := i
	i = skipWSAt(b, i+1)
	if b[i] == ']' {
		return
	}
	for {
		end := f.end(b, i)
		if !fn(span{i, end}) {
			return
		}
		i = skipWSAt(b, end)
		if b[i] != ',' {
			f.known.buf, f.known.start, f.known.end = &b[0], start, i+1
			return
		}
		i = skipWSAt(b, i+1)
	}
}

// members calls fn with the raw key (between the quotes, escapes as they
// are) and the start of the value of every member of the object at b[i],
// until fn returns false.
func (f *finder) members(b []byte, i int, fn func(key []byte, v int) bool) {
	i = skipWSAt(b, i+1)
	if b[i] == '}' {
		return
	}
	for {
		kEnd, _ := stringEnd(b, i+1)
		key := b[i+1 : kEnd-1]
		i = skipWSAt(b, kEnd)
		i = skipWSAt(b, i+1) // ':'
		if !fn(key, i) {
			return
		}
		i = skipWSAt(b, f.end(b, i))
		if b[i] != ',' {
			return
		}
		i = skipWSAt(b, i+1)
	}
}

// find follows p from the value that starts at v and returns where the
// value found starts.
func (f *finder) find(b []byte, v int, p Path) (int, bool) {
	for _, seg := range p {
		switch b[v] {
		case '{':
			var found bool
			v, found = f.findKey(b, v, seg)
			if !found {
				return 0, false
			}
		case '[':
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 {
				return 0, false
			}
			found := false
			k := 0
			f.elements(b, v, func(s span) bool {
				if k == n {
					v, found = s.start, true
					return false
				}
				k++
				return true
			})
			if !found {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	return v, true
}

func (f *finder) findKey(b []byte, obj int, key string) (int, bool) {
	var v int
	found := false
	if strings.IndexByte(key, '\\') < 0 && !slices.Contains(f.unescaped, obj) {
		f.members(b, obj, func(k []byte, s int) bool {
			if b2s(k) == key {
				v, found = s, true
				return false
			}
			return true
		})
		if found {
			return v, true
		}
	}
	if !slices.Contains(f.unescaped, obj) {
		f.unescaped = append(f.unescaped, obj)
	}
	f.members(b, obj, func(k []byte, s int) bool {
		f.scratch = unescape(f.scratch[:0], k)
		if b2s(f.scratch) == key {
			v, found = s, true
			return false
		}
		return true
	})
	return v, found
}

// topKeysOf lists the keys of the object at b[i] for a message, like
// topKeys.
func (f *finder) topKeysOf(b []byte, i int, redact func(string) string) string {
	const maxKeys, maxLen = 20, 40
	var sb strings.Builder
	var scratch []byte
	n := 0
	f.members(b, i, func(k []byte, _ int) bool {
		n++
		if n > maxKeys {
			return true
		}
		if n > 1 {
			sb.WriteString(", ")
		}
		key := redact(string(unescape(scratch[:0], k))) // before the cut, so no cut leaves part of a secret
		if len(key) > maxLen {
			key = key[:maxLen]
		}
		fmt.Fprintf(&sb, "%q", key)
		return true
	})
	if n > maxKeys {
		fmt.Fprintf(&sb, " and %d more", n-maxKeys)
	}
	return sb.String()
}

// typeName names the JSON type of the value at b[i] as fastjson.Type does.
func typeName(b []byte, i int) string {
	switch b[i] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't':
		return "true"
	case 'f':
		return "false"
	case 'n':
		if hasPrefix(b[i:], "null") {
			return "null"
		}
	}
	return "number"
}

// unescape appends the text of a JSON string (without its quotes) to dst the
// way fastjson unescapes it: unknown or broken escapes are kept as written.
func unescape(dst, s []byte) []byte {
	n := bytes.IndexByte(s, '\\')
	if n < 0 {
		return append(dst, s...)
	}
	dst = append(dst, s[:n]...)
	s = s[n+1:]
	for len(s) > 0 {
		ch := s[0]
		s = s[1:]
		switch ch {
		case '"', '\\', '/':
			dst = append(dst, ch)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			if len(s) < 4 {
				dst = append(dst, "\\u"...)
				break
			}
			xs := s[:4]
			x, err := strconv.ParseUint(b2s(xs), 16, 16)
			if err != nil {
				dst = append(dst, "\\u"...)
				break
			}
			s = s[4:]
			if !utf16.IsSurrogate(rune(x)) {
				dst = append(dst, string(rune(x))...)
				break
			}
			if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
				dst = append(dst, "\\u"...)
				dst = append(dst, xs...)
				break
			}
			x1, err := strconv.ParseUint(b2s(s[2:6]), 16, 16)
			if err != nil {
				dst = append(dst, "\\u"...)
				dst = append(dst, xs...)
				break
			}
			dst = append(dst, string(utf16.DecodeRune(rune(x), rune(x1)))...)
			s = s[6:]
		default:
			dst = append(dst, '\\', ch)
		}
		n = bytes.IndexByte(s, '\\')
		if n < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:n]...)
		s = s[n+1:]
	}
	return dst
}

// Flatten returns raw (one JSON value that fastjson's grammar accepts) with
// every object or array nested deeper than maxDepth containers replaced by a
// JSON string holding its text, so that fastjson, whose parser stops at 300
// levels, can parse the rest. flattened says whether anything was replaced.
// dst is reused.
func Flatten(dst, raw []byte, maxDepth int) (out []byte, flattened bool) {
	dst = dst[:0]
	depth := 0
	copied := 0
	for i := 0; i < len(raw); {
		switch raw[i] {
		case '"':
			i, _ = stringEnd(raw, i+1)
			continue
		case '{', '[':
			if depth < maxDepth {
				depth++
				i++
				continue
			}
			end := valueEnd(raw, i)
			dst = append(dst, raw[copied:i]...)
			dst = appendJSONString(dst, raw[i:end])
			copied, i, flattened = end, end, true
			continue
		case '}', ']':
			depth--
		}
		i++
	}
	if !flattened {
		return raw, false
	}
	return append(dst, raw[copied:]...), true
}

// appendJSONString appends s as a JSON string, escaping what JSON requires.
func appendJSONString(dst, s []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range s {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// CountValues counts the values in raw (JSON text fastjson's grammar
// accepts): objects, arrays and scalars, not keys; it stops once the count
// passes limit.
func CountValues(raw []byte, limit int) int {
	n := 0
	for i := 0; i < len(raw) && n <= limit; {
		switch c := raw[i]; c {
		case ' ', '\n', '\t', '\r', ',', ':', '}', ']':
			i++
		case '{', '[':
			n++
			i++
		case '"':
			end, _ := stringEnd(raw, i+1)
			if j := skipWSAt(raw, end); j >= len(raw) || raw[j] != ':' {
				n++ // a key is followed by ':'
			}
			i = end
		default:
			n++
			i = valueEnd(raw, i)
		}
	}
	return n
}
