package engine

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// Records created at the same time unit, in batches with polls in between,
// arrive exactly once for every built-in API, with inclusive and exclusive
// simulator time filters. Each time unit gets two batches, and the fake
// clock keeps the unit open until both are in (a unit only closes when the
// next one begins, as on a real API).
func TestExactlyOnceWithTies(t *testing.T) {
	for _, exclusive := range []bool{false, true} {
		for _, c := range apiCases {
			for _, pageSize := range []int{2, 5} {
				name := fmt.Sprintf("%s/exclusive=%v/page_size=%d", c.api, exclusive, pageSize)
				t.Run(name, func(t *testing.T) {
					srv := newSimServer(t, simulator.Options{ExclusiveFilters: exclusive, Seed: 7})
					p := precisionOf(t, c)
					base := baseTime()
					clock := &fakeClock{now: base}
					store := cursor.NewStore(nil)
					r := newRig(t, srv, c, store, clock, withPageSize(pageSize))
					for i := range 8 {
						at := base.Add(time.Duration(i/2) * p)
						addTo(srv, c, 3, at)
						clock.Set(at.Add(p / 2))
						_, _, err := r.poll()
						require.NoError(t, err)
					}
					clock.Set(base.Add(10 * p))
					r.drain()
					requireExactlyOnce(t, r.want(), r.got())
				})
			}
		}
	}
}

// The simulator's Logto shuffles records with equal createdAt on every
// request; a tie group split across two pages must still arrive once each.
func TestLogtoTieGroupAcrossPages(t *testing.T) {
	c := caseOf(t, simulator.APILogtoLogs)
	lost := 0
	for seed := range int64(20) {
		srv := newSimServer(t, simulator.Options{Seed: seed})
		base := baseTime()
		clock := &fakeClock{now: base.Add(5 * time.Millisecond)}
		r := newRig(t, srv, c, nil, clock, withPageSize(2))
		addTo(srv, c, 5, base.Add(2*time.Millisecond))
		r.drain()
		got := map[string]bool{}
		for _, id := range r.got() {
			got[id] = true
		}
		if len(got) != 5 {
			lost++
		}
	}
	assert.Zero(t, lost, "runs (of 20) where a tie group larger than a page lost records")
}

// movingCase adds records between the requests of one walk.
func runMovingList(t *testing.T, c apiCase, opts simulator.Options, pageSize int, addAt func(clock *fakeClock) time.Time) {
	srv := newSimServer(t, opts)
	base := baseTime()
	clock := &fakeClock{now: base}
	r := newRig(t, srv, c, nil, clock, withPageSize(pageSize))
	for i := range 10 {
		addTo(srv, c, 1, base.Add(time.Duration(i)*time.Millisecond))
	}
	clock.Set(base.Add(20 * time.Millisecond))

	var requests atomic.Int32
	srv.setHook(func(_ *http.Request) {
		// Before every page after the first of a walk, the list grows.
		if requests.Add(1) > 1 {
			addTo(srv, c, 2, addAt(clock))
		}
	})
	_, _, err := r.poll()
	require.NoError(t, err)
	srv.setHook(nil)
	clock.Add(time.Second)
	r.drain()
	clock.Add(time.Second)
	r.drain()
	requireExactlyOnce(t, r.want(), r.got())
}

func TestMovingListNewestFirstWindowed(t *testing.T) {
	// New records are created "now", above the closed window.
	runMovingList(t, caseOf(t, simulator.APILogtoLogs), simulator.Options{}, 3, func(clock *fakeClock) time.Time { return clock.Now() })
}

func TestMovingListNewestFirstPre140(t *testing.T) {
	// Logto before 1.40 ignores the window, so new records shift every page,
	// and the records created during the walk share one millisecond in a
	// random order: without a working filter, only a page that holds the
	// whole tie group reads it reliably (the documented limitation), hence
	// the API's maximum page size here.
	runMovingList(t, caseOf(t, simulator.APILogtoLogs), simulator.Options{LogtoPre140: true}, 100, func(clock *fakeClock) time.Time { return clock.Now() })
}

func TestMovingListNewestFirstNoTimeFilter(t *testing.T) {
	for _, api := range []string{simulator.APITinesActionLogs, simulator.APIOMSActionLogs, simulator.APIMakeModuleLogs} {
		t.Run(api, func(t *testing.T) {
			// Tines counts seconds: keep new records above every existing one.
			runMovingList(t, caseOf(t, api), simulator.Options{}, 3, func(clock *fakeClock) time.Time { return clock.Now().Add(time.Minute) })
		})
	}
}

func TestMovingListOldestFirst(t *testing.T) {
	runMovingList(t, caseOf(t, simulator.APIStackOneActionLogs), simulator.Options{}, 3, func(clock *fakeClock) time.Time { return clock.Now() })
}

