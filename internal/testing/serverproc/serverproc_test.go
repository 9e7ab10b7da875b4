package serverproc

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envFake makes the test binary, run again as a subprocess, play a server
// instead of running the tests: its value is the part to play.
const envFake = "SERVERPROC_TEST_FAKE"

func TestMain(m *testing.M) {
	if mode := os.Getenv(envFake); mode != "" {
		os.Exit(fakeServer(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeServer plays a server listening on args[0]; every line it prints goes
// to the log file the test reads.
//   - ready: /ready answers 503 twice, then 200; SIGTERM ends it with 0.
//   - exit: exits 3 at once, as on a port already taken.
//   - stubborn: like ready, but ignores SIGTERM.
func fakeServer(mode string, args []string) int {
	if len(args) != 1 {
		fmt.Println("fake: want one argument, the address")
		return 2
	}
	addr := args[0]
	if mode == "exit" {
		fmt.Printf("fake on %s: bind: address already in use\n", addr)
		return 3
	}
	terms := make(chan os.Signal, 1)
	if mode == "stubborn" {
		signal.Ignore(syscall.SIGTERM)
	} else {
		signal.Notify(terms, syscall.SIGTERM)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Printf("fake on %s: %v\n", addr, err)
		return 3
	}
	var probes atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) {
		status := http.StatusServiceUnavailable
		if probes.Add(1) > 2 {
			status = http.StatusOK
		}
		fmt.Printf("fake: /ready %d\n", status)
		w.WriteHeader(status)
	})
	mux.HandleFunc("/hello", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") })
	go func() { _ = http.Serve(ln, mux) }() //nolint:gosec // a test's fake server, ended by a signal
	<-terms
	fmt.Println("fake: SIGTERM")
	return 0
}

func fakeSpec(t *testing.T, mode string) Spec {
	t.Setenv(envFake, mode)
	bin, err := os.Executable()
	require.NoError(t, err)
	return Spec{
		Name:      "fake",
		Binary:    bin,
		LogPath:   filepath.Join(t.TempDir(), "fake.log"),
		Args:      func(addr string) []string { return []string{addr} },
		ReadyPath: "/ready",
	}
}

func countLines(log, line string) int {
	n := 0
	for l := range strings.SplitSeq(log, "\n") {
		if strings.HasSuffix(l, line) {
			n++
		}
	}
	return n
}

// TestStartWaitsForReady: Start returns only once /ready answers 200, not at
// the first answer; the server then answers on URL with Client, Stop ends it
// with SIGTERM, and it starts again on the same port.
func TestStartWaitsForReady(t *testing.T) {
	spec := fakeSpec(t, "ready")
	s, err := Start(context.Background(), spec)
	require.NoError(t, err)
	defer s.Stop()

	log := s.Tail(4000)
	assert.Equal(t, 2, countLines(log, "/ready 503"), log)
	assert.Equal(t, 1, countLines(log, "/ready 200"), log)
	assert.True(t, strings.HasPrefix(s.URL(), "http://127.0.0.1:"), s.URL())
	assert.Equal(t, "hello", get(t, s, "/hello"))

	s.Stop()
	assert.False(t, s.proc.Running())
	assert.Equal(t, 1, countLines(s.Tail(4000), "fake: SIGTERM"))
	require.NoError(t, s.proc.err, "SIGTERM ends the fake with 0")
	s.Stop() // a second Stop does nothing

	require.NoError(t, s.proc.Start())
	require.NoError(t, s.proc.WaitReady(context.Background(), "/ready", func(ctx context.Context) bool { return s.answers200(ctx, "/ready") }))
	log = s.Tail(4000)
	assert.Equal(t, 4, countLines(log, "/ready 503"), log)
	assert.Equal(t, 2, countLines(log, "/ready 200"), log)
	assert.Equal(t, "hello", get(t, s, "/hello"))
}

func get(t *testing.T, s *Server, path string) string {
	t.Helper()
	resp, err := s.Client().Get(s.URL() + path)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, err)
	return string(body)
}

// TestStartReportsEarlyExit: a server that exits at once is tried on three
// ports, and the error carries its exit status and the end of its log.
func TestStartReportsEarlyExit(t *testing.T) {
	spec := fakeSpec(t, "exit")
	_, err := Start(context.Background(), spec)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "exited (exit status 3); log tail:")
	assert.Contains(t, err.Error(), "bind: address already in use")
	log, readErr := os.ReadFile(spec.LogPath)
	require.NoError(t, readErr)
	assert.Equal(t, 3, countLines(string(log), "bind: address already in use"), "three ports tried:\n%s", log)
}

// TestWaitReadyGivesUp: a probe that never says yes fails once the context
// ends, with the log tail, and leaves the process running.
func TestWaitReadyGivesUp(t *testing.T) {
	s, err := Start(context.Background(), fakeSpec(t, "ready"))
	require.NoError(t, err)
	defer s.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	probes := 0
	err = s.proc.WaitReady(ctx, "/never", func(context.Context) bool { probes++; return false })
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, err.Error(), "never answered /never")
	assert.Contains(t, err.Error(), "fake: /ready 200")
	assert.Equal(t, 1, probes)
	assert.True(t, s.proc.Running())
}

// TestStopKillsStubborn: a server that ignores SIGTERM is killed once the
// stop timeout has passed.
func TestStopKillsStubborn(t *testing.T) {
	s, err := Start(context.Background(), fakeSpec(t, "stubborn"))
	require.NoError(t, err) // ready, so SIGTERM is ignored by now
	s.proc.stopTimeout = 100 * time.Millisecond
	s.Stop()
	assert.False(t, s.proc.Running())
	var exitErr *exec.ExitError
	require.ErrorAs(t, s.proc.err, &exitErr)
	assert.Equal(t, "signal: killed", exitErr.Error())
	assert.Equal(t, 0, countLines(s.Tail(4000), "fake: SIGTERM"))
}

// TestRetry: three attempts at most, none after a success or once the
// context has ended, and the last error.
func TestRetry(t *testing.T) {
	var attempts []int
	failUntil := func(ok int) func(int) (string, error) {
		attempts = nil
		return func(attempt int) (string, error) {
			attempts = append(attempts, attempt)
			if attempt == ok {
				return "up", nil
			}
			return "", fmt.Errorf("attempt %d: port taken", attempt)
		}
	}
	got, err := Retry(context.Background(), failUntil(1))
	require.NoError(t, err)
	assert.Equal(t, "up", got)
	assert.Equal(t, []int{0, 1}, attempts)

	_, err = Retry(context.Background(), failUntil(-1))
	require.EqualError(t, err, "attempt 2: port taken")
	assert.Equal(t, []int{0, 1, 2}, attempts)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = Retry(ctx, failUntil(-1))
	require.EqualError(t, err, "attempt 0: port taken")
	assert.Equal(t, []int{0}, attempts)
}
