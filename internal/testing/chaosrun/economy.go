package chaosrun

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/otlpsink"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// EconomyOptions configure RunEconomy. Zero values pick the defaults named
// on each field.
type EconomyOptions struct {
	Collector string // collector binary
	// Dir holds the configuration, the storage and the collector log; empty:
	// a temporary directory, removed afterwards unless Keep.
	Dir  string
	Keep bool

	Records     int           // backlog records per stream (150)
	HistorySpan time.Duration // the backlog is spread over this span, ending a minute before the stream's first request (70h)
	StartAt     string        // the receivers' start_at ("-72h")
	Latency     time.Duration // simulator latency of every vendor answer (80ms)
	Interval    time.Duration // collection_interval of every receiver, for the whole run (2s)
	IdlePolls   int           // idle polls to observe per stream (5)
	// CapPageSize makes every API give at most this many records a page
	// without saying so (simulator.Options.CapPageSize); 0: none. The
	// backlog bound is then counted in pages of this size.
	CapPageSize int
	// DisorderBy dates every fifth backlog record that long before the one
	// created before it (simulator.Options.DisorderBy); 0: none.
	DisorderBy time.Duration
	// FutureBy dates every FutureEvery-th backlog record (simulator.Options
	// FutureEvery, 50 here) that long after its time; 0: none. With 150
	// records, FutureBy of a few hours dates the newest record of each
	// stream ahead of the clock (the backlog's newest records are up to an
	// hour old) and the others still in the past: an API with a time filter
	// returns it once the clock reaches it, so it is counted in
	// EconomyAPI.Ahead, not as lost.
	FutureBy time.Duration
	// MakeRequestsPerMinute is the budget of the Make receivers and of the
	// simulator's "make" limit (600). The idle phase needs more than Make's
	// default 60: six Make streams polling every 2 s want 180 requests a
	// minute on one shared budget, and polls that queue behind each other's
	// tokens for seconds can no longer be told apart by the gaps between their
	// requests. Negative: Make's default budget (60, no rate_limit in the config).
	MakeRequestsPerMinute int

	BacklogTimeout time.Duration // until every record is delivered (3m)
	IdleTimeout    time.Duration // until every stream made IdlePolls idle polls (2m)
	LogLevel       string        // collector log level (info)
	Seed           int64
	Log            io.Writer // progress
}

