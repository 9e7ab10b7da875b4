package httpclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

const (
	defaultMaxAttempts = 5
	errorBodyLimit     = 64 << 10 // only read for the snippet
	maxRedirects       = 10
)

// Request is one API call. Body is kept as bytes so retries can resend it.
type Request struct {
	Method string // default GET
	URL    string // absolute
	Header http.Header
	Body   []byte
	Stream string // stream id, only for metrics/log fields
	// Secondary marks work beside the list walk (enrichment): it takes only
	// a request the list walks leave free (see Limiter.WaitSecondary),
	// waiting at most SecondaryWait, and is sent once, without retries.
	Secondary     bool
	SecondaryWait time.Duration
}

// Response is a successful (2xx) answer with its body fully read.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Outcome classifies one attempt for metrics.
type Outcome string

const (
	Outcome2xx          Outcome = "2xx"
	Outcome3xx          Outcome = "3xx"
	Outcome4xx          Outcome = "4xx"
	Outcome429          Outcome = "429"
	Outcome5xx          Outcome = "5xx"
	OutcomeNetworkError Outcome = "network_error"
	OutcomeBodyTooLarge Outcome = "body_too_large"
)

// Observer receives per-attempt telemetry. Implementations must be safe for
// concurrent use.
type Observer interface {
	// Request is called once per attempt that reached the network (not when
	// ctx was cancelled, nor when authentication failed before sending).
	Request(stream string, outcome Outcome, d time.Duration)
	// Retry is called before every further attempt of the same Do.
	Retry(stream string)
	// Throttled is called when an attempt had to wait on the Limiter (client
	// bucket or server-imposed pause), with the time actually waited.
	Throttled(stream string, waited time.Duration)
}

// Config configures a Client.
type Config struct {
	// Origin (scheme://host:port of the configured endpoint) is the only
	// origin that may receive requests, hence credentials. Required.
	Origin *url.URL
	Auth   Authenticator // nil: no credentials
	// Limiter, when set, is shared with other clients of the same source and
	// RequestsPerMinute/Burst are ignored.
	Limiter           *Limiter
	RequestsPerMinute float64 // 0 = unlimited
	Burst             int
	Retry             configretry.BackOffConfig
	MaxAttempts       int   // hard bound on attempts per Do (default 5)
	MaxBodySize       int64 // default 32 MiB
	Logger            *zap.Logger
	Observer          Observer
	// Redactor removes the source's secrets from error snippets; New adds
	// the authenticator's secrets to it. Nil: a new one, with those only.
	Redactor *Redactor
}

// Client sends requests for one source. Safe for concurrent use.
type Client struct {
	hc          *http.Client
	origin      origin
	auth        Authenticator
	limiter     *Limiter
	retry       configretry.BackOffConfig
	maxAttempts int
	maxBody     int64
	log         *zap.Logger
	obs         Observer
	red         *Redactor
}

// defaultServerWait bounds how long Do waits on the server's word (a pause
// or an exhausted quota window) when the retry budget sets no bound: longer,
// and the stream is handed back to the scheduler with a ThrottledError, so
// that the wait is visible instead of a worker parked inside Do.
const defaultServerWait = 5 * time.Minute

// New builds a Client. hc may be nil; it is copied so that redirects can be
// restricted to Origin without touching the caller's client.
func New(hc *http.Client, cfg Config) (*Client, error) {
	if cfg.Origin == nil {
		return nil, errors.New("httpclient: Origin is required")
	}
	o, ok := originOf(cfg.Origin)
	if !ok || (o.scheme != "http" && o.scheme != "https") || cfg.Origin.User != nil {
		return nil, errors.New("httpclient: Origin must be an absolute http(s) URL without userinfo")
	}
	if cfg.Retry.Enabled {
		if err := cfg.Retry.Validate(); err != nil {
			return nil, fmt.Errorf("httpclient: retry: %w", err)
		}
	}
	if hc == nil {
		hc = &http.Client{Timeout: apispec.DefaultRequestTimeout}
	}
	cp := *hc
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return fmt.Errorf("stopped after %d redirects", maxRedirects)
		}
		// A redirect off-origin is handed back as a 3xx instead of being
		// followed, so credentials never travel there.
		if !o.matches(req.URL) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	c := &Client{
		hc:          &cp,
		origin:      o,
		auth:        cfg.Auth,
		limiter:     cfg.Limiter,
		retry:       cfg.Retry,
		maxAttempts: cfg.MaxAttempts,
		maxBody:     cfg.MaxBodySize,
		log:         cfg.Logger,
		obs:         cfg.Observer,
		red:         cfg.Redactor,
	}
	if c.red == nil {
		c.red = NewRedactor()
	}
	if ru, ok := cfg.Auth.(redactorUser); ok {
		ru.useRedactor(c.red)
	}
	if c.limiter == nil {
		c.limiter = NewLimiter(cfg.RequestsPerMinute, cfg.Burst)
	}
	if c.maxAttempts <= 0 {
		c.maxAttempts = defaultMaxAttempts
	}
	if c.maxBody <= 0 {
		c.maxBody = apispec.DefaultMaxBodySize
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	if c.obs == nil {
		c.obs = nopObserver{}
	}
	return c, nil
}

