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
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/otlpsink"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// Options of a chaos run.
type Options struct {
	Collector string        // collector binary
	Duration  time.Duration // total time of both phases
	Restarts  int           // graceful restarts (SIGTERM), all in phase 1
	Kills     int           // SIGKILLs, all in phase 2
	PageSize  int
	Rate      float64 // records per stream per second
	Seed      int64
	// Settle is the receivers' settle: how late a record may become visible
	// after its own timestamp (empty: the receiver's default).
	Settle  string
	Keep    bool          // keep the temporary directory
	CatchUp time.Duration // how long each catch-up may take
	Log     io.Writer     // progress
}

// Result is what a run measured.
type Result struct {
	Dir       string
	Receivers []Receiver
	// Phase1 is the tally after the graceful-restart phase caught up; Final after both phases.
	Phase1, Final   []Tally
	Restarts, Kills int
	PageSize        int
	Settle          string
	// Problems are failures of the run itself (collector not exiting cleanly, exiting on its own, ...).
	Problems []string
}

// Run executes the two phases: graceful restarts, catch-up and check, then
// SIGKILLs, catch-up and the final check.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.CatchUp <= 0 {
		o.CatchUp = 90 * time.Second
	}
	dir, err := os.MkdirTemp("", "apilogs-chaos-")
	if err != nil {
		return nil, err
	}
	if !o.Keep {
		defer os.RemoveAll(dir)
	}
	sim, err := simulator.New(simulator.Options{Mode: simulator.ModeChaos, Seed: o.Seed, ChaosRatePerSecond: o.Rate, InclusiveFilters: true})
	if err != nil {
		return nil, err
	}
	// Close has its own shutdown deadline: it must run even once ctx is done.
	defer sim.Close() //nolint:contextcheck // see above
	err = sim.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sink := otlpsink.New(true)
	err = sink.Start("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer sink.Close()
	health, err := collectorproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	cfg := Config{
		Receivers: BuiltinReceivers(sim.URL()), StorageDir: filepath.Join(dir, "storage"), SinkURL: sink.Endpoint(), HealthAddr: health,
		CollectionInterval: "1s", StartAt: "-24h", PageSize: o.PageSize, RequestsPerMinute: 60000, Settle: o.Settle,
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := cfg.Write(cfgPath); err != nil {
		return nil, err
	}
	r := &runner{
		o: o, sim: sim, sink: sink, health: health, rng: rand.New(rand.NewSource(o.Seed)),
		col: &collectorproc.Process{Binary: o.Collector, Config: cfgPath, LogPath: filepath.Join(dir, "collector.log")},
		res: &Result{Dir: dir, Receivers: cfg.Receivers, Restarts: o.Restarts, Kills: o.Kills, PageSize: o.PageSize, Settle: o.Settle},
	}
	fmt.Fprintf(o.Log, "chaos: dir %s, simulator %s, sink %s, %d receivers, page_size %d, settle %q, %.0f records/stream/s, seed %d\n",
		dir, sim.URL(), sink.Endpoint(), len(cfg.Receivers), o.PageSize, o.Settle, o.Rate, o.Seed)
	defer r.col.Kill()
	if err := r.run(ctx); err != nil {
		r.res.Problems = append(r.res.Problems, err.Error())
	}
	return r.res, nil
}

type runner struct {
	o      Options
	sim    *simulator.Simulator
	sink   *otlpsink.Sink
	col    *collectorproc.Process
	health string
	rng    *rand.Rand
	res    *Result
	t0     time.Time
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
	half := r.o.Duration / 2
	r.logf("phase 1: %s with %d graceful restarts", half, r.o.Restarts)
	if err := r.phase(ctx, half, r.o.Restarts, r.restart); err != nil {
		return err
	}
	r.res.Phase1 = r.catchUp(ctx, "phase 1")
	r.sim.Resume()
	r.logf("phase 2: %s with %d SIGKILLs", r.o.Duration-half, r.o.Kills)
	if err := r.phase(ctx, r.o.Duration-half, r.o.Kills, r.kill); err != nil {
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
