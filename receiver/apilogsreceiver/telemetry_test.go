package apilogsreceiver

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	noopmetric "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadata"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadatatest"
)

var ignoreValues = []metricdatatest.Option{metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreValue()}

// telemetryBelowDetailed is the collector's meter provider at levels basic
// and normal: the service's default views (v0.165
// service/internal/metricviews) drop the otelhttp meter below detailed.
func telemetryBelowDetailed() *componenttest.Telemetry {
	return componenttest.NewTelemetry(componenttest.WithMetricOptions(sdkmetric.WithView(sdkmetric.NewView(
		sdkmetric.Instrument{Scope: instrumentation.Scope{Name: otelhttp.ScopeName}},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationDrop{}},
	))))
}

func TestPerStreamLevel(t *testing.T) {
	detailed := componenttest.NewTelemetry()
	normal := telemetryBelowDetailed()
	t.Cleanup(func() {
		require.NoError(t, detailed.Shutdown(context.Background()))
		require.NoError(t, normal.Shutdown(context.Background()))
	})
	assert.True(t, perStreamLevel(context.Background(), detailed.NewTelemetrySettings().MeterProvider), "no view drops the otelhttp meter: level detailed")
	assert.False(t, perStreamLevel(context.Background(), normal.NewTelemetrySettings().MeterProvider), "the collector's views below detailed")
	assert.False(t, perStreamLevel(context.Background(), noopmetric.NewMeterProvider()), "level none")
	_, err := detailed.GetMetric("otelcol_api_logs_level_probe")
	require.Error(t, err, "the probe records nothing, so it exports nothing")
}

// pollOnce runs a Tines receiver on tt until its first poll is measured.
func pollOnce(t *testing.T, tt *componenttest.Telemetry, sim *simulator.Simulator) receiver.Settings {
	t.Helper()
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
	return set
}

