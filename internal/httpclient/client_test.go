package httpclient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
)

func TestNewValidation(t *testing.T) {
	_, err := New(nil, Config{})
	require.Error(t, err)
	_, err = New(nil, Config{Origin: mustURL(t, "/relative")})
	require.Error(t, err)
	_, err = New(nil, Config{Origin: mustURL(t, "ftp://h")})
	require.Error(t, err)
	_, err = New(nil, Config{Origin: mustURL(t, "https://u:p@h")})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "u:p")
	c, err := New(nil, Config{Origin: mustURL(t, "https://h")})
	require.NoError(t, err)
	assert.Equal(t, defaultMaxAttempts, c.maxAttempts)
	assert.Equal(t, int64(apispec.DefaultMaxBodySize), c.maxBody)
}

func TestDoSuccessSendsRequestAsBuilt(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/api/logs", r.URL.Path)
		assert.Equal(t, "a=1", r.URL.RawQuery)
		assert.Equal(t, "yes", r.Header.Get("X-Custom"))
		assert.Equal(t, "application/json", r.Header.Get("Accept"))
		b, _ := io.ReadAll(r.Body)
		assert.Equal(t, `{"q":1}`, string(b))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	c, obs, _ := newTestClient(t, srv, nil)
	resp, err := c.Do(context.Background(), Request{
		Method: http.MethodPost, URL: srv.URL + "/api/logs?a=1",
		Header: http.Header{"X-Custom": {"yes"}}, Body: []byte(`{"q":1}`), Stream: "s1",
	})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, `{"ok":true}`, string(resp.Body))
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	outcomes, retries, _ := obs.snapshot()
	assert.Equal(t, []Outcome{Outcome2xx}, outcomes)
	assert.Zero(t, retries)
}

func TestRetriesTransientStatusesAndResendsBody(t *testing.T) {
	for _, status := range []int{500, 502, 503, 504} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := newServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				assert.Equal(t, "payload", string(b), "body must be resent on every attempt")
				if n <= 2 {
					w.WriteHeader(status)
					return
				}
				_, _ = w.Write([]byte(`[]`))
			})
			c, obs, _ := newTestClient(t, srv, nil)
			resp, err := c.Do(context.Background(), Request{Method: http.MethodPost, URL: srv.URL + "/x", Body: []byte("payload")})
			require.NoError(t, err)
			assert.Equal(t, 200, resp.Status)
			assert.Equal(t, int64(3), srv.hits.Load())
			outcomes, retries, _ := obs.snapshot()
			assert.Equal(t, []Outcome{Outcome5xx, Outcome5xx, Outcome2xx}, outcomes)
			assert.Equal(t, 2, retries)
		})
	}
}

func TestNoRetryOnOther4xx(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 422} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(status)
				_, _ = w.Write([]byte(`{"error":"nope"}`))
			})
			c, obs, _ := newTestClient(t, srv, nil)
			_, err := c.Do(context.Background(), Request{URL: srv.URL + "/api/logs?page=2&token=qsecret"})
			var se *StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, status, se.Status)
			assert.Equal(t, "GET", se.Method)
			assert.Equal(t, "/api/logs", se.Path)
			assert.Contains(t, err.Error(), "GET /api/logs")
			assert.Contains(t, err.Error(), http.StatusText(status))
			assert.NotContains(t, err.Error(), "qsecret")
			assert.NotContains(t, err.Error(), "page=2")
			assert.Equal(t, int64(1), srv.hits.Load())
			_, retries, _ := obs.snapshot()
			assert.Zero(t, retries)
			assert.Equal(t, status == 401 || status == 403, IsPermanent(err))
			if status == 401 || status == 403 {
				assert.Empty(t, se.Snippet)
			} else {
				assert.JSONEq(t, `{"error":"nope"}`, se.Snippet)
			}
		})
	}
}

func TestRetryBoundedByMaxAttempts(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	c, obs, _ := newTestClient(t, srv, func(cfg *Config) { cfg.MaxAttempts = 3 })
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 500, se.Status)
	assert.Equal(t, int64(3), srv.hits.Load())
	_, retries, _ := obs.snapshot()
	assert.Equal(t, 2, retries)
	assert.False(t, IsPermanent(err))
}

func TestDefaultMaxAttempts(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	c, _, _ := newTestClient(t, srv, nil)
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	require.Error(t, err)
	assert.Equal(t, int64(defaultMaxAttempts), srv.hits.Load())
}

