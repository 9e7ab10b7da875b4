package httpclient

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/config/configretry"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"60", time.Minute, true},
		{" 5 ", 5 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"-1", 0, false},
		{"1e3", 0, false},
		{"Inf", 0, false},
		{"NaN", 0, false},
		{"0x10", 0, false},
		{".", 0, false},
		{"abc", 0, false},
		{"99999999999999999999999999", maxServerWait, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{now.Add(30 * 24 * time.Hour).Format(http.TimeFormat), maxServerWait, true},
		{"Friday, 02-Jan-26 03:05:05 GMT", time.Minute, true}, // RFC 850
		{"Fri Jan  2 03:05:05 2026", time.Minute, true},       // ANSI C
	} {
		h := http.Header{}
		if tc.in != "" {
			h.Set("Retry-After", tc.in)
		}
		got, ok := ParseRetryAfter(h, now)
		assert.Equal(t, tc.ok, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestRateLimitReset(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	for name, tc := range map[string]struct {
		h    http.Header
		want time.Duration
		ok   bool
	}{
		"none":            {hdr(), 0, false},
		"remaining left":  {hdr("X-RateLimit-Remaining", "3", "X-RateLimit-Reset", "30"), 0, false},
		"delta":           {hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "30"), 30 * time.Second, true},
		"epoch seconds":   {hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(now.Unix()+45, 10)), 45 * time.Second, true},
		"epoch millis":    {hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(now.UnixMilli()+2500, 10)), 2500 * time.Millisecond, true},
		"epoch past":      {hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", strconv.FormatInt(now.Unix()-45, 10)), 0, true},
		"no reset":        {hdr("X-RateLimit-Remaining", "0"), 0, false},
		"garbage reset":   {hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "soon"), 0, false},
		"lowercase names": {hdr("x-ratelimit-remaining", "0", "x-ratelimit-reset", "7"), 7 * time.Second, true},
		"ietf draft":      {hdr("RateLimit-Remaining", "0", "RateLimit-Reset", "12"), 12 * time.Second, true},
		"okta":            {hdr("X-Rate-Limit-Limit", "20", "X-Rate-Limit-Remaining", "0", "X-Rate-Limit-Reset", strconv.FormatInt(now.Unix()+38, 10)), 38 * time.Second, true},
		"okta left":       {hdr("X-Rate-Limit-Remaining", "19", "X-Rate-Limit-Reset", strconv.FormatInt(now.Unix()+38, 10)), 0, false},
		"huge delta":      {hdr("X-RateLimit-Remaining", "0", "X-RateLimit-Reset", "999999999"), maxServerWait, true},
	} {
		got, ok := RateLimitReset(tc.h, now)
		assert.Equal(t, tc.ok, ok, name)
		assert.Equal(t, tc.want, got, name)
	}
}

func TestBackoffGrowsAndCaps(t *testing.T) {
	b := newBackoff(configretry.BackOffConfig{
		Enabled: true, InitialInterval: 100 * time.Millisecond, MaxInterval: 400 * time.Millisecond, Multiplier: 2,
	})
	var got []time.Duration
	for range 5 {
		got = append(got, b.NextBackOff())
	}
	assert.Equal(t, []time.Duration{100, 200, 400, 400, 400}, scaleMs(got))

	j := newBackoff(configretry.BackOffConfig{InitialInterval: time.Second, MaxInterval: time.Second, Multiplier: 1.5, RandomizationFactor: 0.5})
	for range 100 {
		d := j.NextBackOff()
		assert.GreaterOrEqual(t, d, 500*time.Millisecond)
		assert.LessOrEqual(t, d, 1500*time.Millisecond)
	}
}

// Every interval stays within the randomization factor around the
// un-jittered exponential schedule, as with the hand-written backoff before.
func TestBackoffJitterStaysWithinFactor(t *testing.T) {
	cfg := configretry.BackOffConfig{
		InitialInterval: 100 * time.Millisecond, MaxInterval: time.Second, Multiplier: 2, RandomizationFactor: 0.3,
	}
	schedule := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000}
	distinct := map[time.Duration]bool{}
	for range 200 {
		b := newBackoff(cfg)
		for i, ms := range schedule {
			cur := ms * time.Millisecond
			d := b.NextBackOff()
			assert.GreaterOrEqual(t, d, cur*7/10, "step %d", i)
			assert.LessOrEqual(t, d, cur*13/10, "step %d", i)
			if i == 0 {
				distinct[d] = true
			}
		}
	}
	assert.Greater(t, len(distinct), 10, "intervals are jittered")
}

// Configs are only validated when retry is enabled; the mapping keeps the
// old meaning of edge values rather than the library's.
func TestBackoffNormalisesEdgeConfigs(t *testing.T) {
	seq := func(cfg configretry.BackOffConfig, n int) []time.Duration {
		b := newBackoff(cfg)
		var out []time.Duration
		for range n {
			out = append(out, b.NextBackOff())
		}
		return scaleMs(out)
	}
	// MaxInterval 0: no cap (the library would drop to 0).
	assert.Equal(t, []time.Duration{1, 2, 4, 8, 16}, seq(configretry.BackOffConfig{InitialInterval: time.Millisecond, Multiplier: 2}, 5))
	// Multiplier below 1: constant.
	assert.Equal(t, []time.Duration{10, 10, 10}, seq(configretry.BackOffConfig{InitialInterval: 10 * time.Millisecond, MaxInterval: time.Second, Multiplier: 0.5}, 3))
	// InitialInterval above MaxInterval: capped from the first interval on.
	assert.Equal(t, []time.Duration{5, 5}, seq(configretry.BackOffConfig{InitialInterval: time.Second, MaxInterval: 5 * time.Millisecond, Multiplier: 2}, 2))
	// Zero config (retry disabled): no wait.
	assert.Equal(t, []time.Duration{0, 0}, seq(configretry.BackOffConfig{}, 2))
	// A randomization factor above 1 is treated as 1: never negative.
	b := newBackoff(configretry.BackOffConfig{InitialInterval: time.Second, MaxInterval: time.Second, Multiplier: 1, RandomizationFactor: 3})
	for range 100 {
		d := b.NextBackOff()
		assert.GreaterOrEqual(t, d, time.Duration(0))
		assert.LessOrEqual(t, d, 2*time.Second)
	}
}

func scaleMs(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d / time.Millisecond
	}
	return out
}

// FuzzParseRetryAfter feeds network-controlled header values to both parsers:
// they must never panic and must always yield a wait within [0, 24h].
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{
		"0", "120", "1.5", "-5", "Wed, 21 Oct 2015 07:28:00 GMT", "1800000000", "1800000000000",
		"99999999999999999999999", "1e400", "NaN", "", " ", "\x00", "9223372036854775807", "0.000000000000000000001",
	} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h.Set("Retry-After", v)
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("X-RateLimit-Reset", v)
		for _, parse := range []func(http.Header, time.Time) (time.Duration, bool){ParseRetryAfter, RateLimitReset} {
			d, ok := parse(h, now)
			if !ok && d != 0 {
				t.Fatalf("not ok but d=%v for %q", d, v)
			}
			if d < 0 || d > maxServerWait {
				t.Fatalf("wait %v out of range for %q", d, v)
			}
		}
	})
}
