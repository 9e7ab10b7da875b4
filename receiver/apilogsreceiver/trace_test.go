package apilogsreceiver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	zapobserver "go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

func TestTraceConfig(t *testing.T) {
	tests := map[string]struct {
		trace any
		want  []string // error fragments; none: valid
	}{
		"absent":         {},
		"path only":      {trace: map[string]any{"path": "/tmp/t.jsonl"}},
		"all keys":       {trace: map[string]any{"path": "/tmp/t.jsonl", "max_size": 1024, "max_files": 1}},
		"no path":        {trace: map[string]any{"max_size": 1024}, want: []string{`"trace.path" is required when "trace" is set`}},
		"zero max_size":  {trace: map[string]any{"path": "p", "max_size": 0}, want: []string{`"trace.max_size" must be greater than 0 (bytes), got 0`}},
		"zero max_files": {trace: map[string]any{"path": "p", "max_files": 0}, want: []string{`"trace.max_files" must be at least 1, got 0`}},
		"all wrong": {trace: map[string]any{"max_size": -1, "max_files": -2}, want: []string{
			`"trace.path" is required`, `"trace.max_size" must be greater than 0 (bytes), got -1`, `"trace.max_files" must be at least 1, got -2`,
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := map[string]any{"api": "tines_action_logs", "endpoint": "https://x.tines.com", "api_key": "k", "action_ids": []any{1}}
			if tc.trace != nil {
				m["trace"] = tc.trace
			}
			cfg := NewFactory().CreateDefaultConfig().(*Config)
			require.NoError(t, confmap.NewFromStringMap(m).Unmarshal(cfg))
			assert.Equal(t, tc.trace == nil, cfg.Trace == nil)
			err := cfg.Validate()
			if len(tc.want) == 0 {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

// traceLines reads every line of the trace files in dir.
func traceLines(t *testing.T, dir string) (lines []map[string]any, files []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		files = append(files, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		for _, l := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
			if len(l) == 0 {
				continue
			}
			var m map[string]any
			require.NoError(t, json.Unmarshal(l, &m), string(l))
			lines = append(lines, m)
		}
	}
	return lines, files
}

// With trace on, the file holds exactly one line per request the
// simulator served, with status, URL and a body cut at traceMaxBody; the
// warning is logged once; Shutdown closes the file. The collection
// interval is long: the first poll is the only one.
func TestTraceAgainstSimulator(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxSize  *int64
		maxFiles int
	}{
		{name: "one file", maxFiles: 3},
		{name: "rotated", maxSize: ptr(int64(1)), maxFiles: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := startSim(t, simulator.Options{Keys: simulator.Keys{Tines: tinesSecret}, InitialRecords: 60})
			dir := t.TempDir()
			cfg := tinesConfig(sim, tinesSecret)
			cfg.CollectionInterval = time.Hour
			cfg.PageSize = 50
			cfg.Trace = &TraceConfig{Path: filepath.Join(dir, "trace.jsonl"), MaxSize: tc.maxSize, MaxFiles: &tc.maxFiles}
			core, logs := zapobserver.New(zapcore.DebugLevel)
			set := nopSettings()
			set.Logger = zap.New(core)
			sink := &consumertest.LogsSink{}
			rcv := newTestReceiver(t, set, cfg, sink)
			require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
			require.Eventually(t, func() bool {
				lines, _ := traceLines(t, dir)
				return sink.LogRecordCount() == 60 && int64(len(lines)) >= allRequests(sim.Stats())
			}, 20*time.Second, 20*time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, rcv.Shutdown(ctx))

			served := allRequests(sim.Stats())
			lines, files := traceLines(t, dir)
			require.Equal(t, int64(2), served, "60 records in pages of 50: two requests")
			written := int64(len(lines))
			require.Equal(t, served, written, "one line per request served")
			cut := 0
			for _, l := range lines {
				assert.Equal(t, "GET", l["method"])
				assert.EqualValues(t, 200, l["status"])
				assert.Contains(t, l["url"], "/tines/")
				assert.Equal(t, []any{"[REDACTED]"}, l["request_headers"].(map[string]any)["Authorization"])
				body := l["response_body"].(string)
				assert.LessOrEqual(t, len(body), traceMaxBody)
				if l["response_body_truncated"] == true {
					assert.Len(t, body, traceMaxBody)
					cut++
				}
			}
			assert.Equal(t, 1, cut, "the page of 50 records is cut at 4 KiB, the page of 10 is not")
			if tc.maxSize != nil {
				assert.Equal(t, []string{"trace.jsonl", "trace.jsonl.1"}, files, "one line per file, two requests")
			} else {
				assert.Equal(t, []string{"trace.jsonl"}, files)
			}
			assert.Equal(t, 1, logs.FilterMessageSnippet("Request trace is on").Len())
		})
	}
}

// Forced with max_size 1 over more requests than max_files, exactly
// max_files files remain, one line each.
func TestTraceRotationKeepsMaxFiles(t *testing.T) {
	sim := startSim(t, simulator.Options{Keys: simulator.Keys{Tines: tinesSecret}, InitialRecords: 60})
	dir := t.TempDir()
	cfg := tinesConfig(sim, tinesSecret)
	cfg.CollectionInterval = time.Hour
	cfg.PageSize = 10 // 6 requests
	cfg.Trace = &TraceConfig{Path: filepath.Join(dir, "t.jsonl"), MaxSize: ptr(int64(1)), MaxFiles: ptr(3)}
	sink := &consumertest.LogsSink{}
	rcv := newTestReceiver(t, nopSettings(), cfg, sink)
	require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return sink.LogRecordCount() == 60 }, 20*time.Second, 20*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, rcv.Shutdown(ctx))
	require.Equal(t, int64(6), allRequests(sim.Stats()))
	lines, files := traceLines(t, dir)
	assert.Equal(t, []string{"t.jsonl", "t.jsonl.1", "t.jsonl.2"}, files)
	written := len(lines)
	assert.Equal(t, 3, written, "one line per file")
}

