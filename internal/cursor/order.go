package cursor

import (
	"errors"
	"fmt"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// ErrOrder fails a poll whose page contradicts the order the API spec
// declares: the cursor stays where it was and the stream retries from the
// same page, since walking on could skip records (a newest-first walk stops
// at the first record below its cursor, and records on the delivered side
// of the walk's edge are taken as delivered).
var ErrOrder = errors.New("records out of the declared order")

// checkOrder verifies that a page's records come in the declared order.
// Records may disagree by up to the overlap (one time unit plus settle):
// concurrent writers make neighboring records disagree by milliseconds (Akinon OMS
// orders by id while the cursor follows created_at), and that much is
// re-read below the cursor, told apart by id at the walk's edge, and looked
// past when a newest-first walk stops, so no record is lost. A record later
// than that (in walk order) than one before it on the same page is a
// contradiction. Records without a usable time are not ordered.
func (m *Machine) checkOrder(recs []decode.Record) error {
	newestFirst := m.newestFirst()
	low := -1 // the record furthest along in walk order so far
	for i := range recs {
		r := &recs[i]
		if r.Problem != "" {
			continue
		}
		if low < 0 {
			low = i
			continue
		}
		ahead := r.Key - recs[low].Key // how far r goes back against the order
		if !newestFirst {
			ahead = -ahead
		}
		switch {
		case ahead < 0:
			low = i
		case ahead > m.overlap:
			return m.orderError(&recs[low], low, r, i, ahead)
		}
	}
	return nil
}

func (m *Machine) orderError(before *decode.Record, bi int, after *decode.Record, ai int, by int64) error {
	order, word := "newest first", "newer"
	if !m.newestFirst() {
		order, word = "oldest first", "older"
	}
	return fmt.Errorf("%w: the API spec declares %s, but record %q (%s, #%d on the page) comes after record %q (%s, #%d) and is %s by %s, more than the %s (one time unit plus settle) that can be re-read without loss; the stream retries from this page",
		ErrOrder, order, after.ID, formatKey(after.Key), ai+1, before.ID, formatKey(before.Key), bi+1, word,
		time.Duration(by), time.Duration(m.overlap))
}

func formatKey(k int64) string {
	return time.Unix(0, k).UTC().Format(time.RFC3339Nano)
}
