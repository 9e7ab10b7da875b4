package httpclient

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// fastRetry keeps tests quick: millisecond backoff, generous elapsed budget.
func fastRetry() configretry.BackOffConfig {
	return configretry.BackOffConfig{
		Enabled:             true,
		InitialInterval:     time.Millisecond,
		MaxInterval:         5 * time.Millisecond,
		Multiplier:          2,
		RandomizationFactor: 0.2,
		MaxElapsedTime:      30 * time.Second,
	}
}

type recObserver struct {
	mu        sync.Mutex
	outcomes  []Outcome
	retries   int
	throttled []time.Duration
}

func (o *recObserver) Request(_ string, out Outcome, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.outcomes = append(o.outcomes, out)
}

func (o *recObserver) Retry(string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.retries++
}

func (o *recObserver) Throttled(_ string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.throttled = append(o.throttled, d)
}

func (o *recObserver) snapshot() (outcomes []Outcome, retries int, throttled []time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Outcome(nil), o.outcomes...), o.retries, append([]time.Duration(nil), o.throttled...)
}

// server is an httptest server that counts hits and runs handle per hit
// (n starts at 1).
type server struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t *testing.T, handle func(n int64, w http.ResponseWriter, r *http.Request)) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handle(s.hits.Add(1), w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

// newTestClient targets srv with fast retries, a recording observer and a
// debug-level observed logger; mutate adjusts the config.
func newTestClient(t *testing.T, srv *server, mutate func(*Config)) (*Client, *recObserver, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zap.DebugLevel)
	obs := &recObserver{}
	cfg := Config{
		Origin:   mustURL(t, srv.URL),
		Retry:    fastRetry(),
		Logger:   zap.New(core),
		Observer: obs,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(srv.Client(), cfg)
	require.NoError(t, err)
	return c, obs, logs
}
