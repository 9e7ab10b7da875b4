package simulator

import (
	"fmt"
	"slices"
	"time"
)

// Modes of record generation.
const (
	ModeDemo  = "demo"  // short history per stream, then a new record every NewRecordEvery
	ModeChaos = "chaos" // continuous creation at ChaosRatePerSecond per stream, many ties
	ModeBench = "bench" // one Tines action with BenchRecords records generated from their index
)

// API names, as used by the control API, faults and stats.
const (
	APITinesActionLogs    = "tines_action_logs"
	APITinesAuditLogs     = "tines_audit_logs"
	APIStackOneActionLogs = "stackone_action_logs"
	APILogtoLogs          = "logto_logs"
	APIOMSActionLogs      = "oms_action_logs"
	APIMakeScenarioLogs   = "make_scenario_logs"
	APIMakeModuleLogs     = "make_module_logs"
	APIMakeAuditLogs      = "make_audit_logs"

	// Non-record endpoints, counted in stats only.
	apiLogtoToken    = "logto_token"
	apiMakeScenarios = "make_scenarios"
	apiUnknown       = "unknown"
)

// AllAPIs lists every record-producing API.
var AllAPIs = []string{
	APITinesActionLogs, APITinesAuditLogs, APIStackOneActionLogs, APILogtoLogs,
	APIOMSActionLogs, APIMakeScenarioLogs, APIMakeModuleLogs, APIMakeAuditLogs,
}

// Keys are the credentials the simulator accepts.
type Keys struct {
	Tines, StackOne, OMS, Make       string
	LogtoClientID, LogtoClientSecret string
	// LogtoRefreshToken is the first refresh token of the grant at
	// LogtoRefreshPath; each use rotates it.
	LogtoRefreshToken string
	Slack, GitHub     string
}

// DefaultKeys are the demo credentials.
func DefaultKeys() Keys {
	return Keys{
		Tines: "demo-tines-key", StackOne: "demo-stackone-key", OMS: "demo-oms-key", Make: "demo-make-key",
		LogtoClientID: "demo-logto-app", LogtoClientSecret: "demo-logto-secret",
		LogtoRefreshToken: "demo-logto-refresh-token",
		Slack:             "xoxp-demo-slack-token", GitHub: "ghp_demoGitHubAuditToken",
	}
}

// maxRunID keeps RunID*1000 plus the largest id base below 2^53, so
// integer ids stay exact in JSON parsers that read numbers as doubles.
const maxRunID = 1 << 40

