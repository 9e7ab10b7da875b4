package reqtrace

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const secret = "trace-SECRET-0123456789abcdef"

func openTest(t *testing.T, cfg Config) (*Tracer, string) {
	t.Helper()
	if cfg.Path == "" {
		cfg.Path = filepath.Join(t.TempDir(), "trace.jsonl")
	}
	cfg.MaxSize = max(cfg.MaxSize, 1<<20)
	cfg.MaxFiles = max(cfg.MaxFiles, 1)
	cfg.MaxBody = max(cfg.MaxBody, 64)
	tick := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg.Now = func() time.Time { tick = tick.Add(250 * time.Millisecond); return tick }
	tr, err := Open(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, tr.Close()) })
	return tr, cfg.Path
}

func readLines(t *testing.T, path string) []exchange {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var out []exchange
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var ex exchange
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ex), sc.Text())
		out = append(out, ex)
	}
	return out
}

// The caller reads the whole answer unchanged; the line, written when the
// caller closes the body, holds the first MaxBody bytes, the request body,
// redacted headers, URL and the duration of the fake clock.
func TestTraceCutsBodiesAndLeavesTheAnswerWhole(t *testing.T) {
	answer := strings.Repeat("0123456789", 1000) // 10000 bytes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("X-Api-Key"))
		_, _ = io.WriteString(w, answer)
	}))
	defer srv.Close()
	tr, path := openTest(t, Config{
		MaxBody:   4096,
		Redactor:  httpclient.NewRedactor(secret),
		Sensitive: func(name string) bool { return strings.Contains(strings.ToLower(name), "key") },
	})
	client := &http.Client{Transport: tr.Wrap(http.DefaultTransport)}
	defer client.CloseIdleConnections()

	req, err := http.NewRequest(http.MethodPost, srv.URL+"/logs?page_token=abc&api_key="+secret, strings.NewReader(strings.Repeat("b", 5000)))
	require.NoError(t, err)
	req.Header.Set("X-Api-Key", "not-known-to-the-redactor")
	resp, err := client.Do(req)
	require.NoError(t, err)
	assert.Empty(t, readLines(t, path), "nothing is written before the caller closes the body")
	got, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, answer, string(got), "the caller reads the answer unchanged")

	lines := readLines(t, path)
	require.Len(t, lines, 1)
	ex := lines[0]
	assert.Equal(t, http.MethodPost, ex.Method)
	assert.Equal(t, http.StatusOK, ex.Status)
	assert.Equal(t, answer[:4096], ex.ResponseBody)
	assert.True(t, ex.ResponseTruncated)
	assert.Equal(t, strings.Repeat("b", 4096), ex.RequestBody)
	assert.True(t, ex.RequestTruncated)
	assert.Equal(t, []string{"[REDACTED]"}, ex.RequestHeaders["X-Api-Key"])
	assert.Equal(t, []string{"not-known-to-the-redactor"}, ex.ResponseHeaders["X-Echo"], "only credential header names are blanked")
	assert.Equal(t, srv.URL+"/logs?page_token=abc&api_key=[REDACTED]", ex.URL, "a cursor stays, a known secret goes")
	assert.Equal(t, int64(250), ex.DurationMS)
}

// A secret that straddles the cut is redacted whole: no part of it stays.
func TestTraceCutLeavesNoPartOfASecret(t *testing.T) {
	for cut := 0; cut <= len(secret)+12; cut += 3 {
		answer := strings.Repeat("x", 100-cut) + `{"k":"` + secret + `"}` + strings.Repeat("y", 50)
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			_, _ = io.WriteString(w, answer)
		}))
		tr, path := openTest(t, Config{MaxBody: 100, Redactor: httpclient.NewRedactor(secret)})
		client := &http.Client{Transport: tr.Wrap(http.DefaultTransport)}
		resp, err := client.Get(srv.URL)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		require.NoError(t, resp.Body.Close())
		client.CloseIdleConnections()
		srv.Close()
		body := readLines(t, path)[0].ResponseBody
		for i := 0; i+6 <= len(secret); i++ {
			require.NotContains(t, body, secret[i:i+6], "cut %d: %q", cut, body)
		}
	}
}

// An answer the caller stops reading is written with what was read, marked
// truncated; a transport error is written at once with no status.
func TestTracePartialReadAndErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("z", 1000))
	}))
	defer srv.Close()
	tr, path := openTest(t, Config{MaxBody: 4096})
	client := &http.Client{Transport: tr.Wrap(http.DefaultTransport)}
	defer client.CloseIdleConnections()
	resp, err := client.Get(srv.URL)
	require.NoError(t, err)
	buf := make([]byte, 10)
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, resp.Body.Close(), "a second close writes nothing more")

	failing := tr.Wrap(roundTripFunc(func(*http.Request) (*http.Response, error) { return nil, errors.New("dial refused " + secret) }))
	req, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:1/x", http.NoBody)
	require.NoError(t, err)
	_, err = failing.RoundTrip(req)
	require.Error(t, err)

	lines := readLines(t, path)
	require.Len(t, lines, 2)
	assert.Equal(t, "zzzzzzzzzz", lines[0].ResponseBody)
	assert.True(t, lines[0].ResponseTruncated)
	assert.Zero(t, lines[1].Status)
	assert.Equal(t, "dial refused "+secret, lines[1].Error, "no redactor configured: written as is")
}

// Exchanges whose bodies carry credentials by design are written without
// their bodies.
func TestTraceSecretBodies(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"access_token":"fresh-token-not-yet-known"}`)
	}))
	defer srv.Close()
	tr, path := openTest(t, Config{SecretBodies: func(r *http.Request) bool { return r.URL.Path == "/token" }})
	client := &http.Client{Transport: tr.Wrap(http.DefaultTransport)}
	defer client.CloseIdleConnections()
	resp, err := client.Post(srv.URL+"/token", "application/x-www-form-urlencoded", strings.NewReader("client_secret=s3cr3t"))
	require.NoError(t, err)
	got, _ := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	assert.Contains(t, string(got), "fresh-token-not-yet-known")
	lines := readLines(t, path)
	require.Len(t, lines, 1)
	assert.Empty(t, lines[0].RequestBody)
	assert.Empty(t, lines[0].ResponseBody)
	assert.Equal(t, http.StatusOK, lines[0].Status)
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Past maxSize the file rotates to path.1, path.1 to path.2, ...; exactly
// maxFiles files remain, each line whole in one of them, newest in path.
func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trace.jsonl")
	rf, err := openRotating(path, 25, 3)
	require.NoError(t, err)
	for i := range 7 {
		require.NoError(t, rf.writeLine([]byte(strings.Repeat(string(rune('a'+i)), 19)+"\n")))
	}
	require.NoError(t, rf.close())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.Equal(t, []string{"trace.jsonl", "trace.jsonl.1", "trace.jsonl.2"}, names)
	for name, want := range map[string]string{"trace.jsonl": "g", "trace.jsonl.1": "f", "trace.jsonl.2": "e"} {
		data, readErr := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, readErr)
		assert.Equal(t, strings.Repeat(want, 19)+"\n", string(data), name)
	}

	// A file left by an earlier run is continued, then rotated when full.
	rf, err = openRotating(path, 45, 1)
	require.NoError(t, err)
	require.NoError(t, rf.writeLine([]byte("h\n")))
	require.NoError(t, rf.writeLine([]byte(strings.Repeat("i", 30)+"\n")))
	require.NoError(t, rf.close())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, strings.Repeat("i", 30)+"\n", string(data), "max_files 1 keeps the current file only")
	require.Error(t, rf.writeLine([]byte("late\n")), "closed")
}
