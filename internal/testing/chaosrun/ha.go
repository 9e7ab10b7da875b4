package chaosrun

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// HAAction is what a chaos event does to a collector of a coordinated
// cluster.
type HAAction string

const (
	// HAKill is kill -9; the collector is started again a second later.
	HAKill HAAction = "kill"
	// HAPause is SIGSTOP for twice lease_ttl, then SIGCONT.
	HAPause HAAction = "pause"
	// HATerm is SIGTERM; the collector is started again a second later.
	HATerm HAAction = "term"
)

// HAEvent is one event of an HA chaos round: After the previous event ends,
// Action on collector Member.
type HAEvent struct {
	After  time.Duration
	What   HAAction
	Member int
}

func (e HAEvent) String() string {
	return fmt.Sprintf("after %s: %s c%d", e.After, e.What, e.Member)
}

// HAEvents draws n events over members collectors from seed: the same seed
// gives the same sequence, so that a failing round can be run again. Each
// comes 2-5 s (whole seconds) after the previous one, on a random member,
// with kill, pause and term equally likely, except that the same member
// never gets two events in a row (it may still be catching up).
func HAEvents(seed uint64, n, members int) []HAEvent {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	actions := []HAAction{HAKill, HAPause, HATerm}
	out := make([]HAEvent, 0, n)
	last := -1
	for range n {
		member := rng.IntN(members)
		if member == last && members > 1 {
			member = (member + 1 + rng.IntN(members-1)) % members
		}
		last = member
		out = append(out, HAEvent{
			After:  time.Duration(2+rng.IntN(4)) * time.Second,
			What:   actions[rng.IntN(len(actions))],
			Member: member,
		})
	}
	return out
}

// Interruptions counts the kills and pauses of events: the events after
// which one page per stream may be delivered twice (SIGTERM releases the
// units after the last checkpoint and duplicates nothing).
func Interruptions(events []HAEvent) int {
	n := 0
	for _, e := range events {
		if e.What == HAKill || e.What == HAPause {
			n++
		}
	}
	return n
}
