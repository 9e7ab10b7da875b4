package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

func startSim(t *testing.T) *simulator.Simulator {
	t.Helper()
	sim, err := simulator.New(simulator.Options{Paused: true})
	require.NoError(t, err)
	require.NoError(t, sim.Start("127.0.0.1:0"))
	t.Cleanup(func() { require.NoError(t, sim.Close()) })
	return sim
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

// runCheck runs the command and returns its exit code, stdout and stderr.
func runCheck(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

// report is the parsed stdout of a check.
type report struct {
	requests map[string][]string // stream ("discovery" too) -> request lines
	records  map[string][]string // stream -> record lines
	cursors  map[string]string   // stream -> cursor JSON
}

var (
	requestLine = regexp.MustCompile(`^ {2}request (GET|POST) (\S+) -> (\d{3}) .*\(\S+\)$`)
	recordLine  = regexp.MustCompile(`^ {2}record (\S+) (\S+) (\S+) uid=("(?:[^"\\]|\\.)*"|\S+) (.+)$`)
	cursorLine  = regexp.MustCompile(`^ {2}cursor (cursor/\S+) = (\{.*\})$`)
)

func parse(t *testing.T, out string) report {
	t.Helper()
	r := report{requests: map[string][]string{}, records: map[string][]string{}, cursors: map[string]string{}}
	section := ""
	for _, l := range strings.Split(out, "\n") {
		switch {
		case l == "discovery":
			section = l
		case strings.HasPrefix(l, "stream "):
			section = strings.TrimPrefix(l, "stream ")
		case strings.HasPrefix(l, "  request "):
			require.Regexp(t, requestLine, l)
			r.requests[section] = append(r.requests[section], l)
		case strings.HasPrefix(l, "  record "):
			require.Regexp(t, recordLine, l)
			r.records[section] = append(r.records[section], l)
		case strings.HasPrefix(l, "  cursor cursor/"):
			m := cursorLine.FindStringSubmatch(l)
			require.NotNil(t, m, l)
			r.cursors[section] = m[2]
		}
	}
	return r
}

func uidsOf(lines []string) []string {
	var out []string
	for _, l := range lines {
		out = append(out, recordLine.FindStringSubmatch(l)[4])
	}
	slices.Sort(out)
	return out
}

// A built-in API from two merged config files with ${env:} values: one
// poll of each Tines action, every request, record and cursor printed, and
// the configured file storage never touched.
func TestCheckBuiltinAPI(t *testing.T) {
	sim := startSim(t)
	dir := t.TempDir()
	storageDir := filepath.Join(dir, "checkpoints")
	t.Setenv("CHECK_TINES_KEY", simulator.DefaultKeys().Tines)
	t.Setenv("CHECK_STORAGE_DIR", storageDir)
	base := writeFile(t, dir, "base.yaml", `
extensions:
  file_storage:
    directory: ${env:CHECK_STORAGE_DIR}
    create_directory: true
receivers:
  api_logs/tines:
    api: tines_action_logs
    endpoint: `+sim.URL()+`/tines
    api_key: ${env:CHECK_TINES_KEY}
    action_ids: [1001, 1002]
    start_at: -2h
    page_size: 100
    storage: file_storage
  api_logs/other:
    api: tines_audit_logs
    endpoint: https://x.example
service:
  extensions: [file_storage]
`)
	// Merged over base as the collector merges --config files.
	over := writeFile(t, dir, "over.yaml", "receivers:\n  api_logs/tines:\n    page_size: 10\n")

	code, out, stderr := runCheck(t, "--config", base, "--config", over, "--receiver", "api_logs/tines")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	rep := parse(t, out)

	assert.Contains(t, out, "storage: file_storage is not used")
	assert.NoDirExists(t, storageDir, "the check must not create or write the storage")
	byStream := map[string][]string{}
	for _, rec := range sim.Records(simulator.APITinesActionLogs) {
		byStream[rec.Stream] = append(byStream[rec.Stream], rec.ID)
	}
	var total int64
	for _, st := range []string{"1001", "1002"} {
		want := byStream[st]
		slices.Sort(want)
		require.Len(t, want, 25)
		// 25 records in pages of 10: pages 1, 2 and 3, the last one short.
		assert.Len(t, rep.requests[st], 3, st)
		for i, l := range rep.requests[st] {
			m := requestLine.FindStringSubmatch(l)
			assert.Equal(t, "200", m[3])
			assert.Contains(t, m[2], "/tines/api/v1/actions/"+st+"/logs?")
			assert.Contains(t, m[2], "page="+string(rune('1'+i)), l)
		}
		require.Len(t, rep.records[st], 25, st)
		assert.Equal(t, want, uidsOf(rep.records[st]), "every record of the stream once, by log.record.uid")
		for _, l := range rep.records[st] {
			m := recordLine.FindStringSubmatch(l)
			assert.Regexp(t, `^\d{4}-\d\d-\d\dT`, m[1])
			assert.Regexp(t, `^(DEBUG|INFO|WARN|ERROR|FATAL)\(\w+\)$`, m[2], l)
			assert.Equal(t, "tines.action_log", m[3])
			assert.NotEmpty(t, m[5])
		}
		state, err := cursor.Unmarshal([]byte(rep.cursors[st]))
		require.NoError(t, err, st)
		assert.Nil(t, state.Walk, "the walk ended")
		assert.Positive(t, state.Key)
		total += 3
	}
	var served int64
	for _, n := range sim.Stats().Requests[simulator.APITinesActionLogs] {
		served += n
	}
	assert.Equal(t, total, served, "the requests printed are the requests the API served")
	assert.Contains(t, out, "OK: nothing was stored")

	// --stream and --full: one stream, attributes printed.
	code, out, _ = runCheck(t, "--config", base, "--config", over, "--receiver", "api_logs/tines", "--stream", "1002", "--full")
	require.Equal(t, exitOK, code)
	rep = parse(t, out)
	assert.Empty(t, rep.requests["1001"])
	assert.Len(t, rep.requests["1002"], 3)
	assert.Equal(t, 25, strings.Count(out, "\n    attributes {"), out)
	assert.Equal(t, 25, strings.Count(out, `"tines":{`), "the vendor's fields, namespaced")
}

// servedRequests counts the requests the simulator answered for apis.
func servedRequests(sim *simulator.Simulator, apis ...string) int {
	n := 0
	for _, api := range apis {
		for _, c := range sim.Stats().Requests[api] {
			n += int(c)
		}
	}
	return n
}

// The shipped custom spec (examples/custom.yaml, Tines audit logs written
// out as api: custom) checks as it is, with its ${env:} values.
func TestCheckCustomSpec(t *testing.T) {
	sim := startSim(t)
	storageDir := filepath.Join(t.TempDir(), "checkpoints")
	t.Setenv("TINES_TENANT_URL", sim.URL()+"/tines")
	t.Setenv("TINES_API_KEY", simulator.DefaultKeys().Tines)
	t.Setenv("OTLP_ENDPOINT", "http://127.0.0.1:1")
	t.Setenv("CHECKPOINT_DIR", storageDir)
	code, out, stderr := runCheck(t, "--config", filepath.Join("..", "..", "examples", "custom.yaml"),
		"--receiver", "api_logs/tines_audit_custom")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	rep := parse(t, out)
	want := []string{}
	for _, rec := range sim.Records(simulator.APITinesAuditLogs) {
		want = append(want, rec.ID)
	}
	slices.Sort(want)
	require.Len(t, want, 25)
	// 25 records in one page of the spec's max_page_size (500), the
	// receiver's default page_size.
	require.Len(t, rep.requests["default"], 1, out)
	assert.Contains(t, rep.requests["default"][0], "/tines/api/v1/audit_logs?")
	assert.Contains(t, rep.requests["default"][0], "&page=1&per_page=500 -> 200 OK")
	assert.Equal(t, 1, servedRequests(sim, simulator.APITinesAuditLogs))
	require.Len(t, rep.records["default"], 25)
	assert.Equal(t, want, uidsOf(rep.records["default"]))
	for _, l := range rep.records["default"] {
		assert.Equal(t, "tines.audit_log", recordLine.FindStringSubmatch(l)[3])
	}
	state, err := cursor.Unmarshal([]byte(rep.cursors["default"]))
	require.NoError(t, err)
	assert.Nil(t, state.Walk)
	assert.Contains(t, out, "storage: file_storage is not used")
	assert.NoDirExists(t, storageDir, "create_directory: true, yet the check creates nothing")
}

// Discovery lists the streams once (Make's scenarios of a team), then each
// stream is polled once.
func TestCheckDiscovery(t *testing.T) {
	sim := startSim(t)
	t.Setenv("CHECK_MAKE_KEY", simulator.DefaultKeys().Make)
	cfg := writeFile(t, t.TempDir(), "make.yaml", `
receivers:
  api_logs/make:
    api: make_scenario_logs
    endpoint: `+sim.URL()+`/make
    api_key: ${CHECK_MAKE_KEY}
    team_id: 7
`)
	code, out, stderr := runCheck(t, "--config", cfg, "--receiver", "api_logs/make")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	rep := parse(t, out)
	require.Len(t, rep.requests["discovery"], 1)
	assert.Contains(t, rep.requests["discovery"][0], "/make/api/v2/scenarios?")
	assert.Contains(t, out, "\nstreams: 7001, 7002, 7003\n")
	byStream := map[string][]string{}
	for _, rec := range sim.Records(simulator.APIMakeScenarioLogs) {
		byStream[rec.Stream] = append(byStream[rec.Stream], rec.ID)
	}
	printed := 0
	for _, st := range []string{"7001", "7002", "7003"} {
		// 25 runs in one page of 100.
		assert.Len(t, rep.requests[st], 1, st)
		printed += len(rep.requests[st])
		want := byStream[st]
		slices.Sort(want)
		require.Len(t, want, 25)
		assert.Equal(t, want, uidsOf(rep.records[st]), st)
		assert.NotEmpty(t, rep.cursors[st], st)
	}
	assert.Equal(t, 1, servedRequests(sim, "make_scenarios"))
	assert.Equal(t, printed, servedRequests(sim, simulator.APIMakeScenarioLogs), "every request printed under its stream")
}

// A refused credential fails the poll: exit code 1, the status and the
// error printed, no cursor.
func TestCheckFailedPoll(t *testing.T) {
	sim := startSim(t)
	cfg := writeFile(t, t.TempDir(), "c.yaml", `
receivers:
  api_logs/tines:
    api: tines_action_logs
    endpoint: `+sim.URL()+`/tines
    api_key: wrong-key-0123
    action_ids: [1001]
`)
	code, out, _ := runCheck(t, "--config", cfg, "--receiver", "api_logs/tines")
	assert.Equal(t, exitFailed, code)
	rep := parse(t, out)
	require.Len(t, rep.requests["1001"], 1, out)
	assert.Contains(t, rep.requests["1001"][0], "-> 401 ")
	assert.Contains(t, out, "  cursor (none: no page was read)")
	assert.Contains(t, out, "  error: api_logs/tines: stream 1001: ")
	assert.Contains(t, out, "FAILED")
	assert.NotContains(t, out, "wrong-key-0123")

	// A config the collector refuses is refused with the collector's words.
	bad := writeFile(t, t.TempDir(), "bad.yaml", "receivers:\n  api_logs/x:\n    api: tines_action_logs\n    endpoint: https://x.example\n")
	code, _, stderr := runCheck(t, "--config", bad, "--receiver", "api_logs/x")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "receivers::api_logs/x: ")
	code, _, stderr = runCheck(t, "--config", bad, "--receiver", "api_logs/y")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "receivers::api_logs/y: not in the configuration (its api_logs receivers: api_logs/x)")
}

