package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/otlpsink"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// Public APIs described as custom specs in examples/ (issue 20, item 9):
// the receiver's `custom:` section is read from the example file itself and
// pointed at the simulator's route for the API, which behaves as the
// vendor's docs say. Each test reads a backlog and counts the requests of
// that first walk and of the idle polls after it, then goes on with new
// records every second through graceful restarts (every record once) and
// SIGKILLs (nothing lost, at most one page per kill repeated).

const (
	publicPage     = 50
	publicBacklog  = 230 // 4 full pages and one of 30
	publicInterval = 2 * time.Second
	// publicBurst is the backlog of the restart and kill phases: 20 pages,
	// about 5 s at 4 requests a second, so the interruptions land inside
	// the walk.
	publicBurst = 1000
)

// publicAPI is one public API's run.
type publicAPI struct {
	example, receiver string // examples/<example>, its receivers.<receiver>
	simAPI, prefix    string // the simulator's API and route prefix
	token             string
	// backlogRequests is what the first walk over publicBacklog records costs.
	backlogRequests int
}

// exampleCustom returns the `custom:` section of a receiver of an example
// file as receiver setting lines.
func exampleCustom(t *testing.T, example, receiver string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", example))
	require.NoError(t, err)
	var doc struct {
		Receivers map[string]map[string]any `yaml:"receivers"`
	}
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	custom, ok := doc.Receivers[receiver]["custom"]
	require.True(t, ok, "%s has no receivers.%s.custom", example, receiver)
	out, err := yaml.Marshal(custom)
	require.NoError(t, err)
	lines := []string{"custom:"}
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		lines = append(lines, "  "+l)
	}
	return lines
}

func (p publicAPI) receiverAt(t *testing.T, simURL string) chaosrun.Receiver {
	settings := append([]string{"api: custom", "endpoint: " + simURL + p.prefix, "api_key: " + p.token},
		exampleCustom(t, p.example, p.receiver)...)
	return chaosrun.Receiver{
		ID: strings.TrimPrefix(p.receiver, "api_logs/"), API: "custom", SimAPI: p.simAPI, Streams: 1,
		SimStreams: []string{""}, Secrets: []string{p.token}, Settings: settings,
	}
}

// idlePolls returns the polls (groups of list requests) that began after since.
func idlePolls(sim *simulator.Simulator, api string, since time.Time) [][]time.Time {
	var times []time.Time
	for _, at := range sim.ListRequestTimes(api, "") {
		if at.After(since) {
			times = append(times, at)
		}
	}
	return chaosrun.PollGroups(times, publicInterval/2)
}

// requireIdle waits four and a half intervals and requires perPoll list
// requests in every poll after now.
func requireIdle(t *testing.T, sim *simulator.Simulator, api, phase string, perPoll int) {
	t.Helper()
	done := time.Now()
	time.Sleep(4*publicInterval + publicInterval/2)
	polls := idlePolls(sim, api, done)
	require.GreaterOrEqual(t, len(polls), 3, "%s: idle polls", phase)
	for i, p := range polls {
		assert.Len(t, p, perPoll, "%s: list requests of idle poll %d", phase, i)
	}
	t.Logf("%s: %d idle polls, %d list requests: %.2f per poll", phase, len(polls), len(flatten(polls)), float64(len(flatten(polls)))/float64(len(polls)))
}

func flatten(polls [][]time.Time) []time.Time {
	var all []time.Time
	for _, p := range polls {
		all = append(all, p...)
	}
	return all
}

// backlog adds n records spread over span ending at end, in ties of one to three.
func backlog(sim *simulator.Simulator, api string, n int, end time.Time, span time.Duration) {
	step := span / time.Duration(n)
	at := end.Add(-span)
	for i := 0; i < n; {
		k := min(1+i%3, n-i)
		sim.AddRecords(api, "", k, at)
		at = at.Add(time.Duration(k) * step)
		i += k
	}
}

// everySecond adds one to three records a second until the returned stop is
// called; it returns how many it added.
func everySecond(sim *simulator.Simulator, api string) (stop func() int) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	added := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		tk := time.NewTicker(time.Second)
		defer tk.Stop()
		for i := 0; ; i++ {
			select {
			case <-quit:
				return
			case <-tk.C:
				k := 1 + i%3
				sim.AddRecords(api, "", k, time.Now())
				added += k
			}
		}
	}()
	return func() int {
		close(quit)
		wg.Wait()
		return added
	}
}

