package apilogsreceiver

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/receiver"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/engine"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadata"
)

// resourceOf runs cfg until the sink holds 25 records and returns the
// attributes of the first resource, with their order.
func resourceOf(t *testing.T, set receiver.Settings, cfg *Config) ([]string, map[string]any) {
	t.Helper()
	sink := &consumertest.LogsSink{}
	rcv := newTestReceiver(t, set, cfg, sink)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	shutdownOnCleanup(t, rcv)
	require.Eventually(t, func() bool { return sink.LogRecordCount() == 25 }, 15*time.Second, 20*time.Millisecond)
	attrs := sink.AllLogs()[0].ResourceLogs().At(0).Resource().Attributes()
	var keys []string
	attrs.Range(func(k string, _ pcommon.Value) bool {
		keys = append(keys, k)
		return true
	})
	return keys, attrs.AsRaw()
}

func TestResourceAttributes(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	host := "127.0.0.1"

	set := nopSettings()
	keys, attrs := resourceOf(t, set, tinesConfig(sim, simulator.DefaultKeys().Tines))
	assert.Equal(t, []string{"api_logs.source", "api_logs.api", "api_logs.stream", "server.address", "tines.action.id"}, keys,
		"the defaults and the order of the receiver's output before resource_attributes")
	assert.Equal(t, map[string]any{
		"api_logs.source": set.ID.String(), "api_logs.api": "tines_action_logs", "api_logs.stream": "1001",
		"server.address": host, "tines.action.id": "1001",
	}, attrs)

	cfg := tinesConfig(sim, simulator.DefaultKeys().Tines)
	cfg.ResourceAttributes.APILogsSource.Enabled = false
	cfg.ResourceAttributes.TinesActionID.Enabled = false
	_, attrs = resourceOf(t, nopSettings(), cfg)
	assert.Equal(t, map[string]any{"api_logs.api": "tines_action_logs", "api_logs.stream": "1001", "server.address": host}, attrs)
}

// A custom spec's stream attribute is no generated setting: it is always
// set; the declared ones follow their switch; the default stream of an API
// without streams gets none.
func TestResourceFuncStreamAttribute(t *testing.T) {
	endpoint, err := url.Parse("https://api.example.com/v2")
	require.NoError(t, err)
	fill := func(cfg metadata.ResourceAttributesConfig, attr, stream string) map[string]any {
		res := pcommon.NewResource()
		resourceFunc(cfg, "api_logs/x", "custom", endpoint.Hostname(), attr)(res, stream)
		return res.Attributes().AsRaw()
	}
	on := metadata.DefaultResourceAttributesConfig()
	base := map[string]any{"api_logs.source": "api_logs/x", "api_logs.api": "custom", "server.address": "api.example.com"}
	with := func(kv ...string) map[string]any {
		out := map[string]any{}
		for k, v := range base {
			out[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			out[kv[i]] = kv[i+1]
		}
		return out
	}
	off := metadata.DefaultResourceAttributesConfig()
	off.MakeScenarioID.Enabled = false
	off.APILogsStream.Enabled = false

	assert.Equal(t, with("example.workspace.id", "a"), fill(off, "example.workspace.id", "a"))
	assert.Equal(t, with("api_logs.stream", "7001", "make.scenario.id", "7001"), fill(on, "make.scenario.id", "7001"))
	assert.Equal(t, base, fill(off, "make.scenario.id", "7001"))
	assert.Equal(t, with("api_logs.stream", engine.DefaultStream), fill(on, "make.scenario.id", engine.DefaultStream))
}