const checkSecret = "check-KEY-5b9e2d71fa"

// secretForms are the forms in which a server may hand a credential back,
// as the receiver's hostile-server test sends them: as is, in both letter
// cases, \u-escaped, URL-encoded (query and path), base64 (standard, URL,
// inside a longer base64 text) and split across lines.
func secretForms(s string) []string {
	var esc, split strings.Builder
	for _, c := range s {
		fmt.Fprintf(&esc, `\u%04x`, c)
	}
	for i := 0; i < len(s); i += 5 {
		split.WriteString(s[i:min(i+5, len(s))] + "\r\n")
	}
	return []string{
		s, strings.ToLower(s), strings.ToUpper(s), esc.String(), url.QueryEscape(s), url.PathEscape(s),
		base64.StdEncoding.EncodeToString([]byte(s)), base64.RawURLEncoding.EncodeToString([]byte(s)),
		base64.StdEncoding.EncodeToString([]byte("x:" + s + ":y")), split.String(),
	}
}

// The api_key appears nowhere in the output, in any encoding, though the
// API hands it back in every form in a record's id and message, in its
// next link and in an error body; the Authorization value neither.
func TestCheckSecretsNeverPrinted(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		_, cred, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		forms := secretForms(cred)
		all := strings.Join(forms, " ")
		if r.URL.Path == "/next" {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":%q}`, all)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		recent := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		var next strings.Builder
		next.WriteString("/next?k=" + url.QueryEscape(all))
		for _, f := range forms {
			next.WriteString("&" + url.PathEscape(f) + "=1")
		}
		b, err := json.Marshal(map[string]any{
			"items": []map[string]any{{"id": "a " + all, "created_at": recent, "msg": all}},
			"next":  next.String(),
		})
		if err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("CHECK_SECRET", checkSecret)
	cfg := writeFile(t, t.TempDir(), "c.yaml", `
receivers:
  api_logs/hostile:
    api: custom
    endpoint: `+srv.URL+`
    api_key: ${env:CHECK_SECRET}
    start_at: -1h
    retry_on_failure: {enabled: false}
    custom:
      request: {path: /logs}
      time_filter: {format: rfc3339}
      pagination: {type: next_url, next_path: next}
      records:
        path: items
        order: newest_first
        id_field: id
        time_field: created_at
        time_format: rfc3339
        time_precision: 1s
        message: [{field: msg}]
      auth: {type: bearer}
`)
	code, out, stderr := runCheck(t, "--config", cfg, "--receiver", "api_logs/hostile", "--full")
	assert.Equal(t, exitFailed, code, "the error body fails the poll: %s %s", out, stderr)
	rep := parse(t, out)
	require.Len(t, rep.requests["default"], 2, out)
	assert.Equal(t, int64(2), requests.Load())
	assert.Len(t, rep.records["default"], 1)
	assert.Contains(t, out, "  error: ")
	assert.Contains(t, out, "[REDACTED]", "the reflections are printed redacted")
	text := out + stderr
	for _, f := range append(secretForms(checkSecret), "Bearer ") {
		assert.NotContains(t, text, f)
		assert.NotContains(t, strings.ReplaceAll(text, `\r\n`, "\r\n"), f, "split across lines")
	}
}

// OAuth 2.0: the token request is printed with the API's; neither the
// client secret nor the access token is.
func TestCheckOAuthTokenRequest(t *testing.T) {
	sim := startSim(t)
	keys := simulator.DefaultKeys()
	cfg := writeFile(t, t.TempDir(), "logto.yaml", `
receivers:
  api_logs/logto:
    api: logto_logs
    endpoint: `+sim.URL()+`/logto
    client_id: `+keys.LogtoClientID+`
    client_secret: `+keys.LogtoClientSecret+`
    resource: `+simulator.LogtoResource+`
    page_size: 10
`)
	code, out, stderr := runCheck(t, "--config", cfg, "--receiver", "api_logs/logto")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	rep := parse(t, out)
	reqs := rep.requests["default"]
	require.NotEmpty(t, reqs)
	assert.Regexp(t, `^ {2}request POST \S+/logto/oidc/token -> 200 OK`, reqs[0])
	assert.Equal(t, 1, servedRequests(sim, "logto_token"))
	assert.Equal(t, len(reqs)-1, servedRequests(sim, simulator.APILogtoLogs))
	assert.Len(t, rep.records["default"], len(sim.Records(simulator.APILogtoLogs)))
	assert.NotContains(t, out+stderr, keys.LogtoClientSecret)
	assert.NotContains(t, strings.ToLower(out+stderr), "bearer ")
}

// A spec with resume: the check prints the position the poll would store
// as part of the cursor.
func TestCheckPrintsTheResumePosition(t *testing.T) {
	var bodies atomic.Pointer[[]string]
	bodies.Store(&[]string{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		bodies.Store(new(append(*bodies.Load(), b.String())))
		at := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
		_, _ = fmt.Fprintf(w, `{"cursor":"pos-7","has_more":false,"items":[{"uuid":"u1","timestamp":%q}]}`, at)
	}))
	t.Cleanup(srv.Close)
	cfg := writeFile(t, t.TempDir(), "c.yaml", `
receivers:
  api_logs/sign_in_attempts:
    api: custom
    endpoint: `+srv.URL+`
    api_key: k-0123456789
    custom:
      request:
        method: POST
        path: /api/v1/signinattempts
        body: '{"limit": {{page_size}}, "start_time": "{{window_start}}"}'
        continue: {body: '{"cursor": "{{cursor}}"}'}
      time_filter: {format: rfc3339}
      pagination: {type: cursor, next_path: cursor, has_more_path: has_more}
      resume: {from: next}
      records: {path: items, order: oldest_first, id_field: uuid, time_field: timestamp, time_format: rfc3339, time_precision: 1s}
      auth: {type: bearer}
`)
	code, out, stderr := runCheck(t, "--config", cfg, "--receiver", "api_logs/sign_in_attempts")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	rep := parse(t, out)
	require.Len(t, rep.requests["default"], 1, out)
	require.Len(t, rep.records["default"], 1, out)
	state, err := cursor.Unmarshal([]byte(rep.cursors["default"]))
	require.NoError(t, err)
	require.NotNil(t, state.Resume, out)
	assert.Equal(t, "pos-7", state.Resume.Cursor)
	require.Len(t, *bodies.Load(), 1)
	assert.Contains(t, (*bodies.Load())[0], `"start_time": "`)
}

