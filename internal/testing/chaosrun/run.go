package chaosrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/otlpsink"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// Options of a chaos run.
type Options struct {
	Collector string        // collector binary
	Duration  time.Duration // total time of all rounds' phases
	Restarts  int           // graceful restarts (SIGTERM), spread over the rounds' first phases
	Kills     int           // SIGKILLs, spread over the rounds' second phases
	PageSize  int
	Rate      float64 // records per stream per second
	Seed      int64
	// Settle is the receivers' settle: how late a record may become visible
	// after its own timestamp (empty: the receiver's default).
	Settle  string
	Keep    bool          // keep the temporary directory
	CatchUp time.Duration // how long each catch-up may take
	Log     io.Writer     // progress
	// LogLevel is the collector's log level (empty: info).
	LogLevel string

	// Rounds run one after the other, each with its own simulator, sink,
	// storage and collector, and its share of Duration, Restarts and Kills
	// (empty: one plain round).
	Rounds []Round
	// ModeTies: Logto tie groups of TieGroupMin..TieGroupMax records every
	// TieGroupEvery, in a stable order; ModeShuffledTies: of
	// ShuffledTieGroupMin..Max records, in a new order on every request.
	TieGroupMin, TieGroupMax                 int
	ShuffledTieGroupMin, ShuffledTieGroupMax int
	TieGroupEvery                            time.Duration
	// ModeCap: the page size every API gives, below PageSize.
	Cap int
	// ModePending: simulator.Options.MakePendingLists.
	MakePending []int
}

// Result is what a run measured.
type Result struct {
	Dir      string
	Rounds   []*RoundResult
	PageSize int
	Settle   string
	// Problems are failures of the run outside any round.
	Problems []string
}

// RoundResult is what one round measured.
type RoundResult struct {
	Modes     Round
	Receivers []Receiver
	// Phase1 is the tally after the graceful-restart phase caught up; Final after both phases.
	Phase1, Final   []Tally
	Restarts, Kills int
	Duration        time.Duration
	// Stats is what the simulator's modes did.
	Stats simulator.ModeStats
	// Warnings counts the collector's warnings about the edges (see warningsOf).
	Warnings map[string]int
	// Problems are failures of the round itself (collector not exiting cleanly,
	// exiting on its own, a mode that was never exercised, ...).
	Problems []string
}

// Run executes the rounds. Each has two phases: graceful restarts, catch-up
// and check, then SIGKILLs, catch-up and the final check.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.CatchUp <= 0 {
		o.CatchUp = 90 * time.Second
	}
	if len(o.Rounds) == 0 {
		o.Rounds = []Round{{}}
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "apilogs-chaos-")
	if err != nil {
		return nil, err
	}
	if !o.Keep {
		defer os.RemoveAll(dir)
	}
	res := &Result{Dir: dir, PageSize: o.PageSize, Settle: o.Settle}
	n := len(o.Rounds)
	for i, modes := range o.Rounds {
		rr := &RoundResult{
			Modes: modes, Duration: o.Duration / time.Duration(n),
			Restarts: share(o.Restarts, n, i), Kills: share(o.Kills, n, i),
		}
		res.Rounds = append(res.Rounds, rr)
		if err := runRound(ctx, o, filepath.Join(dir, fmt.Sprintf("round%d", i+1)), i, rr); err != nil {
			res.Problems = append(res.Problems, fmt.Sprintf("round %d (%s): %v", i+1, modes, err))
		}
		if ctx.Err() != nil {
			break
		}
	}
	return res, nil
}

// share is round i's part of total spread over n rounds, earlier rounds
// taking the remainder.
func share(total, n, i int) int {
	s := total / n
	if i < total%n {
		s++
	}
	return s
}

// simOptions are the simulator options of a round.
func (o Options) simOptions(round int, modes Round) simulator.Options {
	so := simulator.Options{
		Mode: simulator.ModeChaos, Seed: o.Seed + int64(round), ChaosRatePerSecond: o.Rate, InclusiveFilters: true,
	}
	switch {
	case modes.has(ModeTies):
		so.TieGroups = simulator.TieGroups{
			APIs: []string{simulator.APILogtoLogs}, Every: o.TieGroupEvery, Min: o.TieGroupMin, Max: o.TieGroupMax,
		}
		so.LogtoStableTies = true
	case modes.has(ModeShuffledTies):
		// The simulator's Logto shuffles ties on every request unless
		// LogtoStableTies.
		so.TieGroups = simulator.TieGroups{
			APIs: []string{simulator.APILogtoLogs}, Every: o.TieGroupEvery, Min: o.ShuffledTieGroupMin, Max: o.ShuffledTieGroupMax,
		}
	}
	if modes.has(ModeCap) {
		so.CapPageSize = o.Cap
	}
	if modes.has(ModePending) {
		so.MakePendingLists = o.MakePending
		// History within the last 30 minutes: a pending run older than
		// max_pending (1 h) would rightly be delivered as it stands, and the
		// verdict counts that as a wrong state.
		so.HistorySpan = 30 * time.Minute
	}
	return so
}

