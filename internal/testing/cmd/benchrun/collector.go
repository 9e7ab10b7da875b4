package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// collectorProc is one running collector with its config and log in dir.
type collectorProc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan error
}

func startCollector(binary, dir, name, config string) (*collectorProc, error) {
	cfgPath := filepath.Join(dir, name+".yaml")
	if err := os.WriteFile(cfgPath, []byte(config), 0o600); err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(binary, "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	p := &collectorProc{name: name, cmd: cmd, log: logPath, done: make(chan error, 1)}
	go func() {
		p.done <- cmd.Wait()
		_ = logFile.Close()
	}()
	return p, nil
}

func (p *collectorProc) pid() int { return p.cmd.Process.Pid }

// exited reports an early exit (a config error, a crash) with the log tail.
func (p *collectorProc) exited() error {
	select {
	case err := <-p.done:
		p.done <- err
		return fmt.Errorf("collector %s exited (%w); log tail:\n%s", p.name, err, p.tail(3000))
	default:
		return nil
	}
}

func (p *collectorProc) tail(n int) string {
	b, _ := os.ReadFile(p.log)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}

// stop sends SIGTERM and waits, then kills.
func (p *collectorProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	// The exit status of a collector stopped on purpose says nothing.
	select {
	case <-p.done: //nolint:errcheck // see above
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done //nolint:errcheck // see above
	}
}

// waitListening waits until addr accepts connections or the process exits.
func (p *collectorProc) waitListening(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if err := p.exited(); err != nil {
			return err
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("collector " + p.name + " did not listen on " + addr + " in time; log tail:\n" + p.tail(3000))
}

// freeAddr picks a free loopback port for a collector listener.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// exporterYAML is the exporter both paths use: otlphttp, protobuf, no
// compression (both ends are local; gzip would only burn the shared CPU) and
// no batch processor. Without queue, ConsumeLogs returns only once the sink
// answered, the crash-safe setting; with queue, the exporter's default
// in-memory sending queue (10 consumers) takes the records and exports them
// in parallel, the usual production setting.
func exporterYAML(sinkURL string, queue bool) string {
	return fmt.Sprintf(`exporters:
  otlphttp:
    endpoint: %s
    compression: none
    sending_queue:
      enabled: %t
`, sinkURL, queue)
}

// telemetryYAML keeps the collector's own telemetry quiet and off the network.
const telemetryYAML = `  telemetry:
    logs:
      level: warn
    metrics:
      level: none
`