// Limiter returns the limiter this client waits on.
func (c *Client) Limiter() *Limiter { return c.limiter }

// Redactor returns the redactor that knows this client's secrets.
func (c *Client) Redactor() *Redactor { return c.red }

// Do sends r to the configured origin and returns the 2xx answer. Errors:
// ErrForeignOrigin (nothing sent), *ThrottledError (server asked to wait
// beyond the retry budget; reschedule at Until), *StatusError (other final
// non-2xx), *TransportError (network), ErrBodyTooLarge,
// ErrUnexpectedContentType, or the ctx error. 429/5xx/timeouts/dropped
// connections are retried with backoff within MaxAttempts and MaxElapsedTime.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	u, err := url.Parse(r.URL)
	if err != nil {
		// url.Parse errors quote the URL, which may carry secrets.
		return nil, fmt.Errorf("%s: invalid request URL", method)
	}
	path := pathOf(u)
	if !c.origin.allows(u) {
		to := originString(u)
		if u.User != nil {
			to += " with userinfo"
		}
		return nil, fmt.Errorf("%s %s: %w: request to %s, configured %s",
			method, path, ErrForeignOrigin, to, c.origin)
	}

	start := time.Now()
	bo := newBackoff(c.retry)
	renewed := false
	serverWait := c.retry.MaxElapsedTime
	if serverWait <= 0 {
		serverWait = defaultServerWait
	}
	for attempt := 1; ; attempt++ {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, ctxErr)
		}
		if until := c.limiter.BlockedUntil(time.Now()); until.Sub(start) > serverWait {
			// The server's word (a 429 of another stream, or a quota window
			// with no request left) holds every request back for longer than
			// the budget: hand the stream back to the scheduler unsent.
			return nil, &ThrottledError{Until: until, Method: method, Path: path}
		}
		var waited time.Duration
		if r.Secondary {
			waited, err = c.limiter.WaitSecondary(ctx, start.Add(r.SecondaryWait))
		} else {
			waited, err = c.limiter.Wait(ctx)
		}
		if waited > 0 {
			c.obs.Throttled(r.Stream, waited)
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}

		t0 := time.Now()
		res := c.attempt(ctx, method, u, path, r)
		if res.err == nil {
			c.obs.Request(r.Stream, res.outcome, time.Since(t0))
			c.noteQuota(res.resp.Header, r.Stream, path)
			return res.resp, nil
		}
		if ctx.Err() != nil {
			// Shutdown or caller deadline: not a server failure, not counted.
			return nil, fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		}
		if res.outcome != "" {
			c.obs.Request(r.Stream, res.outcome, time.Since(t0))
		}
		if res.status >= 200 && res.status < 300 {
			c.noteQuota(res.resp.Header, r.Stream, path)
		}

		if rn, ok := c.auth.(Renewer); ok && res.status == http.StatusUnauthorized && !renewed && attempt < c.maxAttempts {
			// Tokens can be revoked or expire early; one fresh token is worth
			// a try, a second 401 is final.
			renewed = true
			rn.Invalidate()
			c.obs.Retry(r.Stream)
			c.log.Debug("renewing credentials after 401", zap.String("stream", r.Stream),
				zap.String("method", method), zap.String("path", path), zap.Int("attempt", attempt))
			continue
		}
		if !res.retryable {
			return nil, res.err
		}

		wait := bo.NextBackOff()
		if res.hasWait {
			wait = res.serverWait
		}
		exhausted := !c.retry.Enabled || attempt >= c.maxAttempts || r.Secondary
		overBudget := c.retry.MaxElapsedTime > 0 && time.Since(start)+wait > c.retry.MaxElapsedTime
		if res.throttled {
			// The quota is per key, so every stream of the source waits. The
			// next attempt's Limiter.Wait does the sleeping, which also
			// guarantees we never retry before the server's deadline.
			until := time.Now().Add(wait)
			c.limiter.PauseUntil(until)
			if exhausted || overBudget {
				c.log.Debug("throttled beyond retry budget", zap.String("stream", r.Stream),
					zap.String("method", method), zap.String("path", path),
					zap.Int("attempt", attempt), zap.Duration("wait", wait))
				return nil, &ThrottledError{Until: until, Method: method, Path: path, Err: res.err}
			}
		} else if exhausted || overBudget {
			return nil, res.err
		}
		c.obs.Retry(r.Stream)
		c.log.Debug("retrying request", zap.String("stream", r.Stream), zap.String("method", method),
			zap.String("path", path), zap.Int("attempt", attempt), zap.Duration("wait", wait),
			zap.Int("status", res.status), zap.NamedError("cause", res.err))
		if !res.throttled {
			if err := sleepCtx(ctx, wait); err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
		}
	}
}

type nopObserver struct{}

func (nopObserver) Request(string, Outcome, time.Duration) {}
func (nopObserver) Retry(string)                           {}
func (nopObserver) Throttled(string, time.Duration)        {}