// runRound runs one round in dir; failures of the run setup are returned,
// those of the round are in rr.Problems.
func runRound(ctx context.Context, o Options, dir string, round int, rr *RoundResult) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	so := o.simOptions(round, rr.Modes)
	sim, err := simulator.New(so)
	if err != nil {
		return err
	}
	// Close has its own shutdown deadline: it must run even once ctx is done.
	defer sim.Close() //nolint:contextcheck // see above
	err = sim.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	sink := otlpsink.New(true)
	sink.NoteWith(StateNote)
	err = sink.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer sink.Close()
	health, err := collectorproc.FreeAddr()
	if err != nil {
		return err
	}
	cfg := Config{
		Receivers: BuiltinReceivers(sim.URL()), StorageDir: filepath.Join(dir, "storage"), SinkURL: sink.Endpoint(), HealthAddr: health,
		CollectionInterval: "1s", StartAt: "-24h", PageSize: o.PageSize, RequestsPerMinute: 60000, Settle: o.Settle,
		LogLevel: o.LogLevel,
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := cfg.Write(cfgPath); err != nil {
		return err
	}
	rr.Receivers = cfg.Receivers
	r := &runner{
		o: o, sim: sim, sink: sink, health: health, rng: rand.New(rand.NewSource(so.Seed)),
		col: &collectorproc.Process{Binary: o.Collector, Config: cfgPath, LogPath: filepath.Join(dir, "collector.log")},
		res: rr,
	}
	fmt.Fprintf(o.Log, "chaos round %d (%s): dir %s, simulator %s, sink %s, %d receivers, page_size %d, settle %q, %.0f records/stream/s, seed %d%s\n",
		round+1, rr.Modes, dir, sim.URL(), sink.Endpoint(), len(cfg.Receivers), o.PageSize, o.Settle, o.Rate, so.Seed, modeLine(so))
	defer r.col.Kill()
	if err := r.run(ctx); err != nil {
		r.problem("%v", err)
	}
	rr.Stats = sim.Stats().Modes
	rr.Warnings = warningsOf(r.col.Log())
	r.checkModes()
	return nil
}

// modeLine describes the simulator's modes for the progress log.
func modeLine(so simulator.Options) string {
	var b strings.Builder
	if g := so.TieGroups; g.Every > 0 {
		order := "in a new order on every request"
		if so.LogtoStableTies {
			order = "in a stable order"
		}
		fmt.Fprintf(&b, ", Logto tie groups of %d-%d records every %s %s", g.Min, g.Max, g.Every, order)
	}
	if so.CapPageSize > 0 {
		fmt.Fprintf(&b, ", pages capped at %d", so.CapPageSize)
	}
	if len(so.MakePendingLists) > 0 {
		fmt.Fprintf(&b, ", Make runs pending for %v list answers", so.MakePendingLists)
	}
	return b.String()
}

// edgeWarnings are collector log lines about the edges the modes exercise,
// by a short name.
var edgeWarnings = []struct{ name, text string }{
	{"tie group missed", "as often as allowed and still missed some"},
	{"tie page full", "More records share one timestamp than"},
	{"cursor full", "The cursor is full"},
	{"unfinished delivered", "still unfinished after max_pending"},
	{"out of order", "out of the declared order"},
	{"poll failed", "Poll failed;"},
}

// warningsOf counts the edge warnings in the collector's log.
func warningsOf(log string) map[string]int {
	out := map[string]int{}
	for _, line := range strings.Split(log, "\n") {
		for _, w := range edgeWarnings {
			if strings.Contains(line, w.text) {
				out[w.name]++
				break
			}
		}
	}
	return out
}

type runner struct {
	o      Options
	sim    *simulator.Simulator
	sink   *otlpsink.Sink
	col    *collectorproc.Process
	health string
	rng    *rand.Rand
	res    *RoundResult
	t0     time.Time
}

