package engine

import (
	"context"
	"errors"
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
	d.SetMaxBodySize(s.set.MaxBodySize)
	// The decoder's messages quote parts of a body; it redacts them before
	// it cuts them to length.
	d.SetRedactor(s.deps.Redactor.Redact)
	m, err := mapper.New(s.set.Spec, s.set.SeverityOverrides, mapper.WithBody(s.set.Body))
	if err != nil {
		return nil, err
	}
	return &worker{decoder: d, mapper: m}, nil
}

// bind makes decoding give up when ctx ends (Source.Stop), however large
// the body: Decode checks it as it goes. Mapping checks the poll's own ctx
// (mapPage).
func (w *worker) bind(ctx context.Context) { w.decoder.SetDone(ctx.Done()) }

type resourceAttrs struct {
	source, api, host, streamAttr string
}

func newResourceAttrs(set Settings) resourceAttrs {
	return resourceAttrs{source: set.SourceID, api: set.API, host: set.Endpoint.Hostname(), streamAttr: set.Spec.Streams.Attribute}
}

func (r resourceAttrs) fill(res pcommon.Resource, stream string) {
	m := res.Attributes()
	m.PutStr("api_logs.source", r.source)
	m.PutStr("api_logs.api", r.api)
	m.PutStr("api_logs.stream", stream)
	m.PutStr("server.address", r.host)
	if r.streamAttr != "" && stream != defaultStream {
		m.PutStr(r.streamAttr, stream)
	}
}

// A page is handed to the pipeline in one ConsumeLogs, unless it holds more
// than chunkRecords records or chunkBytes of record JSON: then in chunks of
// at most that, so that a page at max_body_size never has all its records
// in pdata at once (a log record costs several times its JSON). No API's
// page size comes near: the built-in ones ask for at most 1000 records.
const (
	chunkRecords = 4096
	chunkBytes   = 1 << 20
)

// mapPage maps the records of a page that idx selects, in the API's order,
// and returns the commit that carries them (or the last of them); the page
// is not used afterwards. A page
// delivered in chunks hands every chunk but the last to commits at once,
// without a checkpoint: the last one, returned, carries it once walkPages
// has applied the page, so the cursor still moves only after the whole page
// was accepted.
//
// Shutdown: until the first chunk went out, mapping checks ctx (every 4096
// values, so whatever a record holds) and the page is abandoned when it
// ends: nothing of it is delivered, the error returned, the cursor stays.
// Once a chunk went out, the rest of the page is mapped and delivered
// whatever happens, so that the checkpoint follows and a graceful stop
// repeats nothing; mapping is linear, so that takes at most what one page
// at max_body_size takes. (Stop cancels the deliveries themselves after
// its grace period: then the page is read again after the restart.)
//
// A chunk the pipeline accepted before it refused a later one of the same
// page is remembered (see committer): its records are skipped when the
// page is read again.
func (st *stream) mapPage(ctx context.Context, w *worker, page *decode.Page, idx []int, enrichLeft *int, commits *committer) (commit, error) {
	defer w.decoder.Release() // the walk is done with the page: a large one is not kept
	if len(idx) == 0 {
		return commit{}, nil
	}
	src := st.src
	chunked := len(idx) > chunkRecords
	if !chunked {
		size := 0
		for _, i := range idx {
			size += len(page.Records[i].Raw)
		}
		chunked = size > chunkBytes
	}
	item, lrs := st.newChunk(min(len(idx), chunkRecords))
	observed := pcommon.NewTimestampFromTime(src.set.Now())
	enrichUntil := time.Now().Add(enrichPageWait)
	done := ctx.Done() // nil once a chunk went out
	size := 0
	if st.id == defaultStream {
		w.mapper.SetStream("") // a single-stream API: no stream to name
	} else {
		w.mapper.SetStream(st.id)
	}
	for k, i := range idx {
		rec := &page.Records[i]
		if st.partial != nil {
			if _, ok := st.partial[rec.ID]; ok {
				continue // accepted before the pipeline refused a later chunk
			}
		}
		if item.n > 0 && (item.n >= chunkRecords || size+len(rec.Raw) > chunkBytes) {
			if commits.failed() {
				return commit{}, errChunkRefused // the rest would be dropped
			}
			commits.send(item) // no state: not a checkpoint
			done = nil
			item, lrs = st.newChunk(min(len(idx)-k, chunkRecords))
			size = 0
		}
		if done != nil && k%64 == 63 && ctx.Err() != nil {
			return commit{}, ctx.Err()
		}
		lr := lrs.AppendEmpty()
		loaded := w.mapper.Load(rec)
		if err := w.mapper.AppendRecord(done, lr, rec, observed); err != nil {
			if loaded {
				w.mapper.Unload(rec)
			}
			return commit{}, err
		}
		if src.machine.Unfinished(rec) {
			// Still unfinished after max_pending: delivered as it stands,
			// and its final state will not follow.
			lr.Attributes().PutBool(AttrUnfinished, true)
		}
		if src.enrich != nil && *enrichLeft > 0 && st.wantsEnrich(rec) {
			*enrichLeft--
			wait := min(enrichRecordWait, max(0, time.Until(enrichUntil)))
			st.enrichRecord(ctx, w, rec, lr, wait)
			w.mapper.Rewrite(lr, rec) // the message may name what enrichment added
		}
		if loaded {
			w.mapper.Unload(rec)
		}
		item.n++
		size += len(rec.Raw)
		if chunked {
			item.ids = append(item.ids, rec.ID)
		}
	}
	return item, nil
}