// A millisecond that holds more Logto records than the largest page (100),
// returned in a new order on every request or in the same order every time
// (LogtoStableTies), is read until every id the response's Total-Number
// counts was seen, on Logto 1.42 (inclusive bounds)
// and 1.40-1.41 (exclusive bounds, 400 on start_time = end_time), with the
// collector restarted in the middle of the group: every record exactly once.
func TestLogtoTieGroupsLargerThanAPage(t *testing.T) {
	c := caseOf(t, simulator.APILogtoLogs)
	for _, version := range []struct {
		name         string
		v140, stable bool
	}{{"1.42", false, false}, {"1.40", true, false}, {"1.42/stable_order", false, true}, {"1.40/stable_order", true, true}} {
		groups := []int{90, 150, 250}
		if version.stable {
			// Paged through in a stable order, a group of any size is exact;
			// one in a new order on every request is only sampled (at most
			// 24 reads for 1,200), so that case stays at 250.
			groups = append(groups, 1200)
		}
		for _, group := range groups {
			t.Run(fmt.Sprintf("%s/%d", version.name, group), func(t *testing.T) {
				srv := newSimServer(t, simulator.Options{Seed: int64(group), Logto140: version.v140, LogtoStableTies: version.stable})
				base := baseTime()
				addTo(srv, c, 30, base.Add(1*time.Millisecond))
				addTo(srv, c, group, base.Add(2*time.Millisecond))
				addTo(srv, c, 30, base.Add(3*time.Millisecond))
				clock := &fakeClock{now: base.Add(10 * time.Millisecond)}
				store := cursor.NewStore(nil)
				var got [][]string
				// Restart after every other page: each new rig resumes from the stored walk.
				for restart := 0; restart < 60; restart++ {
					r := newRig(t, srv, c, store, clock, withPageSize(100), withMaxPages(2))
					_, _, err := r.poll()
					require.NoError(t, err)
					got = append(got, r.got())
					if st := r.stored(); st != nil && st.Walk == nil && st.Key >= base.Add(9*time.Millisecond).UnixNano() {
						break
					}
				}
				requireExactlyOnce(t, srv.expected(c), got...)
			})
		}
	}
}

// After a tie group that fills a page (larger than the page a capping
// server gives, or than Logto's largest page), the walk lowers its upper
// bound below the group; on Logto 1.42, whose end bound is inclusive, the
// next page asked up to one unit above that bound is the group again,
// wholly above the bound. That page was taken for a tie at the bound:
// the bound's millisecond, empty, was read alone, and the empty answer
// switched the cursor to exclusive tie reads for good, after which every
// tie read counted three milliseconds against one and was read 20 times
// with a false "missed some" warning. Records arrive in chaos-run batches
// (split over two adjacent milliseconds, some larger than the cap), with
// polls of a few pages in between and restarts from the stored cursor:
// every record exactly once, the cursor learns the inclusive end, never
// exclusive ties, and no tie group is reported short. Logto 1.40-1.41
// (exclusive bounds) must learn exclusive ties and never an inclusive end.
func TestLogtoTieGroupFillingAPageKeepsInclusiveBounds(t *testing.T) {
	c := caseOf(t, simulator.APILogtoLogs)
	for _, tc := range []struct {
		name      string
		cap       int
		v140      bool
		groupSize int
	}{
		{"1.42/capped", 13, false, 30},
		{"1.42/groups_above_100", 0, false, 130},
		{"1.40/capped", 13, true, 30},
		{"1.40/groups_above_100", 0, true, 130},
	} {
		t.Run(tc.name, func(t *testing.T) {
			learntInclusive, learntExclusive := 0, 0
			for seed := range int64(12) {
				srv := newSimServer(t, simulator.Options{Seed: seed, CapPageSize: tc.cap, Logto140: tc.v140})
				rng := rand.New(rand.NewPCG(uint64(seed), 13))
				base := baseTime()
				clock := &fakeClock{now: base}
				store := cursor.NewStore(nil)
				core, logs := observer.New(zapcore.WarnLevel)
				settle := func(s *Settings, _ *httpclientConfig) { s.Settle = 2 * time.Second }
				var got [][]string
				now := base
				check := func(r *rig) {
					got = append(got, r.got())
					st := r.stored()
					require.NotNil(t, st)
					require.False(t, !tc.v140 && st.ExclusiveTies, "seed %d: exclusive tie reads learnt from an inclusive server", seed)
					require.False(t, tc.v140 && st.InclusiveEnd, "seed %d: an inclusive end learnt from an exclusive server", seed)
					if st.InclusiveEnd {
						learntInclusive++
					}
					if st.ExclusiveTies {
						learntExclusive++
					}
				}
				for step := range 30 {
					n := 1 + rng.IntN(3)
					if step%7 == 3 {
						n = tc.groupSize/2 + rng.IntN(tc.groupSize/2)
					}
					first := n
					if n > 1 && rng.IntN(2) == 0 {
						first = 1 + rng.IntN(n-1)
					}
					addTo(srv, c, first, now.Add(-time.Millisecond))
					addTo(srv, c, n-first, now)
					now = now.Add(time.Duration(50+rng.IntN(200)) * time.Millisecond)
					clock.Set(now.Add(time.Duration(rng.IntN(3)) * time.Millisecond))
					if rng.IntN(2) == 0 {
						r := newLoggingRig(t, srv, c, store, clock, zap.New(core), withPageSize(20), withMaxPages(1+rng.IntN(3)), settle)
						_, _, err := r.poll()
						require.NoError(t, err)
						check(r)
					}
				}
				clock.Set(now.Add(10 * time.Second))
				r := newLoggingRig(t, srv, c, store, clock, zap.New(core), withPageSize(20), settle)
				r.drain()
				check(r)
				requireExactlyOnce(t, srv.expected(c), got...)
				assert.Zero(t, logs.FilterMessageSnippet("still missed some").Len(), "seed %d: a tie group reported short", seed)
			}
			if tc.v140 {
				assert.Positive(t, learntExclusive, "the tie reads never met Logto 1.40's exclusive bounds")
			} else {
				assert.Positive(t, learntInclusive, "the walks never met a page wholly above the bound")
			}
		})
	}
}
