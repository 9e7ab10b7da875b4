package apilogsreceiver // import "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

import (
	"context"
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
type observer struct {
	tb     *metadata.TelemetryBuilder
	source string
	attrs  sync.Map // stream -> metric.MeasurementOption
	out    sync.Map // stream+"\x00"+outcome -> metric.MeasurementOption
}

func newObserver(tb *metadata.TelemetryBuilder, source string) *observer {
	return &observer{tb: tb, source: source}
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
	o.tb.APILogsCursorLag.Record(context.Background(), lag.Seconds(), o.streamAttrs(stream))
}

func (o *observer) DisorderWindow(stream string, d time.Duration) {
	o.tb.APILogsDisorderWindow.Record(context.Background(), d.Seconds(), o.streamAttrs(stream))
}

func (o *observer) LastSuccess(stream string, t time.Time) {
	o.tb.APILogsLastSuccess.Record(context.Background(), t.Unix(), o.streamAttrs(stream))
}

func (o *observer) CheckpointError(stream string) {
	o.tb.APILogsCheckpointErrors.Add(context.Background(), 1, o.streamAttrs(stream))
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
