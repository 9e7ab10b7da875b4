package chaosrun

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Mode is a habit of real servers that a round of the chaos run turns on in
// the simulator, on top of the steady creation with ties.
type Mode string

// The modes of issue 13's edges.
const (
	// ModeTies: Logto gets groups of Options.TieGroupMin..Max records in one
	// millisecond every Options.TieGroupEvery, more than its largest page
	// (100) and than the run's page size, and returns them in the same order
	// on every request, as Postgres does for "order by created_at" while the
	// table does not change: the receiver reads such a millisecond alone,
	// its pages in turn, one pass, until it saw as many ids as Total-Number
	// counts.
	ModeTies Mode = "ties"
	// ModeShuffledTies: the same with groups of
	// Options.ShuffledTieGroupMin..Max records (up to 250) that Logto
	// returns in a new random order on every request, the worst case: each
	// tie read is a sample, and the receiver reads on until every id was
	// seen (at most cursor.TieReadBound reads, a miss below one in a
	// billion per group).
	ModeShuffledTies Mode = "shuffled-ties"
	// ModeCap: every API's list pages are cut at Options.Cap records
	// (below the page size asked for) without saying so; each API's own end
	// signals stay truthful and the echoed page size is the one applied.
	//
	// Logto is capped too. Real Logto answers 400 above page_size 100 instead
	// of capping, but a capping Logto (a proxy, a fork with a lower limit) is
	// plausible and harmless to a receiver that ends a walk by Total-Number
	// and Link, never by a short page: that is what the mode checks.
	ModeCap Mode = "cap"
	// ModePending: Make scenario runs are listed with status 0 (pending)
	// before they finish, for Options.MakePending[i % len] list answers.
	ModePending Mode = "pending"
)

// modePlain names a round without modes.
const modePlain = "plain"

// Round is the set of modes of one round of the run; empty: the plain run.
type Round []Mode

func (r Round) has(m Mode) bool { return slices.Contains(r, m) }

// ties reports whether the round makes Logto tie groups, in either order.
func (r Round) ties() bool { return r.has(ModeTies) || r.has(ModeShuffledTies) }

func (r Round) String() string {
	if len(r) == 0 {
		return modePlain
	}
	out := make([]string, len(r))
	for i, m := range r {
		out[i] = string(m)
	}
	return strings.Join(out, "+")
}

// ParseRounds reads rounds written as modes joined by "+", rounds separated
// by ",": "ties+pending,cap+pending". "plain" is a round without modes.
func ParseRounds(s string) ([]Round, error) {
	var rounds []Round
	for _, rs := range strings.Split(s, ",") {
		rs = strings.TrimSpace(rs)
		if rs == "" {
			return nil, fmt.Errorf("rounds %q: an empty round (want modes joined by + such as ties+pending, or plain)", s)
		}
		round := Round{}
		if rs != modePlain {
			for _, ms := range strings.Split(rs, "+") {
				m := Mode(strings.TrimSpace(ms))
				switch m {
				case ModeTies, ModeShuffledTies, ModeCap, ModePending:
				default:
					return nil, fmt.Errorf("rounds %q: unknown mode %q (want %s, %s, %s, %s or %s)", s, ms, ModeTies, ModeShuffledTies, ModeCap, ModePending, modePlain)
				}
				if round.has(m) {
					return nil, fmt.Errorf("rounds %q: mode %s twice in one round", s, m)
				}
				round = append(round, m)
			}
		}
		rounds = append(rounds, round)
	}
	return rounds, nil
}

// logtoMaxPage is Logto's largest page (page_size above it is a 400), the
// page size of the receiver's tie reads.
const logtoMaxPage = 100

// validate checks the options the rounds use.
func (o *Options) validate() error {
	var errs []error
	for _, r := range o.Rounds {
		if r.has(ModeTies) {
			if o.TieGroupMin <= max(logtoMaxPage, o.PageSize) || o.TieGroupMax < o.TieGroupMin {
				errs = append(errs, fmt.Errorf("tie groups of %d to %d records: the smallest must exceed Logto's largest page (%d) and the page size (%d)",
					o.TieGroupMin, o.TieGroupMax, logtoMaxPage, o.PageSize))
			}
		}
		if r.has(ModeShuffledTies) && (o.ShuffledTieGroupMin <= o.PageSize || o.ShuffledTieGroupMax <= logtoMaxPage || o.ShuffledTieGroupMax < o.ShuffledTieGroupMin) {
			errs = append(errs, fmt.Errorf("shuffled tie groups of %d to %d records: the smallest must exceed the page size (%d), the largest Logto's largest page (%d)",
				o.ShuffledTieGroupMin, o.ShuffledTieGroupMax, o.PageSize, logtoMaxPage))
		}
		if r.ties() && o.TieGroupEvery <= 0 {
			errs = append(errs, fmt.Errorf("tie groups every %s: want a positive interval", o.TieGroupEvery))
		}
		if r.has(ModeTies) && r.has(ModeShuffledTies) {
			errs = append(errs, fmt.Errorf("round %s: Logto orders its ties one way in a round; put ties and shuffled-ties in separate rounds", r))
		}
		if r.has(ModeCap) && (o.Cap < 1 || o.Cap >= o.PageSize) {
			errs = append(errs, fmt.Errorf("cap %d: want 1 to %d, below the page size", o.Cap, o.PageSize-1))
		}
		if r.has(ModeCap) && r.ties() {
			// A tie group larger than the page the server gives is read in
			// pages of the cap: in a new order on every request that takes
			// hundreds of reads per group (cursor.TieReadBound(250, 13) is
			// 511), which would spend the round on a few groups, so the
			// modes go in different rounds.
			errs = append(errs, fmt.Errorf("round %s: ties and cap in one round make Logto read its tie groups in pages of %d; put them in separate rounds", r, o.Cap))
		}
		if r.has(ModePending) && !slices.ContainsFunc(o.MakePending, func(n int) bool { return n > 0 }) {
			errs = append(errs, fmt.Errorf("make pending %v: want at least one run pending for one list answer or more", o.MakePending))
		}
	}
	return errors.Join(errs...)
}
