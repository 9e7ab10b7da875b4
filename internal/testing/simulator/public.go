package simulator

import (
	"net/http"
	"slices"
	"time"
)

// Public example APIs: real vendors' APIs described only as custom specs in
// examples/, not built into the receiver. They are generated and counted
// like the built-in ones but stay out of AllAPIs, which the built-in API
// checks and the chaos run iterate. Routes (auth in brackets):
//
//	/okta        GET /api/v1/logs (okta.go)                                 [SSWS <token> or Bearer <token>]
//	/onepassword POST /api/v1/signinattempts, /api/v2/signinattempts (onepassword.go) [Bearer <token>]
//	/slack       GET /audit/v1/logs (slack.go)                              [Bearer <xoxp token>]
//	/github      GET /enterprises/{enterprise}/audit-log (github.go)         [Bearer <token> or token <token>]
const (
	APIOktaSystemLog             = "okta_system_log"
	APIOnePasswordSignInAttempts = "onepassword_signinattempts"
	APISlackAuditLogs            = "slack_audit_logs"
	APIGitHubAuditLog            = "github_audit_log"
)

// PublicAPIs lists the record-producing public example APIs.
var PublicAPIs = []string{APIOktaSystemLog, APIOnePasswordSignInAttempts, APISlackAuditLogs, APIGitHubAuditLog}

// recordAPIs is every record-producing API, built-in and public.
func recordAPIs() []string { return slices.Concat(AllAPIs, PublicAPIs) }

// PublicOptions configure the public example APIs. Zero values pick the
// documented defaults.
type PublicOptions struct {
	// OktaToken is the API token accepted as "SSWS <token>" or
	// "Bearer <token>" (default "demo-okta-token").
	OktaToken string
	// OktaLateBy, when > 0, makes every OktaLateEvery-th event (default 7)
	// persisted OktaLateBy after its published time, the delay Okta's docs
	// warn about: a polling request (ordered by persistence time) returns it
	// after events published later, a bounded request for its published
	// time made before it is persisted misses it.
	OktaLateBy    time.Duration
	OktaLateEvery int
	// OktaRatePerMinute, when > 0, is the /api/v1/logs budget, kept the
	// way Okta keeps it: every answer carries X-Rate-Limit-Limit,
	// -Remaining and -Reset (UTC epoch seconds), and a request over budget
	// gets 429 E0000047 without Retry-After
	// (https://developer.okta.com/docs/reference/rl-best-practices/).
	OktaRatePerMinute int

	// OnePasswordToken is the bearer token (a JWT in real life) accepted by
	// the 1Password Events API (default "demo-1password-token").
	OnePasswordToken string
	// OnePasswordFullPageHasMore makes has_more mean "the page was full"
	// rather than "more records exist": the schema says has_more true may be
	// followed by an empty page, so both are plausible.
	OnePasswordFullPageHasMore bool
	// OnePasswordCursorTTL, when > 0, refuses cursors issued longer ago than
	// this with a 400 (the docs say nothing of cursor expiry).
	OnePasswordCursorTTL time.Duration
}

func (o *PublicOptions) applyDefaults() {
	if o.OktaToken == "" {
		o.OktaToken = "demo-okta-token"
	}
	if o.OktaLateEvery <= 0 {
		o.OktaLateEvery = 7
	}
	if o.OnePasswordToken == "" {
		o.OnePasswordToken = "demo-1password-token"
	}
}

// routeFunc is the route table's registration helper (routes.go).
type routeFunc func(pattern, api, vendor, kind string, auth authFunc, fn http.HandlerFunc)

func (s *Simulator) publicRoutes(h routeFunc) {
	h("GET /okta/api/v1/logs", APIOktaSystemLog, "okta", kindList, s.authOkta, s.oktaLogs)
	// v1 and v2 serve the same records; v2 adds account fields for MSPs.
	h("POST /onepassword/api/v1/signinattempts", APIOnePasswordSignInAttempts, "onepassword", kindList, s.authOnePassword, s.onePasswordSignInAttempts)
	h("POST /onepassword/api/v2/signinattempts", APIOnePasswordSignInAttempts, "onepassword", kindList, s.authOnePassword, s.onePasswordSignInAttempts)
	h("GET /slack/audit/v1/logs", APISlackAuditLogs, "slack", kindList, s.authSlack, s.slackLogs)
	h("GET /github/enterprises/{enterprise}/audit-log", APIGitHubAuditLog, "github", kindList, s.authGitHub, s.githubAuditLog)
}

func (s *Simulator) registerPublicStores() {
	for _, as := range []*apiStore{s.newOktaStore(), newAPIStore(APIOnePasswordSignInAttempts, time.Second, 0, buildOnePasswordSignIn)} {
		as.seq.Add(s.idBase())
		s.stores[as.name] = as
	}
	if n := s.opts.Public.OktaRatePerMinute; n > 0 {
		s.limiter.limits[oktaBudget] = n // before the first request: no lock needed
	}
}