func (o *EconomyOptions) applyDefaults() {
	if o.Records <= 0 {
		o.Records = 150
	}
	if o.HistorySpan <= 0 {
		o.HistorySpan = 70 * time.Hour
	}
	if o.StartAt == "" {
		o.StartAt = "-72h"
	}
	if o.Latency <= 0 {
		o.Latency = 80 * time.Millisecond
	}
	if o.Interval <= 0 {
		o.Interval = 2 * time.Second
	}
	if o.IdlePolls <= 0 {
		o.IdlePolls = 5
	}
	if o.MakeRequestsPerMinute == 0 {
		o.MakeRequestsPerMinute = 600
	}
	if o.BacklogTimeout <= 0 {
		o.BacklogTimeout = 3 * time.Minute
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 2 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
}

// makeBudget is the Make budget of the run: the override, or Make's default.
func (o EconomyOptions) makeBudget() int {
	if o.MakeRequestsPerMinute > 0 {
		return o.MakeRequestsPerMinute
	}
	return 60
}

// EconomyLimits are the limits the simulator enforces in the economy run:
// each vendor's documented budget, which is also each receiver's default
// (Tines counts action logs and audit logs separately), and makePerMinute
// for Make's single budget per token. Logto and OMS document none.
func EconomyLimits(makePerMinute int) map[string]int {
	return map[string]int{
		simulator.APITinesActionLogs: 100,
		simulator.APITinesAuditLogs:  1000,
		"stackone":                   1000,
		"make":                       makePerMinute,
	}
}

// EconomyStream is what one stream cost.
type EconomyStream struct {
	Receiver string // receiver id
	API      string
	Stream   string // simulator stream ("" for the APIs with one stream)
	Records  int    // records the simulator holds for the stream
	// Delivered is when the last of the stream's records arrived at the sink,
	// since the collector was healthy (as seen by polling the sink); 0: never.
	Delivered time.Duration
	// BacklogList and BacklogPolls are the list requests and polls up to and
	// including the poll that delivered the last backlog record.
	BacklogList, BacklogPolls int
	// IdlePolls and IdleList are the complete polls after that one and their
	// list requests; IdleMax is the most list requests of one idle poll.
	IdlePolls, IdleList, IdleMax int
	// IdleMinGap is the shortest time from a poll's last list request to the
	// next idle poll's first one. The scheduler puts a full interval between
	// the end of a poll and the start of the next, so a gap below the interval
	// would mean one poll's requests were split apart (by a budget wait).
	IdleMinGap time.Duration
	// Detail, Other and Throttled are over the whole run (see simulator.RequestCounts).
	Detail, Other, Throttled int64
}

func (s EconomyStream) name() string {
	if s.Stream == "" {
		return s.API
	}
	return s.API + " stream " + s.Stream
}

// EconomyAPI sums the streams of one API.
type EconomyAPI struct {
	API, Receiver string
	Streams       int
	PageSize      int // the API's max_page_size: the receiver's default page_size
	// MinBacklog is ceil(records/page) per stream; BacklogBound MinBacklog+2.
	MinBacklog, BacklogBound int
	BacklogList              []int // per stream
	IdlePolls, IdleList      int   // all streams
	IdleMinPolls, IdleMax    int   // fewest idle polls of a stream; most requests of one idle poll
	IdleMinGap               time.Duration
	// Detail is the API's detail requests (enrichment); Other its token or
	// discovery requests; Throttled every request of the API answered 429.
	Detail, Other, Throttled int64
	Tally                    Tally
	// Ahead are the records dated after the run's end that an API with a
	// time filter does not return yet (EconomyOptions.FutureBy); they are
	// in Tally.Lost.
	Ahead int
}

// EconomyResult is what RunEconomy measured.
type EconomyResult struct {
	Options     EconomyOptions // with defaults applied
	Dir         string
	Streams     []EconomyStream
	APIs        []EconomyAPI
	Total429    int64         // every 429 the simulator answered, any API
	BacklogTime time.Duration // from the collector being healthy to every record delivered
	IdleTime    time.Duration // from then to the stop
	// Problems are failures of the run itself (timeouts, the collector exiting).
	Problems []string
	// Modes is what the simulator's habits did.
	Modes simulator.ModeStats
}

// CollectorLog is the path of the collector's output.
func (r *EconomyResult) CollectorLog() string { return filepath.Join(r.Dir, "collector.log") }

// RunEconomy runs the built collector with every built-in receiver (default
// page sizes and budgets, see MakeRequestsPerMinute) against the simulator
// holding a sparse backlog per stream, with latency, and measures what each
// stream costs: list requests until the backlog is delivered, then list
// requests per idle poll, plus 429s and detail (enrichment) requests. The
// error is for a run that could not be set up; what went wrong during the
// run is in Problems and in the figures.
func RunEconomy(ctx context.Context, o EconomyOptions) (*EconomyResult, error) {
	o.applyDefaults()
	if o.Collector == "" {
		return nil, errors.New("economy: no collector binary")
	}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "apilogs-economy-")
		if err != nil {
			return nil, err
		}
		dir = d
		if !o.Keep {
			defer os.RemoveAll(dir)
		}
	}
	sim, err := simulator.New(simulator.Options{
		Mode: simulator.ModeDemo, Seed: o.Seed, Paused: true,
		InitialRecords: o.Records, HistorySpan: o.HistorySpan, Latency: o.Latency,
		RatePerMinute: EconomyLimits(o.makeBudget()), CapPageSize: o.CapPageSize,
		DisorderBy: o.DisorderBy, FutureBy: o.FutureBy, FutureEvery: 50,
	})
	if err != nil {
		return nil, err
	}
	defer sim.Close() //nolint:contextcheck // the simulator's own shutdown deadline
	if startErr := sim.Start("127.0.0.1:0"); startErr != nil {
		return nil, startErr
	}
	sink := otlpsink.New(true)
	if sinkErr := sink.Start("127.0.0.1:0"); sinkErr != nil {
		return nil, sinkErr
	}
	defer sink.Close()
	health, err := collectorproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	receivers := BuiltinReceivers(sim.URL())
	if o.MakeRequestsPerMinute > 0 {
		for i := range receivers {
			if strings.HasPrefix(receivers[i].SimAPI, "make_") {
				receivers[i].RequestsPerMinute = o.MakeRequestsPerMinute
			}
		}
	}
	cfg := Config{
		Receivers: receivers, StorageDir: filepath.Join(dir, "storage"), SinkURL: sink.Endpoint(), HealthAddr: health,
		CollectionInterval: o.Interval.String(), StartAt: o.StartAt, LogLevel: o.LogLevel,
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if writeErr := cfg.Write(cfgPath); writeErr != nil {
		return nil, writeErr
	}
	e := &economyRun{
		o: o, sim: sim, sink: sink, receivers: receivers,
		col: &collectorproc.Process{Binary: o.Collector, Config: cfgPath, LogPath: filepath.Join(dir, "collector.log")},
		res: &EconomyResult{Options: o, Dir: dir},
	}
	for _, r := range receivers {
		for _, s := range r.SimStreams {
			e.streams = append(e.streams, econStream{r: r, sim: s})
		}
	}
	defer e.col.Kill()
	if colErr := e.col.Start(); colErr != nil {
		return nil, colErr
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	err = e.col.WaitHealthy(wctx, health)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("%w; collector log: %s", err, e.col.LogPath)
	}
	e.run(ctx)
	return e.res, nil
}

