package decode

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
)

// The functions of this file read text that validate accepted.

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
