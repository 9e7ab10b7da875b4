package decode

import (
	"unicode/utf8"
	"unsafe"
)

// arenaChunk is the size of one string chunk: a page's strings share a few
// chunks instead of costing one allocation each.
const arenaChunk = 64 << 10

// Arena copies byte slices into shared chunks and returns strings viewing
// them. Bytes once handed out are never written again (only the unused tail
// of the current chunk is appended to), so the strings stay immutable; a
// chunk is freed when no string of it is referenced any more. The zero
// value is ready; not safe for concurrent use.
type Arena struct {
	buf []byte
	// next is the size of the next chunk: it starts small and doubles up to
	// arenaChunk, so that thousands of idle streams with tiny pages do not
	// each hold a full chunk.
	next int
}

const arenaFirstChunk = 2 << 10

// String copies b and returns it as a string. Invalid UTF-8 (fastjson does
// not validate it) becomes U+FFFD, since OTLP exporters refuse such strings.
func (a *Arena) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if !utf8.Valid(b) {
		return toValidUTF8(b)
	}
	if len(b) > cap(a.buf)-len(a.buf) {
		if len(b) > arenaChunk/4 {
			return string(b) // big values get their own allocation
		}
		if a.next < arenaFirstChunk {
			a.next = arenaFirstChunk
		}
		size := a.next
		for size < len(b) {
			size *= 2
		}
		a.buf = make([]byte, 0, size)
		if a.next < arenaChunk {
			a.next *= 2
		}
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	// Immutable: bytes once handed out are never written again (see Arena).
	return unsafe.String(&a.buf[start], len(b)) //nolint:gosec // G103: see above
}

func toValidUTF8(b []byte) string {
	out := make([]byte, 0, len(b)+8)
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return string(out)
}
