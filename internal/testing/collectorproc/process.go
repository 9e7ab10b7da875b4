// Package collectorproc runs the built collector binary as a process for the
// end-to-end tests, the chaos run and the benchmark: start (and restart) with
// the output captured in a log file, wait until it is healthy or listening,
// stop with SIGTERM (SIGKILL after a timeout) or kill with SIGKILL, and sample
// its memory and CPU from /proc (procstat.go).
package collectorproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Process is the collector binary run as a subprocess. It may be started
// again once it has ended; every start appends its stdout and stderr to the
// one log file, after a "==== start <time>" line.
type Process struct {
	Binary  string
	Config  string // path of the configuration file
	LogPath string
	Name    string // in error messages; the configuration's file name if empty
	// ExtraConfigs are more configuration files, merged over Config in order
	// (`--config a --config b`): maps merge, lists are replaced.
	ExtraConfigs []string
	// Env is added to the test process's environment (for ${env:...} in the configuration).
	Env []string
	// Args are more command-line arguments (--feature-gates=...).
	Args []string

	cmd  *exec.Cmd
	done chan struct{}
	err  error // exit error, valid once done is closed
}

// Launch writes config to dir/name.yaml and starts the collector with it,
// logging to dir/name.log.
func Launch(binary, dir, name, config string) (*Process, error) {
	cfgPath := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		return nil, err
	}
	p := &Process{Binary: binary, Config: cfgPath, LogPath: filepath.Join(dir, name+".log"), Name: name}
	if err := p.Start(); err != nil {
		return nil, err
	}
	return p, nil
}

// Start launches the collector.
func (p *Process) Start() error {
	if p.Running() {
		return errors.New("collector already running")
	}
	logf, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "==== start %s\n", time.Now().Format(time.RFC3339Nano))
	args := []string{"--config", p.Config}
	for _, c := range p.ExtraConfigs {
		args = append(args, "--config", c)
	}
	args = append(args, p.Args...)
	cmd := exec.Command(p.Binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if len(p.Env) > 0 {
		cmd.Env = append(os.Environ(), p.Env...)
	}
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("start collector %s: %w", p.Binary, err)
	}
	p.cmd, p.done, p.err = cmd, make(chan struct{}), nil
	go func() {
		p.err = cmd.Wait()
		_ = logf.Close()
		close(p.done)
	}()
	return nil
}

// Pid is the process id of the last start.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

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

// Stop sends SIGTERM and waits up to timeout; it returns the exit error, or an
// error when the collector had to be killed because it did not stop in time.
func (p *Process) Stop(timeout time.Duration) error {
	if !p.Running() {
		return p.exitErr()
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("collector did not exit within %s of SIGTERM", timeout)
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Process) Kill() {
	if !p.Running() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Exited returns a channel closed when the process ends (nil if never started).
func (p *Process) Exited() <-chan struct{} { return p.done }

// ExitErr is the exit error of an ended process (nil while it runs or if it
// exited 0).
func (p *Process) ExitErr() error { return p.exitErr() }

func (p *Process) exitErr() error {
	if p.done == nil || p.Running() {
		return nil
	}
	return p.err
}

// Ended is nil while the process runs; once it has ended on its own (a
// configuration error, a crash), it says so with the exit status and the end
// of the log.
func (p *Process) Ended() error {
	if p.done == nil || p.Running() {
		return nil
	}
	status := "exit status 0"
	if p.err != nil {
		status = p.err.Error()
	}
	return fmt.Errorf("collector %s exited (%s); log tail:\n%s", p.name(), status, p.Tail(3000))
}

func (p *Process) name() string {
	if p.Name != "" {
		return p.Name
	}
	return filepath.Base(p.Config)
}

// Log returns what the collector printed so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// Tail returns the last n bytes of the log.
func (p *Process) Tail(n int) string {
	b, _ := os.ReadFile(p.LogPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}

// WaitHealthy polls the health_check endpoint at addr until it answers 200,
// and fails early with the log tail if the process ends meanwhile.
func (p *Process) WaitHealthy(ctx context.Context, addr string) error {
	for {
		if HealthStatus(ctx, addr) == http.StatusOK {
			return nil
		}
		if err := p.Ended(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("health_check on %s never answered 200: %w", addr, ctx.Err())
		case <-p.done:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// WaitListening waits until addr accepts connections, failing early with the
// log tail if the process ends meanwhile.
func (p *Process) WaitListening(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := p.Ended(); err != nil {
			return err
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("collector %s did not listen on %s within %s; log tail:\n%s", p.name(), addr, timeout, p.Tail(3000))
}

// HealthStatus is the health_check status code, 0 when it does not answer.
func HealthStatus(ctx context.Context, addr string) int {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", http.NoBody)
	if err != nil {
		return 0
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_ = resp.Body.Close()
	return resp.StatusCode
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