// A hostile server that hands every credential back in every encoding:
// the trace files hold none of them, nor a part of one a cut left behind.
func TestTraceHostileServer(t *testing.T) {
	for _, scenario := range []string{"top-level keys", "error body", "link header"} {
		for _, auth := range []string{"bearer", "basic", "oauth2"} {
			t.Run(scenario+"/"+auth, func(t *testing.T) {
				t.Parallel()
				h := newHostileAPI(t, scenario)
				dir := t.TempDir()
				cfg := hostileConfig(h, auth)
				cfg.Trace = &TraceConfig{Path: filepath.Join(dir, "trace.jsonl")}
				rcv := newTestReceiver(t, nopSettings(), cfg, &consumertest.LogsSink{})
				require.NoError(t, rcv.Start(context.Background(), componenttest.NewNopHost()))
				require.Eventually(t, func() bool { return h.api.Load() >= 3 }, 20*time.Second, 20*time.Millisecond)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				require.NoError(t, rcv.Shutdown(ctx))

				data, err := os.ReadFile(filepath.Join(dir, "trace.jsonl"))
				require.NoError(t, err)
				text := strings.ToLower(string(data))
				// The file is JSON: its decoded strings are searched too.
				lines, _ := traceLines(t, dir)
				require.GreaterOrEqual(t, int64(len(lines)), h.api.Load()+h.tokens.Load()-1, "every exchange but one cancelled by Shutdown is written")
				decoded := fmt.Sprint(lines)
				require.Contains(t, text, "[redacted]", "the answers' reflections reached the trace, redacted")
				for _, c := range h.canaries() {
					for _, in := range []string{text, strings.ToLower(decoded)} {
						require.NotContains(t, in, strings.ToLower(c))
					}
				}
				// And with the escapes a trace line may carry undone: %XX
				// (twice) around \uXXXX, as a next link quotes a JSON form.
				plain := unescapeAll(text)
				for _, secret := range []string{hostileKey, hostilePassword, hostileClientSecret, hostileTokenPrefix} {
					for i := 0; i+10 <= len(secret); i++ {
						require.NotContains(t, text, strings.ToLower(secret[i:i+10]))
						require.NotContains(t, plain, strings.ToLower(secret[i:i+10]))
					}
				}
				assert.NotContains(t, text, "bearer ")
			})
		}
	}
}

func ptr[T any](v T) *T { return &v }

var unicodeEscape = regexp.MustCompile(`\\+u([0-9a-f]{4})`)

// unescapeAll undoes percent escapes (twice) and \uXXXX escapes of text.
func unescapeAll(text string) string {
	for range 2 {
		if u, err := url.PathUnescape(text); err == nil {
			text = u
		}
	}
	return strings.ToLower(unicodeEscape.ReplaceAllStringFunc(text, func(m string) string {
		n, _ := strconv.ParseUint(m[len(m)-4:], 16, 32)
		return string(rune(n))
	}))
}
