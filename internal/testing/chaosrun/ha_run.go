package chaosrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/etcdtest"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/otlpsink"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// HAOptions of the HA round: members collectors with an api_logs_coordinator
// on one etcd, every built-in API, records created all the time, and events
// drawn from Seed (HAEvents) until Duration has passed.
type HAOptions struct {
	Collector string // collector binary
	Etcd      string // etcd binary
	Duration  time.Duration
	Members   int           // collectors (default 3)
	LeaseTTL  time.Duration // default 4s
	PageSize  int           // default 20
	Rate      float64       // records per stream per second (default 10)
	// MakePerMinute is the Make budget (the three make_* receivers spend one,
	// one unit, one owner), also enforced by the simulator; it must hold
	// the idle polls (six Make streams every second: 360 a minute) and is
	// meant to bind while the records flow.
	MakePerMinute int // default 600
	Seed          uint64
	CatchUp       time.Duration // default 2m
	Keep          bool
	LogLevel      string
	Log           io.Writer
}

// haInterval is the collection_interval of the HA round.
const haInterval = time.Second

func (o *HAOptions) applyDefaults() {
	if o.Members <= 0 {
		o.Members = 3
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 4 * time.Second
	}
	if o.PageSize <= 0 {
		o.PageSize = 20
	}
	if o.Rate <= 0 {
		o.Rate = 10
	}
	if o.MakePerMinute <= 0 {
		o.MakePerMinute = 600
	}
	if o.CatchUp <= 0 {
		o.CatchUp = 2 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// HAResult is what the HA round measured.
type HAResult struct {
	Options       HAOptions
	Dir           string
	Events        []HAEvent // the events that ran
	Interruptions int       // kills and pauses
	Receivers     []Receiver
	Final         []Tally
	Duration      time.Duration
	// Make budget: the requests of the round, the most in any 60 s, and
	// how many the simulator answered 429.
	MakeRequests, MakeMost int
	Make429                int64
	// Idle: list requests per stream per collection_interval across the
	// cluster after the catch-up, and the fewest and most of any stream (a
	// figure; see haRunner.idle).
	IdleRatio        float64
	IdlePolls        int
	IdleMin, IdleMax int
	Problems         []string
}

// MakeAPIs are the simulator APIs that spend the Make budget: list,
// enrichment and scenario discovery.
var MakeAPIs = []string{simulator.APIMakeScenarioLogs, simulator.APIMakeModuleLogs, simulator.APIMakeAuditLogs, "make_scenarios"}

// RunHA runs the HA round.
func RunHA(ctx context.Context, o HAOptions) (*HAResult, error) {
	o.applyDefaults()
	dir, err := os.MkdirTemp("", "apilogs-chaos-ha-")
	if err != nil {
		return nil, err
	}
	if !o.Keep {
		defer os.RemoveAll(dir)
	}
	res := &HAResult{Options: o, Dir: dir}
	etcd, err := etcdtest.Start(ctx, o.Etcd, filepath.Join(dir, "etcd"), 1)
	if err != nil {
		return nil, fmt.Errorf("etcd: %w", err)
	}
	defer etcd.Stop()
	// The demo simulator with steady creation, as in the end-to-end
	// TestHAChaosRound: its records are visible at once (the chaos mode's
	// come late and need a settle re-read on every poll).
	sim, err := simulator.New(simulator.Options{
		Mode: simulator.ModeDemo, Seed: int64(o.Seed % (1 << 62)), InitialRecords: 30,
		NewRecordEvery: time.Duration(float64(time.Second) / o.Rate),
		RatePerMinute:  map[string]int{"make": o.MakePerMinute},
	})
	if err != nil {
		return nil, err
	}
	defer sim.Close() //nolint:contextcheck // Close has its own shutdown deadline
	if err := sim.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	sink := otlpsink.New(true)
	sink.NoteWith(StateNote)
	if err := sink.Start("127.0.0.1:0"); err != nil {
		return nil, err
	}
	defer sink.Close()
	res.Receivers = BuiltinReceivers(sim.URL())
	for i, r := range res.Receivers {
		if r.ID == MakeScenarios || r.ID == MakeModules || r.ID == MakeAudit {
			res.Receivers[i].RequestsPerMinute = o.MakePerMinute
		}
	}
	h := &haRunner{o: o, res: res, sim: sim, sink: sink, t0: time.Now()}
	for i := range o.Members {
		m, merr := h.member(ctx, dir, i, etcd.Endpoints())
		if merr != nil {
			return nil, merr
		}
		h.members = append(h.members, m)
	}
	defer func() {
		for _, m := range h.members {
			m.col.Kill()
		}
	}()
	h.logf("HA round: dir %s, etcd %v, %d collectors, lease_ttl %s, collection_interval %s, page_size %d, %.0f records/stream/s, Make %d/min, seed %d",
		dir, etcd.Endpoints(), o.Members, o.LeaseTTL, haInterval, o.PageSize, o.Rate, o.MakePerMinute, o.Seed)
	if err := h.run(ctx); err != nil {
		h.problem("%v", err)
	}
	return res, nil
}

type haMember struct {
	name   string
	col    *collectorproc.Process
	health string
}

type haRunner struct {
	o       HAOptions
	res     *HAResult
	sim     *simulator.Simulator
	sink    *otlpsink.Sink
	members []*haMember
	t0      time.Time
}

func (h *haRunner) logf(format string, args ...any) {
	fmt.Fprintf(h.o.Log, "[%6.1fs] %s\n", time.Since(h.t0).Seconds(), fmt.Sprintf(format, args...))
}

func (h *haRunner) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	h.logf("PROBLEM: %s", msg)
	h.res.Problems = append(h.res.Problems, msg)
}

// member writes the configuration of collector i and starts it.
func (h *haRunner) member(ctx context.Context, dir string, i int, endpoints []string) (*haMember, error) {
	mdir := filepath.Join(dir, fmt.Sprintf("c%d", i))
	if err := os.MkdirAll(mdir, 0o700); err != nil {
		return nil, err
	}
	health, err := collectorproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	cfg := Config{
		Receivers: h.res.Receivers, StorageDir: filepath.Join(mdir, "storage"), SinkURL: h.sink.Endpoint(), HealthAddr: health,
		CollectionInterval: haInterval.String(), StartAt: "-24h", PageSize: h.o.PageSize, RequestsPerMinute: 60000,
		LogLevel:    h.o.LogLevel,
		Coordinator: &Coordinator{Endpoints: endpoints, MemberID: fmt.Sprintf("c%d", i), LeaseTTL: h.o.LeaseTTL.String()},
	}
	cfgPath := filepath.Join(mdir, "config.yaml")
	if err := cfg.Write(cfgPath); err != nil {
		return nil, err
	}
	m := &haMember{
		name: fmt.Sprintf("c%d", i), health: health,
		col: &collectorproc.Process{Binary: h.o.Collector, Config: cfgPath, LogPath: filepath.Join(mdir, "collector.log")},
	}
	return m, h.start(ctx, m)
}

func (h *haRunner) start(ctx context.Context, m *haMember) error {
	if err := m.col.Start(); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := m.col.WaitHealthy(wctx, m.health); err != nil {
		return fmt.Errorf("%s: %w; collector log: %s", m.name, err, m.col.LogPath)
	}
	return nil
}

// sleep waits d, or less when ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func (h *haRunner) run(ctx context.Context) error {
	end := h.t0.Add(h.o.Duration)
	// Enough events for the duration: each takes at least its 2 s wait.
	for _, e := range HAEvents(h.o.Seed, int(h.o.Duration/(2*time.Second))+1, h.o.Members) {
		if time.Now().Add(e.After).After(end) {
			break
		}
		if err := sleep(ctx, e.After); err != nil {
			return err
		}
		if err := h.event(ctx, e); err != nil {
			return err
		}
		h.res.Events = append(h.res.Events, e)
	}
	if err := sleep(ctx, time.Until(end)); err != nil {
		return err
	}
	h.res.Interruptions = Interruptions(h.res.Events)
	h.catchUp(ctx)
	h.idle(ctx, 10*time.Second)
	for _, m := range h.members {
		if err := m.col.Stop(15 * time.Second); err != nil {
			h.problem("%s: final graceful stop: %v", m.name, err)
		}
	}
	h.res.Final = CountAll(h.sim, h.sink, h.res.Receivers)
	h.res.Duration = time.Since(h.t0)
	h.budget()
	return nil
}

