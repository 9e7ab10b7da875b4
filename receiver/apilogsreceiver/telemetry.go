package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"context"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"

	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver/internal/metadata"
)

// Attribute names and poll outcomes of the component metrics, declared in
// metadata.yaml (attributes:) so that documentation.md lists them. mdatagen
// v0.159 generates attribute helpers only for the metrics: section (its
// MetricsBuilder), not for telemetry metrics, so they are spelled here;
// TestTelemetryAttributesMatchMetadata keeps the two in step. A request's
// outcome is an httpclient.Outcome.
const (
	attrReceiver = "receiver"
	attrStream   = "stream"
	attrOutcome  = "outcome"

	outcomeSuccess = "success"
	outcomeFailure = "failure"
)

// perStreamLevel tells whether the collector runs at telemetry level
// detailed, the only level at which the metrics carry the stream: its
// number is unbounded (Make discovery), and the logs and the component
// status name a failing stream at every level.
//
// Collector v0.165 tells a component nothing of the level
// (component.TelemetrySettings lost MetricsLevel, and a component cannot
// hand the service views of its own): the service applies the level as
// views on the MeterProvider, and below detailed one of them drops every
// instrument of the otelhttp meter, the HTTP client instrumentation that
// confighttp puts on this receiver's own client. So the receiver asks an
// instrument of that meter whether it records. The probe is never
// recorded, so it exports nothing. TestPrometheusLabelsByLevel (e2e)
// checks the outcome through the real collector at normal and detailed.
func perStreamLevel(ctx context.Context, mp metric.MeterProvider) bool {
	probe, err := mp.Meter(otelhttp.ScopeName).Int64Counter("otelcol_api_logs_level_probe")
	return err == nil && probe.Enabled(ctx)
}

// observer records the engine's and the HTTP client's measurements as the
// component metrics declared in metadata.yaml.
//
// Every measurement of a stream takes its attributes from attrs, which adds
// the stream only at level detailed; a gauge of streams is a streamGauge,
// which reports each live stream at level detailed and one aggregate
// otherwise. A new metric: declare it in metadata.yaml with attributes
// [receiver, stream] (make generate); a counter adds with o.attrs(stream),
// extra attributes of a fixed set as attrs' extra arguments; a gauge is an
// observable one backed by a streamGauge field with its aggregate (larger,
// smaller), a callback that calls observeGauge, setGauge in the
// measurement, and a delete in StreamRemoved.
//
// The gauges are observable: a synchronous gauge keeps reporting every
// series it ever recorded (the SDK's cumulative last value), so a stream
// that discovery dropped would keep its last lag and last success for the
// life of the process. The callbacks report only the live streams.
type observer struct {
	tb        *metadata.TelemetryBuilder
	receiver  attribute.KeyValue
	perStream bool
	sets      sync.Map // attrsKey -> metric.MeasurementOption

	mu          sync.Mutex // guards the gauges
	lag         streamGauge[float64]
	lastSuccess streamGauge[int64]
	disorder    streamGauge[float64]
}