// checkModes makes a round whose modes did nothing a problem: it proved nothing.
func (r *runner) checkModes() {
	st, modes := r.res.Stats, r.res.Modes
	if modes.ties() && st.TieGroups == 0 {
		r.problem("%s: no tie group was created", modes)
	}
	if n := r.res.Warnings["tie group missed"]; modes.ties() && n > 0 {
		// The tie groups here are counted exactly by Total-Number: reads
		// that end short are a failure of the bound, not the API's doing.
		r.problem("%s: %d tie groups read as often as allowed and still short", modes, n)
	}
	if modes.has(ModeCap) && st.CappedRequests == 0 {
		r.problem("cap: no request was capped")
	}
	if modes.has(ModePending) {
		if st.PendingListings == 0 {
			r.problem("pending: no list answer showed a run pending")
		}
		if st.StillPending > 0 {
			r.problem("pending: %d runs never finished (the receiver stopped listing them)", st.StillPending)
		}
	}
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.o.Log, "[%6.1fs] %s\n", time.Since(r.t0).Seconds(), fmt.Sprintf(format, args...))
}

func (r *runner) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.logf("PROBLEM: %s", msg)
	r.res.Problems = append(r.res.Problems, msg)
}

func (r *runner) run(ctx context.Context) error {
	r.t0 = time.Now()
	if err := r.start(ctx); err != nil {
		return err
	}
	d := r.res.Duration
	half := d / 2
	r.logf("phase 1: %s with %d graceful restarts", half, r.res.Restarts)
	if err := r.phase(ctx, half, r.res.Restarts, r.restart); err != nil {
		return err
	}
	r.res.Phase1 = r.catchUp(ctx, "phase 1")
	r.sim.Resume()
	r.logf("phase 2: %s with %d SIGKILLs", d-half, r.res.Kills)
	if err := r.phase(ctx, d-half, r.res.Kills, r.kill); err != nil {
		return err
	}
	r.catchUp(ctx, "phase 2")
	if err := r.col.Stop(15 * time.Second); err != nil {
		r.problem("final graceful stop: %v", err)
	}
	r.res.Final = CountAll(r.sim, r.sink, r.res.Receivers)
	return nil
}

// phase runs for d and fires n events at evenly spread moments with jitter.
func (r *runner) phase(ctx context.Context, d time.Duration, n int, event func(context.Context) error) error {
	start := time.Now()
	slot := d / time.Duration(n+1)
	for i := 1; i <= n; i++ {
		at := start.Add(slot*time.Duration(i) + time.Duration((r.rng.Float64()-0.5)*float64(slot)/2))
		if err := r.watch(ctx, at); err != nil {
			return err
		}
		if err := event(ctx); err != nil {
			return err
		}
	}
	return r.watch(ctx, start.Add(d))
}

// watch waits until `until`, restarting a collector that died on its own (a problem).
func (r *runner) watch(ctx context.Context, until time.Time) error {
	for time.Now().Before(until) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.col.Exited():
			r.problem("collector exited on its own: %v", r.col.ExitErr())
			if err := r.start(ctx); err != nil {
				return err
			}
		case <-time.After(min(200*time.Millisecond, time.Until(until))):
		}
	}
	return nil
}

func (r *runner) start(ctx context.Context) error {
	if err := r.col.Start(); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := r.col.WaitHealthy(wctx, r.health); err != nil {
		return fmt.Errorf("%w; collector log: %s", err, r.col.LogPath)
	}
	return nil
}

func (r *runner) restart(ctx context.Context) error {
	before := r.sink.Records()
	err := r.col.Stop(15 * time.Second)
	r.logf("graceful restart (SIGTERM): exit %v, sink had %d records", errString(err), before)
	if err != nil {
		r.problem("graceful stop: %v", err)
	}
	return r.start(ctx)
}

func (r *runner) kill(ctx context.Context) error {
	r.col.Kill()
	r.logf("SIGKILL, sink had %d records", r.sink.Records())
	return r.start(ctx)
}

// catchUp pauses creation and waits until every created record arrived (or the
// deadline), then a little longer so that late duplicates show too.
func (r *runner) catchUp(ctx context.Context, name string) []Tally {
	r.sim.Pause()
	deadline := time.Now().Add(r.o.CatchUp)
	for {
		tallies := CountAll(r.sim, r.sink, r.res.Receivers)
		lost := 0
		for _, t := range tallies {
			lost += t.Lost
		}
		if lost == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			if lost > 0 {
				r.problem("%s: %d records still missing after %s of catch-up", name, lost, r.o.CatchUp)
			}
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(3 * time.Second)
	tallies := CountAll(r.sim, r.sink, r.res.Receivers)
	r.logf("%s caught up: %d records in the sink", name, r.sink.Records())
	return tallies
}

func errString(err error) string {
	if err == nil {
		return "0"
	}
	var ee interface{ ExitCode() int }
	if errors.As(err, &ee) {
		return strconv.Itoa(ee.ExitCode())
	}
	return err.Error()
}
