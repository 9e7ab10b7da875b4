package apilogsreceiver

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

const (
	tinesSecret      = "tines-SECRET-4f1c9a"
	wrongTinesSecret = "tines-WRONG-77ab21"
	logtoSecret      = "logto-SECRET-9d2e0b"
	wrongLogtoSecret = "logto-WRONG-13c5f8"
)

// Through 401s, 500s, foreign next links and truncated bodies, at debug
// level, no credential appears in a log message or field, an error, or a
// status event.
func TestSecretsNeverLeak(t *testing.T) {
	sim := startSim(t, simulator.Options{Keys: simulator.Keys{Tines: tinesSecret, LogtoClientSecret: logtoSecret}})
	core, logs := zapobserver.New(zapcore.DebugLevel)
	host := &statusHost{Host: componenttest.NewNopHost()}
	runFor := func(name string, cfg *Config, minRequests int64, faults ...simulator.Fault) {
		t.Helper()
		sim.ClearFaults()
		for _, f := range faults {
			require.NoError(t, sim.SetFault(f))
		}
		set := nopSettings()
		set.Logger = zap.New(core).With(zap.String("case", name))
		before := sim.Stats()
		rcv := newTestReceiver(t, set, cfg, &consumertest.LogsSink{})
		require.NoError(t, rcv.Start(context.Background(), host))
		require.Eventually(t, func() bool {
			return allRequests(sim.Stats())-allRequests(before) >= minRequests
		}, 15*time.Second, 20*time.Millisecond, name)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, rcv.Shutdown(ctx))
	}
	run := func(name string, cfg *Config, faults ...simulator.Fault) {
		t.Helper()
		runFor(name, cfg, 2, faults...)
	}

	wrongTines := tinesConfig(sim, wrongTinesSecret)
	run("tines 401", wrongTines)
	run("tines 500", tinesConfig(sim, tinesSecret), simulator.Fault{Kind: simulator.Fault500, API: simulator.APITinesActionLogs})
	run("tines truncated", tinesConfig(sim, tinesSecret), simulator.Fault{Kind: simulator.FaultTruncated, API: simulator.APITinesActionLogs})
	foreign := tinesConfig(sim, tinesSecret)
	foreign.API, foreign.Custom, foreign.ActionIDs, foreign.StreamIDs, foreign.PageSize = apispec.Custom, nextURLTines(), nil, []string{"1001"}, 5
	// Once the walk holds the foreign link, no request is sent at all.
	runFor("tines foreign next", foreign, 1, simulator.Fault{Kind: simulator.FaultForeignNext, API: simulator.APITinesActionLogs})
	// A refused client secret is permanent: one token request, then a long pause.
	runFor("logto wrong secret", logtoConfig(sim, wrongLogtoSecret), 1)
	run("logto 500", logtoConfig(sim, logtoSecret), simulator.Fault{Kind: simulator.Fault500, API: simulator.APILogtoLogs})
	run("logto truncated", logtoConfig(sim, logtoSecret), simulator.Fault{Kind: simulator.FaultTruncated, API: simulator.APILogtoLogs})
	run("logto token expiry", logtoConfig(sim, logtoSecret), simulator.Fault{Kind: simulator.FaultTokenExpiry, API: simulator.APILogtoLogs})

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
	require.NotEmpty(t, logs.FilterMessageSnippet("Poll failed").All(), "the faults must have been logged")
	for _, text := range texts {
		for _, secret := range []string{tinesSecret, wrongTinesSecret, logtoSecret, wrongLogtoSecret} {
			assert.NotContains(t, text, secret)
		}
		// Logto tokens are bearer credentials too.
		assert.NotContains(t, strings.ToLower(text), "bearer ", "no Authorization header value: %s", text)
	}
	assert.Empty(t, sim.ForeignRequests())
}

func allRequests(st simulator.Stats) int64 {
	var n int64
	for _, byCode := range st.Requests {
		for _, c := range byCode {
			n += c
		}
	}
	return n
}
