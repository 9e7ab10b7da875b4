// Package victorialogs runs VictoriaLogs, a log store that takes OTLP, for the
// end-to-end tests and `make run-store`: start it on a free 127.0.0.1 port,
// ask it LogsQL queries and read its ingestion counters.
package victorialogs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/serverproc"
)

// EnvBinary names the environment variable with the path of the victoria-logs
// binary; `make unit` and `make test` install it into _build and set it.
const EnvBinary = "APILOGS_VICTORIALOGS"

// MissingMsg is what VictoriaLogs stores as _msg when a record has no message
// (its -defaultMsgValue): a body that is a map has none.
const MissingMsg = "missing _msg field"

// Server is a running victoria-logs process; it has URL, Stop and Tail of
// serverproc.Server.
type Server struct {
	*serverproc.Server
}

// Start runs bin with its data in dataDir and its output in logPath, on a free
// port of 127.0.0.1, and waits until it answers /health. A port taken between
// picking and listening makes it exit at once; Start then tries another one.
func Start(ctx context.Context, bin, dataDir, logPath string) (*Server, error) {
	proc, err := serverproc.Start(ctx, serverproc.Spec{
		Name:    "victoria-logs",
		Binary:  bin,
		LogPath: logPath,
		Args: func(addr string) []string {
			return []string{"-storageDataPath", dataDir, "-httpListenAddr", addr, "-loggerLevel", "WARN"}
		},
		ReadyPath: "/health",
	})
	if err != nil {
		return nil, err
	}
	return &Server{proc}, nil
}

// OTLPEndpoint is the endpoint of an otlphttp exporter that sends to this
// server (the exporter adds /v1/logs).
func (s *Server) OTLPEndpoint() string { return s.URL() + "/insert/opentelemetry" }

// Row is one log entry of a query answer: VictoriaLogs answers every value as
// a string, nested OTLP maps flattened to dotted names.
type Row map[string]string

// Query runs a LogsQL query over all time and returns every row
// (/select/logsql/query answers one JSON object a line).
func (s *Server) Query(ctx context.Context, logsql string) ([]Row, error) {
	form := url.Values{"query": {logsql}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/select/logsql/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.Client().Do(req)
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/internal/force_flush", http.NoBody)
	if err != nil {
		return err
	}
	resp, err := s.Client().Do(req)
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"/metrics", http.NoBody)
	if err != nil {
		return 0, err
	}
	resp, err := s.Client().Do(req)
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
