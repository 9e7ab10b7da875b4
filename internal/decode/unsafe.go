package decode

import "unsafe"

// b2s views b as a string without copying. Only for values used and dropped
// within one call (parsing, comparing), never stored.
func b2s(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b)) //nolint:gosec // G103: callers never keep the string (see above)
}
