package decode

import (
	"strconv"

	"github.com/valyala/fastjson"
)

// maxPlainDigits bounds the exact decimal form of a number; longer values
// (1e400) are written in float64 scientific form instead of a huge string.
const maxPlainDigits = 64

// decimal is a JSON number split into sign, significant digits and a power
// of ten: value = digits × 10^exp. The digits alias the input.
type decimal struct {
	neg    bool
	digits string // no leading or trailing zeros; "" means zero
	exp    int
}

// parseDecimal reads a JSON number exactly, without going through float64,
// so ids beyond 2^53 and times like 1700000000123.0 keep every digit.
// fastjson accepts loose numbers ("1-2", "inf"); those are refused here.
func parseDecimal(s string) (decimal, bool) {
	var d decimal
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		d.neg = s[i] == '-'
		i++
	}
	intStart := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	intPart := s[intStart:i]
	frac := ""
	if i < len(s) && s[i] == '.' {
		i++
		fs := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		frac = s[fs:i]
	}
	if intPart == "" && frac == "" {
		return d, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			eneg = s[i] == '-'
			i++
		}
		es := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if exp < 1_000_000 { // cap: beyond this only the sign of the exponent matters
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if i == es {
			return d, false
		}
		if eneg {
			exp = -exp
		}
	}
	if i != len(s) {
		return d, false
	}
	// Significant digits are intPart+frac; strip zeros at both ends without
	// allocating by working on the two halves.
	exp -= len(frac)
	for intPart != "" && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	if intPart == "" {
		for frac != "" && frac[0] == '0' {
			frac = frac[1:]
		}
	}
	for frac != "" && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
		exp++
	}
	switch {
	case frac == "":
		for intPart != "" && intPart[len(intPart)-1] == '0' {
			intPart = intPart[:len(intPart)-1]
			exp++
		}
		d.digits = intPart
	case intPart == "":
		d.digits = frac
	default:
		// Both halves carry digits: a copy is needed (rare for ids and times).
		d.digits = intPart + frac
	}
	if d.digits == "" {
		d.neg, d.exp = false, 0
		return d, true
	}
	d.exp = exp
	return d, true
}

// appendCanonical writes d as plain decimal text: "733" for 7.33e2, "1.5"
// for 1.50, "0" for -0.0. Out-of-range magnitudes use float64 'g' form.
func (d decimal) appendCanonical(dst []byte) []byte {
	if d.digits == "" {
		return append(dst, '0')
	}
	n := len(d.digits)
	switch {
	case d.exp >= 0 && n+d.exp <= maxPlainDigits:
		if d.neg {
			dst = append(dst, '-')
		}
		dst = append(dst, d.digits...)
		for i := 0; i < d.exp; i++ {
			dst = append(dst, '0')
		}
		return dst
	case d.exp < 0 && -d.exp < n:
		if d.neg {
			dst = append(dst, '-')
		}
		dst = append(dst, d.digits[:n+d.exp]...)
		dst = append(dst, '.')
		return append(dst, d.digits[n+d.exp:]...)
	case d.exp < 0 && -d.exp < maxPlainDigits:
		if d.neg {
			dst = append(dst, '-')
		}
		dst = append(dst, '0', '.')
		for i := 0; i < -d.exp-n; i++ {
			dst = append(dst, '0')
		}
		return append(dst, d.digits...)
	}
	// Huge or tiny: no id or time looks like this; keep a readable form.
	var b []byte
	if d.neg {
		b = append(b, '-')
	}
	b = append(b, d.digits[:1]...)
	if n > 1 {
		b = append(b, '.')
		b = append(b, d.digits[1:]...)
	}
	b = append(b, 'e')
	b = strconv.AppendInt(b, int64(d.exp+n-1), 10)
	return append(dst, b...)
}

// AppendNumber appends the canonical decimal text of the JSON number raw
// ("733" for 7.33e2, exact for integers of any size). Loose forms fastjson
// lets through (NaN, "1-2") are appended unchanged and ok is false.
func AppendNumber(dst []byte, raw string) (out []byte, ok bool) {
	d, ok := parseDecimal(raw)
	if !ok {
		return append(dst, raw...), false
	}
	return d.appendCanonical(dst), true
}

// AppendText appends the text form of a scalar: strings as they are,
// numbers in canonical form, true and false. It returns false for null,
// objects, arrays and nil, which have no text form.
func AppendText(dst []byte, v *fastjson.Value) ([]byte, bool) {
	if v == nil {
		return dst, false
	}
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return append(dst, b...), true
	case fastjson.TypeNumber:
		// MarshalTo of a number is its raw text, appended without allocating.
		start := len(dst)
		dst = v.MarshalTo(dst)
		if isPlainInt(dst[start:]) {
			return dst, true
		}
		raw := string(dst[start:]) // short copy, only for the rare rewrite
		out, _ := AppendNumber(dst[:start], raw)
		return out, true
	case fastjson.TypeTrue:
		return append(dst, "true"...), true
	case fastjson.TypeFalse:
		return append(dst, "false"...), true
	}
	return dst, false
}

// Text is AppendText returning a string.
func Text(v *fastjson.Value) (string, bool) {
	b, ok := AppendText(nil, v)
	return string(b), ok
}

// isPlainInt reports whether b is already a canonical integer ("-12", "0"),
// the common case that needs no rewrite.
func isPlainInt(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
		if len(b) == 1 && b[0] == '0' {
			return false // "-0" canonicalises to "0"
		}
	}
	if len(b) == 0 || (b[0] == '0' && len(b) > 1) {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
