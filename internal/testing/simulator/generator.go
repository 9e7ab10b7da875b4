package simulator

import (
	"math/rand"
	"time"
)

// seedHistory gives a new stream InitialRecords records over the last hour
// (or over HistorySpan, ending a minute ago, when that is set).
// About a third share the previous record's timestamp so clients meet ties
// at the API's precision from the very first poll.
func (s *Simulator) seedHistory(as *apiStore, st *stream) {
	n := s.opts.InitialRecords
	if n <= 0 {
		return
	}
	now := time.Now()
	start, width := now.Add(-time.Hour), time.Hour
	if span := s.opts.HistorySpan; span > 0 {
		// End a minute ago so records spread over a long span are all history,
		// not mixed with what the generator creates next. Spans under two
		// minutes keep their second half free instead.
		start, width = now.Add(-span), span-min(time.Minute, span/2)
	}
	step := max(width/time.Duration(n), 1)
	var prev time.Time
	for i := 0; i < n; {
		t := start.Add(time.Duration(i)*step + time.Duration(st.rng.Int63n(int64(step))))
		if i > 0 && st.rng.Intn(3) == 0 {
			t = prev
		}
		k := 1
		if st.rng.Intn(4) == 0 && i+2 <= n {
			k = 2
		}
		as.add(st, k, t)
		prev = t
		i += k
	}
}

// generate creates records continuously until Close (demo and chaos modes).
func (s *Simulator) generate() {
	defer s.wg.Done()
	if s.opts.Mode == ModeBench {
		return
	}
	tick := s.opts.ChaosTick
	if s.opts.Mode == ModeDemo {
		tick = s.opts.NewRecordEvery / 5
		tick = max(10*time.Millisecond, min(tick, time.Second))
	}
	rng := rand.New(rand.NewSource(s.opts.Seed ^ 0x5eed))
	tk := time.NewTicker(tick)
	defer tk.Stop()
	last := time.Now()
	for {
		select {
		case <-s.closing:
			return
		case now := <-tk.C:
			dt := now.Sub(last)
			last = now
			if s.paused.Load() {
				continue
			}
			for _, api := range recordAPIs() {
				as := s.stores[api]
				for _, st := range as.snapshotStreams() {
					if s.opts.Mode == ModeChaos {
						s.chaosStep(as, st, now, dt, rng)
					} else {
						s.demoStep(as, st, now, rng)
					}
				}
			}
		}
	}
}

func (s *Simulator) demoStep(as *apiStore, st *stream, now time.Time, rng *rand.Rand) {
	every := s.opts.NewRecordEvery
	if st.nextDue.IsZero() {
		st.nextDue = now.Add(every/2 + time.Duration(rng.Int63n(int64(every))))
		return
	}
	if now.Before(st.nextDue) {
		return
	}
	n := 1
	if rng.Intn(5) == 0 { // occasional burst: ties at the API's precision
		n = 2 + rng.Intn(2)
	}
	as.add(st, n, now)
	st.nextDue = now.Add(every)
}

func (s *Simulator) chaosStep(as *apiStore, st *stream, now time.Time, dt time.Duration, rng *rand.Rand) {
	st.carry += s.opts.ChaosRatePerSecond * dt.Seconds()
	n := int(st.carry)
	if n == 0 {
		return
	}
	st.carry -= float64(n)
	// Split the batch over at most two timestamps; each part is a tie group.
	first := n
	if n > 1 && rng.Intn(2) == 0 {
		first = 1 + rng.Intn(n-1)
	}
	as.add(st, first, now.Add(-time.Millisecond))
	as.add(st, n-first, now)
	s.tieGroup(as, st, now, rng)
}

// tieGroup adds a TieGroups group to st when one is due.
func (s *Simulator) tieGroup(as *apiStore, st *stream, now time.Time, rng *rand.Rand) {
	g := s.opts.TieGroups
	if !g.on(as.name) {
		return
	}
	if st.groupDue.IsZero() {
		st.groupDue = now.Add(g.Every)
		return
	}
	if now.Before(st.groupDue) {
		return
	}
	n := g.Min + rng.Intn(g.Max-g.Min+1)
	as.add(st, n, now)
	st.groupDue = now.Add(g.Every)
	s.tieGroups.Add(1)
	s.tieGroupRecords.Add(int64(n))
}
