package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// pollOnce walks pages until the stream is caught up, the page budget of one
// poll is spent, or an error stops it. Every page is delivered and then
// checkpointed before the next is requested.
func (st *stream) pollOnce(ctx context.Context, w *worker) (pages, records int, err error) {
	if err = st.ready(ctx); err != nil {
		return 0, 0, fmt.Errorf("%s: stream %s: %w", st.src.set.SourceID, st.id, err)
	}
	commits := newCommitter(ctx, st)
	walkErr := st.walkPages(ctx, w, commits)
	pages, records, err = commits.finish()
	if err == nil {
		err = walkErr
	}
	if err != nil {
		return pages, records, fmt.Errorf("%s: stream %s: %w", st.src.set.SourceID, st.id, err)
	}
	return pages, records, nil
}

// walkPages fetches, decodes and maps pages and queues them to the
// committer, until the stream is caught up, the page budget of one poll is
// spent, the committer refused a page, or an error stops it. What is new in
// a page and where the walk goes next is the cursor machine's decision.
func (st *stream) walkPages(ctx context.Context, w *worker, commits *committer) error {
	set, m, c := &st.src.set, st.src.machine, st.cur
	var next *prefetch
	defer func() {
		if next != nil {
			next.abandon()
		}
	}()
	// The poll reads up to the newest closed time unit as of its start and
	// stops there. Recomputing that end after every page would chase "now":
	// whenever a request takes longer than one time unit (always, at
	// millisecond precision), a caught-up stream would ask again for the
	// units that closed meanwhile, one request after another.
	until := m.ClosedEnd(set.Now())
	pages := 0
	restarted := false // a refused position restarts the walk once per poll
	enrichLeft := 0
	if e := set.Spec.Enrich; e != nil {
		enrichLeft = e.MaxPerPoll
	}
	for {
		if commits.failed() {
			return nil // finish reports the refusal
		}
		if c.State.Walk == nil && !m.Begin(c, until) {
			return nil // no closed time since the cursor yet
		}
		walk := c.State.Walk
		req := m.Request(c)
		var f fetched
		if next != nil && next.req == req {
			f = next.wait()
		} else {
			if next != nil {
				next.abandon()
			}
			f.req = st.render(req)
			st.requests.Add(1)
			f.resp, f.err = st.src.deps.Client.Do(ctx, f.req)
		}
		next = nil
		page, ended, err := st.receive(w, walk, f)
		var se *httpclient.StatusError
		if errors.As(err, &se) && se.Status == http.StatusBadRequest && m.TieBoundsRefused(c, req) {
			// Logto 1.40-1.41 refuses start_time = end_time: read the
			// timestamp alone with bounds one unit either side instead.
			st.src.deps.Logger.Debug("The API refused a time filter from T to T; tie reads use exclusive bounds",
				zap.String("stream", st.id))
			continue
		}
		if errors.As(err, &se) && !restarted && m.PositionRefused(c, req, se.Status) {
			restarted = true
			st.positionRefused(c, se.Status)
			continue
		}
		if err != nil {
			return err
		}
		out, loopErr := m.Process(c, page, ended)
		if out.Next.URL != "" && !sameOrigin(set.Endpoint, out.Next.URL) {
			// Refused before the page is delivered, so that no foreign link is
			// ever stored in a checkpoint; the page is read again next poll.
			st.src.deps.Observer.RefusedNextLink(st.id)
			return fmt.Errorf("%s %s: refused a next-page link to another origin than the endpoint (%s)",
				f.req.Method, pathOf(f.req.URL), originOnly(out.Next.URL))
		}
		if loopErr != nil {
			return fmt.Errorf("%s %s: %w", f.req.Method, pathOf(f.req.URL), loopErr)
		}
		if !out.Done && (set.MaxPagesPerPoll == 0 || pages+1 < set.MaxPagesPerPoll) {
			ahead := m.NextRequest(c, &out)
			next = st.startPrefetch(ctx, ahead)
		}
		item, err := st.mapPage(ctx, w, page, out.Deliver, &enrichLeft, commits)
		if err != nil {
			return err // abandoned for shutdown: nothing of the page went out, the cursor stays
		}
		// The cursor moves ahead of the pipeline here; the committer writes
		// it only after the page was accepted and restores the last written
		// one if it was not.
		out.IDsDropped += m.Apply(c, out)
		st.notice(out)
		item.state = cursor.Clone(c.State)
		commits.send(item)
		pages++
		if ctx.Err() != nil {
			return nil
		}
		if set.MaxPagesPerPoll > 0 && pages >= set.MaxPagesPerPoll {
			st.src.deps.Logger.Debug("Page budget of one poll spent; continuing on the next poll",
				zap.String("stream", st.id), zap.Int("pages", pages))
			return nil
		}
		if out.Done && !m.Behind(c, until) {
			return nil
		}
	}
}