func TestMetricsAfterAPoll(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sim := startSim(t, simulator.Options{})
	set := pollOnce(t, tt, sim)

	receiverID := attribute.String("receiver", set.ID.String())
	stream := attribute.NewSet(receiverID, attribute.String("stream", "1001"))
	outcome := func(o string) attribute.Set {
		return attribute.NewSet(receiverID, attribute.String("stream", "1001"), attribute.String("outcome", o))
	}
	metadatatest.AssertEqualAPILogsRequests(t, tt, []metricdata.DataPoint[int64]{{Attributes: outcome("2xx"), Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualAPILogsPolls(t, tt, []metricdata.DataPoint[int64]{{Attributes: outcome("success"), Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualAPILogsPages(t, tt, []metricdata.DataPoint[int64]{{Attributes: stream, Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualAPILogsCursorLag(t, tt, []metricdata.DataPoint[float64]{{Attributes: stream}}, ignoreValues...)
	metadatatest.AssertEqualAPILogsLastSuccess(t, tt, []metricdata.DataPoint[int64]{{Attributes: stream}}, ignoreValues...)

	accepted, err := tt.GetMetric("otelcol_receiver_accepted_log_records")
	require.NoError(t, err)
	var total int64
	for _, dp := range accepted.Data.(metricdata.Sum[int64]).DataPoints {
		total += dp.Value
	}
	assert.Equal(t, int64(25), total, "obsreport counts the accepted records")
	_, err = tt.GetMetric("otelcol_api_logs_records")
	require.Error(t, err, "the records are obsreport's to count")
}

// Below level detailed every metric is one receiver-level series (per
// outcome): exact attribute sets, no stream.
func TestMetricsAfterAPollBelowDetailed(t *testing.T) {
	tt := telemetryBelowDetailed()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sim := startSim(t, simulator.Options{})
	set := pollOnce(t, tt, sim)

	receiverID := attribute.String("receiver", set.ID.String())
	only := attribute.NewSet(receiverID)
	outcome := func(o string) attribute.Set { return attribute.NewSet(receiverID, attribute.String("outcome", o)) }
	metadatatest.AssertEqualAPILogsRequests(t, tt, []metricdata.DataPoint[int64]{{Attributes: outcome("2xx"), Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualAPILogsPolls(t, tt, []metricdata.DataPoint[int64]{{Attributes: outcome("success"), Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualAPILogsPages(t, tt, []metricdata.DataPoint[int64]{{Attributes: only, Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualAPILogsCursorLag(t, tt, []metricdata.DataPoint[float64]{{Attributes: only}}, ignoreValues...)
	metadatatest.AssertEqualAPILogsLastSuccess(t, tt, []metricdata.DataPoint[int64]{{Attributes: only}}, ignoreValues...)
}

// newTestObserver is an observer on tt's meter provider, at the level tt
// stands for.
func newTestObserver(t *testing.T, tt *componenttest.Telemetry) *observer {
	t.Helper()
	ts := tt.NewTelemetrySettings()
	tb, err := metadata.NewTelemetryBuilder(ts)
	require.NoError(t, err)
	t.Cleanup(tb.Shutdown)
	o, err := newObserver(tb, "api_logs/x", perStreamLevel(context.Background(), ts.MeterProvider))
	require.NoError(t, err)
	return o
}

// The gauges of three streams: per stream at level detailed, the largest
// lag and the oldest success below it; a stream that discovery dropped
// leaves both, and a stream without a success does not count.
func TestGaugesByLevel(t *testing.T) {
	at := time.Unix(1_800_000_000, 0)
	record := func(o *observer) {
		o.CursorLag("a", 5*time.Second)
		o.CursorLag("b", 90*time.Second)
		o.CursorLag("c", 30*time.Second)
		o.LastSuccess("a", at)
		o.LastSuccess("b", at.Add(-time.Hour))
		// c has not succeeded yet
	}
	receiverID := attribute.String("receiver", "api_logs/x")
	only := attribute.NewSet(receiverID)
	stream := func(id string) attribute.Set { return attribute.NewSet(receiverID, attribute.String("stream", id)) }
	opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp()}

	t.Run("below detailed", func(t *testing.T) {
		tt := telemetryBelowDetailed()
		t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
		o := newTestObserver(t, tt)
		record(o)
		metadatatest.AssertEqualAPILogsCursorLag(t, tt, []metricdata.DataPoint[float64]{{Attributes: only, Value: 90}}, opts...)
		metadatatest.AssertEqualAPILogsLastSuccess(t, tt, []metricdata.DataPoint[int64]{{Attributes: only, Value: at.Add(-time.Hour).Unix()}}, opts...)
		o.StreamRemoved("b")
		metadatatest.AssertEqualAPILogsCursorLag(t, tt, []metricdata.DataPoint[float64]{{Attributes: only, Value: 30}}, opts...)
		metadatatest.AssertEqualAPILogsLastSuccess(t, tt, []metricdata.DataPoint[int64]{{Attributes: only, Value: at.Unix()}}, opts...)
		o.StreamRemoved("a")
		o.StreamRemoved("c")
		_, err := tt.GetMetric("otelcol_api_logs_cursor_lag")
		require.Error(t, err, "no live stream, no value")
	})
	t.Run("detailed", func(t *testing.T) {
		tt := componenttest.NewTelemetry()
		t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
		o := newTestObserver(t, tt)
		record(o)
		metadatatest.AssertEqualAPILogsCursorLag(t, tt, []metricdata.DataPoint[float64]{
			{Attributes: stream("a"), Value: 5}, {Attributes: stream("b"), Value: 90}, {Attributes: stream("c"), Value: 30},
		}, opts...)
		metadatatest.AssertEqualAPILogsLastSuccess(t, tt, []metricdata.DataPoint[int64]{
			{Attributes: stream("a"), Value: at.Unix()}, {Attributes: stream("b"), Value: at.Add(-time.Hour).Unix()},
		}, opts...)
		o.StreamRemoved("b")
		metadatatest.AssertEqualAPILogsCursorLag(t, tt, []metricdata.DataPoint[float64]{
			{Attributes: stream("a"), Value: 5}, {Attributes: stream("c"), Value: 30},
		}, opts...)
		metadatatest.AssertEqualAPILogsLastSuccess(t, tt, []metricdata.DataPoint[int64]{{Attributes: stream("a"), Value: at.Unix()}}, opts...)
	})
}

// Counters of two streams: one series per stream and outcome at level
// detailed, their sums below it.
func TestCountersByLevel(t *testing.T) {
	record := func(o *observer) {
		o.Poll("a", 2, 0, nil)
		o.Poll("b", 3, 0, nil)
		o.Poll("b", 0, 0, errors.New("boom"))
		o.Retry("a")
		o.Retry("b")
		o.Throttled("a", 1500*time.Millisecond)
		o.Throttled("b", 500*time.Millisecond)
		o.PositionRefused("a")
		o.PositionRefused("a")
		o.PositionRefused("b")
	}
	receiverID := attribute.String("receiver", "api_logs/x")
	only := attribute.NewSet(receiverID)
	stream := func(id string, more ...attribute.KeyValue) attribute.Set {
		return attribute.NewSet(append([]attribute.KeyValue{receiverID, attribute.String("stream", id)}, more...)...)
	}
	success, failure := attribute.String("outcome", "success"), attribute.String("outcome", "failure")
	opts := []metricdatatest.Option{metricdatatest.IgnoreTimestamp()}

	t.Run("below detailed", func(t *testing.T) {
		tt := telemetryBelowDetailed()
		t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
		record(newTestObserver(t, tt))
		metadatatest.AssertEqualAPILogsPolls(t, tt, []metricdata.DataPoint[int64]{
			{Attributes: attribute.NewSet(receiverID, success), Value: 2}, {Attributes: attribute.NewSet(receiverID, failure), Value: 1},
		}, opts...)
		metadatatest.AssertEqualAPILogsPages(t, tt, []metricdata.DataPoint[int64]{{Attributes: only, Value: 5}}, opts...)
		metadatatest.AssertEqualAPILogsRetries(t, tt, []metricdata.DataPoint[int64]{{Attributes: only, Value: 2}}, opts...)
		metadatatest.AssertEqualAPILogsThrottledTime(t, tt, []metricdata.DataPoint[float64]{{Attributes: only, Value: 2}}, opts...)
		metadatatest.AssertEqualAPILogsRefusedPositions(t, tt, []metricdata.DataPoint[int64]{{Attributes: only, Value: 3}}, opts...)
	})
	t.Run("detailed", func(t *testing.T) {
		tt := componenttest.NewTelemetry()
		t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
		record(newTestObserver(t, tt))
		metadatatest.AssertEqualAPILogsPolls(t, tt, []metricdata.DataPoint[int64]{
			{Attributes: stream("a", success), Value: 1}, {Attributes: stream("b", success), Value: 1}, {Attributes: stream("b", failure), Value: 1},
		}, opts...)
		metadatatest.AssertEqualAPILogsPages(t, tt, []metricdata.DataPoint[int64]{
			{Attributes: stream("a"), Value: 2}, {Attributes: stream("b"), Value: 3},
		}, opts...)
		metadatatest.AssertEqualAPILogsThrottledTime(t, tt, []metricdata.DataPoint[float64]{
			{Attributes: stream("a"), Value: 1.5}, {Attributes: stream("b"), Value: 0.5},
		}, opts...)
		metadatatest.AssertEqualAPILogsRefusedPositions(t, tt, []metricdata.DataPoint[int64]{
			{Attributes: stream("a"), Value: 2}, {Attributes: stream("b"), Value: 1},
		}, opts...)
	})
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
	stream := attribute.NewSet(attribute.String("receiver", set.ID.String()), attribute.String("stream", "1001"))
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
	assert.ElementsMatch(t, []string{attrReceiver, attrStream, attrOutcome}, names)

	outcomes := []string{outcomeSuccess, outcomeFailure}
	for _, o := range []httpclient.Outcome{
		httpclient.Outcome2xx, httpclient.Outcome3xx, httpclient.Outcome4xx, httpclient.Outcome429,
		httpclient.Outcome5xx, httpclient.OutcomeNetworkError, httpclient.OutcomeBodyTooLarge,
	} {
		outcomes = append(outcomes, string(o))
	}
	assert.ElementsMatch(t, outcomes, md.Attributes[attrOutcome].Enum)

	for name, m := range md.Telemetry.Metrics {
		want := []string{attrReceiver, attrStream}
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

// A Logto millisecond of 250 records, more than a page, is read alone
// until all 250 were seen: api_logs_tie_reads counts those requests, as
// many as the server answered for a single millisecond.
func TestMetricsTieReads(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sim := startSim(t, simulator.Options{InitialRecords: -1, Seed: 3})
	sim.AddRecords(simulator.APILogtoLogs, "", 250, time.Now().Add(-time.Minute))
	sink := &consumertest.LogsSink{}
	set := metadatatest.NewSettings(tt)
	cfg := logtoConfig(sim, simulator.DefaultKeys().LogtoClientSecret)
	cfg.PageSize = 20
	rcv := newTestReceiver(t, set, cfg, sink)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	shutdownOnCleanup(t, rcv)
	require.Eventually(t, func() bool { return sink.LogRecordCount() == 250 }, 15*time.Second, 20*time.Millisecond)

	stream := attribute.NewSet(attribute.String("receiver", set.ID.String()), attribute.String("stream", "default"))
	reads := sim.Stats().Modes.LogtoTieReads
	require.Positive(t, reads)
	metadatatest.AssertEqualAPILogsTieReads(t, tt, []metricdata.DataPoint[int64]{{Attributes: stream, Value: reads}}, metricdatatest.IgnoreTimestamp())
	_, err := tt.GetMetric("otelcol_api_logs_tie_records_missed")
	assert.Error(t, err, "no tie record reported missed")
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
	stream := attribute.NewSet(attribute.String("receiver", set.ID.String()), attribute.String("stream", "1001"))
	metadatatest.AssertEqualAPILogsDisorderWindow(t, tt, []metricdata.DataPoint[float64]{{Attributes: stream, Value: 40}}, metricdatatest.IgnoreTimestamp())
}
