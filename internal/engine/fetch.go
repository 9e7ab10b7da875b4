package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

// render turns a request of the cursor machine into HTTP.
func (st *stream) render(r cursor.Request) httpclient.Request {
	if r.Position.URL != "" {
		return httpclient.Request{Method: http.MethodGet, URL: r.Position.URL, Header: http.Header{"Accept": {st.src.page.accept}}, Stream: st.id}
	}
	vars := st.vars
	vars.Set(apispec.VarPage, strconv.Itoa(r.Position.Page))
	vars.Set(apispec.VarOffset, strconv.Itoa(r.Position.Offset))
	vars.Set(apispec.VarCursor, r.Position.Cursor)
	vars.Set(apispec.VarLastID, r.Position.After)
	vars.Set(apispec.VarPageSize, strconv.Itoa(r.PageSize))
	vars.Set(apispec.VarWindowStart, "")
	vars.Set(apispec.VarWindowEnd, "")
	if r.Windowed {
		format := st.src.set.Spec.TimeFilter.Format
		vars.Set(apispec.VarWindowStart, decode.FormatTime(r.Start, format))
		if !r.OpenEnd {
			vars.Set(apispec.VarWindowEnd, decode.FormatTime(r.End, format))
		}
	}
	if st.src.cont != nil && cursor.Continues(r.Position) {
		return st.src.cont.build(vars, st.id)
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
	req    cursor.Request
	ch     chan fetched
	cancel context.CancelFunc
}

func (st *stream) startPrefetch(ctx context.Context, req cursor.Request) *prefetch {
	ctx, cancel := context.WithCancel(ctx)
	p := &prefetch{req: req, ch: make(chan fetched, 1), cancel: cancel}
	hreq := st.render(req)
	st.requests.Add(1)
	go func() {
		resp, err := st.src.deps.Client.Do(ctx, hreq)
		p.ch <- fetched{req: hreq, resp: resp, err: err}
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

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