// positionRefused says loudly that the API refused the stored position
// (resume) and that the stream starts again from a time.
func (st *stream) positionRefused(c *cursor.Cursor, status int) {
	st.src.deps.Observer.PositionRefused(st.id)
	st.src.deps.Logger.Warn("The API refused the stored position to continue from; the stream starts again with the first request from the time of the last record delivered, less settle, and skips the records it kept (a record the API lists after that position but dated earlier is not read)",
		zap.String("stream", st.id), zap.Int("status", status), zap.Time("from", time.Unix(0, c.State.Key).UTC()),
		zap.String("yaml_key", "resume.refused_statuses"))
}

// notice logs and counts what the machine noticed in a page.
func (st *stream) notice(out cursor.Outcome) {
	log := st.src.deps.Logger
	if out.Invalid > 0 {
		st.src.deps.Observer.InvalidRecords(st.id, out.Invalid)
		log.Warn("Skipped records without a usable id or event time",
			zap.String("stream", st.id), zap.Int("count", out.Invalid), zap.String("example", out.Problem))
	}
	if out.Outside > 0 && !st.warnedFilter {
		st.warnedFilter = true
		log.Warn("The API returned records outside the requested time window; they are skipped here and read in their own window",
			zap.String("stream", st.id), zap.Int("count", out.Outside))
	}
	if out.TieRead {
		st.src.deps.Observer.TieRead(st.id)
	}
	if out.NoNext && !st.warnedNoNext {
		st.warnedNoNext = true
		log.Warn("The API's last page gave no position to continue from (pagination.next_path); the stream reads that page again on every poll and skips its records by id: one page more per poll",
			zap.String("stream", st.id))
	}
	// Record ids come from the API's answer, which may reflect a credential.
	redact := st.src.deps.Redactor.Redact
	if out.Widened {
		fields := []zap.Field{
			zap.String("stream", st.id),
			zap.String("record_id", redact(out.Disorder.After.ID)), zap.Time("record_time", time.Unix(0, out.Disorder.After.Key).UTC()),
			zap.String("preceding_id", redact(out.Disorder.Before.ID)), zap.Time("preceding_time", time.Unix(0, out.Disorder.Before.Key).UTC()),
			zap.Duration("disorder", time.Duration(out.Disorder.By)), zap.Duration("reread_below_cursor", time.Duration(out.DisorderWindow)),
		}
		msg := "Records came out of the declared order by more than settle allows; they are delivered, and from now on the stream re-reads twice that disorder below its cursor"
		if out.Disorder.By > int64(cursor.MaxDisorder) {
			msg = "Records came out of the declared order by more than max disorder; they are delivered, but a record that appears that late below the cursor is not read again"
			fields = append(fields, zap.Duration("max_disorder", cursor.MaxDisorder))
		}
		log.Warn(msg, fields...)
	}
	if out.Future > 0 && !st.warnedFuture {
		st.warnedFuture = true
		log.Warn("Delivered records dated after the clock plus settle (a vendor's clock, a bad import); the cursor stays at the clock and keeps their ids so they are not delivered again",
			zap.String("stream", st.id), zap.Int("count", out.Future),
			zap.String("example_id", redact(out.FutureExample.ID)), zap.Time("example_time", time.Unix(0, out.FutureExample.Key).UTC()))
	}
	if out.TieOverflow {
		log.Warn("More records share one timestamp than the API's largest page holds, and the API orders them differently on every request: some may be missed",
			zap.String("stream", st.id))
	}
	if out.TieMissing > 0 {
		st.src.deps.Observer.TieRecordsMissed(st.id, out.TieMissing)
		log.Warn("Read a group of records that share one timestamp as often as allowed and still missed some: the API's pages at that timestamp never showed as many records as it counts there (had it only ordered them anew on every request, the reads allowed miss one with a chance below one in a billion)",
			zap.String("stream", st.id), zap.Int("missing", out.TieMissing), zap.Int("reads", out.TieReads))
	}
	if out.Expired > 0 {
		log.Warn("Delivered records that were still unfinished after max_pending as they stand (api_logs.unfinished); their final state will not follow",
			zap.String("stream", st.id), zap.Int("count", out.Expired))
	}
	if out.IDsDropped > 0 {
		st.src.deps.Observer.CursorIDsDropped(st.id, out.IDsDropped)
		log.Warn("The cursor is full: ids it cannot keep may be delivered again (never lost)",
			zap.String("stream", st.id), zap.Int("ids", out.IDsDropped), zap.Int("checkpoint_budget_bytes", cursor.CheckpointBudget))
	}
}
