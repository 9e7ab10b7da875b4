package simulator

import (
	"strconv"
	"time"
)

// bound is one side of a time filter as the request wrote it.
type bound struct {
	name, value string
}

// timeRangeOf parses the two bounds of a time filter (either may be empty)
// with parse. On failure it returns the name of the bound that did not parse,
// for the vendor's own error message.
func (s *Simulator) timeRangeOf(lo, hi bound, parse func(string) (time.Time, error)) (timeRange, string) {
	tr := timeRange{inclusive: s.inclusive()}
	for _, p := range []struct {
		b   bound
		t   *time.Time
		has *bool
	}{{lo, &tr.lo, &tr.hasLo}, {hi, &tr.hi, &tr.hasHi}} {
		if p.b.value == "" {
			continue
		}
		t, err := parse(p.b.value)
		if err != nil {
			return tr, p.b.name
		}
		*p.t, *p.has = t, true
	}
	return tr, ""
}

func parseUnixMilli(v string) (time.Time, error) {
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, err
	}
	return time.UnixMilli(ms), nil
}

func parseRFC3339(v string) (time.Time, error) { return time.Parse(time.RFC3339Nano, v) }
