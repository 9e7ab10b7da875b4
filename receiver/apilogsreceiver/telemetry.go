package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"context"
	"strings"
	"sync"
	"time"

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
	attrSource  = "source"
	attrStream  = "stream"
	attrOutcome = "outcome"

	outcomeSuccess = "success"
	outcomeFailure = "failure"
)

// observer records the engine's and the HTTP client's measurements as the
// component metrics declared in metadata.yaml, with source and stream
// attributes (cached per stream: attribute sets are not free).
//
// The gauges are observable: a synchronous gauge keeps reporting every
// series it ever recorded (the SDK's cumulative last value), so a stream
// that discovery dropped would keep its last lag and last success for the
// life of the process. The callbacks report only the streams in gauges.
type observer struct {
	tb     *metadata.TelemetryBuilder
	source string
	attrs  sync.Map // stream -> metric.MeasurementOption
	out    sync.Map // stream+"\x00"+outcome -> metric.MeasurementOption

	mu     sync.Mutex
	gauges map[string]*streamGauges // the live streams with a gauge value
}

// streamGauges are the last gauge values of one stream.
type streamGauges struct {
	attrs       metric.MeasurementOption
	lag         float64 // seconds
	hasLag      bool
	lastSuccess int64 // Unix seconds
	hasSuccess  bool
}

func newObserver(tb *metadata.TelemetryBuilder, source string) (*observer, error) {
	o := &observer{tb: tb, source: source, gauges: map[string]*streamGauges{}}
	err := tb.RegisterAPILogsCursorLagCallback(func(_ context.Context, obs metric.Float64Observer) error {
		o.mu.Lock()
		defer o.mu.Unlock()
		for _, g := range o.gauges {
			if g.hasLag {
				obs.Observe(g.lag, g.attrs)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = tb.RegisterAPILogsLastSuccessCallback(func(_ context.Context, obs metric.Int64Observer) error {
		o.mu.Lock()
		defer o.mu.Unlock()
		for _, g := range o.gauges {
			if g.hasSuccess {
				obs.Observe(g.lastSuccess, g.attrs)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// gauge returns the gauge values of stream; o.mu is held.
func (o *observer) gauge(stream string) *streamGauges {
	g := o.gauges[stream]
	if g == nil {
		g = &streamGauges{attrs: o.streamAttrs(stream)}
		o.gauges[stream] = g
	}
	return g
}

func (o *observer) streamAttrs(stream string) metric.MeasurementOption {
	if v, ok := o.attrs.Load(stream); ok {
		return v.(metric.MeasurementOption)
	}
	opt := metric.WithAttributeSet(attribute.NewSet(attribute.String(attrSource, o.source), attribute.String(attrStream, stream)))
	o.attrs.Store(stream, opt)
	return opt
}

func (o *observer) outcomeAttrs(stream, outcome string) metric.MeasurementOption {
	key := stream + "\x00" + outcome
	if v, ok := o.out.Load(key); ok {
		return v.(metric.MeasurementOption)
	}
	opt := metric.WithAttributeSet(attribute.NewSet(attribute.String(attrSource, o.source), attribute.String(attrStream, stream), attribute.String(attrOutcome, outcome)))
	o.out.Store(key, opt)
	return opt
}

// Engine measurements.

func (o *observer) Poll(stream string, pages, records int, err error) {
	outcome := outcomeSuccess
	if err != nil {
		outcome = outcomeFailure
	}
	o.tb.APILogsPolls.Add(context.Background(), 1, o.outcomeAttrs(stream, outcome))
	if pages > 0 {
		o.tb.APILogsPages.Add(context.Background(), int64(pages), o.streamAttrs(stream))
	}
	if records > 0 {
		o.tb.APILogsRecords.Add(context.Background(), int64(records), o.streamAttrs(stream))
	}
}

func (o *observer) InvalidRecords(stream string, n int) {
	o.tb.APILogsInvalidRecords.Add(context.Background(), int64(n), o.streamAttrs(stream))
}

func (o *observer) CursorLag(stream string, lag time.Duration) {
	o.mu.Lock()
	g := o.gauge(stream)
	g.lag, g.hasLag = lag.Seconds(), true
	o.mu.Unlock()
}

func (o *observer) LastSuccess(stream string, t time.Time) {
	o.mu.Lock()
	g := o.gauge(stream)
	g.lastSuccess, g.hasSuccess = t.Unix(), true
	o.mu.Unlock()
}

// StreamRemoved drops the stream's gauge series and cached attribute sets.
// Its counters keep their totals: a cumulative counter cannot forget a
// series, and its final count stays true.
func (o *observer) StreamRemoved(stream string) {
	o.mu.Lock()
	delete(o.gauges, stream)
	o.mu.Unlock()
	o.attrs.Delete(stream)
	o.out.Range(func(key, _ any) bool {
		if k := key.(string); strings.HasPrefix(k, stream+"\x00") {
			o.out.Delete(k)
		}
		return true
	})
}

func (o *observer) CheckpointError(stream string) {
	o.tb.APILogsCheckpointErrors.Add(context.Background(), 1, o.streamAttrs(stream))
}

func (o *observer) CursorReadError(stream string) {
	o.tb.APILogsCursorReadErrors.Add(context.Background(), 1, o.streamAttrs(stream))
}

func (o *observer) CursorSetAside(stream string) {
	o.tb.APILogsCursorsSetAside.Add(context.Background(), 1, o.streamAttrs(stream))
}

func (o *observer) RefusedNextLink(stream string) {
	o.tb.APILogsRefusedNextLinks.Add(context.Background(), 1, o.streamAttrs(stream))
}

func (o *observer) TieRecordsMissed(stream string, n int) {
	o.tb.APILogsTieRecordsMissed.Add(context.Background(), int64(n), o.streamAttrs(stream))
}

func (o *observer) CursorIDsDropped(stream string, n int) {
	o.tb.APILogsCursorIdsDropped.Add(context.Background(), int64(n), o.streamAttrs(stream))
}

// HTTP client measurements.

func (o *observer) Request(stream string, outcome httpclient.Outcome, _ time.Duration) {
	o.tb.APILogsRequests.Add(context.Background(), 1, o.outcomeAttrs(stream, string(outcome)))
}

func (o *observer) Retry(stream string) {
	o.tb.APILogsRetries.Add(context.Background(), 1, o.streamAttrs(stream))
}

func (o *observer) Throttled(stream string, waited time.Duration) {
	o.tb.APILogsThrottledTime.Add(context.Background(), waited.Seconds(), o.streamAttrs(stream))
}
