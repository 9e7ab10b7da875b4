package chaosrun

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Collector runs the collector binary as a subprocess; every run appends its
// stdout and stderr to one log file.
type Collector struct {
	Binary  string
	Config  string // path of the configuration file
	LogPath string

	cmd  *exec.Cmd
	done chan struct{}
	err  error // exit error, valid once done is closed
}

// Start launches the collector.
func (c *Collector) Start() error {
	if c.Running() {
		return errors.New("collector already running")
	}
	logf, err := os.OpenFile(c.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fmt.Fprintf(logf, "==== start %s\n", time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(c.Binary, "--config", c.Config)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return fmt.Errorf("start collector: %w", err)
	}
	c.cmd, c.done = cmd, make(chan struct{})
	go func() {
		c.err = cmd.Wait()
		_ = logf.Close()
		close(c.done)
	}()
	return nil
}

// Running reports whether the process was started and has not exited.
func (c *Collector) Running() bool {
	if c.done == nil {
		return false
	}
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// Stop sends SIGTERM and waits up to timeout; it returns the exit error, or an
// error when the collector had to be killed because it did not stop in time.
func (c *Collector) Stop(timeout time.Duration) error {
	if !c.Running() {
		return c.exitErr()
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return c.err
	case <-time.After(timeout):
		_ = c.cmd.Process.Kill()
		<-c.done
		return fmt.Errorf("collector did not exit within %s of SIGTERM", timeout)
	}
}

// Kill sends SIGKILL and waits for the process to be gone.
func (c *Collector) Kill() {
	if !c.Running() {
		return
	}
	_ = c.cmd.Process.Kill()
	<-c.done
}

// Exited returns a channel closed when the process ends (nil if never started).
func (c *Collector) Exited() <-chan struct{} { return c.done }

func (c *Collector) exitErr() error {
	if c.done == nil {
		return nil
	}
	return c.err
}

// Log returns what the collector printed so far.
func (c *Collector) Log() string {
	b, _ := os.ReadFile(c.LogPath)
	return string(b)
}

// WaitHealthy polls the health_check endpoint until it answers 200.
func WaitHealthy(ctx context.Context, addr string) error {
	for {
		if HealthStatus(ctx, addr) == http.StatusOK {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("health_check on %s never answered 200: %w", addr, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
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
