package e2e

import (
	"cmp"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// Public APIs described as custom specs (issue #20 item 9): the receiver's
// `custom:` section is read from the example file itself, pointed at the
// simulator's route for that API, which behaves as the vendor's public docs
// say and, where they are silent, in each plausible way.

// listPage is the page size of these tests: small, so a backlog takes
// several pages and the interruptions land inside walks.
const listPage = 20

// slackReceiver reads the simulator's Slack route with the spec of examples/slack_audit_logs.yaml.
func slackReceiver(t *testing.T, simURL string) chaosrun.Receiver {
	key := simulator.DefaultKeys().Slack
	return chaosrun.Receiver{
		ID: "slack_audit", API: "custom", SimAPI: simulator.APISlackAuditLogs, Streams: 1, SimStreams: []string{""}, Secrets: []string{key},
		Settings: append([]string{"api: custom", "endpoint: " + simURL + "/slack", "api_key: " + key}, exampleCustom(t, "slack_audit_logs.yaml", "api_logs/slack_audit")...),
	}
}

// githubReceiver reads the simulator's GitHub route with the spec of
// examples/github_enterprise_audit_log.yaml, web and Git events.
func githubReceiver(t *testing.T, simURL string) chaosrun.Receiver {
	key := simulator.DefaultKeys().GitHub
	return chaosrun.Receiver{
		ID: "github_audit", API: "custom", SimAPI: simulator.APIGitHubAuditLog, Streams: 1, SimStreams: []string{""}, Secrets: []string{key},
		Settings: append([]string{"api: custom", "endpoint: " + simURL + "/github", "api_key: " + key, "enterprise: " + simulator.GitHubEnterprise, "include: all"},
			exampleCustom(t, "github_enterprise_audit_log.yaml", "api_logs/github_audit")...),
	}
}

// addBacklog adds n records from start, step apart, in ties of one to
// three at one time (the same second for Slack; for GitHub the same
// millisecond, and steps below a second put several in one second).
func addBacklog(sim *simulator.Simulator, api string, n int, start time.Time, step time.Duration) {
	at := start
	for i := 0; i < n; {
		k := min(1+i%3, n-i)
		sim.AddRecords(api, "", k, at)
		at = at.Add(step)
		i += k
	}
}

// publicPolls splits the list requests of the API's stream into polls.
func publicPolls(sim *simulator.Simulator, api string) [][]time.Time {
	return chaosrun.PollGroups(sim.ListRequestTimes(api, ""), publicInterval/2)
}

// publicRequests is one run of requirePublicRequests.
type publicRequests struct {
	opts     simulator.Options
	receiver func(*testing.T, string) chaosrun.Receiver
	step     time.Duration // between the backlog's times
	backlog  int           // list requests of the backlog's poll
	idle     int           // list requests of each idle poll
	// later, when > 0, adds this many records at one time above the
	// cursor after the idle polls; the poll that reads them must take
	// exactly laterRequests list requests.
	later, laterRequests int
}

// requirePublicRequests runs one receiver over a backlog of 120 records
// in pages of 20, then idle (then run.later more records, then idle), and
// checks every record arrived once, the backlog's poll took exactly
// run.backlog list requests and every idle poll exactly run.idle.
func requirePublicRequests(t *testing.T, run publicRequests) {
	t.Helper()
	const idlePolls = 3
	records := 120
	opts := run.opts
	opts.Mode, opts.Paused, opts.InitialRecords, opts.Seed = simulator.ModeDemo, true, -1, 20
	sim := startSimulator(t, withLatency(opts))
	sink := startSink(t)
	r := run.receiver(t, sim.URL())
	rs := []chaosrun.Receiver{r}
	h := newHarness(t, chaosrun.Config{
		Receivers: rs, SinkURL: sink.Endpoint(), PageSize: listPage, RequestsPerMinute: 600, CollectionInterval: publicInterval.String(),
	})
	addBacklog(sim, r.SimAPI, records, time.Now().Add(-50*time.Minute), run.step)
	h.start()
	waitFor(t, time.Minute, allDelivered(sim, sink, rs, map[string]int{r.ID: records}))
	waitFor(t, 30*time.Second, func() string {
		if n := len(publicPolls(sim, r.SimAPI)); n < 1+idlePolls {
			return fmt.Sprintf("%d polls so far, waiting for %d idle polls after the backlog's", n, idlePolls)
		}
		return ""
	})
	// The later records are re-read, like every record, by the polls whose
	// window reaches down to them: a window starts a unit (1 s) and settle
	// (2 s) below the previous window's end, itself a unit below the
	// previous poll's start (floored to the second), an interval earlier.
	// Polls starting 8 s after them or later no longer reach them.
	laterPoll, laterAt, reread := -1, time.Time{}, publicInterval+6*time.Second
	if run.later > 0 {
		laterPoll = len(publicPolls(sim, r.SimAPI))
		records += run.later
		laterAt = time.Now().Add(-1500 * time.Millisecond)
		sim.AddRecords(r.SimAPI, "", run.later, laterAt)
		waitFor(t, time.Minute, allDelivered(sim, sink, rs, map[string]int{r.ID: records}))
		waitFor(t, 30*time.Second, func() string {
			polls := publicPolls(sim, r.SimAPI)
			if last := polls[len(polls)-1][0]; last.Sub(laterAt) < reread+publicInterval {
				return fmt.Sprintf("waiting for idle polls %s after the later records", reread)
			}
			return ""
		})
	}
	h.stop()
	requireExact(t, sim, sink, rs)
	polls := publicPolls(sim, r.SimAPI)
	assert.Len(t, polls[0], run.backlog, "list requests of the backlog's poll (%d records, pages of %d)", records, listPage)
	for n := 1; n < len(polls); n++ {
		p := polls[n]
		switch {
		case n == laterPoll:
			assert.Len(t, p, run.laterRequests, "list requests of the poll that read the %d later records", run.later)
		case laterPoll > 0 && n > laterPoll && p[0].Sub(laterAt) < reread:
			assert.LessOrEqual(t, len(p), run.laterRequests, "list requests of poll %d, re-reading the later records", n)
		default:
			assert.Len(t, p, run.idle, "list requests of idle poll %d", n)
		}
	}
	assert.Zero(t, sim.StreamRequests(r.SimAPI)[""].Throttled, "answers 429")
	t.Logf("%s: backlog of %d in pages of %d: %d list requests; %d polls after it, %d list request(s) per idle poll",
		r.SimAPI, 120, listPage, len(polls[0]), len(polls)-1, run.idle)
	if laterPoll > 0 {
		t.Logf("%d later records at one time: %d list requests", run.later, len(polls[laterPoll]))
	}
}

// Slack Audit Logs through examples/slack_audit_logs.yaml: 120 entries in
// ties of one to three in a second, pages of 20, on each last page the docs
// allow: next_cursor "" (6 list requests), no response_metadata (6), or a
// cursor to an empty page after a full last page (7); every idle poll one
// request; every entry once.
func TestSlackAuditLogsExampleRequests(t *testing.T) {
	collectorBinary(t)
	for _, v := range []struct {
		last string
		want int
	}{{simulator.SlackLastEmptyCursor, 6}, {simulator.SlackLastNoMetadata, 6}, {simulator.SlackLastCursorToEmpty, 7}} {
		t.Run("last="+cmp.Or(v.last, "empty_cursor"), func(t *testing.T) {
			requirePublicRequests(t, publicRequests{
				opts: simulator.Options{Slack: simulator.SlackOptions{LastPage: v.last}}, receiver: slackReceiver,
				step: 7 * time.Second, backlog: v.want, idle: 1,
			})
		})
	}
}

// The GitHub Enterprise audit log through
// examples/github_enterprise_audit_log.yaml: 120 events, several in one
// second (ties of one to three in a millisecond, 300 ms apart), pages of 20,
// whether a created range ends at B.000 or holds B's whole second, and
// whether a full last page links an empty one: 6, 6 and 7 list requests,
// every idle poll one request. And next links that lose the phrase (the
// docs' example Link garbles it): after the backlog, 45 events at one
// time above the cursor are read in 3 pages, the second and third without
// the window; the walk stops at the first event far below it (without the
// stop it would walk the 120 older ones too: 9). Every event once.
func TestGitHubAuditLogExampleRequests(t *testing.T) {
	collectorBinary(t)
	for _, v := range []struct {
		name                 string
		gh                   simulator.GitHubOptions
		backlog, later, read int
	}{
		{"end=B.000", simulator.GitHubOptions{}, 6, 0, 0},
		{"end=B.999", simulator.GitHubOptions{WholeSecondEnd: true}, 6, 0, 0},
		{"next_on_last_page", simulator.GitHubOptions{NextOnLastPage: true}, 7, 0, 0},
		{"link_loses_phrase", simulator.GitHubOptions{LinkLosesPhrase: true}, 6, 45, 3},
	} {
		t.Run(v.name, func(t *testing.T) {
			requirePublicRequests(t, publicRequests{
				opts: simulator.Options{GitHub: v.gh}, receiver: githubReceiver,
				step: 300 * time.Millisecond, backlog: v.backlog, idle: 1, later: v.later, laterRequests: v.read,
			})
		})
	}
}

// requirePublicRestartsAndKills walks a backlog with two graceful restarts
// in the middle (every record once), then a second backlog while new
// records come every second, with two SIGKILLs in the middle (none lost,
// at most one page per kill twice), and bounds the list requests.
func requirePublicRestartsAndKills(t *testing.T, r chaosrun.Receiver, sim *simulator.Simulator, step time.Duration) {
	t.Helper()
	sink := startSink(t)
	rs := []chaosrun.Receiver{r}
	// Two requests a second: a backlog of 300 in pages of 20 takes 8 s.
	h := newHarness(t, chaosrun.Config{
		Receivers: rs, SinkURL: sink.Endpoint(), PageSize: listPage, RequestsPerMinute: 120, CollectionInterval: publicInterval.String(),
	})
	const backlog = 300
	addBacklog(sim, r.SimAPI, backlog, time.Now().Add(-3*time.Hour), step)
	h.start()
	notes := interruptWhen(t, sink, h.restart, atRecords(sink, backlog/5), atRecords(sink, backlog/2))
	t.Logf("graceful restarts at: %v of %d", notes, backlog)
	waitFor(t, time.Minute, allDelivered(sim, sink, rs, map[string]int{r.ID: backlog}))
	time.Sleep(2 * time.Second) // a duplicate would arrive now
	requireExact(t, sim, sink, rs)
	before := sink.Records()
	// The backlog's requests: its pages, plus at most one request a poll
	// (the empty page after a full last one, or the re-read of the last
	// seconds, which hold nothing here), polls an interval apart and once
	// more at each restart, which repeats at most one page.
	timesA := sim.ListRequestTimes(r.SimAPI, "")
	pollsA := int(timesA[len(timesA)-1].Sub(timesA[0])/publicInterval) + 1 + 2
	boundA := (backlog+listPage-1)/listPage + pollsA + 2
	assert.LessOrEqual(t, len(timesA), boundA, "list requests for the backlog of %d in at most %d polls", backlog, pollsA)
	t.Logf("backlog with graceful restarts: %d list requests in at most %d polls (bound %d)", len(timesA), pollsA, boundA)

	// New records every second (ties of up to three), and a second backlog
	// above the cursor, due over the next seconds.
	sim.Resume()
	addBacklog(sim, r.SimAPI, backlog, time.Now().Add(200*time.Millisecond), 20*time.Millisecond)
	notes = interruptWhen(t, sink, h.kill, atRecords(sink, before+backlog/5), atRecords(sink, before+backlog/2))
	t.Logf("SIGKILLs at: %v", notes)
	time.Sleep(2 * time.Second)
	sim.Pause()
	created := len(sim.Records(r.SimAPI))
	waitFor(t, time.Minute, allDelivered(sim, sink, rs, map[string]int{r.ID: created}))
	time.Sleep(2 * time.Second)
	// requireKillBound's checks for one receiver (a fourth caller with the
	// same kills makes unparam and gosec flag that helper): at most one page
	// per kill delivered twice.
	tally := chaosrun.Count(sim, sink, r)
	assert.Zero(t, tally.Lost, "%s", tally)
	assert.Zero(t, tally.Unexpected, "%s", tally)
	assert.Zero(t, tally.WrongState, "%s", tally)
	assert.LessOrEqual(t, tally.Duplicated, 2*listPage, "%s", tally)
	t.Logf("after the SIGKILLs: %s", tally)
	h.stop()

	// The kills' phase, records arriving: a record is read by the first
	// walk that reaches it and re-read by the later polls whose window
	// reaches down to it (a window starts a unit and settle, 3 s, below the
	// previous one's end: at most 3 polls at 2 s); each poll adds at most
	// a partial page to each, and each kill repeats at most one page.
	timesB := sim.ListRequestTimes(r.SimAPI, "")[len(timesA):]
	pollsB := int(timesB[len(timesB)-1].Sub(timesB[0])/publicInterval) + 1 + 2
	newB := created - backlog
	boundB := 4*((newB+listPage-1)/listPage) + 2*pollsB + 2
	assert.LessOrEqual(t, len(timesB), boundB, "list requests for %d new records in at most %d polls", newB, pollsB)
	assert.Zero(t, sim.StreamRequests(r.SimAPI)[""].Throttled, "answers 429")
	t.Logf("%s: %d new records with SIGKILLs: %d list requests in at most %d polls (bound %d)", r.SimAPI, newB, len(timesB), pollsB, boundB)
}

// Slack Audit Logs through examples/slack_audit_logs.yaml across graceful
// restarts and SIGKILLs, on the last page least kind to a walk (a cursor to
// an empty page).
func TestSlackAuditLogsExampleRestartsAndKills(t *testing.T) {
	collectorBinary(t)
	sim := startSimulator(t, withLatency(simulator.Options{
		Mode: simulator.ModeDemo, Paused: true, InitialRecords: -1, Seed: 21, NewRecordEvery: time.Second,
		Slack: simulator.SlackOptions{LastPage: simulator.SlackLastCursorToEmpty},
	}))
	requirePublicRestartsAndKills(t, slackReceiver(t, sim.URL()), sim, 7*time.Second)
}

// The GitHub Enterprise audit log through
// examples/github_enterprise_audit_log.yaml across graceful restarts and
// SIGKILLs, with ranges holding their whole upper second and a link to an
// empty page after a full last page.
func TestGitHubAuditLogExampleRestartsAndKills(t *testing.T) {
	collectorBinary(t)
	sim := startSimulator(t, withLatency(simulator.Options{
		Mode: simulator.ModeDemo, Paused: true, InitialRecords: -1, Seed: 22, NewRecordEvery: time.Second,
		GitHub: simulator.GitHubOptions{WholeSecondEnd: true, NextOnLastPage: true},
	}))
	requirePublicRestartsAndKills(t, githubReceiver(t, sim.URL()), sim, 300*time.Millisecond)
}

// The specs' own budgets, with the simulator refusing (429) what goes over
// the vendor's documented limit in a minute: Slack's Tier 3, 50 calls a
// minute, and GitHub's 1,750 queries an hour (29 a minute in the spec). A
// backlog of 15 pages (Slack) or 10 (GitHub) of 20 in one poll: exactly
// that many list requests, none refused, and never more in 10 s than the
// spec's rate allows (a burst of 1 plus (limit-1)/60 a second: 10 for
// Slack, 6 for GitHub; without requests_per_minute the walk takes under a
// second).
func TestPublicExamplesKeepTheDocumentedBudget(t *testing.T) {
	collectorBinary(t)
	for _, v := range []struct {
		name      string
		receiver  func(*testing.T, string) chaosrun.Receiver
		vendor    string
		perMinute int
		pages     int
		step      time.Duration
	}{
		{"slack", slackReceiver, "slack", 50, 15, 7 * time.Second},
		{"github", githubReceiver, "github", 29, 10, 300 * time.Millisecond},
	} {
		t.Run(v.name, func(t *testing.T) {
			sim := startSimulator(t, withLatency(simulator.Options{
				Mode: simulator.ModeDemo, Paused: true, InitialRecords: -1, Seed: 23,
				RatePerMinute: map[string]int{v.vendor: v.perMinute},
			}))
			sink := startSink(t)
			r := v.receiver(t, sim.URL())
			rs := []chaosrun.Receiver{r}
			// One poll in the test's time: every list request is the backlog's.
			h := newHarness(t, chaosrun.Config{Receivers: rs, SinkURL: sink.Endpoint(), PageSize: listPage, CollectionInterval: "1m"})
			records := v.pages*listPage - 7 // the last page is not full
			addBacklog(sim, r.SimAPI, records, time.Now().Add(-50*time.Minute), v.step)
			h.start()
			waitFor(t, time.Minute, allDelivered(sim, sink, rs, map[string]int{r.ID: records}))
			h.stop()
			requireExact(t, sim, sink, rs)
			counts := sim.StreamRequests(r.SimAPI)[""]
			assert.Equal(t, int64(v.pages), counts.List, "list requests for %d records in pages of %d", records, listPage)
			assert.Zero(t, counts.Throttled, "answers 429")
			most, at := chaosrun.MaxInWindow(sim.ListRequestTimes(r.SimAPI, ""), 10*time.Second)
			bound := 1 + (v.perMinute-1)*10/60 + 1 // burst, refill over 10 s, one for rounding
			assert.LessOrEqual(t, most, bound, "list requests within 10 s of %s", at.Format(time.TimeOnly))
			t.Logf("%s: %d list requests, at most %d in 10 s (bound %d)", r.SimAPI, counts.List, most, bound)
		})
	}
}
