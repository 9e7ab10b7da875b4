package httpclient

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"time"

	"go.uber.org/zap"
)

// result is the outcome of one attempt.
type result struct {
	resp       *Response
	err        error
	status     int     // 0 when no HTTP answer
	outcome    Outcome // "" when nothing was sent
	retryable  bool
	serverWait time.Duration // wait requested by the server
	hasWait    bool
	// throttled: the server said its quota is spent (429, or a 403 naming
	// when to come back); the whole source waits.
	throttled bool
}

// attempt sends the request once and reads the answer.
func (c *Client) attempt(ctx context.Context, method string, u *url.URL, path string, r Request) result {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return result{err: fmt.Errorf("%s %s: cannot build request", method, path)}
	}
	if r.Header != nil {
		req.Header = r.Header.Clone()
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	if c.auth != nil {
		if authErr := c.auth.Apply(ctx, req); authErr != nil {
			return result{err: fmt.Errorf("%s %s: authenticate: %w", method, path, authErr), retryable: retryableErr(authErr)}
		}
	}

	resp, err := c.hc.Do(req)
	if err != nil {
		inner := unwrapURLError(err)
		return result{
			outcome: OutcomeNetworkError, retryable: retryableTransport(inner),
			err: &TransportError{Method: method, Path: path, Err: inner},
		}
	}
	defer resp.Body.Close()
	res := result{status: resp.StatusCode, outcome: outcomeOf(resp.StatusCode)}

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		data, gzipped, err := readLimited(resp, c.maxBody)
		switch {
		case errors.Is(err, ErrBodyTooLarge):
			res.outcome = OutcomeBodyTooLarge
			after := ""
			if gzipped {
				after = " after gzip decompression"
			}
			res.err = fmt.Errorf("%s %s: status %d: %w (max_body_size %d bytes%s)", method, path, resp.StatusCode, ErrBodyTooLarge, c.maxBody, after)
			res.resp = &Response{Status: resp.StatusCode, Header: resp.Header}
			return res
		case err != nil:
			// Connection dropped mid-body: same as a dropped connection.
			res.outcome = OutcomeNetworkError
			res.retryable = retryableTransport(err)
			res.err = &TransportError{Method: method, Path: path, Err: err}
			res.resp = &Response{Status: resp.StatusCode, Header: resp.Header}
			return res
		}
		res.resp = &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
		if isHTML(resp.Header) {
			// Typically an SSO/login or proxy page served with 200.
			res.err = fmt.Errorf("%s %s: status %d: %w text/html", method, path, resp.StatusCode, ErrUnexpectedContentType)
		}
		return res
	}

	data, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyLimit))
	res.err = &StatusError{
		Status: resp.StatusCode, Method: method, Path: path,
		Snippet: redactSnippet(resp.StatusCode, data, c.red),
	}
	res.retryable = retryableStatus(resp.StatusCode)
	now := time.Now()
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		res.throttled = true
		if res.serverWait, res.hasWait = ParseRetryAfter(resp.Header, now); !res.hasWait {
			res.serverWait, res.hasWait = RateLimitReset(resp.Header, now)
		}
	case http.StatusForbidden:
		// GitHub answers a spent quota with 403 as often as with 429
		// (x-ratelimit-remaining: 0, or retry-after for its secondary
		// limits: docs.github.com rest/using-the-rest-api/rate-limits-for-the-rest-api).
		// A 403 that says when to come back is throttling; any other 403
		// is refused credentials, as before.
		if res.serverWait, res.hasWait = ParseRetryAfter(resp.Header, now); !res.hasWait {
			res.serverWait, res.hasWait = RateLimitReset(resp.Header, now)
		}
		res.throttled, res.retryable = res.hasWait, res.hasWait
	case http.StatusServiceUnavailable:
		res.serverWait, res.hasWait = ParseRetryAfter(resp.Header, now)
	}
	return res
}

// noteQuota passes the server's count of its window to the limiter, so that
// the budget adapts before the server answers 429.
func (c *Client) noteQuota(h http.Header, stream, path string) {
	now := time.Now()
	remaining, d, ok := RateLimitQuota(h, now)
	if !ok || d <= 0 {
		return
	}
	c.limiter.ServerQuota(remaining, now.Add(d))
	if remaining == 0 {
		c.log.Debug("server quota exhausted, pausing", zap.String("stream", stream),
			zap.String("path", path), zap.Duration("wait", d))
	}
}

func isHTML(h http.Header) bool {
	mt, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	return err == nil && (mt == "text/html" || mt == "application/xhtml+xml")
}

func outcomeOf(status int) Outcome {
	switch {
	case status == http.StatusTooManyRequests:
		return Outcome429
	case status >= 500:
		return Outcome5xx
	case status >= 400:
		return Outcome4xx
	case status >= 300:
		return Outcome3xx
	}
	return Outcome2xx
}

// unwrapURLError drops *url.Error, whose message holds the full URL (query
// strings may carry tokens), keeping the underlying cause.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