func TestRetryDisabledMeansOneAttempt(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c, _, _ := newTestClient(t, srv, func(cfg *Config) { cfg.Retry.Enabled = false })
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	require.Error(t, err)
	assert.Equal(t, int64(1), srv.hits.Load())
}

func TestRetryStopsWhenWaitExceedsMaxElapsedTime(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "60")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	c, _, _ := newTestClient(t, srv, func(cfg *Config) { cfg.Retry.MaxElapsedTime = time.Second })
	start := time.Now()
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 503, se.Status)
	assert.Equal(t, int64(1), srv.hits.Load())
	assert.Less(t, time.Since(start), 30*time.Second, "must not sleep the 60s Retry-After")
}

func TestRetriesRequestTimeout(t *testing.T) {
	srv := newServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		if n == 1 {
			select { // hang until the client gives up
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	obs := &recObserver{}
	c, err := New(&http.Client{Timeout: 300 * time.Millisecond}, Config{Origin: mustURL(t, srv.URL), Retry: fastRetry(), Observer: obs})
	require.NoError(t, err)
	resp, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, int64(2), srv.hits.Load())
	outcomes, retries, _ := obs.snapshot()
	assert.Equal(t, []Outcome{OutcomeNetworkError, Outcome2xx}, outcomes)
	assert.Equal(t, 1, retries)
}

func TestRetriesDroppedConnection(t *testing.T) {
	srv := newServer(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if assert.NoError(t, err) {
				_ = conn.Close()
			}
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	c, obs, _ := newTestClient(t, srv, nil)
	resp, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
	assert.Equal(t, int64(2), srv.hits.Load())
	outcomes, _, _ := obs.snapshot()
	assert.Contains(t, outcomes, OutcomeNetworkError)
}

func TestRetriesRefusedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := "http://" + ln.Addr().String()
	require.NoError(t, ln.Close())

	obs := &recObserver{}
	c, err := New(nil, Config{Origin: mustURL(t, addr), Retry: fastRetry(), MaxAttempts: 3, Observer: obs})
	require.NoError(t, err)
	_, err = c.Do(context.Background(), Request{URL: addr + "/x?k=v"})
	require.Error(t, err)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)
	var te *TransportError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "/x", te.Path)
	assert.NotContains(t, err.Error(), "k=v")
	outcomes, retries, _ := obs.snapshot()
	assert.Equal(t, []Outcome{OutcomeNetworkError, OutcomeNetworkError, OutcomeNetworkError}, outcomes)
	assert.Equal(t, 2, retries)
}

func TestCancelDuringHangingRequestReturnsPromptly(t *testing.T) {
	arrived := make(chan struct{}, 1)
	srv := newServer(t, func(_ int64, _ http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-time.After(30 * time.Second):
		}
	})
	c, obs, _ := newTestClient(t, srv, nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-arrived
		cancel()
	}()
	start := time.Now()
	_, err := c.Do(ctx, Request{URL: srv.URL + "/hang"})
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Equal(t, int64(1), srv.hits.Load(), "never retried after ctx is done")
	outcomes, retries, _ := obs.snapshot()
	assert.Empty(t, outcomes)
	assert.Zero(t, retries)
}