func newObserver(tb *metadata.TelemetryBuilder, receiverID string, perStream bool) (*observer, error) {
	o := &observer{
		tb:          tb,
		receiver:    attribute.String(attrReceiver, receiverID),
		perStream:   perStream,
		lag:         newStreamGauge(larger[float64]),
		lastSuccess: newStreamGauge(smaller[int64]),
		disorder:    newStreamGauge(larger[float64]),
	}
	err := tb.RegisterAPILogsCursorLagCallback(func(_ context.Context, obs metric.Float64Observer) error {
		observeGauge(o, &o.lag, obs.Observe)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = tb.RegisterAPILogsLastSuccessCallback(func(_ context.Context, obs metric.Int64Observer) error {
		observeGauge(o, &o.lastSuccess, obs.Observe)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = tb.RegisterAPILogsDisorderWindowCallback(func(_ context.Context, obs metric.Float64Observer) error {
		observeGauge(o, &o.disorder, obs.Observe)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// attrs returns the attribute set of a measurement of stream: the receiver,
// the stream at level detailed, and extra (at most a few values of a fixed
// set, such as the outcome). Sets are cached (they are not free to build);
// at the lower levels there is one per extra combination.
func (o *observer) attrs(stream string, extra ...attribute.KeyValue) metric.MeasurementOption {
	if !o.perStream {
		stream = ""
	}
	key := attrsKey(stream, extra)
	if v, ok := o.sets.Load(key); ok {
		return v.(metric.MeasurementOption)
	}
	kvs := make([]attribute.KeyValue, 0, 2+len(extra))
	kvs = append(kvs, o.receiver)
	if o.perStream {
		kvs = append(kvs, attribute.String(attrStream, stream))
	}
	kvs = append(kvs, extra...)
	opt := metric.WithAttributeSet(attribute.NewSet(kvs...))
	o.sets.Store(key, opt)
	return opt
}

// attrsKey is the cache key of a stream's set: the stream, then each extra
// value after a NUL (no stream ID or attribute value holds one).
func attrsKey(stream string, extra []attribute.KeyValue) string {
	if len(extra) == 0 {
		return stream
	}
	var b strings.Builder
	b.WriteString(stream)
	for _, kv := range extra {
		b.WriteByte(0)
		b.WriteString(string(kv.Key))
		b.WriteByte('=')
		b.WriteString(kv.Value.String())
	}
	return b.String()
}

// streamGauge holds the last value of every live stream.
type streamGauge[N int64 | float64] struct {
	values map[string]N
	// aggregate folds two streams' values into the receiver-level one
	// (max: the worst lag; min: the oldest success).
	aggregate func(a, b N) N
}

func newStreamGauge[N int64 | float64](aggregate func(a, b N) N) streamGauge[N] {
	return streamGauge[N]{values: map[string]N{}, aggregate: aggregate}
}

// larger and smaller are the aggregates of streamGauge (the builtins max and
// min are no function values).
func larger[N int64 | float64](a, b N) N  { return max(a, b) }
func smaller[N int64 | float64](a, b N) N { return min(a, b) }

// observeGauge reports g: each live stream at level detailed, otherwise
// the aggregate over them, and nothing when no stream has a value.
func observeGauge[N int64 | float64](o *observer, g *streamGauge[N], observe func(N, ...metric.ObserveOption)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.perStream {
		for stream, v := range g.values {
			observe(v, o.attrs(stream))
		}
		return
	}
	first, agg := true, N(0)
	for _, v := range g.values {
		if first {
			agg, first = v, false
		} else {
			agg = g.aggregate(agg, v)
		}
	}
	if !first {
		observe(agg, o.attrs(""))
	}
}

// setGauge records stream's value of g.
func setGauge[N int64 | float64](o *observer, g *streamGauge[N], stream string, v N) {
	o.mu.Lock()
	g.values[stream] = v
	o.mu.Unlock()
}

// Engine measurements.

// Poll counts the poll and its pages. Its records are not counted here:
// receiverhelper's otelcol_receiver_accepted_log_records counts them.
func (o *observer) Poll(stream string, pages, _ int, err error) {
	outcome := outcomeSuccess
	if err != nil {
		outcome = outcomeFailure
	}
	o.tb.APILogsPolls.Add(context.Background(), 1, o.attrs(stream, attribute.String(attrOutcome, outcome)))
	if pages > 0 {
		o.tb.APILogsPages.Add(context.Background(), int64(pages), o.attrs(stream))
	}
}

func (o *observer) InvalidRecords(stream string, n int) {
	o.tb.APILogsInvalidRecords.Add(context.Background(), int64(n), o.attrs(stream))
}

func (o *observer) CursorLag(stream string, lag time.Duration) {
	setGauge(o, &o.lag, stream, lag.Seconds())
}

func (o *observer) PositionRefused(stream string) {
	o.tb.APILogsRefusedPositions.Add(context.Background(), 1, o.attrs(stream))
}

func (o *observer) DisorderWindow(stream string, d time.Duration) {
	setGauge(o, &o.disorder, stream, d.Seconds())
}

func (o *observer) LastSuccess(stream string, t time.Time) {
	setGauge(o, &o.lastSuccess, stream, t.Unix())
}

// StreamRemoved drops the stream from the gauges (its series at level
// detailed, its share of the aggregate otherwise) and its cached attribute
// sets. Its counters keep their totals: a cumulative counter cannot forget
// a series, and its final count stays true.
func (o *observer) StreamRemoved(stream string) {
	o.mu.Lock()
	delete(o.lag.values, stream)
	delete(o.lastSuccess.values, stream)
	delete(o.disorder.values, stream)
	o.mu.Unlock()
	if !o.perStream {
		return
	}
	o.sets.Range(func(key, _ any) bool {
		if k := key.(string); k == stream || strings.HasPrefix(k, stream+"\x00") {
			o.sets.Delete(k)
		}
		return true
	})
}

func (o *observer) CheckpointError(stream string) {
	o.tb.APILogsCheckpointErrors.Add(context.Background(), 1, o.attrs(stream))
}

func (o *observer) CursorReadError(stream string) {
	o.tb.APILogsCursorReadErrors.Add(context.Background(), 1, o.attrs(stream))
}

func (o *observer) CursorSetAside(stream string) {
	o.tb.APILogsCursorsSetAside.Add(context.Background(), 1, o.attrs(stream))
}

func (o *observer) RefusedNextLink(stream string) {
	o.tb.APILogsRefusedNextLinks.Add(context.Background(), 1, o.attrs(stream))
}

func (o *observer) TieRead(stream string) {
	o.tb.APILogsTieReads.Add(context.Background(), 1, o.attrs(stream))
}

func (o *observer) TieRecordsMissed(stream string, n int) {
	o.tb.APILogsTieRecordsMissed.Add(context.Background(), int64(n), o.attrs(stream))
}

func (o *observer) CursorIDsDropped(stream string, n int) {
	o.tb.APILogsCursorIdsDropped.Add(context.Background(), int64(n), o.attrs(stream))
}

// HTTP client measurements.

func (o *observer) Request(stream string, outcome httpclient.Outcome, _ time.Duration) {
	o.tb.APILogsRequests.Add(context.Background(), 1, o.attrs(stream, attribute.String(attrOutcome, string(outcome))))
}

func (o *observer) Retry(stream string) {
	o.tb.APILogsRetries.Add(context.Background(), 1, o.attrs(stream))
}

func (o *observer) Throttled(stream string, waited time.Duration) {
	o.tb.APILogsThrottledTime.Add(context.Background(), waited.Seconds(), o.attrs(stream))
}
