package httpclient

import (
	"bytes"
	"slices"
)

// RedactHead returns the first n bytes of s (all of s when shorter),
// redacted as part of the whole of s: a secret that starts before the cut
// and ends after it is redacted too, so a cut body (the request trace)
// leaves no part of one behind. The caller gives s with enough bytes past
// n for a secret that starts before n to end inside s.
func (r *Redactor) RedactHead(s string, n int) string {
	return r.redactHead(s, min(max(n, 0), len(s)))
}

// redactHead returns the first n bytes of s, redacted as part of the whole
// of s: a secret that starts before n and ends after it is redacted too, so
// a cut leaves no part of one behind.
func (r *Redactor) redactHead(s string, n int) string {
	spans := r.spans(s)
	if len(spans) == 0 {
		return s[:n]
	}
	b := make([]byte, 0, n)
	last := 0
	for _, sp := range spans {
		if sp[0] >= n {
			break
		}
		b = append(b, s[last:sp[0]]...)
		b = append(b, Redacted...)
		last = sp[1]
	}
	if last < n {
		b = append(b, s[last:n]...)
	}
	return string(b)
}

// spans are the byte ranges of s that hold a secret, sorted and merged.
func (r *Redactor) spans(s string) [][2]int {
	if r == nil {
		return nil
	}
	np := r.needles.Load()
	if np == nil || len(*np) == 0 {
		return nil
	}
	needles := *np
	if len(s) < len(needles[len(needles)-1]) {
		return nil
	}
	norm, from, to := normalize(s, true)
	var spans [][2]int
	for _, n := range needles {
		for off := 0; off+len(n) <= len(norm); {
			k := bytes.Index(norm[off:], n)
			if k < 0 {
				break
			}
			a := off + k
			spans = append(spans, [2]int{from[a], to[a+len(n)-1]})
			off = a + 1
		}
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	var merged [][2]int
	for _, sp := range spans {
		if k := len(merged) - 1; k >= 0 && sp[0] <= merged[k][1] {
			merged[k][1] = max(merged[k][1], sp[1])
			continue
		}
		merged = append(merged, sp)
	}
	return merged
}