func TestCancelDuringBackoffReturnsPromptly(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	c, _, _ := newTestClient(t, srv, func(cfg *Config) {
		cfg.Retry.InitialInterval = time.Minute
		cfg.Retry.MaxInterval = time.Minute
		cfg.Retry.MaxElapsedTime = time.Hour
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Do(ctx, Request{URL: srv.URL + "/x"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 20*time.Second)
	assert.Equal(t, int64(1), srv.hits.Load())
}

func Test429RetryAfterDeltaSeconds(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	srv := newServer(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	c, obs, logs := newTestClient(t, srv, nil)
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x", Stream: "s1"})
	require.NoError(t, err)
	require.Len(t, times, 2)
	assert.GreaterOrEqual(t, times[1].Sub(times[0]), time.Second, "429 must not be retried before Retry-After")
	outcomes, retries, throttled := obs.snapshot()
	assert.Equal(t, []Outcome{Outcome429, Outcome2xx}, outcomes)
	assert.Equal(t, 1, retries)
	require.Len(t, throttled, 1)
	assert.GreaterOrEqual(t, throttled[0], 900*time.Millisecond)

	entries := logs.FilterMessage("retrying request").All()
	require.Len(t, entries, 1)
	f := entries[0].ContextMap()
	assert.Equal(t, "s1", f["stream"])
	assert.Equal(t, "/x", f["path"])
	assert.EqualValues(t, 1, f["attempt"])
	assert.Equal(t, time.Second, f["wait"])
}

func Test429RetryAfterHTTPDate(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	var until time.Time
	srv := newServer(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		times = append(times, time.Now())
		if n == 1 {
			until = time.Now().Add(2 * time.Second).Truncate(time.Second)
			w.Header().Set("Retry-After", until.UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	c, _, _ := newTestClient(t, srv, nil)
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	require.NoError(t, err)
	require.Len(t, times, 2)
	assert.False(t, times[1].Before(until.Add(-10*time.Millisecond)), "retried before the Retry-After date")
}

func Test429RateLimitResetHeaders(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	srv := newServer(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		if n == 1 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	c, _, _ := newTestClient(t, srv, nil)
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	require.NoError(t, err)
	require.Len(t, times, 2)
	assert.GreaterOrEqual(t, times[1].Sub(times[0]), time.Second)
}

func Test429WithoutHeadersUsesBackoff(t *testing.T) {
	srv := newServer(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		if n < 3 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	c, obs, _ := newTestClient(t, srv, nil)
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	require.NoError(t, err)
	assert.Equal(t, int64(3), srv.hits.Load())
	_, retries, _ := obs.snapshot()
	assert.Equal(t, 2, retries)
}

func Test429BeyondBudgetReturnsThrottledErrorAndPauses(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "120")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c, obs, _ := newTestClient(t, srv, func(cfg *Config) { cfg.Retry.MaxElapsedTime = time.Second })
	before := time.Now()
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	after := time.Now()
	te, ok := IsThrottled(err)
	require.True(t, ok, "got %v", err)
	assert.False(t, te.Until.Before(before.Add(120*time.Second)))
	assert.False(t, te.Until.After(after.Add(120*time.Second)))
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 429, se.Status)
	assert.Contains(t, err.Error(), "GET /x")
	assert.Less(t, after.Sub(before), 60*time.Second, "must not sleep")
	assert.Equal(t, int64(1), srv.hits.Load())
	assert.Equal(t, te.Until, c.Limiter().PausedUntil())
	_, retries, _ := obs.snapshot()
	assert.Zero(t, retries)

	// Any stream of the source now gets handed back unsent.
	_, err = c.Do(context.Background(), Request{URL: srv.URL + "/other", Stream: "s2"})
	te2, ok := IsThrottled(err)
	require.True(t, ok)
	assert.Equal(t, te.Until, te2.Until)
	assert.Equal(t, int64(1), srv.hits.Load())
}

func Test429AttemptsExhaustedReturnsThrottledError(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	c, _, _ := newTestClient(t, srv, func(cfg *Config) { cfg.MaxAttempts = 2 })
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	_, ok := IsThrottled(err)
	require.True(t, ok, "got %v", err)
	assert.Equal(t, int64(2), srv.hits.Load())
}

// GitHub answers a spent quota with 403 as often as 429: with
// x-ratelimit-remaining 0 and x-ratelimit-reset (epoch seconds), or with
// retry-after. Such a 403 is retried after the wait, like a 429; a 403
// naming no wait stays refused credentials (TestNoRetryOnOther4xx).
func Test403NamingItsWaitIsThrottling(t *testing.T) {
	for name, set := range map[string]func(http.Header){
		"retry-after":     func(h http.Header) { h.Set("Retry-After", "1") },
		"ratelimit-reset": func(h http.Header) { h.Set("X-RateLimit-Remaining", "0"); h.Set("X-RateLimit-Reset", "1") },
		"ratelimit-epoch": func(h http.Header) {
			h.Set("X-RateLimit-Remaining", "0")
			h.Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(1500*time.Millisecond).Unix(), 10))
		},
	} {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var times []time.Time
			srv := newServer(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
				mu.Lock()
				times = append(times, time.Now())
				mu.Unlock()
				if n == 1 {
					set(w.Header())
					w.WriteHeader(http.StatusForbidden)
					_, _ = w.Write([]byte(`{"message":"API rate limit exceeded for user ID 1."}`))
					return
				}
				_, _ = w.Write([]byte(`{}`))
			})
			c, obs, _ := newTestClient(t, srv, nil)
			_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x", Stream: "s1"})
			require.NoError(t, err)
			require.Len(t, times, 2)
			assert.GreaterOrEqual(t, times[1].Sub(times[0]), 900*time.Millisecond, "retried before the server's wait")
			outcomes, retries, _ := obs.snapshot()
			assert.Equal(t, []Outcome{Outcome4xx, Outcome2xx}, outcomes)
			assert.Equal(t, 1, retries)
		})
	}
}

// Beyond the retry budget such a 403 is a ThrottledError that pauses the
// source, not refused credentials: the stream waits for the server's time
// instead of retrying slowly as if a human had to mend its key.
func Test403BeyondBudgetIsThrottledNotPermanent(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset", "120")
		w.WriteHeader(http.StatusForbidden)
	})
	c, _, _ := newTestClient(t, srv, func(cfg *Config) { cfg.Retry.MaxElapsedTime = time.Second })
	before := time.Now()
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	te, ok := IsThrottled(err)
	require.True(t, ok, "got %v", err)
	assert.False(t, IsPermanent(err), "a spent quota is not refused credentials")
	assert.False(t, te.Until.Before(before.Add(119*time.Second)))
	assert.Equal(t, te.Until, c.Limiter().PausedUntil())
	assert.Equal(t, int64(1), srv.hits.Load())
}

