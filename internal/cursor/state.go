// Package cursor is the delivery logic of the receiver: a stream's position
// in its API (State), the pure transitions that move it page by page
// (Machine: which records are new, what to request next, ties, loops), and
// its storage as versioned JSON in a collector storage extension (Store).
//
// Files: state.go (the stored State and its JSON), cursor.go (a State with
// what the machine keeps in memory), machine.go (Machine, Begin and the
// requests), page.go (Process: which records of a page are new), edge.go
// (the walk's edge and the records below a disorder), order.go (disorder
// measured and the widening), ties.go (records sharing a timestamp),
// loops.go (the loop guard), apply.go (a page's outcome applied), resume.go
// (walks from a position the server gave, resume in the spec), budget.go
// (the checkpoint's size), pager.go (pagination rules), store.go (the
// storage extension).
package cursor

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Version is the format of State; a stored state of another version is
// ignored with a warning and the stream starts from start_at.
const Version = 1

// State is where a stream is. Keys are order keys: event time in unix ns.
type State struct {
	Version int `json:"version"`
	// Identity is what the stream reads (api, endpoint, stream id, reset
	// label). A state written for another identity is never reused.
	Identity string `json:"identity"`
	// Key: every record with a key at or below it has been delivered, except
	// those that appear later than the overlap and settle allow for.
	Key int64 `json:"key"`
	// Seen are the records delivered near Key (within the overlap and settle
	// period below it, or above it), so a re-read of that range skips them.
	Seen []Seen `json:"seen,omitempty"`
	// Walk is the unfinished walk through a window or a newest-first list.
	Walk *Walk `json:"walk,omitempty"`
	// Reached, when above Key, is the end of the last window read: Key was
	// held below an unfinished record (records.unfinished) so that the next
	// window reads it again, and that window must still reach past Reached.
	Reached int64 `json:"reached,omitempty"`
	// ExclusiveTies: the API refused a time filter from T to T (Logto
	// 1.40-1.41, whose bounds are exclusive), so a tie read asks for the
	// window from T-1 to T+1 instead.
	ExclusiveTies bool `json:"exclusive_ties,omitempty"`
	// InclusiveEnd: a page asked for up to one unit above a lowered upper
	// bound (so that an exclusive end bound still returns the bound itself)
	// came back with records at that unit: the API's end bound is inclusive
	// (Logto 1.42), so later requests end at the bound itself.
	InclusiveEnd bool `json:"inclusive_end,omitempty"`
	// Disorder, in ns, widens the re-read below Key and the span in which
	// records are told apart by id beyond the overlap: twice the largest
	// disorder the API showed (records out of the declared order by more
	// than the overlap), at most MaxDisorder. States stored before it
	// existed have 0: the overlap alone.
	Disorder int64 `json:"disorder,omitempty"`
	// SeenFrom: Seen holds every record delivered with a key from SeenFrom
	// up to Key. A re-read below the cursor goes no lower: records there
	// were delivered before the disorder widened the re-read, and without
	// their ids they would be delivered again. It follows the cursor up
	// until the widened re-read fits. 0: Key less the overlap and Disorder
	// (states stored before it existed).
	SeenFrom int64 `json:"seen_from,omitempty"`
	// Head is the id of the first record of the last walk without a time
	// filter, in API order. A list in id order (Akinon OMS) lists a record
	// inserted since before it: new, however far below the cursor its time
	// is (a slow request sets it before the row gets its id).
	Head string `json:"head,omitempty"`
	// Resume, for a spec with resume, is the position the next walk starts
	// from, as the server gave it (a cursor, a next link, the last record's
	// id); nil before the first walk ended, or after the API refused it:
	// the next walk starts with the spec's first request from Key. Seen then
	// holds the ids of the last page read and of the records delivered
	// within the overlap below Key, whatever their time: a page read again
	// from a kept position, or an API that repeats the record it continues
	// after, delivers none of them twice. States stored before it existed
	// have none.
	Resume *Position `json:"resume,omitempty"`
	// UpdatedAt is unix ns of the last write, for operators.
	UpdatedAt int64 `json:"updated_at"`
}

// Seen is one delivered record near the cursor.
type Seen struct {
	ID  string `json:"id"`
	Key int64  `json:"key"`
}

