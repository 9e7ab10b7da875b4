package decode

import (
	"bytes"
	"context"
	"fmt"
	"strings"
)

// The scanner reads JSON text without building values: it validates a body,
// finds a dotted path in it and splits arrays and objects into the spans of
// their elements. It accepts exactly the grammar of fastjson's parser (the
// same lenient numbers, strings taken as they are, the same literals) but
// without its nesting limit, and it is iterative, so that no body can exhaust
// the stack. Pages too large to be parsed whole, and bodies fastjson refuses
// only for their depth, are decoded with it one record at a time (see
// Decoder.Decode).
//
// Why it stays beside fastjson (issue #21), measured with
// `go test -run '^$' -bench BenchmarkScanVsFastjson -benchmem ./internal/decode/`
// on a page of 32,768 Tines records (8 MB, 2 shared vCPUs): decoding it
// record by record with the scanner costs 4,856 ns/record and holds 0.41
// bytes of heap per byte of body; parsing it whole with fastjson costs
// 4,360 ns/record and holds 11.1 bytes per byte: about the same time, 27
// times the memory, and fastjson has no way to split a body without
// parsing it. Its ValidateBytes (327 MB/s against the scanner's 565 MB/s)
// cannot replace validate either: it recurses without a depth bound and
// refuses escapes (\x) that fastjson's parser accepts, so it does not
// check the parser's grammar.

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
