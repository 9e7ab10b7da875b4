package engine

import (
	"context"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// discoverLoop renews the stream list (every scenario of a Make team) until
// ctx ends. A failed listing keeps the streams already known.
func (s *Source) discoverLoop(ctx context.Context) {
	d := s.set.Spec.Streams.Discover
	every := s.set.DiscoveryEvery
	if every <= 0 {
		every = d.Refresh
	}
	if every <= 0 {
		every = apispec.DefaultDiscoveryInterval
	}
	var parser fastjson.Parser
	for {
		ids, err := s.discover(ctx, &parser)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.deps.Logger.Error("Cannot list the streams; keeping the ones already known", zap.Error(err))
			if s.deps.Status != nil {
				s.deps.Status.StreamStatus("discovery", err)
			}
		default:
			s.deps.Logger.Debug("Listed streams", zap.Int("count", len(ids)))
			s.setStreams(ids)
			if s.deps.Status != nil {
				s.deps.Status.StreamStatus("discovery", nil)
			}
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// discover walks the listing's pages, with the walk's pagination rules,
// and returns every stream id.
func (s *Source) discover(ctx context.Context, parser *fastjson.Parser) ([]string, error) {
	d := s.set.Spec.Streams.Discover
	size := d.Pagination.MaxPageSize
	if size <= 0 {
		size = apispec.DefaultPageSize
	}
	pager := cursor.NewPager(d.Pagination, size)
	vars := make(apispec.Vars, len(s.set.Vars)+4)
	for k, v := range s.set.Vars {
		vars[k] = v
	}
	vars.Set(apispec.VarPageSize, strconv.Itoa(size))
	var ids []string
	pos := pager.First()
	for range 1000 { // a team with more than 100,000 scenarios is a listing loop, not a team
		vars.Set(apispec.VarPage, strconv.Itoa(pos.Page))
		vars.Set(apispec.VarOffset, strconv.Itoa(pos.Offset))
		vars.Set(apispec.VarCursor, pos.Cursor)
		req := s.disc.build(vars, "discovery")
		if pos.URL != "" {
			req.URL = pos.URL
		}
		resp, err := s.deps.Client.Do(ctx, req)
		if err != nil {
			return nil, err
		}
		doc, err := parser.ParseBytes(resp.Body)
		if err != nil {
			return nil, err
		}
		arr, _ := decode.Lookup(doc, d.Path).Array()
		for _, it := range arr {
			if id, _ := decode.Text(decode.Lookup(it, d.IDField)); id != "" {
				ids = append(ids, id)
			}
		}
		page := decode.Page{}
		if d.Pagination.NextPath != "" {
			page.Next, _ = decode.Text(decode.Lookup(doc, d.Pagination.NextPath))
			if page.Next == "" || page.Next == "null" {
				page.Next, page.More = "", decode.MoreNo
			} else {
				page.More = decode.MoreYes
				if d.Pagination.Type == apispec.PaginationNextURL {
					page.Next = resolveURL(req.URL, page.Next) // the client refuses another origin
				}
			}
		}
		page.Size, page.Total, page.HasTotal = decode.PageCounts(d.Pagination, doc, resp.Header)
		if len(arr) == 0 || pager.Last(&page, pos, len(arr)) {
			break
		}
		pos = pager.Next(pos, &page, len(arr))
	}
	return ids, nil
}