// Walk is a walk in progress, persisted after every delivered page so that a
// crash repeats at most the page in flight.
type Walk struct {
	// Windowed walks read [Start, End]; Key becomes End when they finish.
	Windowed bool  `json:"windowed,omitempty"`
	Start    int64 `json:"start,omitempty"`
	End      int64 `json:"end,omitempty"`
	// Upper, when set, is the upper bound of the next request, lowered to
	// the last timestamp read when ties come back in an unstable order.
	Upper int64 `json:"upper,omitempty"`
	// Tie, with Upper, reads only the timestamp Upper in one page of the
	// API's maximum size: a tie group that filled a whole page.
	Tie bool `json:"tie,omitempty"`
	// TieReads counts the reads of the current tie group, bounded by
	// TieReadBound; TiePage is the largest page a read of it returned.
	TieReads int `json:"tie_reads,omitempty"`
	TiePage  int `json:"tie_page,omitempty"`
	// Unbounded walks (no time filter, newest first) fix Top from the first
	// page: records above it belong to the next walk; Key becomes Top.
	Top    int64 `json:"top,omitempty"`
	HasTop bool  `json:"has_top,omitempty"`
	// Next is the request after the last delivered page.
	Next Position `json:"next"`
	// Edge is the last key delivered in walk order (lowest for newest-first
	// lists, highest for oldest-first) with the ids delivered at exactly
	// that key; records on the delivered side of it are skipped, which
	// absorbs pages that shift while the walk goes on.
	Edge    int64    `json:"edge,omitempty"`
	EdgeIDs []string `json:"edge_ids,omitempty"`
	HasEdge bool     `json:"has_edge,omitempty"`
	// EdgeSpan is how far on the delivered side of Edge records are told
	// apart by id instead of being skipped as delivered: the overlap (one
	// time unit plus settle) and the stream's Disorder, widened within the
	// walk when a page shows more, so a record that comes out of order on
	// the next page is not lost.
	// EdgeNear holds the delivered records in that span, beside Edge
	// itself. Walks stored before EdgeSpan existed have 0: Edge alone.
	EdgeSpan int64  `json:"edge_span,omitempty"`
	EdgeNear []Seen `json:"edge_near,omitempty"`
	// LastID is the id of the last usable record of the previous page, in
	// API order: a page that repeats it repeats what came before it too
	// (the list shifted down), and only what follows it is measured for
	// disorder against the edge.
	LastID string `json:"last_id,omitempty"`
	// Head is the id of the first record of the walk's first page (it
	// becomes State.Head); PastHead: a page of the walk showed the previous
	// walk's Head, so the records listed after it are known.
	Head     string `json:"head,omitempty"`
	PastHead bool   `json:"past_head,omitempty"`
	// Seen collects delivered records whose key is close enough to the end
	// of the walk to become the next State.Seen.
	Seen []Seen `json:"seen,omitempty"`
	// Clock is the closed end of the poll that began the walk: the "now"
	// against which an unfinished record's age is measured.
	Clock int64 `json:"clock,omitempty"`
	// Hold, with HasHold, is the key of the oldest unfinished record the
	// walk held back (younger than max_pending): the cursor key stays below
	// it when the walk ends.
	Hold    int64 `json:"hold,omitempty"`
	HasHold bool  `json:"has_hold,omitempty"`
	// Reread is how far below the cursor the walk ends at it keeps the ids
	// of every record it delivered: the overlap and the stream's Disorder
	// when it began, or as its first page widened it (later pages may have
	// delivered records below a wider span before it was known). 0: the
	// overlap (walks stored before it existed).
	Reread int64 `json:"reread,omitempty"`
	// FromTime: a walk of a spec with resume that began with the spec's
	// first request, from Start: records dated below Start are old.
	FromTime bool `json:"from_time,omitempty"`
	// Pages delivered so far, for the max_pages_per_poll guard and metrics.
	Pages int `json:"pages"`
}

// Position is the next request of a walk.
type Position struct {
	Page   int    `json:"page,omitempty"`
	Offset int    `json:"offset,omitempty"`
	URL    string `json:"url,omitempty"`
	Cursor string `json:"cursor,omitempty"`
	// After is the id of the last record read, for resume.from last_id.
	After string `json:"after,omitempty"`
	// Read counts the records of the pages before Page (page numbers), so
	// that a total the API reports can tell whether a page was the last.
	Read int `json:"read,omitempty"`
}

// Marshal encodes s as JSON.
func Marshal(s *State) ([]byte, error) {
	s.Version = Version
	return json.Marshal(s)
}

// ErrIncompatible means the stored bytes are not a state this version can use.
var ErrIncompatible = errors.New("incompatible cursor state")

// Unmarshal decodes a stored state and checks its version and basic sanity.
func Unmarshal(b []byte) (*State, error) {
	var s State
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIncompatible, err)
	}
	if s.Disorder < 0 {
		return nil, fmt.Errorf("%w: negative disorder", ErrIncompatible)
	}
	if s.Version != Version {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrIncompatible, s.Version, Version)
	}
	if w := s.Walk; w != nil {
		if w.Next.Page < 0 || w.Next.Offset < 0 || w.Next.Read < 0 || w.Pages < 0 {
			return nil, fmt.Errorf("%w: negative walk position", ErrIncompatible)
		}
		if w.Windowed && w.End < w.Start {
			return nil, fmt.Errorf("%w: window ends before it starts", ErrIncompatible)
		}
	}
	return &s, nil
}