// A receiver with `trace` writes one line per request of the check into
// its trace file, and the check closes the file before it returns.
func TestCheckWritesTheRequestTrace(t *testing.T) {
	sim := startSim(t)
	dir := t.TempDir()
	tracePath := filepath.Join(dir, "trace.jsonl")
	t.Setenv("CHECK_TINES_KEY", simulator.DefaultKeys().Tines)
	cfg := writeFile(t, dir, "c.yaml", `
receivers:
  api_logs/tines:
    api: tines_action_logs
    endpoint: `+sim.URL()+`/tines
    api_key: ${env:CHECK_TINES_KEY}
    action_ids: [1001]
    start_at: -2h
    page_size: 10
    trace: {path: `+tracePath+`}
`)
	code, out, stderr := runCheck(t, "--config", cfg, "--receiver", "api_logs/tines")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, stderr)
	printed := parse(t, out).requests["1001"]
	require.NotEmpty(t, printed)
	raw, err := os.ReadFile(tracePath)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(string(raw), "\n"), "\n")
	assert.Len(t, lines, len(printed), "one trace line per request printed")
	for _, l := range lines {
		var ex map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &ex), "trace line %q", l)
	}
	assert.NotContains(t, string(raw), simulator.DefaultKeys().Tines, "the trace is redacted")
	assert.Equal(t, len(printed), servedRequests(sim, simulator.APITinesActionLogs))
	assert.NotContains(t, openFiles(t), tracePath, "the trace file is closed when the check returns")
}

// openFiles lists the files this process holds open (Linux /proc).
func openFiles(t *testing.T) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	var out []string
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil {
			out = append(out, target)
		}
	}
	return out
}
