package apilogsreceiver

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadatatest"
)

var ignoreValues = []metricdatatest.Option{metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreValue()}

func TestMetricsAfterAPoll(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sim := startSim(t, simulator.Options{})
	sink := &consumertest.LogsSink{}
	set := metadatatest.NewSettings(tt)
	rcv := newTestReceiver(t, set, tinesConfig(sim, simulator.DefaultKeys().Tines), sink)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	shutdownOnCleanup(t, rcv)
	require.Eventually(t, func() bool { return sink.LogRecordCount() == 25 }, 15*time.Second, 20*time.Millisecond)
	// The poll's measurements follow its last page; wait for them.
	require.Eventually(t, func() bool {
		_, err := tt.GetMetric("otelcol_api_logs_polls")
		return err == nil
	}, 15*time.Second, 20*time.Millisecond)

	source := set.ID.String()
	stream := attribute.NewSet(attribute.String("source", source), attribute.String("stream", "1001"))
	outcome := func(o string) attribute.Set {
		return attribute.NewSet(attribute.String("source", source), attribute.String("stream", "1001"), attribute.String("outcome", o))
	}
	metadatatest.AssertEqualAPILogsRequests(t, tt, []metricdata.DataPoint[int64]{{Attributes: outcome("2xx")}}, ignoreValues...)
	metadatatest.AssertEqualAPILogsPolls(t, tt, []metricdata.DataPoint[int64]{{Attributes: outcome("success")}}, ignoreValues...)
	metadatatest.AssertEqualAPILogsRecords(t, tt, []metricdata.DataPoint[int64]{{Attributes: stream, Value: 25}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualAPILogsPages(t, tt, []metricdata.DataPoint[int64]{{Attributes: stream}}, ignoreValues...)
	metadatatest.AssertEqualAPILogsCursorLag(t, tt, []metricdata.DataPoint[float64]{{Attributes: stream}}, ignoreValues...)

	accepted, err := tt.GetMetric("otelcol_receiver_accepted_log_records")
	require.NoError(t, err)
	var total int64
	for _, dp := range accepted.Data.(metricdata.Sum[int64]).DataPoints {
		total += dp.Value
	}
	assert.Equal(t, int64(25), total, "obsreport counts the accepted records")
}

func TestMetricsRequestOutcomeOnFailure(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sim := startSim(t, simulator.Options{})
	require.NoError(t, sim.SetFault(simulator.Fault{Kind: simulator.Fault500, API: simulator.APITinesActionLogs}))
	set := metadatatest.NewSettings(tt)
	rcv := newTestReceiver(t, set, tinesConfig(sim, simulator.DefaultKeys().Tines), consumertest.NewNop())
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	shutdownOnCleanup(t, rcv)
	require.Eventually(t, func() bool {
		_, err := tt.GetMetric("otelcol_api_logs_polls")
		return err == nil
	}, 15*time.Second, 20*time.Millisecond)
	outcome := func(o string) attribute.Set {
		return attribute.NewSet(attribute.String("source", set.ID.String()), attribute.String("stream", "1001"), attribute.String("outcome", o))
	}
	metadatatest.AssertEqualAPILogsRequests(t, tt, []metricdata.DataPoint[int64]{{Attributes: outcome("5xx")}}, ignoreValues...)
	metadatatest.AssertEqualAPILogsPolls(t, tt, []metricdata.DataPoint[int64]{{Attributes: outcome("failure")}}, ignoreValues...)
}

// nextURLTines reads Tines action logs by following meta.next_page, so a
// foreign next link reaches the engine.
func nextURLTines() *apispec.Spec {
	spec, err := apispec.Builtin("tines_action_logs")
	if err != nil {
		panic(err)
	}
	spec.Pagination.Type = apispec.PaginationNextURL
	spec.Streams.Key = "" // custom APIs list their streams under stream_ids
	return spec
}

func TestMetricsRefusedNextLink(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sim := startSim(t, simulator.Options{})
	require.NoError(t, sim.SetFault(simulator.Fault{Kind: simulator.FaultForeignNext, API: simulator.APITinesActionLogs}))
	cfg := tinesConfig(sim, simulator.DefaultKeys().Tines)
	cfg.API = apispec.Custom
	cfg.Custom = nextURLTines()
	cfg.ActionIDs = nil
	cfg.StreamIDs = []string{"1001"}
	cfg.PageSize = 5
	set := metadatatest.NewSettings(tt)
	sink := &consumertest.LogsSink{}
	rcv := newTestReceiver(t, set, cfg, sink)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	shutdownOnCleanup(t, rcv)

	require.Eventually(t, func() bool {
		_, err := tt.GetMetric("otelcol_api_logs_refused_next_links")
		return err == nil
	}, 15*time.Second, 20*time.Millisecond)
	stream := attribute.NewSet(attribute.String("source", set.ID.String()), attribute.String("stream", "1001"))
	metadatatest.AssertEqualAPILogsRefusedNextLinks(t, tt, []metricdata.DataPoint[int64]{{Attributes: stream}}, ignoreValues...)
	assert.Empty(t, sim.ForeignRequests(), "nothing, let alone credentials, went to the foreign origin")
	assert.Zero(t, sink.LogRecordCount(), "a page whose next link points elsewhere is not delivered: the poll fails and the page is read again, so no foreign link is ever checkpointed")
}

// The built-in Tines spec counts pages itself, so a foreign next link is
// never followed and costs nothing.
func TestBuiltinTinesIgnoresForeignNextLink(t *testing.T) {
	sim := startSim(t, simulator.Options{})
	require.NoError(t, sim.SetFault(simulator.Fault{Kind: simulator.FaultForeignNext, API: simulator.APITinesActionLogs}))
	cfg := tinesConfig(sim, simulator.DefaultKeys().Tines)
	cfg.PageSize = 5
	sink := &consumertest.LogsSink{}
	rcv := newTestReceiver(t, nopSettings(), cfg, sink)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	shutdownOnCleanup(t, rcv)
	require.Eventually(t, func() bool { return sink.LogRecordCount() == 25 }, 15*time.Second, 20*time.Millisecond)
	assert.Empty(t, sim.ForeignRequests())
}

// metadata.yaml declares the attributes telemetry.go records (mdatagen v0.159
// generates no helpers for telemetry metric attributes, so nothing else ties
// the two together) and the stream attributes of the built-in specs.
func TestTelemetryAttributesMatchMetadata(t *testing.T) {
	raw, err := os.ReadFile("metadata.yaml")
	require.NoError(t, err)
	var md struct {
		ResourceAttributes map[string]any `yaml:"resource_attributes"`
		Attributes         map[string]struct {
			Enum []string `yaml:"enum"`
		} `yaml:"attributes"`
		Telemetry struct {
			Metrics map[string]struct {
				Attributes []string `yaml:"attributes"`
			} `yaml:"metrics"`
		} `yaml:"telemetry"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &md))

	var names []string
	for name := range md.Attributes {
		names = append(names, name)
	}
	assert.ElementsMatch(t, []string{attrSource, attrStream, attrOutcome}, names)

	outcomes := []string{outcomeSuccess, outcomeFailure}
	for _, o := range []httpclient.Outcome{
		httpclient.Outcome2xx, httpclient.Outcome3xx, httpclient.Outcome4xx, httpclient.Outcome429,
		httpclient.Outcome5xx, httpclient.OutcomeNetworkError, httpclient.OutcomeBodyTooLarge,
	} {
		outcomes = append(outcomes, string(o))
	}
	assert.ElementsMatch(t, outcomes, md.Attributes[attrOutcome].Enum)

	for name, m := range md.Telemetry.Metrics {
		want := []string{attrSource, attrStream}
		if name == "api_logs_polls" || name == "api_logs_requests" {
			want = append(want, attrOutcome)
		}
		assert.Equal(t, want, m.Attributes, name)
	}

	for _, api := range apispec.BuiltinNames() {
		spec, err := apispec.Builtin(api)
		require.NoError(t, err)
		if attr := spec.Streams.Attribute; attr != "" {
			assert.Contains(t, md.ResourceAttributes, attr, api)
		}
	}
	for _, attr := range []string{"api_logs.source", "api_logs.api", "api_logs.stream", "server.address"} {
		assert.Contains(t, md.ResourceAttributes, attr)
	}
}

// A stream whose API lists a record 20 s older than the one after it
// reports the span it re-reads because of it: twice that, 40 s.
func TestMetricsDisorderWindow(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sim := startSim(t, simulator.Options{DisorderBy: 20 * time.Second})
	sink := &consumertest.LogsSink{}
	set := metadatatest.NewSettings(tt)
	rcv := newTestReceiver(t, set, tinesConfig(sim, simulator.DefaultKeys().Tines), sink)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	shutdownOnCleanup(t, rcv)
	require.Eventually(t, func() bool { return sink.LogRecordCount() == 25 }, 15*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		_, err := tt.GetMetric("otelcol_api_logs_disorder_window")
		return err == nil
	}, 15*time.Second, 20*time.Millisecond)
	require.Positive(t, sim.Stats().Modes.Disordered)
	stream := attribute.NewSet(attribute.String("source", set.ID.String()), attribute.String("stream", "1001"))
	metadatatest.AssertEqualAPILogsDisorderWindow(t, tt, []metricdata.DataPoint[float64]{{Attributes: stream, Value: 40}}, metricdatatest.IgnoreTimestamp())
}