func TestQuotaExhaustedOnSuccessPausesAllStreams(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	srv := newServer(t, func(n int64, w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		times = append(times, time.Now())
		mu.Unlock()
		if n == 1 {
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset", "1")
		} else {
			w.Header().Set("X-RateLimit-Remaining", "5")
		}
		_, _ = w.Write([]byte(`{}`))
	})
	shared := NewLimiter(0, 0)
	c1, obs1, _ := newTestClient(t, srv, func(cfg *Config) { cfg.Limiter = shared })
	c2, obs2, _ := newTestClient(t, srv, func(cfg *Config) { cfg.Limiter = shared })

	_, err := c1.Do(context.Background(), Request{URL: srv.URL + "/first", Stream: "a"})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for _, c := range []*Client{c1, c2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.Do(context.Background(), Request{URL: srv.URL + "/next", Stream: "b"})
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, times, 3)
	for _, ts := range times[1:] {
		assert.GreaterOrEqual(t, ts.Sub(times[0]), time.Second, "stream sent before the quota reset")
	}
	for _, o := range []*recObserver{obs1, obs2} {
		_, _, throttled := o.snapshot()
		assert.NotEmpty(t, throttled)
	}
}

func TestForeignOriginRefusedWithoutSending(t *testing.T) {
	foreign := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	home := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	auth := &countingAuth{}
	c, obs, _ := newTestClient(t, home, func(cfg *Config) { cfg.Auth = auth })

	homeURL := mustURL(t, home.URL)
	for _, raw := range []string{
		foreign.URL + "/api/logs?page=2",
		"https://" + homeURL.Host + "/x",                                      // scheme differs
		"http://localhost:" + homeURL.Port() + "/x",                           // host differs
		"http://user:pw@" + homeURL.Host + "/x",                               // userinfo smuggles credentials
		"/relative/path",                                                      // not absolute
		"http://" + homeURL.Hostname() + ":" + foreignPort(t, foreign) + "/x", // port differs
	} {
		_, err := c.Do(context.Background(), Request{URL: raw})
		require.ErrorIs(t, err, ErrForeignOrigin, raw)
		assert.NotContains(t, err.Error(), "pw")
		assert.NotContains(t, err.Error(), "page=2")
	}
	assert.Zero(t, foreign.hits.Load())
	assert.Zero(t, home.hits.Load())
	assert.Zero(t, auth.calls.Load(), "auth must not run before the origin check")
	outcomes, _, _ := obs.snapshot()
	assert.Empty(t, outcomes)
}

func foreignPort(t *testing.T, s *server) string { return mustURL(t, s.URL).Port() }

func TestOriginDefaultPorts(t *testing.T) {
	c, err := New(nil, Config{Origin: mustURL(t, "https://API.example.com")})
	require.NoError(t, err)
	for raw, want := range map[string]bool{
		"https://api.example.com/x":      true,
		"https://api.example.com:443/x":  true,
		"HTTPS://Api.Example.com:443/x":  true,
		"http://api.example.com/x":       false,
		"https://api.example.com:8443/x": false,
		"http://api.example.com:443/x":   false,
		"https://example.com/x":          false,
		"https://api.example.com.evil/x": false,
	} {
		assert.Equal(t, want, c.origin.matches(mustURL(t, raw)), raw)
	}
	c, err = New(nil, Config{Origin: mustURL(t, "http://h:80")})
	require.NoError(t, err)
	assert.True(t, c.origin.matches(mustURL(t, "http://h/x")))
}