type econStream struct {
	r    Receiver
	sim  string
	done time.Time // when all its records were seen at the sink
}

type economyRun struct {
	o         EconomyOptions
	sim       *simulator.Simulator
	sink      *otlpsink.Sink
	col       *collectorproc.Process
	receivers []Receiver
	streams   []econStream
	res       *EconomyResult
	t0        time.Time
}

func (e *economyRun) logf(format string, args ...any) {
	fmt.Fprintf(e.o.Log, "[%6.1fs] economy: %s\n", time.Since(e.t0).Seconds(), fmt.Sprintf(format, args...))
}

func (e *economyRun) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	e.logf("PROBLEM: %s", msg)
	e.res.Problems = append(e.res.Problems, msg)
}

func (e *economyRun) run(ctx context.Context) {
	e.t0 = time.Now()
	e.logf("backlog: %d records per stream over %s, start_at %s, latency %s, collection_interval %s, %d streams",
		e.o.Records, e.o.HistorySpan, e.o.StartAt, e.o.Latency, e.o.Interval, len(e.streams))
	// The sink is looked at every 100 ms: a stream's next poll starts a full
	// interval after the backlog poll ended, far later than that.
	if e.waitUntil(ctx, e.o.BacklogTimeout, 100*time.Millisecond, e.backlogDone) {
		e.res.BacklogTime = time.Since(e.t0)
		e.logf("backlog delivered")
	} else {
		e.problem("the backlog was not delivered within %s: %s", e.o.BacklogTimeout, e.pendingStreams())
	}
	idleStart := time.Now()
	if e.waitUntil(ctx, e.o.IdleTimeout, 250*time.Millisecond, func() bool { return e.idleObserved(time.Now()) }) {
		e.logf("%d idle polls of every stream observed", e.o.IdlePolls)
	} else {
		e.problem("fewer than %d idle polls of some stream within %s", e.o.IdlePolls, e.o.IdleTimeout)
	}
	end := time.Now()
	e.res.IdleTime = end.Sub(idleStart)
	if e.col.Running() {
		if err := e.col.Stop(15 * time.Second); err != nil {
			e.problem("graceful stop: %v", err)
		}
	}
	e.measure(end)
}