// Options configure a Simulator. Zero values pick the documented defaults.
type Options struct {
	Mode string // "demo" (default), "chaos" or "bench"
	Seed int64  // drives every random choice (record content, fault draws, Logto tie shuffles)

	// RunID, when not 0, makes record ids unique across simulator runs that
	// share a Seed: the integer id sequences (Tines, OMS) start RunID*1000 above
	// their usual base, and the sources of record content, string ids included
	// (StackOne, Logto, Make), are seeded with RunID as well as Seed. apisim
	// sets it to its start time in unix seconds in demo mode, so a restarted
	// demo creates new ids, above the previous run's integer ids as long as that
	// run created fewer than 1000 records per second of its life. 0 (the
	// default) keeps every id a function of Seed alone.
	RunID int64

	// NewRecordEvery is the demo-mode interval between new records per stream (default 5s).
	NewRecordEvery time.Duration
	// ChaosRatePerSecond is the chaos-mode creation rate per stream (default 20).
	ChaosRatePerSecond float64
	// ChaosTick is how often chaos mode creates a batch; a batch shares one timestamp (default 100ms).
	ChaosTick time.Duration
	// InitialRecords is the history each stream starts with: 0 means 25 (0 in bench mode), <0 means none.
	InitialRecords int
	// Paused starts with continuous generation paused (resume via POST /_sim/resume or Resume()).
	Paused bool

	// InclusiveFilters makes every time filter inclusive on both ends. New() cannot tell an
	// unset bool from false, so ExclusiveFilters is the switch; InclusiveFilters is kept for
	// readability and wins when both are set.
	InclusiveFilters bool
	ExclusiveFilters bool

	BenchRecords  int    // records in the bench action (default 1,000,000)
	BenchActionID string // bench action id (default "424242")

	Keys     Keys
	TokenTTL time.Duration // Logto access token lifetime (default 3600s)

	StringNullNextPage bool // Tines: meta.next_page is the string "null" at the end (Elastic mock quirk)
	LogtoPre140        bool // Logto: ignore start_time/end_time like servers before 1.40
	// Logto140 makes Logto's start_time/end_time exclusive at both ends and
	// answer 400 when start_time >= end_time, like Logto 1.40.0-1.41.x
	// (logto-io/logto packages/core/src/queries/log.ts and
	// utils/time-window.ts at those tags). Without it Logto behaves like
	// 1.42: both bounds inclusive, start_time > end_time is a 400.
	Logto140 bool
	// LogtoStableTies returns records that share a createdAt in the same
	// order on every request, as Postgres does for "order by created_at desc"
	// while the table does not change (its scan order). Without it every
	// request shuffles them, the other behavior the engine must survive.
	LogtoStableTies   bool
	OMSIgnorePageSize bool // OMS: ignore page_size, always 20 per page
	// Slack and GitHub: the habits their docs leave open (slack.go, github.go).
	Slack  SlackOptions
	GitHub GitHubOptions
	// StackOneNullable: StackOne records with null event_time (timed by start_time or end_time)
	// and null success or status_code, in a fixed rotation (see stackone_nullable.go).
	StackOneNullable bool

	// RatePerMinute is a request budget per vendor ("tines", "stackone", "logto", "oms", "make")
	// or per API name; over budget the request gets 429 with Retry-After.
	RatePerMinute map[string]int

	// Faults are active from the start (same as calling SetFault for each).
	Faults []Fault

	// MakeOrganizationID is the organization every generated Make record belongs to (default 21).
	MakeOrganizationID int

	// Habits of real servers, all off by default, so tests can measure what a
	// receiver spends (requests, time, bytes) against a less forgiving server.

	// Latency delays every vendor API answer (not the /_sim control API), like a
	// round trip to a distant SaaS. Closing the simulator or the client giving up ends the wait.
	Latency time.Duration
	// HistorySpan, when > 0, spreads each stream's InitialRecords over
	// [now-HistorySpan, now-1min) instead of the last hour, so a receiver's
	// initial lookback decides how much of it is collected.
	HistorySpan time.Duration
	// MakeExecutionOutputBytes, when > 0, gives every Make execution detail
	// outputs of about this many bytes (real outputs can run to megabytes).
	MakeExecutionOutputBytes int
	// MakePendingLists makes Make scenario runs finish late: the i-th run
	// created (from 0, across scenarios) is listed with status 0 (pending)
	// and its execution details say RUNNING for the first
	// MakePendingLists[i % len] list answers that show it; after that it has
	// its final status (1, 2 or 3). Empty or 0: runs are final at once.
	MakePendingLists []int
	// RateLimitHeaders adds X-RateLimit-Limit/-Remaining/-Reset (seconds until the
	// window resets) to every answer of an API covered by RatePerMinute.
	RateLimitHeaders bool
	// CapPageSize, when > 0, caps every list page of every API at this many
	// records without saying so; CapEchoRequested makes a capped answer echo
	// the page size asked for instead of the one applied (see capped.go).
	CapPageSize      int
	CapEchoRequested bool
	// OutOfOrder lists streams ("<api>" or "<api>/<stream>") whose list pages
	// come in the reverse of the API's documented order.
	OutOfOrder []string
	// TieGroups adds, in chaos mode, large groups of records sharing one
	// timestamp to the steady creation (see TieGroups).
	TieGroups TieGroups
	// DisorderBy, when > 0, dates every DisorderEvery-th record created in a
	// stream (default 5) DisorderBy before the record created just before it,
	// and the APIs that list by id list it where its id puts it (see
	// disorder.go).
	DisorderBy    time.Duration
	DisorderEvery int
	// FutureBy, when > 0, dates every FutureEvery-th record created in a
	// stream (default 10) FutureBy after its creation.
	FutureBy    time.Duration
	FutureEvery int

	// Public configures the public example APIs (public.go).
	Public PublicOptions
}