// publicRun is a collector reading one public API of a simulator.
type publicRun struct {
	p       publicAPI
	sim     *simulator.Simulator
	sink    *otlpsink.Sink
	rs      []chaosrun.Receiver
	h       *harness
	created map[string]int
}

func startPublic(t *testing.T, p publicAPI, opts simulator.Options) *publicRun {
	t.Helper()
	collectorBinary(t)
	sim := startSimulator(t, withLatency(opts))
	sink := startSink(t)
	rs := chaosrun.Select([]chaosrun.Receiver{p.receiverAt(t, sim.URL())}, strings.TrimPrefix(p.receiver, "api_logs/"))
	h := newHarness(t, chaosrun.Config{
		Receivers: rs, SinkURL: sink.Endpoint(), PageSize: publicPage, RequestsPerMinute: 240,
		CollectionInterval: publicInterval.String(), StartAt: "-2h",
	})
	return &publicRun{p: p, sim: sim, sink: sink, rs: rs, h: h, created: map[string]int{rs[0].ID: 0}}
}

// readBacklog starts the collector on a backlog of n records over the last
// hour and requires its first walk to cost want list requests, every record
// once, then one request per idle poll.
func (r *publicRun) readBacklog(t *testing.T, n, want int) {
	t.Helper()
	backlog(r.sim, r.p.simAPI, n, time.Now().Add(-time.Minute), time.Hour)
	r.created[r.rs[0].ID] += n
	start := time.Now()
	r.h.start()
	waitFor(t, time.Minute, allDelivered(r.sim, r.sink, r.rs, r.created))
	time.Sleep(publicInterval / 2) // the walk's last request (an empty page) may follow the last records
	walks := idlePolls(r.sim, r.p.simAPI, start)
	require.NotEmpty(t, walks)
	assert.Len(t, walks[0], want, "list requests of the walk over %d records in pages of %d", n, publicPage)
	requireIdle(t, r.sim, r.p.simAPI, "after the backlog", 1)
	requireExact(t, r.sim, r.sink, r.rs)
}

func runPublicAPI(t *testing.T, p publicAPI, opts simulator.Options) {
	r := startPublic(t, p, opts)
	sim, sink, rs, h, created := r.sim, r.sink, r.rs, r.h, r.created

	// 1. A backlog: its first walk costs exactly backlogRequests; idle polls one request each.
	r.readBacklog(t, publicBacklog, p.backlogRequests)

	// 2. New records every second and a second backlog, two graceful restarts.
	stop := everySecond(sim, p.simAPI)
	before := sink.Records()
	backlog(sim, p.simAPI, publicBurst, time.Now(), 2*time.Second)
	notes := interruptWhen(t, sink, h.restart, atRecords(sink, before+publicBurst/5), atRecords(sink, before+publicBurst/2))
	t.Logf("graceful restarts at: %v (from %d)", notes, before)
	created[rs[0].ID] += publicBurst + stop()
	waitFor(t, time.Minute, allDelivered(sim, sink, rs, created))
	requireIdle(t, sim, p.simAPI, "after the restarts", 1)
	requireExact(t, sim, sink, rs)

	// 3. The same with two SIGKILLs: nothing lost, at most a page per kill twice.
	stop = everySecond(sim, p.simAPI)
	before = sink.Records()
	backlog(sim, p.simAPI, publicBurst, time.Now(), 2*time.Second)
	notes = interruptWhen(t, sink, h.kill, atRecords(sink, before+publicBurst/5), atRecords(sink, before+publicBurst/2))
	t.Logf("SIGKILLs at: %v (from %d)", notes, before)
	created[rs[0].ID] += publicBurst + stop()
	waitFor(t, time.Minute, allDelivered(sim, sink, rs, created))
	requireIdle(t, sim, p.simAPI, "after the kills", 1)
	requireKillBound(t, sim, sink, rs, len(notes), func(chaosrun.Receiver) int { return publicPage })
	for _, tally := range chaosrun.CountAll(sim, sink, rs) {
		t.Logf("%s", tally)
	}
	h.stop()
	assert.Zero(t, strings.Count(h.col.Log(), "Stream stalled"))
	assert.Zero(t, sim.Stats().Requests[p.simAPI]["429"], "requests over the vendor's budget")
}