// waitUntil polls cond every step until it holds (true), the timeout passes,
// ctx ends or the collector exits (false).
func (e *economyRun) waitUntil(ctx context.Context, timeout, step time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			e.problem("interrupted: %v", ctx.Err())
			return false
		case <-e.col.Exited():
			e.problem("collector exited on its own: %v", e.col.ExitErr())
			return false
		case <-time.After(step):
		}
	}
}

// backlogDone notes the streams whose records all arrived and reports whether all did.
func (e *economyRun) backlogDone() bool {
	now := time.Now()
	all := true
	done := map[string]map[string]bool{}
	for i := range e.streams {
		st := &e.streams[i]
		if !st.done.IsZero() {
			continue
		}
		if done[st.r.ID] == nil {
			done[st.r.ID] = deliveredStreams(e.sim, e.sink, st.r, e.o.Records, dueBy(st.r, now))
		}
		if done[st.r.ID][st.sim] {
			st.done = now
		} else {
			all = false
		}
	}
	return all
}

func (e *economyRun) pendingStreams() string {
	var out []string
	for _, st := range e.streams {
		if st.done.IsZero() {
			out = append(out, st.r.SimAPI+"/"+st.sim)
		}
	}
	for _, t := range CountAll(e.sim, e.sink, e.receivers) {
		if !t.OK() || t.Lost > 0 {
			out = append(out, t.String())
		}
	}
	return strings.Join(out, "; ")
}

// dueBy is the newest time of a record r's API returns at now: now for an
// API with a time filter (a record dated later is outside every window up
// to now), none for one without.
func dueBy(r Receiver, now time.Time) time.Time {
	if spec, err := apispec.Builtin(r.API); err == nil && spec.TimeFilter != nil {
		return now
	}
	return time.Time{}
}

// deliveredStreams returns, per simulator stream of r, whether it holds at
// least want records and every one of them arrived, but for those dated
// after due (when set).
func deliveredStreams(sim *simulator.Simulator, sink Sink, r Receiver, want int, due time.Time) map[string]bool {
	got := normalize(r.SimAPI, sink.Received(r.API))
	created, missing := map[string]int{}, map[string]int{}
	for _, rec := range sim.Records(r.SimAPI) {
		if !slices.Contains(r.SimStreams, rec.Stream) {
			continue
		}
		created[rec.Stream]++
		if !due.IsZero() && rec.Time.After(due) {
			continue
		}
		if got[ReceiverStream(r.SimAPI, rec.Stream)+"/"+rec.ID] == 0 {
			missing[rec.Stream]++
		}
	}
	out := map[string]bool{}
	for _, s := range r.SimStreams {
		out[s] = created[s] >= want && missing[s] == 0
	}
	return out
}

// idleObserved reports whether every stream made IdlePolls complete idle polls by now.
func (e *economyRun) idleObserved(now time.Time) bool {
	for _, st := range e.streams {
		if st.done.IsZero() {
			return false
		}
		polls := splitPolls(e.sim.ListRequestTimes(st.r.SimAPI, st.sim), st.done, now, e.o.Interval)
		if len(polls.idle) < e.o.IdlePolls {
			return false
		}
	}
	return true
}

// PollGroups splits request times (oldest first) into polls: a gap longer
// than gap starts a new poll. A poll's requests go back to back (one round
// trip apart) while polls are a collection_interval apart, so half the
// interval tells them apart.
func PollGroups(times []time.Time, gap time.Duration) [][]time.Time {
	var out [][]time.Time
	for i, t := range times {
		if i == 0 || t.Sub(times[i-1]) > gap {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], t)
	}
	return out
}

type streamPolls struct {
	backlog, idle [][]time.Time
	idleMinGap    time.Duration
}

