package apilogsreceiver

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadata"
)

// startSim runs a paused simulator on loopback; streams start with 25
// records of history unless opts says otherwise.
func startSim(t *testing.T, opts simulator.Options) *simulator.Simulator {
	t.Helper()
	opts.Paused = true
	sim, err := simulator.New(opts)
	require.NoError(t, err)
	require.NoError(t, sim.Start("127.0.0.1:0"))
	t.Cleanup(func() { require.NoError(t, sim.Close()) })
	return sim
}

// tinesConfig polls one Tines action of the simulator every second.
func tinesConfig(sim *simulator.Simulator, key string) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API = "tines_action_logs"
	cfg.ClientConfig.Endpoint = sim.URL() + "/tines"
	cfg.APIKey = configopaqueString(key)
	cfg.ActionIDs = []int64{1001}
	cfg.CollectionInterval = time.Second
	cfg.StartAt = "-2h"
	cfg.BackOff = configretry.BackOffConfig{Enabled: false}
	return cfg
}

func logtoConfig(sim *simulator.Simulator, secret string) *Config {
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	cfg.API = "logto_logs"
	cfg.ClientConfig.Endpoint = sim.URL() + "/logto"
	cfg.ClientID = simulator.DefaultKeys().LogtoClientID
	cfg.ClientSecret = configopaqueString(secret)
	cfg.Resource = simulator.LogtoResource
	cfg.CollectionInterval = time.Second
	cfg.StartAt = "-2h"
	cfg.BackOff = configretry.BackOffConfig{Enabled: false}
	return cfg
}

func newTestReceiver(t *testing.T, set receiver.Settings, cfg *Config, next consumer.Logs) receiver.Logs {
	t.Helper()
	require.NoError(t, cfg.Validate())
	rcv, err := NewFactory().CreateLogs(context.Background(), set, cfg, next)
	require.NoError(t, err)
	return rcv
}

func nopSettings() receiver.Settings {
	return receivertest.NewNopSettings(metadata.Type)
}

// shutdownOnCleanup stops the receiver at the end of the test (Shutdown is
// idempotent enough for tests that stop it themselves first).
func shutdownOnCleanup(t *testing.T, rcv receiver.Logs) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, rcv.Shutdown(ctx))
	})
}

// statusHost captures component status events.
type statusHost struct {
	component.Host
	mu     sync.Mutex
	events []*componentstatus.Event
}

func (h *statusHost) Report(ev *componentstatus.Event) {
	h.mu.Lock()
	h.events = append(h.events, ev)
	h.mu.Unlock()
}

func (h *statusHost) snapshot() []*componentstatus.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*componentstatus.Event(nil), h.events...)
}

func (h *statusHost) count(s componentstatus.Status) int {
	n := 0
	for _, ev := range h.snapshot() {
		if ev.Status() == s {
			n++
		}
	}
	return n
}

// uids lists the log.record.uid of every record in the sink.
func uids(sink *consumertest.LogsSink) []string {
	var out []string
	for _, ld := range sink.AllLogs() {
		forEachRecord(ld, func(lr plog.LogRecord) {
			v, _ := lr.Attributes().Get("log.record.uid")
			out = append(out, v.AsString())
		})
	}
	return out
}

func forEachRecord(ld plog.Logs, fn func(plog.LogRecord)) {
	for i := 0; i < ld.ResourceLogs().Len(); i++ {
		sls := ld.ResourceLogs().At(i).ScopeLogs()
		for j := 0; j < sls.Len(); j++ {
			lrs := sls.At(j).LogRecords()
			for k := 0; k < lrs.Len(); k++ {
				fn(lrs.At(k))
			}
		}
	}
}

// simRequests counts the simulator's answers for one api.
func simRequests(sim *simulator.Simulator, api string) int64 {
	var n int64
	for _, c := range sim.Stats().Requests[api] {
		n += c
	}
	return n
}

func simIDs(sim *simulator.Simulator, api, stream string) []string {
	var out []string
	for _, r := range sim.Records(api) {
		if r.Stream == stream {
			out = append(out, r.ID)
		}
	}
	return out
}
