package engine

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// pollOnce walks pages until the stream is caught up, the page budget of one
// poll is spent, or an error stops it. Every page is delivered and then
// checkpointed before the next is requested.
func (st *stream) pollOnce(ctx context.Context, w *worker) (pages, records int, err error) {
	if st.state == nil {
		st.load(ctx)
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
// spent, the committer refused a page, or an error stops it.
func (st *stream) walkPages(ctx context.Context, w *worker, commits *committer) error {
	set := &st.src.set
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
	until := st.closedEnd()
	pages := 0
	enrichLeft := 0
	if e := set.Spec.Enrich; e != nil {
		enrichLeft = e.MaxPerPoll
	}
	for {
		if commits.failed() {
			return nil // finish reports the refusal
		}
		if st.state.Walk == nil {
			walk := st.beginWalk(until)
			if walk == nil {
				return nil // no closed time since the cursor yet
			}
			st.state.Walk = walk
		}
		walk := st.state.Walk
		var f fetched
		if next != nil && next.at == (requestAt{walk.Next, walk.Upper, walk.Tie}) {
			f = next.wait()
		} else {
			if next != nil {
				next.abandon()
			}
			f.req = st.pageRequest(walk, walk.Next)
			f.resp, f.err = st.src.deps.Client.Do(ctx, f.req)
		}
		next = nil
		page, ended, err := st.receive(w, walk, f)
		if err != nil {
			return err
		}
		out := st.process(walk, page, ended)
		if out.next.URL != "" && !sameOrigin(set.Endpoint, out.next.URL) {
			// Refused before the page is delivered, so that no foreign link is
			// ever stored in a checkpoint; the page is read again next poll.
			st.src.deps.Observer.RefusedNextLink(st.id)
			return fmt.Errorf("%s %s: refused a next-page link to another origin than the endpoint (%s)",
				f.req.Method, pathOf(f.req.URL), originOnly(out.next.URL))
		}
		if err := st.guardLoops(walk, page, &out); err != nil {
			return fmt.Errorf("%s %s: %w", f.req.Method, pathOf(f.req.URL), err)
		}
		if !out.done && (set.MaxPagesPerPoll == 0 || pages+1 < set.MaxPagesPerPoll) {
			ahead := *walk
			ahead.Next, ahead.Upper, ahead.Tie = out.next, out.upper, out.tie
			next = st.startPrefetch(ctx, st.pageRequest(&ahead, out.next), requestAt{out.next, out.upper, out.tie})
		}
		if out.invalid > 0 {
			st.src.deps.Observer.InvalidRecords(st.id, out.invalid)
			st.src.deps.Logger.Warn("Skipped records without a usable id or event time",
				zap.String("stream", st.id), zap.Int("count", out.invalid), zap.String("example", out.problem))
		}
		if out.outside > 0 && !st.warnedFilter {
			st.warnedFilter = true
			st.src.deps.Logger.Warn("The API returned records outside the requested time window; they are skipped here and read in their own window",
				zap.String("stream", st.id), zap.Int("count", out.outside))
		}
		item := commit{n: len(out.deliver)}
		if item.n > 0 {
			item.ld = st.mapPage(ctx, w, page, out.deliver, &enrichLeft)
		}
		// The state moves ahead of the pipeline here; the committer writes it
		// only after the page was accepted and restores the last written one
		// if it was not.
		st.apply(walk, out)
		item.state = cloneState(st.state)
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
		if out.done && !st.behind(until) {
			return nil
		}
	}
}

// behind reports whether a windowed stream has time left to read up to until
// (more windows of at most max_window).
func (st *stream) behind(until int64) bool {
	return st.src.set.Spec.TimeFilter != nil && until > st.state.Key
}

// closedEnd is the newest time unit that can no longer receive records:
// the unit before the current one, at the API's precision.
func (st *stream) closedEnd() int64 {
	p := st.precision()
	return floorTo(st.src.set.Now().UnixNano(), p) - p
}

func (st *stream) firstPosition() cursor.Position {
	first := st.src.set.Spec.Pagination.FirstPage
	if first == 0 {
		first = 1
	}
	return cursor.Position{Page: first}
}

// beginWalk opens the next window, from the cursor up to until (or at most
// max_window of it), or a newest-first walk down to the cursor. One window
// over the whole backlog costs what its records need, however long it spans.
func (st *stream) beginWalk(until int64) *cursor.Walk {
	spec := st.src.set.Spec
	if spec.TimeFilter == nil {
		return &cursor.Walk{Next: st.firstPosition()}
	}
	end := until
	if mw := int64(st.src.maxWindow); mw > 0 && end-st.state.Key > mw {
		end = floorTo(st.state.Key+mw, st.precision())
	}
	if end <= st.state.Key {
		return nil
	}
	return &cursor.Walk{Windowed: true, Start: st.state.Key - int64(st.src.overlap), End: end, Next: st.firstPosition()}
}

// pageRequest renders the request for position pos of walk.
func (st *stream) pageRequest(walk *cursor.Walk, pos cursor.Position) httpclient.Request {
	if pos.URL != "" {
		return httpclient.Request{Method: http.MethodGet, URL: pos.URL, Header: http.Header{"Accept": {"application/json"}}, Stream: st.id}
	}
	spec := st.src.set.Spec
	vars := st.vars
	vars.Set("page", strconv.Itoa(pos.Page))
	vars.Set("offset", strconv.Itoa(pos.Offset))
	vars.Set("cursor", pos.Cursor)
	if walk.Windowed {
		format := spec.TimeFilter.Format
		// With Upper set, everything above it was read; the bound sits one
		// unit higher so that an exclusive filter still returns Upper itself.
		p := st.precision()
		start, upper := walk.Start, walk.End
		size := st.src.set.PageSize
		switch {
		case walk.Tie:
			start, upper, size = walk.Upper-p, walk.Upper+p, st.tiePageSize()
		case walk.Upper != 0:
			upper = walk.Upper + p
		}
		vars.Set("page_size", strconv.Itoa(size))
		vars.Set("window_start", decode.FormatTime(start, format))
		vars.Set("window_end", decode.FormatTime(upper, format))
	} else {
		vars.Set("window_start", "")
		vars.Set("window_end", "")
	}
	return st.src.page.build(vars, st.id)
}

// fetched is one answer, received but not decoded yet.
type fetched struct {
	req  httpclient.Request
	resp *httpclient.Response
	err  error
}

// receive classifies the answer and decodes it. ended is true when the API
// said the page does not exist (past the last page).
func (st *stream) receive(w *worker, walk *cursor.Walk, f fetched) (*decode.Page, bool, error) {
	spec := st.src.set.Spec
	if err := f.err; err != nil {
		if errors.Is(err, httpclient.ErrForeignOrigin) {
			st.src.deps.Observer.RefusedNextLink(st.id)
			return nil, false, fmt.Errorf("refused a next-page link to another origin than the endpoint: %w", err)
		}
		var se *httpclient.StatusError
		if errors.As(err, &se) && walk.Pages > 0 && containsInt(spec.Pagination.EndStatuses, se.Status) {
			return &decode.Page{}, true, nil
		}
		return nil, false, err
	}
	page, err := w.decoder.Decode(f.resp.Body, f.resp.Header)
	if err != nil {
		return nil, false, fmt.Errorf("%s %s: %w", f.req.Method, pathOf(f.req.URL), err)
	}
	if t := spec.Pagination.Type; page.Next != "" && (t == apispec.PaginationNextURL || t == apispec.PaginationLinkHeader) {
		// Links may be relative to the page that carried them.
		page.Next = resolveURL(f.req.URL, page.Next)
	}
	return page, false, nil
}

// prefetch is the next page of a walk, requested while the current page is
// delivered and checkpointed, so the network and the pipeline overlap.
type prefetch struct {
	at     requestAt
	ch     chan fetched
	cancel context.CancelFunc
}

// requestAt is everything that decides a walk's next request.
type requestAt struct {
	pos   cursor.Position
	upper int64
	tie   bool
}

func (st *stream) startPrefetch(ctx context.Context, req httpclient.Request, at requestAt) *prefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetch{at: at, ch: make(chan fetched, 1), cancel: cancel}
	go func() {
		resp, err := st.src.deps.Client.Do(ctx, req)
		p.ch <- fetched{req: req, resp: resp, err: err}
	}()
	return p
}

// wait returns the answer; abandon cancels it and waits for the goroutine.
func (p *prefetch) wait() fetched {
	f := <-p.ch
	p.cancel()
	return f
}

func (p *prefetch) abandon() {
	p.cancel()
	<-p.ch
}

// pageOutcome is what one page changes, computed before anything is changed
// so that a failed delivery leaves the stream exactly as it was.
type pageOutcome struct {
	deliver []int
	invalid int
	problem string
	outside int
	done    bool
	next    cursor.Position
	top     int64
	hasTop  bool
	edge    int64
	edgeIDs []string
	hasEdge bool
	seenAdd []cursor.Seen
	upper   int64
	tie     bool
}

// process decides which records of a page are new. The rules, in order:
// records beyond the walk's upper bound belong to the next walk; records
// below the cursor's overlap are old (and end a newest-first walk); records
// seen at the cursor boundary or on the delivered side of the walk's edge
// were delivered already.
func (st *stream) process(walk *cursor.Walk, page *decode.Page, ended bool) pageOutcome {
	spec := st.src.set.Spec
	newestFirst := spec.Records.Order == apispec.OrderNewestFirst
	recs := page.Records
	out := pageOutcome{top: walk.Top, hasTop: walk.HasTop, edge: walk.Edge, hasEdge: walk.HasEdge}

	if !walk.Windowed && !out.hasTop {
		for i := range recs {
			if recs[i].Problem == "" && (!out.hasTop || recs[i].Key > out.top) {
				out.top, out.hasTop = recs[i].Key, true
			}
		}
	}
	var upper, lower, final int64
	hasUpper := true
	switch {
	case walk.Windowed:
		upper, lower, final = walk.End, walk.Start, walk.End
	default:
		upper, hasUpper = out.top, out.hasTop
		lower = st.state.Key - int64(st.src.overlap)
		final = st.state.Key
		if out.hasTop && out.top > final {
			final = out.top
		}
	}
	seenFloor := final - int64(st.src.overlap)

	stopped := false
	var edgeIDs map[string]struct{}
	if walk.HasEdge {
		edgeIDs = make(map[string]struct{}, len(walk.EdgeIDs))
		for _, id := range walk.EdgeIDs {
			edgeIDs[id] = struct{}{}
		}
	}
	for i := range recs {
		r := &recs[i]
		if r.Problem != "" {
			out.invalid++
			out.problem = r.Problem
			continue
		}
		p := st.precision()
		if hasUpper && r.Key > upper {
			if walk.Windowed && r.Key > upper+p {
				out.outside++ // beyond what was asked: the API ignores the time filter
			}
			continue
		}
		if r.Key < lower {
			if walk.Windowed && r.Key < walk.Start-p {
				out.outside++
			}
			if newestFirst {
				stopped = true
				break
			}
			continue
		}
		if _, ok := st.seen[r.ID]; ok {
			continue
		}
		if walk.HasEdge {
			if newestFirst && r.Key > walk.Edge || !newestFirst && r.Key < walk.Edge {
				continue
			}
			if r.Key == walk.Edge {
				if _, ok := edgeIDs[r.ID]; ok {
					continue
				}
			}
		}
		out.deliver = append(out.deliver, i)
	}

	// Move the edge to the last key delivered in walk order.
	out.edgeIDs = walk.EdgeIDs
	// Ids kept in the cursor are cloned: decoded ids share memory with the
	// page, and a kept one would pin that memory for as long as the cursor.
	for _, i := range out.deliver {
		r := &recs[i]
		switch {
		case !out.hasEdge || newestFirst && r.Key < out.edge || !newestFirst && r.Key > out.edge:
			out.edge, out.hasEdge = r.Key, true
			out.edgeIDs = []string{strings.Clone(r.ID)}
		case r.Key == out.edge:
			out.edgeIDs = append(out.edgeIDs[:len(out.edgeIDs):len(out.edgeIDs)], strings.Clone(r.ID))
		}
		if r.Key >= seenFloor {
			out.seenAdd = append(out.seenAdd, cursor.Seen{ID: strings.Clone(r.ID), Key: r.Key})
		}
	}

	out.done = stopped || ended || len(recs) == 0 || st.lastPage(page, len(recs))
	out.next = st.nextPosition(walk.Next, page, len(recs))
	out.upper, out.tie = walk.Upper, walk.Tie
	if walk.Tie && !st.filterIgnored {
		for i := range recs {
			if k := recs[i].Key; recs[i].Problem == "" && (k > walk.Upper+st.precision() || k < walk.Upper-st.precision()) {
				out.outside++
			}
		}
	}
	if out.outside > 0 && spec.Records.UnstableTies && !st.filterIgnored {
		// The API ignores the time filter (Logto before 1.40): bounds cannot
		// be lowered, so the walk goes on by page number from the top.
		st.filterIgnored = true
		if walk.Upper != 0 {
			out.upper, out.tie = 0, false
			out.next = st.firstPosition()
			out.done = false
			return out
		}
	}
	switch {
	case walk.Tie && !st.filterIgnored:
		st.afterTiePage(walk, &out, page, len(recs))
	case !out.done && walk.Windowed && newestFirst && spec.Records.UnstableTies && !st.filterIgnored:
		st.lowerUpperBound(walk, &out, recs)
	}
	return out
}

// maxRepeatedPages is how many pages in a row may equal the page before
// them. A newest-first list shows a repeated page whenever exactly a page of
// records arrived between two requests, so repeats are walked through (their
// records were delivered already); only a longer run means the API ignores
// the page parameter.
const maxRepeatedPages = 3

// guardLoops fails the poll, before the page is applied, when the walk
// would go round in circles: a next link or cursor already followed in this
// walk, or a page-number walk that keeps getting the same page. It never ends
// the walk, which would skip every record below: the stream retries from the
// same position and goes on as soon as the API moves.
func (st *stream) guardLoops(walk *cursor.Walk, page *decode.Page, out *pageOutcome) error {
	if walk.Pages == 0 {
		st.forgetPages()
	}
	if out.done {
		return nil
	}
	switch st.src.set.Spec.Pagination.Type {
	case apispec.PaginationNextURL, apispec.PaginationLinkHeader, apispec.PaginationCursor:
		link := out.next.URL + out.next.Cursor
		if link == "" || out.upper != walk.Upper || out.tie != walk.Tie {
			return nil
		}
		if st.followed == nil {
			st.followed = make(map[uint64]struct{})
			st.linkSeed = maphash.MakeSeed()
		}
		h := maphash.String(st.linkSeed, link)
		if _, again := st.followed[h]; again {
			return errLinkLoop
		}
		st.followed[h] = struct{}{}
	case apispec.PaginationPage, apispec.PaginationOffset:
		// A walk that lowers its bound asks for the first page again on purpose.
		recs := page.Records
		if len(recs) == 0 || walk.Upper != 0 || walk.Tie || out.upper != 0 || out.tie {
			return nil
		}
		first, last := recs[0].ID, recs[len(recs)-1].ID
		if walk.Pages > 0 && first == st.prevFirst && last == st.prevLast {
			if st.repeats++; st.repeats > maxRepeatedPages {
				return errRepeatedPage
			}
		} else {
			st.repeats = 0
		}
		st.prevFirst, st.prevLast = strings.Clone(first), strings.Clone(last)
	}
	return nil
}

// lowerUpperBound makes the next request the first page of the window below
// the lowest timestamp read, instead of the next page number: ties at that
// timestamp then come back first whatever their order, and the edge ids skip
// those already delivered. A page that did not get below the current bound
// is all one timestamp: that timestamp is then read alone (a tie read).
func (st *stream) lowerUpperBound(walk *cursor.Walk, out *pageOutcome, recs []decode.Record) {
	low, found := int64(0), false
	for i := range recs {
		if recs[i].Problem == "" && (!found || recs[i].Key < low) {
			low, found = recs[i].Key, true
		}
	}
	if !found {
		return
	}
	bound := walk.End
	if walk.Upper != 0 {
		bound = walk.Upper
	}
	out.next = st.firstPosition()
	if low < bound {
		out.upper, out.tie = low, false
		return
	}
	out.upper, out.tie = bound, true
}

// tiePageSize is the page size of a tie read: the API's maximum.
func (st *stream) tiePageSize() int {
	if m := st.src.set.Spec.Pagination.MaxPageSize; m > st.src.set.PageSize {
		return m
	}
	return st.src.set.PageSize
}

// afterTiePage continues below the tie group once it was read whole. A group
// larger than the API's largest page cannot be read reliably when its order
// changes on every request; it is paged through and reported.
func (st *stream) afterTiePage(walk *cursor.Walk, out *pageOutcome, page *decode.Page, n int) {
	if n >= st.tiePageSize() && page.More != decode.MoreNo {
		st.src.deps.Logger.Warn("More records share one timestamp than the API's largest page holds, and the API orders them differently on every request: some may be missed",
			zap.String("stream", st.id), zap.Int("page_size", n))
		out.next = cursor.Position{Page: walk.Next.Page + 1}
		out.done = false
		return
	}
	out.tie = false
	out.upper = walk.Upper - st.precision()
	out.next = st.firstPosition()
	out.done = out.upper < walk.Start
}

// lastPage reads the API's own end signal, or the page size when it has none.
func (st *stream) lastPage(page *decode.Page, n int) bool {
	pag := st.src.set.Spec.Pagination
	switch pag.Type {
	case apispec.PaginationNone:
		return true
	case apispec.PaginationNextURL, apispec.PaginationLinkHeader, apispec.PaginationCursor:
		return page.Next == "" || page.More == decode.MoreNo
	}
	switch page.More {
	case decode.MoreNo:
		return true
	case decode.MoreYes:
		return false
	}
	return n < st.src.set.PageSize
}

func (st *stream) nextPosition(cur cursor.Position, page *decode.Page, n int) cursor.Position {
	switch st.src.set.Spec.Pagination.Type {
	case apispec.PaginationOffset:
		return cursor.Position{Offset: cur.Offset + n}
	case apispec.PaginationNextURL, apispec.PaginationLinkHeader:
		return cursor.Position{URL: page.Next}
	case apispec.PaginationCursor:
		return cursor.Position{Cursor: page.Next, Page: cur.Page + 1}
	default:
		return cursor.Position{Page: cur.Page + 1}
	}
}

// apply moves the cursor after the page was delivered.
func (st *stream) apply(walk *cursor.Walk, out pageOutcome) {
	walk.Next = out.next
	walk.Upper, walk.Tie = out.upper, out.tie
	walk.Pages++
	walk.Top, walk.HasTop = out.top, out.hasTop
	walk.Edge, walk.EdgeIDs, walk.HasEdge = out.edge, out.edgeIDs, out.hasEdge
	walk.Seen = append(walk.Seen, out.seenAdd...)
	if !out.done {
		return
	}
	key := st.state.Key
	switch {
	case walk.Windowed:
		key = walk.End
	case walk.HasTop && walk.Top > key:
		key = walk.Top
	}
	floor := key - int64(st.src.overlap)
	merged := make([]cursor.Seen, 0, len(st.state.Seen)+len(walk.Seen))
	ids := make(map[string]struct{}, cap(merged))
	for _, list := range [][]cursor.Seen{walk.Seen, st.state.Seen} {
		for _, s := range list {
			if _, dup := ids[s.ID]; s.Key >= floor && !dup {
				ids[s.ID] = struct{}{}
				merged = append(merged, s)
			}
		}
	}
	st.state.Key, st.state.Seen, st.state.Walk = key, merged, nil
	st.seen = ids
	st.forgetPages()
}

// forgetPages drops what guardLoops remembers of the walk's pages.
func (st *stream) forgetPages() {
	clear(st.followed)
	st.prevFirst, st.prevLast, st.repeats = "", "", 0
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// resolveURL resolves ref against base; an unparseable ref is returned as is
// and refused by the client.
func resolveURL(base, ref string) string {
	b, err := url.Parse(base)
	if err != nil {
		return ref
	}
	r, err := url.Parse(ref)
	if err != nil {
		return ref
	}
	return b.ResolveReference(r).String()
}

// sameOrigin reports whether raw has the endpoint's scheme, host and port.
func sameOrigin(endpoint *url.URL, raw string) bool {
	u, err := url.Parse(raw)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Scheme, endpoint.Scheme) && strings.EqualFold(hostPort(u), hostPort(endpoint))
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return u.Hostname() + ":443"
	case "http":
		return u.Hostname() + ":80"
	}
	return u.Host
}

// originOnly is what may be logged of a foreign link: its origin, never its
// path or query.
func originOnly(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "an unparseable URL"
	}
	return u.Scheme + "://" + u.Host
}
