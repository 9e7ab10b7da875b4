package apispec

import "strings"

// Time format names, for TimeFilter.Format and Records.TimeFormat. The
// rfc3339 names differ in the fraction written into requests; all of them
// read any fraction.
const (
	TimeRFC3339      = "rfc3339"
	TimeRFC3339Ms    = "rfc3339_ms"
	TimeRFC3339Us    = "rfc3339_us"
	TimeRFC3339Nano  = "rfc3339_nano"
	TimeUnixS        = "unix_s"
	TimeUnixMs       = "unix_ms"
	TimeUnixUs       = "unix_us"
	TimeUnixNs       = "unix_ns"
	TimeLayoutPrefix = "layout:" // followed by a Go time layout
)

// TimeFormats lists the named formats (layouts aside).
func TimeFormats() []string {
	return []string{TimeRFC3339, TimeRFC3339Ms, TimeRFC3339Us, TimeRFC3339Nano, TimeUnixS, TimeUnixMs, TimeUnixUs, TimeUnixNs}
}

// ValidTimeFormat reports whether f names a known format or a "layout:" one.
func ValidTimeFormat(f string) bool {
	if l, ok := strings.CutPrefix(f, TimeLayoutPrefix); ok {
		return l != ""
	}
	for _, known := range TimeFormats() {
		if f == known {
			return true
		}
	}
	return false
}