// TieGroups: in chaos mode, every stream of each API in APIs gets one group
// of Min to Max records at a single timestamp every Every, on top of the
// steady creation (whose records at that timestamp join the group). Logto
// groups of more than 100 records in one millisecond are more than its
// largest page holds. Zero Every or Max: off.
type TieGroups struct {
	APIs     []string
	Every    time.Duration
	Min, Max int
}

func (g TieGroups) on(api string) bool {
	return g.Every > 0 && g.Max > 0 && slices.Contains(g.APIs, api)
}

func (o *Options) applyDefaults() error {
	if o.Mode == "" {
		o.Mode = ModeDemo
	}
	switch o.Mode {
	case ModeDemo, ModeChaos, ModeBench:
	default:
		return fmt.Errorf("simulator: unknown mode %q (want demo, chaos or bench)", o.Mode)
	}
	if o.NewRecordEvery <= 0 {
		o.NewRecordEvery = 5 * time.Second
	}
	if o.ChaosRatePerSecond <= 0 {
		o.ChaosRatePerSecond = 20
	}
	if o.ChaosTick <= 0 {
		o.ChaosTick = 100 * time.Millisecond
	}
	if o.InitialRecords == 0 && o.Mode != ModeBench {
		o.InitialRecords = 25
	}
	if o.InitialRecords < 0 {
		o.InitialRecords = 0
	}
	if o.InclusiveFilters {
		o.ExclusiveFilters = false
	}
	if o.BenchRecords <= 0 {
		o.BenchRecords = 1_000_000
	}
	if o.BenchActionID == "" {
		o.BenchActionID = "424242"
	}
	d := DefaultKeys()
	for _, p := range []struct {
		v   *string
		def string
	}{
		{&o.Keys.Tines, d.Tines},
		{&o.Keys.StackOne, d.StackOne},
		{&o.Keys.OMS, d.OMS},
		{&o.Keys.Make, d.Make},
		{&o.Keys.LogtoClientID, d.LogtoClientID},
		{&o.Keys.LogtoClientSecret, d.LogtoClientSecret},
		{&o.Keys.LogtoRefreshToken, d.LogtoRefreshToken},
		{&o.Keys.Slack, d.Slack},
		{&o.Keys.GitHub, d.GitHub},
	} {
		if *p.v == "" {
			*p.v = p.def
		}
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = time.Hour
	}
	o.Public.applyDefaults()
	if o.MakeOrganizationID <= 0 {
		o.MakeOrganizationID = 21
	}
	if o.RunID < 0 || o.RunID > maxRunID {
		return fmt.Errorf("simulator: RunID %d out of range [0, %d]", o.RunID, maxRunID)
	}
	o.Latency = max(o.Latency, 0)
	o.HistorySpan = max(o.HistorySpan, 0)
	o.MakeExecutionOutputBytes = max(o.MakeExecutionOutputBytes, 0)
	if o.DisorderEvery <= 0 {
		o.DisorderEvery = 5
	}
	if o.FutureEvery <= 0 {
		o.FutureEvery = 10
	}
	if g := o.TieGroups; g.Every > 0 && (g.Min < 1 || g.Max < g.Min) {
		return fmt.Errorf("simulator: tie groups of %d to %d records: want 1 <= Min <= Max", g.Min, g.Max)
	}
	return nil
}
