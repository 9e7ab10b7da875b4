// Package coord is the contract between the receivers and a coordination
// backend that runs several collectors as one: every unit of work (a budget
// group: the streams that spend one vendor budget) has at most one owner
// among the live members, cursor writes are fenced by that ownership, and a
// member stops emitting before another one can take its units.
//
// The etcd backend is in etcdcoord; a Kubernetes Lease backend
// (resourceVersion-checked cursor writes) or a PostgreSQL one (lease rows,
// writes conditioned on the owner row) fits the same interface.
package coord

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Coordinator is a member of a cluster of collectors.
type Coordinator interface {
	// Join makes this member a candidate for unit; h learns when it starts
	// and stops owning it. Join does no blocking I/O. The returned Leave
	// stops h's polling (Lost), releases the unit when no other local
	// participant still needs it, and returns within ctx.
	Join(unit string, h Handler) (Leave, error)
}

// Leave ends a participation: see Coordinator.Join.
type Leave func(ctx context.Context) error

// Handler is one local participant of a unit (one receiver).
type Handler interface {
	// Acquired: this member owns the unit now; start polling with o's
	// cursor store. It must not block.
	Acquired(o Ownership)
	// Lost: the unit is no longer (or may soon no longer be) ours; stop
	// polling and return when the last checkpoint is written or refused,
	// at most until ctx ends.
	Lost(ctx context.Context)
}

// Ownership is one tenure of a unit by this member.
type Ownership interface {
	// Client is the unit's cursor store: its writes succeed only while this
	// tenure lasts (ErrNotOwner otherwise, and the unit is then lost). Its
	// Close does not end the tenure.
	Client() storage.Client
	// Valid tells whether the member may still emit for the unit: the tenure
	// lasts and the member's lease cannot have expired yet.
	Valid() bool
}

// ErrNotOwner is a cursor write refused because this member no longer owns
// the unit (another member may own it now).
var ErrNotOwner = errors.New("the coordinator refused the cursor write: this collector no longer owns the stream's unit")

// ErrNotValid is a delivery held back because the member's lease may have
// expired or its ownership ended.
var ErrNotValid = errors.New("this collector no longer owns the stream's unit (its lease may have expired); the page is not delivered")

// Preferred is the member that should own unit among members, by rendezvous
// (highest random weight) hashing: when a member joins, only the units it
// now wins move to it; when one leaves, only its units move. "" when members
// is empty.
func Preferred(unit string, members []string) string {
	best, bestWeight := "", uint64(0)
	for _, m := range members {
		w := weight(m, unit)
		if best == "" || w > bestWeight || (w == bestWeight && m < best) {
			best, bestWeight = m, w
		}
	}
	return best
}

func weight(member, unit string) uint64 {
	h := sha256.New()
	h.Write([]byte(member))
	h.Write([]byte{0})
	h.Write([]byte(unit))
	var sum [sha256.Size]byte
	return binary.BigEndian.Uint64(h.Sum(sum[:0]))
}
