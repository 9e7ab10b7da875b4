package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

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
	requestLine = regexp.MustCompile(`^  request (GET|POST) (\S+) -> (\d{3}) .*\(\S+\)$`)
	recordLine  = regexp.MustCompile(`^  record (\S+) (\S+) (\S+) uid=(\S+) (.+)$`)
	cursorLine  = regexp.MustCompile(`^  cursor (cursor/\S+) = (\{.*\})$`)
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