// Okta System Log, polling requests followed by their next links (stored in
// the cursor): 5 pages and the empty page that ends the walk for the
// backlog (only an empty page says "caught up"), then one request per idle
// poll (the stored link). Every seventh event is persisted two minutes
// after its published time (the delay Okta's docs warn about): a polling
// request returns it in persistence order, so none is lost though its
// published time is below events already delivered. The API keeps Okta's
// budget of 120 requests a minute with its X-Rate-Limit-* headers: no
// request is refused.
func TestOktaSystemLogExampleWithRestartsAndKills(t *testing.T) {
	opts := simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: -1, Seed: 43}
	opts.Public.OktaLateBy, opts.Public.OktaLateEvery = 2*time.Minute, 7
	opts.Public.OktaRatePerMinute = 120 // Workforce Identity's budget, with Okta's X-Rate-Limit-* headers
	runPublicAPI(t, publicAPI{
		example: "okta_system_log.yaml", receiver: "api_logs/okta_system_log",
		simAPI: simulator.APIOktaSystemLog, prefix: "/okta", token: "demo-okta-token",
		backlogRequests: publicBacklog/publicPage + 2,
	}, opts)
}

// onePassword is the 1Password sign-in attempts example; its backlog of
// 230 records costs 5 requests (has_more false on the last page).
var onePassword = publicAPI{
	example: "onepassword_signin_attempts.yaml", receiver: "api_logs/onepassword_signin_attempts",
	simAPI: simulator.APIOnePasswordSignInAttempts, prefix: "/onepassword", token: "demo-1password-token",
	backlogRequests: publicBacklog/publicPage + 1,
}

// 1Password Events API sign-in attempts, a reset cursor once and then the
// stored cursor: 5 pages for the backlog (has_more false on the last), then
// one request per idle poll.
func TestOnePasswordSignInAttemptsExampleWithRestartsAndKills(t *testing.T) {
	runPublicAPI(t, onePassword, simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: -1, Seed: 47})
}

// The other reading of has_more, "the page was full" (the schema: "if
// true, the subsequent request could still be empty"): a backlog of 200,
// four full pages, costs the empty fifth page that ends the walk; idle
// polls stay at one request.
func TestOnePasswordFullPageHasMore(t *testing.T) {
	opts := simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: -1, Seed: 59}
	opts.Public.OnePasswordFullPageHasMore = true
	r := startPublic(t, onePassword, opts)
	r.readBacklog(t, 4*publicPage, 4+1)
	r.h.stop()
}

// 1Password says nothing of cursor expiry; with cursors refused (400) once
// older than a second, less than the interval, every poll's stored cursor
// is refused: the stream starts again with a reset cursor from the time of
// its last record and skips the ids it kept. Records keep coming; each
// arrives once, and an idle poll costs two requests (the refused cursor and
// the reset), with the warning the docs name.
func TestOnePasswordExpiredCursorsRestartFromTheLastRecord(t *testing.T) {
	opts := simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: -1, Seed: 53}
	opts.Public.OnePasswordCursorTTL = time.Second
	r := startPublic(t, onePassword, opts)
	sim, sink, rs, h, p := r.sim, r.sink, r.rs, r.h, r.p
	backlog(sim, p.simAPI, publicBacklog, time.Now().Add(-time.Minute), time.Hour)
	h.start()
	stop := everySecond(sim, p.simAPI)
	time.Sleep(4 * publicInterval)
	created := map[string]int{rs[0].ID: publicBacklog + stop()}
	waitFor(t, time.Minute, allDelivered(sim, sink, rs, created))
	time.Sleep(publicInterval / 2)
	requireIdle(t, sim, p.simAPI, "expired cursors", 2)
	requireExact(t, sim, sink, rs)
	refused := sim.Stats().Requests[p.simAPI]["400"]
	assert.GreaterOrEqual(t, refused, int64(5), "cursors refused")
	h.stop()
	assert.Contains(t, h.col.Log(), "The API refused the stored position to continue from")
	t.Logf("%d cursors refused; %s", refused, chaosrun.CountAll(sim, sink, rs)[0])
}

// publicLatency is how long the simulator takes to answer in the public
// API tests: real APIs are not instant, and a walk's pages then overlap
// the next record's arrival as they do in production.
const publicLatency = 25 * time.Millisecond

// withLatency gives opts the public APIs' latency unless it sets one.
func withLatency(opts simulator.Options) simulator.Options {
	if opts.Latency == 0 {
		opts.Latency = publicLatency
	}
	return opts
}
