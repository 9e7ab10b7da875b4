package decode

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
