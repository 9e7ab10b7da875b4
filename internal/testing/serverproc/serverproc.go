// Package serverproc runs a server binary (Prometheus, VictoriaLogs, etcd) as
// a subprocess for the tests: its output appended to a log file, readiness
// polled over HTTP within a deadline, an early exit reported with the end of
// the log, and a bounded stop.
package serverproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"
)

const (
	// ReadyTimeout bounds the wait for a server to be ready: a loaded 2-core
	// machine may take a while to open a store or elect a leader.
	ReadyTimeout = 30 * time.Second
	// StopTimeout is how long Stop waits after SIGTERM before it kills.
	StopTimeout = 10 * time.Second
	// tailBytes is how much of the log an error message carries.
	tailBytes = 2000
	// pollInterval is the pause between two readiness probes.
	pollInterval = 100 * time.Millisecond
)

// Process is a server binary run as a subprocess, its stdout and stderr
// appended to LogPath. It may be started again once it has ended (on the same
// arguments, so on the same ports and data).
type Process struct {
	Name    string // in error messages
	Binary  string
	Args    []string
	LogPath string

	stopTimeout time.Duration // StopTimeout when zero; shorter in this package's tests
	cmd         *exec.Cmd
	done        chan struct{}
	err         error // exit error, valid once done is closed
}

// Start launches the binary.
func (p *Process) Start() error {
	if p.Running() {
		return errors.New(p.Name + " is running")
	}
	logf, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.Binary, p.Args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("start %s %s: %w", p.Name, p.Binary, err)
	}
	p.cmd, p.done, p.err = cmd, make(chan struct{}), nil
	go func() {
		p.err = cmd.Wait()
		_ = logf.Close()
		close(p.done)
	}()
	return nil
}

// Running reports whether the process was started and has not exited.
func (p *Process) Running() bool {
	if p.done == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// WaitReady polls probe until it says yes, failing early with the log tail
// when the process ends meanwhile or ctx ends first; what names the probe in
// the error (/health).
func (p *Process) WaitReady(ctx context.Context, what string, probe func(context.Context) bool) error {
	for !probe(ctx) {
		select {
		case <-p.done:
			status := "exit status 0"
			if p.err != nil {
				status = p.err.Error()
			}
			return fmt.Errorf("%s exited (%s); log tail:\n%s", p.Name, status, p.Tail(tailBytes))
		case <-ctx.Done():
			return fmt.Errorf("%s never answered %s: %w; log tail:\n%s", p.Name, what, ctx.Err(), p.Tail(tailBytes))
		case <-time.After(pollInterval):
		}
	}
	return nil
}

// Stop sends SIGTERM (and SIGCONT, since a paused process acts on nothing
// else) and waits up to StopTimeout, then kills.
func (p *Process) Stop() {
	if !p.Running() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	timeout := p.stopTimeout
	if timeout == 0 {
		timeout = StopTimeout
	}
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Tail is the last n bytes of the process's output.
func (p *Process) Tail(n int) string {
	b, _ := os.ReadFile(p.LogPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}

// Spec is a server that listens on one HTTP address given on its command
// line.
type Spec struct {
	Name    string // prometheus, victoria-logs: in error messages
	Binary  string
	LogPath string
	// Args is the command line for the listen address (127.0.0.1:PORT).
	Args func(addr string) []string
	// ReadyPath answers 200 once the server is ready (/-/ready, /health).
	ReadyPath string
}

// Server is a running server of a Spec.
type Server struct {
	proc   Process
	url    string
	client *http.Client
}

// Start runs the server on a free port of 127.0.0.1 and waits until its
// ReadyPath answers 200, trying other ports as Retry says.
func Start(ctx context.Context, spec Spec) (*Server, error) {
	return Retry(ctx, func(int) (*Server, error) {
		addr, err := collectorproc.FreeAddr()
		if err != nil {
			return nil, err
		}
		return start(ctx, spec, addr)
	})
}

// Retry calls start (attempt 0, 1, 2) until it succeeds, three times at most
// and not once ctx has ended, and returns the last error. A port taken
// between picking and listening makes a server exit at once; start picks
// fresh ports each time.
func Retry[T any](ctx context.Context, start func(attempt int) (T, error)) (T, error) {
	var (
		res T
		err error
	)
	for attempt := range 3 {
		if res, err = start(attempt); err == nil || ctx.Err() != nil {
			break
		}
	}
	return res, err
}

func start(ctx context.Context, spec Spec, addr string) (*Server, error) {
	s := &Server{
		proc:   Process{Name: spec.Name + " on " + addr, Binary: spec.Binary, Args: spec.Args(addr), LogPath: spec.LogPath},
		url:    "http://" + addr,
		client: &http.Client{Timeout: 30 * time.Second},
	}
	if err := s.proc.Start(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	if err := s.proc.WaitReady(ctx, spec.ReadyPath, func(ctx context.Context) bool { return s.answers200(ctx, spec.ReadyPath) }); err != nil {
		s.proc.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) answers200(ctx context.Context, path string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+path, http.NoBody)
	if err != nil {
		return false
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// Attach is a Server for a url that something else runs (an httptest fake in
// a client's unit test): Stop and Tail do nothing.
func Attach(url string, client *http.Client) *Server {
	return &Server{url: url, client: client}
}

// URL is the base URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.url }

// Client is the HTTP client to ask the server with (30 s timeout).
func (s *Server) Client() *http.Client { return s.client }

// Stop sends SIGTERM and waits up to StopTimeout, then kills.
func (s *Server) Stop() { s.proc.Stop() }

// Tail is the last n bytes of the server's output.
func (s *Server) Tail(n int) string { return s.proc.Tail(n) }