func (h *haRunner) event(ctx context.Context, e HAEvent) error {
	m := h.members[e.Member]
	if !m.col.Running() {
		h.problem("%s exited on its own: %v", m.name, m.col.ExitErr())
		if err := h.start(ctx, m); err != nil {
			return err
		}
	}
	h.logf("%s %s, sink had %d records", e.What, m.name, h.sink.Records())
	switch e.What {
	case HAKill:
		m.col.Kill()
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
		return h.start(ctx, m)
	case HAPause:
		if err := syscall.Kill(m.col.Pid(), syscall.SIGSTOP); err != nil {
			return err
		}
		err := sleep(ctx, 2*h.o.LeaseTTL)
		return errors.Join(err, syscall.Kill(m.col.Pid(), syscall.SIGCONT))
	case HATerm:
		if err := m.col.Stop(15 * time.Second); err != nil {
			h.problem("%s: graceful stop: %v", m.name, err)
		}
		if err := sleep(ctx, time.Second); err != nil {
			return err
		}
		return h.start(ctx, m)
	}
	return fmt.Errorf("unknown event %q", e.What)
}

// catchUp stops the creation and waits until every record arrived, then a
// little longer so that late duplicates show too.
func (h *haRunner) catchUp(ctx context.Context) {
	h.sim.Pause()
	deadline := time.Now().Add(h.o.CatchUp)
	for {
		lost := 0
		for _, t := range CountAll(h.sim, h.sink, h.res.Receivers) {
			lost += t.Lost
		}
		if lost == 0 {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			h.problem("%d records still missing after %s of catch-up", lost, h.o.CatchUp)
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	_ = sleep(ctx, 3*time.Second)
	h.logf("caught up: %d records in the sink", h.sink.Records())
}

// idle counts each stream's list requests over window with nothing new. It
// is a figure, not a bound: every poll re-reads settle (2 s) plus one time
// unit below the cursor, which at 10 records a second holds 20 to 30
// records, a full page of 20 or more, so one poller sends two or more list
// requests a poll (TestHAOnEtcd asserts exactly one per stream per idle
// poll, with records added in a few batches). A second poller of a stream shows elsewhere: as
// duplicates beyond the bound when both deliver, as Make requests above the
// budget when a fenced one only lists.
func (h *haRunner) idle(ctx context.Context, window time.Duration) {
	from := time.Now()
	if sleep(ctx, window) != nil {
		return
	}
	to := time.Now()
	polls := int(window / haInterval)
	total, streams := 0, 0
	h.res.IdleMin, h.res.IdlePolls = -1, polls
	seen := map[string]bool{}
	for _, r := range h.res.Receivers {
		for _, s := range r.SimStreams {
			if seen[r.SimAPI+"|"+s] {
				continue
			}
			seen[r.SimAPI+"|"+s] = true
			n := 0
			for _, at := range h.sim.ListRequestTimes(r.SimAPI, s) {
				if !at.Before(from) && at.Before(to) {
					n++
				}
			}
			total += n
			streams++
			if h.res.IdleMin < 0 || n < h.res.IdleMin {
				h.res.IdleMin = n
			}
			h.res.IdleMax = max(h.res.IdleMax, n)
		}
	}
	h.res.IdleRatio = float64(total) / float64(max(1, streams*polls))
	h.logf("idle: %.2f list requests per stream per poll across the cluster", h.res.IdleRatio)
}

// budget checks from the simulator's side that the cluster never spent more
// than the Make budget in any 60 s.
func (h *haRunner) budget() {
	times := VendorRequestTimes(h.sim, MakeAPIs...)
	most, at := MaxInWindow(times, time.Minute)
	h.res.MakeRequests, h.res.MakeMost = len(times), most
	for _, api := range MakeAPIs {
		for _, rc := range h.sim.StreamRequests(api) {
			h.res.Make429 += rc.Throttled
		}
	}
	if most > h.o.MakePerMinute {
		h.problem("Make budget: %d requests in the 60 s from %s, above %d", most, at.Sub(h.t0).Round(time.Millisecond), h.o.MakePerMinute)
	}
	if h.res.Make429 > 0 {
		h.problem("Make budget: %d requests answered 429", h.res.Make429)
	}
}

// Print writes the round's figures and returns whether every bound was met.
func (r *HAResult) Print(w io.Writer) bool {
	o := r.Options
	kills, pauses, terms := 0, 0, 0
	for _, e := range r.Events {
		switch e.What {
		case HAKill:
			kills++
		case HAPause:
			pauses++
		case HATerm:
			terms++
		}
	}
	fmt.Fprintf(w, "\nHA round: %d collectors on one etcd, lease_ttl %s, %s, seed %d (-ha-seed %d runs it again): %d kill -9, %d pauses of %s, %d SIGTERM at random\n\n",
		o.Members, o.LeaseTTL, r.Duration.Round(time.Second), o.Seed, o.Seed, kills, pauses, 2*o.LeaseTTL, terms)
	fmt.Fprintln(w, "| receiver | streams | created | delivered | lost | duplicated | bound (page x streams x kills+pauses) | unexpected | ok |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---|")
	ok := len(r.Problems) == 0 && len(r.Final) > 0
	for _, t := range r.Final {
		streams := 0
		for _, rc := range r.Receivers {
			if rc.ID == t.Receiver {
				streams = rc.Streams
			}
		}
		bound := o.PageSize * streams * r.Interruptions
		good := t.Lost == 0 && t.Unexpected == 0 && t.WrongState == 0 && t.Duplicated <= bound
		ok = ok && good
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %d | %s |\n", t.Receiver, streams, t.Created, t.Delivered, t.Lost, t.Duplicated, bound, t.Unexpected, yes(good))
	}
	fmt.Fprintf(w, "\nidle after the catch-up: %.2f list requests per stream per poll across the cluster (each stream %d-%d in %d polls; more than one where the re-read below the cursor, settle plus a time unit, holds a page or more)\n",
		r.IdleRatio, r.IdleMin, r.IdleMax, r.IdlePolls)
	fmt.Fprintf(w, "Make budget %d/min shared by three receivers: %d requests, the most in any 60 s %d, %d answered 429\n",
		o.MakePerMinute, r.MakeRequests, r.MakeMost, r.Make429)
	for _, p := range r.Problems {
		fmt.Fprintf(w, "PROBLEM %s\n", p)
	}
	if ok {
		fmt.Fprintln(w, "PASS: nothing lost, duplicates within one page per stream per kill or pause, the Make budget kept")
	} else {
		fmt.Fprintln(w, "FAIL")
	}
	return ok
}
