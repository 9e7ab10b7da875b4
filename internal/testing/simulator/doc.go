// Package simulator is one faithful fake of every vendor log API the api_logs
// receiver supports. It serves the demo, the unit and end-to-end tests, the
// chaos test and the benchmarks. Each vendor lives under its own prefix, so a
// receiver's endpoint is e.g. http://127.0.0.1:8088/tines.
//
// Routes (auth in brackets):
//
//	/tines    GET /api/v1/actions/{action_id}/logs, GET /api/v1/audit_logs      [Bearer <key> or X-User-Token]
//	/stackone POST /logs/actions, GET /logs/actions/{actionRunId}              [Basic base64("<key>:")]
//	/logto    POST /oidc/token, GET /api/logs, GET /api/logs/{id}              [Bearer <access token>]
//	/oms      GET /api/v1/oms/logs/action_log/, GET .../action_log/{id}/       [Token <key> or Bearer <key>]
//	/make     GET /api/v2/scenarios, /scenarios/{id}/logs, /scenarios/{id}/logs/{executionId},
//	          /scenarios/{id}/executions/{executionId}, /scenarios/{id}/modules/{moduleId}/logs,
//	          /audit-logs/organization/{organizationId}                        [Token <key>]
//
// Public APIs that examples/ describe as custom specs (PublicAPIs, not built in; see public.go):
//
//	/okta        GET /api/v1/logs                                             [SSWS <token> or Bearer <token>]
//	/onepassword POST /api/v1/signinattempts, /api/v2/signinattempts          [Bearer <token>]
//	/slack    GET /audit/v1/logs                                               [Bearer <xoxp token>]
//	/github   GET /enterprises/{enterprise}/audit-log                          [Bearer <token> or token <token>]
//
// Control API (no auth): GET /_sim/records?api=, GET /_sim/stats, GET|POST|DELETE /_sim/faults,
// POST /_sim/pause, POST /_sim/resume, POST /_sim/add, GET /_sim/foreign.
//
// Streams: Tines action logs are keyed by action id, Make scenario logs by scenario id,
// Make module logs by "<scenarioId>/<moduleId>", Make audit logs by organization id; they
// come into existence on first use, as do the public APIs' single streams (named ""). The
// other APIs have one stream named "".
//
// Every vendor request is counted per stream and kind (list, detail, token,
// discovery; see StreamRequests, ListRequestTimes and stats' stream_requests) so
// tests can measure what a receiver spends. Habits of real servers are off by
// default: Latency, HistorySpan, RateLimitHeaders and MakeExecutionOutputBytes
// (with Make's maxBytes budget on execution details).
package simulator
