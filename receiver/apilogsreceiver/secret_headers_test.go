package apilogsreceiver

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// A static header whose value is a secret needs no key of its own:
// confighttp's headers are configopaque (redacted in config dumps) and the
// receiver's redactor learns the value of every header whose name says it is
// a credential. The API echoes it in every encoding in its error bodies; no
// log message, field, error or status event quotes it.
func TestSecretHeaderNeverLeaks(t *testing.T) {
	const headerSecret = "hdr-SECRET-7c41e2/+x"
	var hits, withHeader atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := hits.Add(1)
		v := r.Header.Get("X-Api-Token")
		if v == headerSecret {
			withHeader.Add(1)
		}
		w.WriteHeader(http.StatusInternalServerError)
		// Two bodies in turn, each short enough to be quoted whole.
		if n%2 == 1 {
			fmt.Fprintf(w, `{"error":"boom","json":"%s","raw":%q}`, jsonUnicodeEscape(v), v)
			return
		}
		fmt.Fprintf(w, `{"error":"boom","b64":%q,"url":%q}`, base64.StdEncoding.EncodeToString([]byte(v)), url.QueryEscape(v))
	}))
	t.Cleanup(api.Close)

	core, logs := zapobserver.New(zapcore.DebugLevel)
	set := nopSettings()
	set.Logger = zap.New(core)
	host := &statusHost{Host: componenttest.NewNopHost()}
	cfg := tinesConfig(startSim(t, simulator.Options{}), tinesSecret)
	cfg.ClientConfig.Endpoint = api.URL
	cfg.ClientConfig.Headers = configopaque.MapList{{Name: "X-Api-Token", Value: headerSecret}}

	dump := confmap.New()
	require.NoError(t, dump.Marshal(cfg))
	assert.NotContains(t, fmt.Sprint(dump.ToStringMap()), headerSecret, "config dump")
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg), headerSecret, "config printed")

	rcv := newTestReceiver(t, set, cfg, &consumertest.LogsSink{})
	require.NoError(t, rcv.Start(context.Background(), host))
	require.Eventually(t, func() bool {
		return len(logs.FilterMessageSnippet("Poll failed").All()) >= 2
	}, 15*time.Second, 10*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, rcv.Shutdown(ctx))
	require.Equal(t, hits.Load(), withHeader.Load(), "every request carries the header")
	require.GreaterOrEqual(t, hits.Load(), int64(2))

	var texts []string
	for _, e := range logs.All() {
		texts = append(texts, e.Message)
		for k, v := range e.ContextMap() {
			texts = append(texts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	for _, ev := range host.snapshot() {
		if ev.Err() != nil {
			texts = append(texts, ev.Err().Error())
		}
	}
	joined := strings.Join(texts, "\n")
	// Each echo is quoted, and replaced whole.
	for _, field := range []string{"json", "raw", "b64", "url"} {
		assert.Contains(t, joined, field+`\":\"[REDACTED]\"`)
	}
	for _, enc := range []string{
		headerSecret, base64.StdEncoding.EncodeToString([]byte(headerSecret)),
		url.QueryEscape(headerSecret), jsonUnicodeEscape(headerSecret), "7c41e2",
	} {
		assert.NotContains(t, joined, enc)
	}
}

// jsonUnicodeEscape writes every character of s as \uXXXX, as some JSON
// encoders do.
func jsonUnicodeEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	return b.String()
}
