package cursor

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// Disorder: an API may list records in an order that disagrees with their
// time (Akinon OMS lists by id while created_at is set before the row gets
// its id, so a slow request writes a record with a higher id that is older
// than the one after it). Such a record also becomes visible late: up to its
// disorder after its own time. The overlap below the cursor (one time unit
// plus settle) absorbs a small disorder; a larger one widens, per stream, the
// re-read below the cursor and the span in which records are told apart by
// id, to twice the largest disorder seen (a margin for the records not seen
// yet), at most MaxDisorder. The widening is kept in the cursor (State.Disorder)
// and never shrinks: the API keeps its habits.

// MaxDisorder bounds the widening. A record further out of order than
// that is still delivered when it comes in a page with newer ones, but one
// that appears later than that below the cursor is not read again. The
// bound is what a poll may cost: a window re-reads up to 15 minutes of
// records below its cursor, and a walk without a time filter reads down to
// twice that (a record after one that far back may be that much newer),
// in pages of the API's size. Disorders seen in practice are seconds (a
// slow request); one beyond the bound is a bad import, warned about.
const MaxDisorder = 15 * time.Minute

// ErrOrder fails a poll whose page is plainly not in the declared order:
// nearly every record is further back than the one before it (a spec that
// says newest first for an API that lists oldest first). The cursor stays
// where it was and the stream retries from the same page. Records that are
// merely out of order are delivered (see Disorder).
var ErrOrder = errors.New("records out of the declared order")

// reversedPairs is how many neighboring records of distinct times a page
// needs before it can be called reversed: with fewer, a short page of
// disordered records could look reversed by chance (8 pairs in a random
// order are all reversed once in 362,880 pages).
const reversedPairs = 8

// Disorder is the largest step back against the declared order a page
// showed, beyond what the overlap absorbs: After comes after Before in walk
// order (the record furthest along before it, or the walk's edge on an
// earlier page) and goes back by By.
type Disorder struct {
	Before, After Seen
	By            int64
}

// widen is the disorder a stream re-reads for once d was seen: twice d, at
// most MaxDisorder.
func widen(d int64) int64 { return min(2*d, int64(MaxDisorder)) }

// measureOrder finds the largest step back against the declared order on a
// page, measured against the record furthest along in walk order so far.
// A page that continues the walk's previous page (the next page, not the
// first again after a lowered bound, a tie read or an API that ignores the
// time filter) is measured from the walk's edge, after the records it
// repeats from the previous page (those up to the previous page's last
// record: a newest-first list shifts down as records arrive). It fails only
// a page that is plainly reversed.
func (m *Machine) measureOrder(walk *Walk, recs []decode.Record) (d Disorder, shifted int, err error) {
	if err := m.checkReversed(recs); err != nil {
		return Disorder{}, 0, err
	}
	ahead := int64(math.MaxInt64) // records dated after it are future ones, not disorder
	if bound, ok := m.clockBound(walk); ok {
		ahead = bound
	}
	if !m.continues(walk) {
		return m.measureFrom(recs, 0, ahead, Seen{}, false, nil), 0, nil
	}
	var repeated map[string]struct{}
	if !walk.Windowed && walk.HasTop && m.newestFirst() {
		// A newest-first list that grew by more than a page between two
		// requests of the walk pushes onto this page records that arrived
		// since its first page (above Top: the next walk reads them) and
		// records this walk delivered already (known by id): growth, not
		// disorder. Measured, they would widen a busy stream's re-read for
		// good and be delivered again.
		ahead = min(ahead, walk.Top)
		repeated = make(map[string]struct{}, len(walk.Seen)+len(walk.EdgeIDs)+len(walk.EdgeNear))
		for _, s := range walk.Seen {
			repeated[s.ID] = struct{}{}
		}
		for _, s := range walk.EdgeNear {
			repeated[s.ID] = struct{}{}
		}
		for _, id := range walk.EdgeIDs {
			repeated[id] = struct{}{}
		}
	}
	if walk.LastID != "" {
		for i := len(recs) - 1; i >= 0; i-- {
			if recs[i].Problem == "" && recs[i].ID == walk.LastID {
				shifted = i + 1
				break
			}
		}
	}
	var far Seen
	if walk.HasEdge {
		far = Seen{Key: walk.Edge}
		if len(walk.EdgeIDs) > 0 {
			far.ID = walk.EdgeIDs[0]
		}
	}
	return m.measureFrom(recs, shifted, ahead, far, walk.HasEdge, repeated), shifted, nil
}

// continues reports whether the walk's next page follows the page before it.
func (m *Machine) continues(walk *Walk) bool {
	return walk.Pages > 0 && !walk.Tie && walk.Next != m.firstPosition()
}

// measureFrom measures recs from index from on, against far when has,
// leaving out records dated after ahead (see Machine.clockBound) and the
// repeated ones the walk delivered already.
func (m *Machine) measureFrom(recs []decode.Record, from int, ahead int64, far Seen, has bool, repeated map[string]struct{}) (d Disorder) {
	for i := from; i < len(recs); i++ {
		r := &recs[i]
		if r.Problem != "" || r.Key > ahead {
			continue
		}
		if _, ok := repeated[r.ID]; ok {
			continue
		}
		if !has {
			far, has = Seen{ID: r.ID, Key: r.Key}, true
			continue
		}
		back := m.back(r.Key, far.Key)
		switch {
		case back < 0:
			far = Seen{ID: r.ID, Key: r.Key}
		case back > d.By:
			d = Disorder{Before: far, After: Seen{ID: strings.Clone(r.ID), Key: r.Key}, By: back}
		}
	}
	d.Before.ID = strings.Clone(d.Before.ID)
	if d.By <= m.overlap {
		return Disorder{} // the overlap absorbs it
	}
	return d
}

// back is how far key goes back against the declared order from ref.
func (m *Machine) back(key, ref int64) int64 {
	if m.newestFirst() {
		return key - ref
	}
	return ref - key
}

// checkReversed fails a page whose neighboring records of distinct times
// are, nearly all of them (9 in 10), in the reverse of the declared order.
func (m *Machine) checkReversed(recs []decode.Record) error {
	pairs, reversed := 0, 0
	prev := -1
	for i := range recs {
		if recs[i].Problem != "" {
			continue
		}
		if prev >= 0 && recs[i].Key != recs[prev].Key {
			pairs++
			if m.back(recs[i].Key, recs[prev].Key) > 0 {
				reversed++
			}
		}
		prev = i
	}
	if pairs < reversedPairs || 10*reversed < 9*pairs {
		return nil
	}
	order, word := "newest first", "newer"
	if !m.newestFirst() {
		order, word = "oldest first", "older"
	}
	return fmt.Errorf("%w: the API spec declares %s, but %d of the %d neighboring records of distinct times on this page are each %s than the one before (check records.order in the API spec); the stream retries from this page",
		ErrOrder, order, reversed, pairs, word)
}