func TestRedirectToForeignOriginNotFollowed(t *testing.T) {
	var foreignAuth atomic.Value
	foreign := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		foreignAuth.Store(r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusOK)
	})
	home := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/same" {
			http.Redirect(w, r, "/target", http.StatusFound)
			return
		}
		if r.URL.Path == "/target" {
			assert.Equal(t, "Bearer tok-123", r.Header.Get("Authorization"))
			_, _ = w.Write([]byte(`{}`))
			return
		}
		http.Redirect(w, r, foreign.URL+"/steal", http.StatusFound)
	})
	c, obs, _ := newTestClient(t, home, func(cfg *Config) { cfg.Auth = Bearer("tok-123") })

	_, err := c.Do(context.Background(), Request{URL: home.URL + "/away"})
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusFound, se.Status)
	assert.Zero(t, foreign.hits.Load())
	outcomes, _, _ := obs.snapshot()
	assert.Equal(t, []Outcome{Outcome3xx}, outcomes)

	// Same-origin redirects are followed, with credentials.
	resp, err := c.Do(context.Background(), Request{URL: home.URL + "/same"})
	require.NoError(t, err)
	assert.Equal(t, 200, resp.Status)
}

func TestBodyLimit(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, r *http.Request) {
		n := len(r.URL.Query().Get("n"))
		body := strings.Repeat("x", n)
		if r.URL.Query().Get("chunked") != "" {
			// Flush before writing so no Content-Length is sent.
			w.(http.Flusher).Flush()
		}
		_, _ = w.Write([]byte(body))
	})
	c, obs, _ := newTestClient(t, srv, func(cfg *Config) { cfg.MaxBodySize = 16 })

	resp, err := c.Do(context.Background(), Request{URL: srv.URL + "/x?n=" + strings.Repeat("1", 16)})
	require.NoError(t, err)
	assert.Len(t, resp.Body, 16)

	for _, chunked := range []string{"", "&chunked=1"} {
		before := srv.hits.Load()
		_, err = c.Do(context.Background(), Request{URL: srv.URL + "/x?n=" + strings.Repeat("1", 17) + chunked})
		require.ErrorIs(t, err, ErrBodyTooLarge)
		assert.Contains(t, err.Error(), "GET /x")
		assert.Equal(t, before+1, srv.hits.Load(), "not retried")
	}
	outcomes, retries, _ := obs.snapshot()
	assert.Equal(t, []Outcome{Outcome2xx, OutcomeBodyTooLarge, OutcomeBodyTooLarge}, outcomes)
	assert.Zero(t, retries)
}

func TestHTMLContentTypeIsAnError(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<html>login</html>"))
	})
	c, _, _ := newTestClient(t, srv, nil)
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/api/logs"})
	require.ErrorIs(t, err, ErrUnexpectedContentType)
	assert.Contains(t, err.Error(), "GET /api/logs")
	assert.Contains(t, err.Error(), "200")
	assert.Equal(t, int64(1), srv.hits.Load())
}

func TestAuthAppliedPerAttempt(t *testing.T) {
	srv := newServer(t, func(n int64, w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Token make-key", r.Header.Get("Authorization"))
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	c, _, _ := newTestClient(t, srv, func(cfg *Config) { cfg.Auth = Scheme("Token", "make-key") })
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	require.NoError(t, err)
	assert.Equal(t, int64(2), srv.hits.Load())
}

func TestAuthErrorNotSent(t *testing.T) {
	srv := newServer(t, func(_ int64, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	c, obs, _ := newTestClient(t, srv, func(cfg *Config) { cfg.Auth = failingAuth{} })
	_, err := c.Do(context.Background(), Request{URL: srv.URL + "/x"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "GET /x: authenticate")
	assert.Zero(t, srv.hits.Load())
	outcomes, _, _ := obs.snapshot()
	assert.Empty(t, outcomes)
}

type countingAuth struct{ calls atomic.Int64 }

func (a *countingAuth) Apply(context.Context, *http.Request) error {
	a.calls.Add(1)
	return nil
}

type failingAuth struct{}

func (failingAuth) Apply(context.Context, *http.Request) error { return errors.New("no credentials") }