// splitPolls sorts a stream's polls: those that started by done (when its
// backlog was seen delivered) read the backlog; those after are idle polls,
// counted only when complete, i.e. their last request is more than half an
// interval before end (a later request would have started a new poll).
func splitPolls(times []time.Time, done, end time.Time, interval time.Duration) streamPolls {
	var p streamPolls
	var prevLast time.Time
	for _, g := range PollGroups(times, interval/2) {
		first, last := g[0], g[len(g)-1]
		switch {
		case done.IsZero() || !first.After(done):
			p.backlog = append(p.backlog, g)
		case end.Sub(last) > interval/2:
			gap := first.Sub(prevLast)
			if len(p.idle) == 0 || gap < p.idleMinGap {
				p.idleMinGap = gap
			}
			p.idle = append(p.idle, g)
		}
		prevLast = last
	}
	return p
}

// measure fills the result from the simulator's counters, after the stop.
func (e *economyRun) measure(end time.Time) {
	res := e.res
	st := e.sim.Stats()
	res.Modes = st.Modes
	for _, byCode := range st.Requests {
		res.Total429 += byCode["429"]
	}
	tallies := map[string]Tally{}
	for _, t := range CountAll(e.sim, e.sink, e.receivers) {
		tallies[t.Receiver] = t
	}
	created, ahead := map[string]int{}, map[string]int{}
	for _, r := range e.receivers {
		due := dueBy(r, end)
		for _, rec := range e.sim.Records(r.SimAPI) {
			if slices.Contains(r.SimStreams, rec.Stream) {
				created[r.SimAPI+"\x00"+rec.Stream]++
				if !due.IsZero() && rec.Time.After(due) {
					ahead[r.ID]++
				}
			}
		}
	}
	for _, r := range e.receivers {
		page := maxPageSize(r.API)
		if e.o.CapPageSize > 0 {
			page = min(page, e.o.CapPageSize)
		}
		least := ceilDiv(e.o.Records, page)
		a := EconomyAPI{
			API: r.API, Receiver: r.ID, Streams: len(r.SimStreams), PageSize: page,
			MinBacklog: least, BacklogBound: least + 2, Tally: tallies[r.ID], Ahead: ahead[r.ID],
		}
		counts := e.sim.StreamRequests(r.SimAPI)
		for _, s := range e.streams {
			if s.r.ID != r.ID {
				continue
			}
			polls := splitPolls(e.sim.ListRequestTimes(r.SimAPI, s.sim), s.done, end, e.o.Interval)
			c := counts[s.sim]
			es := EconomyStream{
				Receiver: r.ID, API: r.API, Stream: s.sim, Records: created[r.SimAPI+"\x00"+s.sim],
				BacklogPolls: len(polls.backlog), IdlePolls: len(polls.idle), IdleMinGap: polls.idleMinGap,
				Detail: c.Detail, Other: c.Other, Throttled: c.Throttled,
			}
			if !s.done.IsZero() {
				es.Delivered = s.done.Sub(e.t0)
			}
			for _, g := range polls.backlog {
				es.BacklogList += len(g)
			}
			for _, g := range polls.idle {
				es.IdleList += len(g)
				es.IdleMax = max(es.IdleMax, len(g))
			}
			res.Streams = append(res.Streams, es)
			a.BacklogList = append(a.BacklogList, es.BacklogList)
			if len(a.BacklogList) == 1 || es.IdlePolls < a.IdleMinPolls {
				a.IdleMinPolls = es.IdlePolls
			}
			if len(a.BacklogList) == 1 || es.IdleMinGap < a.IdleMinGap {
				a.IdleMinGap = es.IdleMinGap
			}
			a.IdlePolls += es.IdlePolls
			a.IdleList += es.IdleList
			a.IdleMax = max(a.IdleMax, es.IdleMax)
			a.Detail += es.Detail
			a.Other += es.Other
			a.Throttled += es.Throttled
		}
		// Requests that belong to no stream: Logto's token, Make's scenario listing.
		for _, extra := range extraRequestAPIs(r.SimAPI) {
			for _, c := range e.sim.StreamRequests(extra) {
				a.Other += c.Other + c.List + c.Detail
				a.Throttled += c.Throttled
			}
		}
		res.APIs = append(res.APIs, a)
	}
}

