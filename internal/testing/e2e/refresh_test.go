package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// refreshReceiver reads the simulator's Logto through a custom spec whose
// auth is the refresh-token grant of a public client, at the simulator's
// rotating token endpoint; the rotated token is stored encrypted under
// token_encryption_key.
func refreshReceiver(simURL string) chaosrun.Receiver {
	k := simulator.DefaultKeys()
	const key = "e2e-token-encryption-key-7f3a91"
	settings := []string{
		"api: custom", "endpoint: " + simURL + "/logto", "client_id: " + k.LogtoClientID,
		"refresh_token: " + k.LogtoRefreshToken, "token_encryption_key: " + key, "custom:",
	}
	for _, line := range strings.Split(strings.TrimSpace(logtoRefreshSpec), "\n") {
		settings = append(settings, "  "+line)
	}
	return chaosrun.Receiver{
		ID: "logto_refresh", API: "custom", SimAPI: simulator.APILogtoLogs, Streams: 1, TiePageSize: 100,
		SimStreams: []string{""}, Secrets: []string{k.LogtoRefreshToken, key}, Settings: settings,
	}
}

// logtoRefreshSpec is internal/apispec/builtin/logto_logs.yaml with the
// refresh-token grant for auth.
const logtoRefreshSpec = `
request:
  method: GET
  path: /api/logs
  query:
    page: "{{page}}"
    page_size: "{{page_size}}"
    start_time: "{{window_start}}"
    end_time: "{{window_end}}"
    enableCap: "true"
time_filter:
  format: unix_ms
pagination:
  type: page
  first_page: 1
  total_header: Total-Number
  default_page_size: 20
  max_page_size: 100
records:
  path: ""
  order: newest_first
  id_field: id
  time_field: createdAt
  time_format: unix_ms
  time_precision: 1ms
  unstable_ties: true
  event_name: logto.log
  attributes_namespace: logto
  message:
    - {field: key}
auth:
  type: oauth2_refresh_token
  token_path: /oauth/refresh
`

// The built collector reads an API behind a rotating refresh-token grant
// through a graceful restart and a SIGKILL: each start presents the token
// the previous run stored (the configured one is retired after the first
// start), so the token endpoint is asked exactly once per start (access
// tokens live an hour) and refuses nothing; every record arrives (exactly
// once, but for at most a page repeated after the SIGKILL), and no refresh
// token appears in the collector's output.
func TestRefreshTokenRotationAcrossRestarts(t *testing.T) {
	collectorBinary(t)
	require.Equal(t, "/oauth/refresh", strings.TrimPrefix(simulator.LogtoRefreshPath, "/logto"))
	sim := startSimulator(t, simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: initialRecords, Seed: 11})
	sink := startSink(t)
	rs := []chaosrun.Receiver{refreshReceiver(sim.URL())}
	h := newHarness(t, chaosrun.Config{
		Receivers: rs, SinkURL: sink.Endpoint(),
		CollectionInterval: "1s", StartAt: "-24h", Settle: "2m", RequestsPerMinute: 6000,
	})
	created := map[string]int{rs[0].ID: initialRecords}
	tokenRequests := func() int64 {
		var n int64
		for _, c := range sim.Stats().Requests["logto_refresh"] {
			n += c
		}
		return n
	}
	var seen []string // the live refresh token after each run
	phase := func(n int) {
		t.Helper()
		delivered := allDelivered(sim, sink, rs, created)
		waitFor(t, 2*time.Minute, func() string {
			if sim.RefreshStats().Refused > 0 {
				return "" // a refusal stalls the receiver: fail on it below, at once
			}
			return delivered()
		})
		st := sim.RefreshStats()
		require.Zero(t, st.Refused, "a start presented a retired refresh token")
		require.Equal(t, n, st.Issued, "one token request per start")
		require.Equal(t, int64(n), tokenRequests())
		seen = append(seen, st.Current)
	}

	h.start()
	phase(1)
	requireExact(t, sim, sink, rs)
	h.stop()

	sim.AddRecords(simulator.APILogtoLogs, "", 5, time.Now())
	created[rs[0].ID] += 5
	h.start()
	phase(2)
	requireExact(t, sim, sink, rs)
	h.col.Kill()

	sim.AddRecords(simulator.APILogtoLogs, "", 5, time.Now())
	created[rs[0].ID] += 5
	h.start()
	phase(3)
	// Idle: one list request per poll. A poll is due an interval (1 s)
	// after the previous one ended, so requests less than half of it apart
	// belong to one poll.
	idleFrom := time.Now()
	time.Sleep(4500 * time.Millisecond)
	var idle []time.Time
	for _, at := range sim.ListRequestTimes(simulator.APILogtoLogs, "") {
		if at.After(idleFrom) {
			idle = append(idle, at)
		}
	}
	polls := chaosrun.PollGroups(idle, 500*time.Millisecond)
	require.GreaterOrEqual(t, len(polls), 3, "idle polls")
	for i, p := range polls {
		assert.Len(t, p, 1, "list requests of idle poll %d", i)
	}
	assert.Equal(t, int64(3), tokenRequests(), "no token request while idle: access tokens live an hour")
	h.stop()

	tally := chaosrun.Count(sim, sink, rs[0])
	assert.Zero(t, tally.Lost, "%s", tally)
	assert.Zero(t, tally.Unexpected, "%s", tally)
	assert.LessOrEqual(t, tally.Duplicated, 100, "at most one page repeated after the SIGKILL: %s", tally)
	assert.Equal(t, initialRecords+10, tally.Created)
	out := h.col.Log()
	// The log is appended across starts: the second and the third read the stored token.
	assert.Equal(t, 2, strings.Count(out, "Using the rotated refresh token from the storage extension"))
	for _, secret := range append(seen, rs[0].Secrets...) {
		assert.NotContains(t, out, secret)
	}
}
