package engine

import (
	"context"
	"strconv"
	"time"

	"github.com/valyala/fastjson"
	"go.uber.org/zap"

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
		every = 10 * time.Minute
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

// discover walks the listing's pages and returns every stream id.
func (s *Source) discover(ctx context.Context, parser *fastjson.Parser) ([]string, error) {
	d := s.set.Spec.Streams.Discover
	size := d.Pagination.MaxPageSize
	if size <= 0 {
		size = 100
	}
	vars := make(map[string][]string, len(s.set.Vars)+3)
	for k, v := range s.set.Vars {
		vars[k] = v
	}
	var ids []string
	offset, page := 0, 1
	for range 1000 { // a team with more than 100,000 scenarios is a listing loop, not a team
		vars["page"] = []string{strconv.Itoa(page)}
		vars["offset"] = []string{strconv.Itoa(offset)}
		vars["page_size"] = []string{strconv.Itoa(size)}
		resp, err := s.deps.Client.Do(ctx, s.disc.build(vars, "discovery"))
		if err != nil {
			return nil, err
		}
		doc, err := parser.ParseBytes(resp.Body)
		if err != nil {
			return nil, err
		}
		items := decode.Lookup(doc, d.Path)
		arr, _ := items.Array()
		for _, it := range arr {
			if id, _ := decode.Text(decode.Lookup(it, d.IDField)); id != "" {
				ids = append(ids, id)
			}
		}
		if len(arr) < size {
			break
		}
		offset += len(arr)
		page++
	}
	return ids, nil
}