// extraRequestAPIs are the simulator's non-record endpoints a receiver of api uses.
func extraRequestAPIs(api string) []string {
	switch api {
	case simulator.APILogtoLogs:
		return []string{"logto_token"}
	case simulator.APIMakeScenarioLogs:
		return []string{"make_scenarios"}
	}
	return nil
}

func maxPageSize(api string) int {
	spec, err := apispec.Builtin(api)
	if err != nil || spec.Pagination.MaxPageSize <= 0 {
		return 1
	}
	return spec.Pagination.MaxPageSize
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// Failures lists every figure that misses its bound, one line each; empty
// when the run met them all.
func (r *EconomyResult) Failures() []string {
	o := r.Options
	var out []string
	fail := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }
	out = append(out, r.Problems...)
	bound := map[string]int{}
	for _, a := range r.APIs {
		bound[a.API] = a.BacklogBound
		t := a.Tally
		t.Lost -= a.Ahead // not due yet
		if !t.OK() || a.Tally.Created != a.Streams*o.Records {
			fail("%s: expected %d records delivered exactly once, got %s", a.API, a.Streams*o.Records, a.Tally)
		}
		if a.Throttled > 0 {
			fail("%s: expected 0 answers 429, got %d", a.API, a.Throttled)
		}
	}
	for _, s := range r.Streams {
		if s.Records != o.Records {
			fail("%s: the simulator holds %d records, expected %d", s.name(), s.Records, o.Records)
		}
		if s.BacklogList > bound[s.API] {
			fail("%s: expected at most %d list requests for the backlog (ceil(%d/page)+2), got %d in %d polls",
				s.name(), bound[s.API], o.Records, s.BacklogList, s.BacklogPolls)
		}
		if s.IdlePolls < o.IdlePolls {
			fail("%s: expected at least %d idle polls, saw %d", s.name(), o.IdlePolls, s.IdlePolls)
		}
		if s.IdleList != s.IdlePolls || s.IdleMax > 1 {
			fail("%s: expected exactly %d list requests for %d idle polls (one each), got %d (at most %d in one poll)",
				s.name(), s.IdlePolls, s.IdlePolls, s.IdleList, s.IdleMax)
		}
		if s.IdlePolls > 0 && s.IdleMinGap < o.Interval {
			fail("%s: two idle polls only %s apart, expected at least the interval %s (a poll split by a budget wait?)",
				s.name(), s.IdleMinGap.Round(time.Millisecond), o.Interval)
		}
	}
	if r.Total429 > 0 {
		fail("expected 0 answers 429 in all, got %d", r.Total429)
	}
	return out
}

