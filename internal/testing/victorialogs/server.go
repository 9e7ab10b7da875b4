// Package victorialogs runs VictoriaLogs, a log store that takes OTLP, for the
// end-to-end tests and `make run-store`: start it on a free 127.0.0.1 port,
// ask it LogsQL queries and read its ingestion counters.
package victorialogs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"
)

// EnvBinary names the environment variable with the path of the victoria-logs
// binary; `make unit` and `make test` install it into _build and set it.
const EnvBinary = "APILOGS_VICTORIALOGS"

// MissingMsg is what VictoriaLogs stores as _msg when a record has no message
// (its -defaultMsgValue): a body that is a map has none.
const MissingMsg = "missing _msg field"

// Server is a running victoria-logs process.
type Server struct {
	url     string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error
	client  *http.Client
}

// Start runs bin with its data in dataDir and its output in logPath, on a free
// port of 127.0.0.1, and waits until it answers /health. A port taken between
// picking and listening makes it exit at once; Start then tries another one.
func Start(ctx context.Context, bin, dataDir, logPath string) (*Server, error) {
	var lastErr error
	for range 3 {
		addr, err := collectorproc.FreeAddr()
		if err != nil {
			return nil, err
		}
		s, err := start(ctx, bin, dataDir, logPath, addr)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func start(ctx context.Context, bin, dataDir, logPath, addr string) (*Server, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-storageDataPath", dataDir, "-httpListenAddr", addr, "-loggerLevel", "WARN")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		return nil, fmt.Errorf("start victoria-logs %s: %w", bin, err)
	}
	s := &Server{
		url: "http://" + addr, logPath: logPath, cmd: cmd, done: make(chan struct{}),
		client: &http.Client{Timeout: 30 * time.Second},
	}
	go func() {
		s.err = cmd.Wait()
		_ = logf.Close()
		close(s.done)
	}()
	// A loaded 2-core machine may take a while to open the storage.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if s.healthy(ctx) {
			return s, nil
		}
		select {
		case <-s.done:
			err := s.err
			if err == nil {
				err = errors.New("exit status 0")
			}
			return nil, fmt.Errorf("victoria-logs on %s exited (%w); log tail:\n%s", addr, err, s.Tail(2000))
		case <-ctx.Done():
			s.Stop()
			return nil, fmt.Errorf("victoria-logs on %s never answered /health: %w; log tail:\n%s", addr, ctx.Err(), s.Tail(2000))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Server) healthy(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/health", http.NoBody)
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

// URL is the base URL, http://127.0.0.1:PORT.
func (s *Server) URL() string { return s.url }

// OTLPEndpoint is the endpoint of an otlphttp exporter that sends to this
// server (the exporter adds /v1/logs).
func (s *Server) OTLPEndpoint() string { return s.url + "/insert/opentelemetry" }

// Stop sends SIGTERM and waits up to 10 s, then kills.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Tail is the last n bytes of the server's output.
func (s *Server) Tail(n int) string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(bytes.TrimSpace(b))
}

// Row is one log entry of a query answer: VictoriaLogs answers every value as
// a string, nested OTLP maps flattened to dotted names.
type Row map[string]string

// Query runs a LogsQL query over all time and returns every row
// (/select/logsql/query answers one JSON object a line).
func (s *Server) Query(ctx context.Context, logsql string) ([]Row, error) {
	form := url.Values{"query": {logsql}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/select/logsql/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("victoria-logs query %q: %w", logsql, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, fmt.Errorf("victoria-logs query %q: %s: %s", logsql, resp.Status, bytes.TrimSpace(b))
	}
	var rows []Row
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r Row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("victoria-logs query %q: a line of the answer: %w", logsql, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("victoria-logs query %q: %w", logsql, err)
	}
	return rows, nil
}

// Flush makes the rows ingested so far visible to queries at once instead of
// within about a second (/internal/force_flush; app/vlstorage/main.go).
func (s *Server) Flush(ctx context.Context) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/internal/force_flush", http.NoBody)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("victoria-logs force_flush: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("victoria-logs force_flush: %s", resp.Status)
	}
	return nil
}

// Metric reads one sample of /metrics by its full name with labels, e.g.
// vl_rows_ingested_total{type="opentelemetry_protobuf"}; a sample the server
// does not show yet is 0.
func (s *Server) Metric(ctx context.Context, name string) (float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/metrics", http.NoBody)
	if err != nil {
		return 0, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, fmt.Errorf("victoria-logs metrics: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("victoria-logs metrics: %w", err)
	}
	return 0, nil
}

// VMUIURL is the address of the web UI showing the rows of a LogsQL query over
// the last `relative` (one of the UI's choices, e.g. "last_3_hours"), grouped
// by a field, with the given fields shown on each row (the UI's URL parameters,
// app/vmui/packages/vmui/src/constants/logs.ts and
// src/pages/QueryPage/hooks/useTimePeriod.ts).
func VMUIURL(base, logsql, relative, groupBy string, displayFields []string, limit int) string {
	q := url.Values{}
	q.Set("query", logsql)
	q.Set("g0.relative_time", relative)
	q.Set("groupBy", groupBy)
	q.Set("displayFields", strings.Join(displayFields, ","))
	q.Set("limit", strconv.Itoa(limit))
	// The UI routes in the fragment: /select/vmui/#/?query=...
	return base + "/select/vmui/#/?" + q.Encode()
}

// Binary returns the victoria-logs binary named by EnvBinary: "" when the
// variable is unset, an error when it names no file.
func Binary() (string, error) {
	bin := os.Getenv(EnvBinary)
	if bin == "" {
		return "", nil
	}
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("%s=%s: %w", EnvBinary, bin, err)
	}
	return bin, nil
}
