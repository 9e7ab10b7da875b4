package prometheus

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// durationPattern finds the fixed durations of a rule file: range windows
// ([20m]), offsets (offset 1h) and `for:` values.
var durationPattern = regexp.MustCompile(`(\[|offset |\bfor: )(\d+)(ms|s|m|h|d)\b`)

// Compress divides every range window, offset and `for:` duration of a rule
// file by factor, so that rules written for a collection interval of minutes
// run the same course in seconds against a collector polling factor times
// faster. Thresholds inside expressions are left alone: the rules count them
// in collection intervals, whose value the caller sets. It fails on a
// duration that does not divide into whole milliseconds.
func Compress(rules string, factor int) (string, error) {
	if factor < 1 {
		return "", fmt.Errorf("compress by %d: want a factor of 1 or more", factor)
	}
	units := map[string]time.Duration{"ms": time.Millisecond, "s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}
	var bad error
	out := durationPattern.ReplaceAllStringFunc(rules, func(m string) string {
		p := durationPattern.FindStringSubmatch(m)
		n, err := strconv.Atoi(p[2])
		if err != nil {
			bad = err
			return m
		}
		d := time.Duration(n) * units[p[3]]
		if d%(time.Duration(factor)*time.Millisecond) != 0 {
			bad = fmt.Errorf("%s%s divided by %d is not a whole number of milliseconds", p[2], p[3], factor)
			return m
		}
		return p[1] + strconv.FormatInt((d/time.Duration(factor)).Milliseconds(), 10) + "ms"
	})
	return out, bad
}