// Print writes the per-API table and returns whether every bound was met;
// a missed figure is marked MISSED.
func (r *EconomyResult) Print(w io.Writer) bool {
	o := r.Options
	makeBudget := fmt.Sprintf("Make %d/min shared by its three receivers", o.makeBudget())
	if o.MakeRequestsPerMinute <= 0 {
		makeBudget = "Make's default 60/min shared by its three receivers"
	}
	fmt.Fprintf(w, "\nRequest economy: every built-in API, %d records per stream spread over %s (start_at %s), simulator latency %s, collection_interval %s,\n"+
		"default page sizes, default budgets (%s), the simulator enforcing the same limits\n\n",
		o.Records, o.HistorySpan, o.StartAt, o.Latency, o.Interval, makeBudget)
	fmt.Fprintf(w, "| API | streams | page | backlog list requests per stream | minimum ceil(%d/page) | bound +2 | idle polls (fewest per stream) | idle list requests | per idle poll | 429s | enrichment requests | other requests | delivered once | ok |\n", o.Records)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	failures := r.Failures()
	ok := len(failures) == 0
	for _, a := range r.APIs {
		backlog := make([]string, len(a.BacklogList))
		backlogOK := true
		for i, n := range a.BacklogList {
			backlog[i] = strconv.Itoa(n)
			if n > a.BacklogBound {
				backlog[i] += " MISSED"
				backlogOK = false
			}
		}
		perPoll := "-"
		if a.IdlePolls > 0 {
			perPoll = fmt.Sprintf("%.2f", float64(a.IdleList)/float64(a.IdlePolls))
		}
		idleOK := a.IdleList == a.IdlePolls && a.IdleMax <= 1 && a.IdleMinPolls >= o.IdlePolls && (a.IdlePolls == 0 || a.IdleMinGap >= o.Interval)
		if !idleOK {
			perPoll += fmt.Sprintf(" MISSED (max %d)", a.IdleMax)
		}
		polls := fmt.Sprintf("%d (%d)", a.IdlePolls, a.IdleMinPolls)
		if a.IdleMinPolls < o.IdlePolls {
			polls += " MISSED"
		}
		throttled := strconv.FormatInt(a.Throttled, 10)
		if a.Throttled > 0 {
			throttled += " MISSED"
		}
		delivered := fmt.Sprintf("%d of %d", a.Tally.Delivered, a.Streams*o.Records)
		if a.Ahead > 0 {
			delivered += fmt.Sprintf(" (%d not due)", a.Ahead)
		}
		due := a.Tally
		due.Lost -= a.Ahead
		tallyOK := due.OK() && a.Tally.Created == a.Streams*o.Records
		if !tallyOK {
			delivered += fmt.Sprintf(" MISSED (lost %d, duplicated %d, unexpected %d)", a.Tally.Lost, a.Tally.Duplicated, a.Tally.Unexpected)
		}
		fmt.Fprintf(w, "| %s | %d | %d | %s | %d | %d | %s | %d | %s | %s | %d | %d | %s | %s |\n",
			a.API, a.Streams, a.PageSize, strings.Join(backlog, ", "), a.MinBacklog, a.BacklogBound, polls, a.IdleList, perPoll,
			throttled, a.Detail, a.Other, delivered, yes(backlogOK && idleOK && a.Throttled == 0 && tallyOK))
	}
	fmt.Fprintf(w, "\n(backlog: list requests of the polls up to the one that delivered a stream's last record, in %s; idle: the complete polls after it,\n"+
		"told apart by gaps over half the interval, in %s; other: Logto token and Make scenario listing requests; 429s: %d in all)\n",
		r.BacklogTime.Round(100*time.Millisecond), r.IdleTime.Round(100*time.Millisecond), r.Total429)
	for _, f := range failures {
		fmt.Fprintf(w, "MISSED %s\n", f)
	}
	if ok {
		fmt.Fprintf(w, "PASS: every idle poll cost one list request, every backlog at most ceil(%d/page)+2, no 429, every record delivered once\n", o.Records)
	}
	return ok
}

// MaxInWindow returns the most times that fall within any window of length
// d (t <= x < t+d for some t), and the start of the first such window.
func MaxInWindow(times []time.Time, d time.Duration) (int, time.Time) {
	sorted := slices.Clone(times)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Before(sorted[j]) })
	best, at := 0, time.Time{}
	j := 0
	for i := range sorted {
		for j < len(sorted) && sorted[j].Sub(sorted[i]) < d {
			j++
		}
		if j-i > best {
			best, at = j-i, sorted[i]
		}
	}
	return best, at
}

// VendorRequestTimes returns the arrival time of every request of the given
// simulator APIs, any stream and kind, oldest first.
func VendorRequestTimes(sim *simulator.Simulator, apis ...string) []time.Time {
	var out []time.Time
	for _, api := range apis {
		for stream := range sim.StreamRequests(api) {
			out = append(out, sim.RequestTimes(api, stream)...)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}
