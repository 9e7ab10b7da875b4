package httpclient

import (
	"context"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/collector/config/configretry"
)

// maxServerWait caps waits read from response headers so a hostile or buggy
// header cannot overflow time.Duration or park a stream for days.
const maxServerWait = 24 * time.Hour

// newBackoff maps a configretry.BackOffConfig onto the library's
// ExponentialBackOff field by field, as the collector's exporter retry sender
// does (open-telemetry/opentelemetry-collector,
// exporter/exporterhelper/internal/retry_sender.go). MaxElapsedTime and
// MaxAttempts stay with Client.Do, which also weighs server-requested waits.
// Values that configretry's Validate accepts (or, with retry disabled, never
// checks) keep their earlier meaning instead of the library's: MaxInterval 0
// means no cap (not intervals of 0), a multiplier below 1 means constant
// intervals (not shrinking ones), InitialInterval is capped by MaxInterval
// from the first interval on, and the randomization factor stays in [0, 1].
func newBackoff(cfg configretry.BackOffConfig) *backoff.ExponentialBackOff {
	maxInterval := cfg.MaxInterval
	if maxInterval <= 0 {
		maxInterval = time.Duration(math.MaxInt64)
	}
	b := &backoff.ExponentialBackOff{
		InitialInterval:     min(max(cfg.InitialInterval, 0), maxInterval),
		RandomizationFactor: min(max(cfg.RandomizationFactor, 0), 1),
		Multiplier:          max(cfg.Multiplier, 1),
		MaxInterval:         maxInterval,
	}
	b.Reset()
	return b
}

// ParseRetryAfter reads a Retry-After header, either delta-seconds (a
// non-standard fractional value is accepted too) or an HTTP-date. Dates in the
// past give 0; values are capped at 24h.
func ParseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, ok := parseNumber(v); ok {
		return secondsToDuration(secs), true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return clampWait(t.Sub(now)), true
}

// RateLimitReset returns how long to wait when the server reports its quota is
// exhausted: X-RateLimit-Remaining (or RateLimit-Remaining) is 0 and the
// matching *-Reset header parses.
func RateLimitReset(h http.Header, now time.Time) (time.Duration, bool) {
	remaining, wait, ok := RateLimitQuota(h, now)
	if !ok || remaining != 0 {
		return 0, false
	}
	return wait, true
}

// RateLimitQuota reads the server's count of its window:
// X-RateLimit-Remaining (or RateLimit-Remaining, or Okta's
// X-Rate-Limit-Remaining) and how long until the matching *-Reset. Reset
// is epoch seconds when > 1e9 (epoch milliseconds when > 1e12), otherwise
// delta seconds.
func RateLimitQuota(h http.Header, now time.Time) (remaining int, reset time.Duration, ok bool) {
	// Okta answers 429 without Retry-After: its X-Rate-Limit-Reset (epoch
	// seconds) is the only word on when to come back
	// (https://developer.okta.com/docs/reference/rl-best-practices/).
	for _, prefix := range []string{"X-RateLimit-", "RateLimit-", "X-Rate-Limit-"} {
		rem := strings.TrimSpace(h.Get(prefix + "Remaining"))
		if rem == "" {
			continue
		}
		n, ok := parseNumber(rem)
		if !ok {
			return 0, 0, false
		}
		v, ok := parseNumber(strings.TrimSpace(h.Get(prefix + "Reset")))
		if !ok {
			return 0, 0, false
		}
		remaining = int(min(n, math.MaxInt32))
		switch {
		case v > 1e12:
			return remaining, clampWait(time.UnixMilli(int64(min(v, math.MaxInt64/2))).Sub(now)), true
		case v > 1e9:
			return remaining, clampWait(time.Unix(int64(v), 0).Sub(now)), true
		default:
			return remaining, secondsToDuration(v), true
		}
	}
	return 0, 0, false
}

// parseNumber accepts only plain non-negative decimals ("12", "1.5"), unlike
// strconv.ParseFloat which also takes "Inf", "1e9", "0x10".
func parseNumber(s string) (float64, bool) {
	if s == "" || s == "." {
		return 0, false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true // ErrRange yields +Inf or 0, both clamped later
}

func secondsToDuration(secs float64) time.Duration {
	if secs >= maxServerWait.Seconds() {
		return maxServerWait
	}
	return clampWait(time.Duration(secs * float64(time.Second)))
}

func clampWait(d time.Duration) time.Duration {
	return min(max(d, 0), maxServerWait)
}

// retryableStatus lists the statuses worth another attempt; other 4xx mean the
// request itself is wrong.
func retryableStatus(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryableTransport reports timeouts and dropped/refused connections. The
// caller checks its own ctx first: a cancelled ctx is never retried.
func retryableTransport(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, target := range []error{
		context.DeadlineExceeded, io.EOF, io.ErrUnexpectedEOF,
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.ECONNABORTED, syscall.EPIPE,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// retryableErr classifies errors returned by an Authenticator (token endpoint
// failures) the same way as the API's own answers.
func retryableErr(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return retryableStatus(se.Status)
	}
	var te *TransportError
	if errors.As(err, &te) {
		return retryableTransport(te.Err)
	}
	return false
}
