package engine

import (
	"context"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fastjson"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/mapper"
)

// AttrUnfinished marks a record delivered before it was final: the spec
// calls it unfinished (records.unfinished, Make: status 0) and it stayed so
// for longer than max_pending.
const AttrUnfinished = "api_logs.unfinished"

// ScopeName is the instrumentation scope of every record.
const ScopeName = "github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"

// worker holds what one poll goroutine reuses between pages.
// Decoders and mappers cache buffers and keys, so each worker has its own.
type worker struct {
	decoder *decode.Decoder
	mapper  *mapper.Mapper
	enrich  fastjson.Parser
}

func (s *Source) newWorker() (*worker, error) {
	d, err := decode.New(s.set.Spec.Records, s.set.Spec.Pagination)
	if err != nil {
		return nil, err
	}
	m, err := mapper.New(s.set.Spec, s.set.SeverityOverrides)
	if err != nil {
		return nil, err
	}
	return &worker{decoder: d, mapper: m}, nil
}

type resourceAttrs struct {
	source, api, host, streamAttr string
}

func newResourceAttrs(set Settings) resourceAttrs {
	return resourceAttrs{source: set.SourceID, api: set.API, host: set.Endpoint.Hostname(), streamAttr: set.Spec.Streams.Attribute}
}

func (r resourceAttrs) fill(m pcommon.Map, stream string) {
	m.PutStr("api_logs.source", r.source)
	m.PutStr("api_logs.api", r.api)
	m.PutStr("api_logs.stream", stream)
	m.PutStr("server.address", r.host)
	if r.streamAttr != "" && stream != defaultStream {
		m.PutStr(r.streamAttr, stream)
	}
}

// mapPage maps the selected records of a page, in the API's order.
// enrichLeft is what remains of the poll's enrichment budget (max_per_poll).
func (st *stream) mapPage(ctx context.Context, w *worker, page *decode.Page, idx []int, enrichLeft *int) plog.Logs {
	src := st.src
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	src.resource.fill(rl.Resource().Attributes(), st.id)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(ScopeName)
	lrs := sl.LogRecords()
	lrs.EnsureCapacity(len(idx))
	observed := pcommon.NewTimestampFromTime(src.set.Now())
	enrichUntil := time.Now().Add(enrichPageWait)
	for _, i := range idx {
		rec := &page.Records[i]
		lr := lrs.AppendEmpty()
		w.mapper.Append(lr, rec, observed)
		if src.machine.Unfinished(rec) {
			// Still unfinished after max_pending: delivered as it stands,
			// and its final state will not follow.
			lr.Attributes().PutBool(AttrUnfinished, true)
		}
		if src.enrich != nil && *enrichLeft > 0 && st.wantsEnrich(rec) {
			*enrichLeft--
			wait := min(enrichRecordWait, max(0, time.Until(enrichUntil)))
			st.enrichRecord(ctx, w, rec, lr, wait)
		}
	}
	return ld
}

// Enrichment is secondary to the list walk: it takes only requests the list
// walks leave free (httpclient.Limiter.WaitSecondary), and holds a record
// back at most enrichRecordWait, a page at most enrichPageWait in all,
// waiting for one. A record that gets none is delivered without the extra
// attributes, with api_logs.enrich.error saying why.
const (
	enrichRecordWait = time.Second
	enrichPageWait   = 10 * time.Second
)

// consume hands a page to the pipeline. A permanent pipeline error is logged
// and counted and the page is passed over (retrying data the pipeline
// rejects for good would stall the stream forever); any other error leaves
// the cursor where it was. The pipeline gets a context that shutdown does not
// cancel: a page it has started to accept must finish so that the checkpoint
// can follow.
func (st *stream) consume(ctx context.Context, ld plog.Logs, n int) error {
	src := st.src
	dctx := src.deps.ObsRep.StartLogsOp(context.WithoutCancel(ctx))
	err := src.deps.Consumer.ConsumeLogs(dctx, ld)
	src.deps.ObsRep.EndLogsOp(dctx, "json", n, err)
	if err != nil && consumererror.IsPermanent(err) {
		src.deps.Logger.Error("The pipeline permanently rejected a page; it is skipped",
			zap.String("stream", st.id), zap.Int("records", n), zap.Error(err))
		return nil
	}
	return err
}

func (st *stream) wantsEnrich(rec *decode.Record) bool {
	e := st.src.set.Spec.Enrich
	v := decode.Lookup(rec.Value, e.Field)
	if v == nil {
		return false
	}
	text, _ := decode.Text(v)
	for _, want := range e.Values {
		if text == want {
			return true
		}
	}
	return false
}

// enrichRecord fetches the extra document of one record. A failure only
// costs the extra attributes: the record itself is never held back.
func (st *stream) enrichRecord(ctx context.Context, w *worker, rec *decode.Record, lr plog.LogRecord, wait time.Duration) {
	src := st.src
	vars := make(apispec.Vars, len(st.vars)+1)
	for k, v := range st.vars {
		vars[k] = v
	}
	for _, name := range src.enrichNames {
		if field, ok := strings.CutPrefix(name, apispec.VarRecordPrefix); ok {
			text, _ := decode.Text(decode.Lookup(rec.Value, field))
			vars.Set(name, text)
		}
	}
	req := src.enrich.build(vars, st.id)
	req.Secondary, req.SecondaryWait = true, wait
	st.requests.Add(1)
	resp, err := src.deps.Client.Do(ctx, req)
	if err != nil {
		lr.Attributes().PutStr("api_logs.enrich.error", err.Error())
		src.deps.Logger.Debug("Enrichment request failed", zap.String("stream", st.id), zap.Error(err))
		return
	}
	doc, err := w.enrich.ParseBytes(resp.Body)
	if err != nil {
		lr.Attributes().PutStr("api_logs.enrich.error", "response is not valid JSON")
		return
	}
	for attr, path := range src.set.Spec.Enrich.Attributes {
		if v := decode.Lookup(doc, path); v != nil && v.Type() != fastjson.TypeNull {
			mapper.ToValue(lr.Attributes().PutEmpty(attr), v)
		}
	}
}

func pathOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "?"
	}
	return u.Path
}