// errChunkRefused stops mapping a page whose earlier chunk the pipeline
// refused; the poll reports the refusal itself (committer.finish).
var errChunkRefused = errors.New("the pipeline refused a chunk of the page")

// newChunk starts the plog.Logs of a page or chunk.
func (st *stream) newChunk(capacity int) (commit, plog.LogRecordSlice) {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	st.src.resource(rl.Resource(), st.id)
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(ScopeName)
	lrs := sl.LogRecords()
	lrs.EnsureCapacity(capacity)
	return commit{ld: ld}, lrs
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
// the cursor where it was. The pipeline gets the source's delivery context,
// not the poll's: Stop lets a page the pipeline has started to accept
// finish for a grace period, so that the checkpoint follows, and only then
// cancels it (an exporter whose endpoint never answers, retrying). An error
// once it is cancelled is never taken for permanent: the page is read again.
func (st *stream) consume(ctx context.Context, ld plog.Logs, n int) error {
	src := st.src
	src.consuming.Add(1)
	defer src.consuming.Add(-1)
	dctx := src.deps.ObsRep.StartLogsOp(src.deliveryContext(ctx))
	err := src.deps.Consumer.ConsumeLogs(dctx, ld)
	src.deps.ObsRep.EndLogsOp(dctx, "json", n, err)
	if err != nil && dctx.Err() == nil && consumererror.IsPermanent(err) {
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
	// In key order, so that the same answer always gives the same map.
	for _, key := range src.enrichKeys {
		if v := decode.Lookup(doc, src.set.Spec.Enrich.Attributes[key]); v != nil && v.Type() != fastjson.TypeNull {
			mapper.ToValue(w.mapper.PutEnriched(lr, key), v)
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

// maxPartial bounds the ids kept by keepPartial; beyond, they are dropped
// (the records may then be delivered twice, never lost).
const maxPartial = 1 << 22

// keepPartial records the ids of chunks accepted from a page the pipeline
// then refused (see mapPage), and forgets them all once the walk that read
// them is over: the cursor is past them then.
func (st *stream) keepPartial(ids []string, walkOver bool) {
	if walkOver {
		st.partial = nil
	}
	if len(ids) == 0 {
		return
	}
	if st.partial == nil {
		st.partial = make(map[string]struct{}, len(ids))
	}
	for _, id := range ids {
		st.partial[id] = struct{}{}
	}
	if len(st.partial) > maxPartial {
		st.partial = nil
	}
}
