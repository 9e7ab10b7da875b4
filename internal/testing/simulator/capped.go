package simulator

import (
	"net/http"
	"slices"
)

// Servers that cap the page size silently, and servers whose order is not
// what they say. Both are off by default (Options.CapPageSize,
// Options.CapEchoRequested, Options.OutOfOrder).
//
// A capping server applies the cap before it cuts pages, so page n starts
// where the capped page n-1 ended (Django REST framework clamps page_size to
// max_page_size before it counts pages); each API's own signals (Tines
// meta.next_page, DRF next, Logto Total-Number and Link, StackOne total)
// stay truthful. What it echoes (Make pg.limit, Tines meta.per_page,
// StackOne query.page_size) is the size it applied, or with
// CapEchoRequested the size it was asked for.

// capPage is the page size a list answer is cut at for a request of
// requested records, and the page size the answer echoes.
func (s *Simulator) capPage(requested int) (applied, echoed int) {
	applied = requested
	if c := s.opts.CapPageSize; c > 0 && c < applied {
		applied = c
		s.cappedRequests.Add(1)
	}
	if s.opts.CapEchoRequested {
		return applied, requested
	}
	return applied, applied
}

// ordered returns a page's records as the API serves them: reversed for a
// stream listed in Options.OutOfOrder ("<api>" or "<api>/<stream>"), a
// server whose order is not the one it documents. recs is not changed.
func (s *Simulator) ordered(r *http.Request, recs []*record) []*record {
	if len(s.opts.OutOfOrder) == 0 || len(recs) < 2 {
		return recs
	}
	api := infoFrom(r).api
	if !slices.Contains(s.opts.OutOfOrder, api) && !slices.Contains(s.opts.OutOfOrder, api+"/"+requestStream(api, r)) {
		return recs
	}
	out := slices.Clone(recs)
	slices.Reverse(out)
	return out
}
