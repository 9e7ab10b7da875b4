// Package prometheus runs Debian's Prometheus (2.42) and promtool for the
// tests of deploy/prometheus and deploy/grafana: start a server on a free
// 127.0.0.1 port that scrapes given targets and evaluates given rule files,
// ask it instant queries and its alerts, and compress the time of a rule
// file so that an alert meant for minutes runs in seconds (compress.go).
package prometheus

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/serverproc"
)

const (
	// EnvPrometheus names the environment variable with the path of the
	// prometheus binary; DefaultPrometheus when unset.
	EnvPrometheus = "APILOGS_PROMETHEUS"
	// EnvPromtool names the environment variable with the path of promtool;
	// DefaultPromtool when unset.
	EnvPromtool = "APILOGS_PROMTOOL"
	// DefaultPrometheus and DefaultPromtool are where Debian's prometheus
	// package puts them.
	DefaultPrometheus = "/usr/bin/prometheus"
	DefaultPromtool   = "/usr/bin/promtool"
	// EnvRequire, when set to 1 (as .ci/run does), makes a missing binary a
	// test failure instead of a skip.
	EnvRequire = "APILOGS_REQUIRE_PROMETHEUS"
)

// Find returns the binary that env names, or def, or "" and why not.
func Find(env, def string) (path, why string) {
	path = os.Getenv(env)
	if path == "" {
		path = def
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Sprintf("no %s at %s (install Debian's prometheus package, or set %s): %v", filepath.Base(def), path, env, err)
	}
	return path, ""
}

// Required reports whether a missing binary must fail the tests.
func Required() bool { return os.Getenv(EnvRequire) == "1" }

// Config is what the server scrapes and evaluates.
type Config struct {
	// Job is the job label of the targets.
	Job     string
	Targets []string // host:port, scraped at /metrics
	// RuleFiles are loaded as they are.
	RuleFiles []string
	// Interval is both the scrape and the rule evaluation interval.
	Interval time.Duration
}

// Server is a running prometheus process; it has URL, Stop and Tail of
// serverproc.Server.
type Server struct {
	*serverproc.Server
}

// Start writes the configuration into dir and runs bin with its data there,
// on a free port of 127.0.0.1, and waits until it is ready. A port taken
// between picking and listening makes it exit at once; Start then tries
// another one.
func Start(ctx context.Context, bin, dir string, cfg Config) (*Server, error) {
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg.render()), 0o600); err != nil {
		return nil, err
	}
	proc, err := serverproc.Start(ctx, serverproc.Spec{
		Name:    "prometheus",
		Binary:  bin,
		LogPath: filepath.Join(dir, "prometheus.log"),
		Args: func(addr string) []string {
			return []string{
				"--config.file=" + cfgPath, "--storage.tsdb.path=" + filepath.Join(dir, "data"),
				"--web.listen-address=" + addr, "--log.level=warn",
			}
		},
		ReadyPath: "/-/ready",
	})
	if err != nil {
		return nil, err
	}
	return &Server{proc}, nil
}

func (c Config) render() string {
	interval := c.Interval
	if interval <= 0 {
		interval = time.Second
	}
	var b strings.Builder
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", interval, interval)
	if len(c.RuleFiles) > 0 {
		b.WriteString("rule_files:\n")
		for _, f := range c.RuleFiles {
			fmt.Fprintf(&b, "  - %q\n", f)
		}
	}
	job := c.Job
	if job == "" {
		job = "otelcol"
	}
	fmt.Fprintf(&b, "scrape_configs:\n  - job_name: %q\n    static_configs:\n      - targets: [", job)
	for i, t := range c.Targets {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", t)
	}
	b.WriteString("]\n")
	return b.String()
}

// Sample is one series of an instant query's vector.
type Sample struct {
	Labels map[string]string
	Value  string
}

// Alert is one entry of /api/v1/alerts: its labels and its state
// (pending or firing).
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
}

// Query evaluates expr now and returns its samples (a vector; a scalar
// comes back as one sample without labels).
func (s *Server) Query(ctx context.Context, expr string) ([]Sample, error) {
	var data struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	}
	if err := s.get(ctx, "/api/v1/query?query="+url.QueryEscape(expr), &data); err != nil {
		return nil, fmt.Errorf("query %s: %w", expr, err)
	}
	switch data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(data.Result, &vec); err != nil {
			return nil, err
		}
		out := make([]Sample, 0, len(vec))
		for _, v := range vec {
			out = append(out, Sample{Labels: v.Metric, Value: fmt.Sprint(v.Value[1])})
		}
		return out, nil
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(data.Result, &v); err != nil {
			return nil, err
		}
		return []Sample{{Value: fmt.Sprint(v[1])}}, nil
	}
	return nil, fmt.Errorf("query %s: result type %s, want a vector", expr, data.ResultType)
}

// Alerts returns the pending and firing alerts.
func (s *Server) Alerts(ctx context.Context) ([]Alert, error) {
	var data struct {
		Alerts []Alert `json:"alerts"`
	}
	if err := s.get(ctx, "/api/v1/alerts", &data); err != nil {
		return nil, err
	}
	return data.Alerts, nil
}

// RuleHealth returns the health of every loaded rule by name ("ok",
// "err", "unknown" before its first evaluation) and the last error of the
// unhealthy ones.
func (s *Server) RuleHealth(ctx context.Context) (map[string]string, error) {
	var data struct {
		Groups []struct {
			Rules []struct {
				Name      string `json:"name"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := s.get(ctx, "/api/v1/rules", &data); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, g := range data.Groups {
		for _, r := range g.Rules {
			out[r.Name] = r.Health + strings.TrimSpace(" "+r.LastError)
		}
	}
	return out, nil
}

// get reads an API answer's data into v.
func (s *Server) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+path, http.NoBody)
	if err != nil {
		return err
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var envelope struct {
		Status string          `json:"status"`
		Error  string          `json:"error"`
		Data   json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return fmt.Errorf("status %d: %w: %.200s", resp.StatusCode, err, body)
	}
	if envelope.Status != "success" {
		return fmt.Errorf("status %d: %s", resp.StatusCode, envelope.Error)
	}
	return json.Unmarshal(envelope.Data, v)
}

// GraphURL is the address of the server's graph page (the classic UI that
// Debian's package serves) showing exprs, one graph each, over the last
// rangeInput (a Prometheus duration such as 2m).
func (s *Server) GraphURL(exprs []string, rangeInput string) string {
	q := url.Values{}
	for i, e := range exprs {
		q.Set(fmt.Sprintf("g%d.expr", i), e)
		q.Set(fmt.Sprintf("g%d.tab", i), "0")
		q.Set(fmt.Sprintf("g%d.range_input", i), rangeInput)
	}
	return s.URL() + "/classic/graph?" + q.Encode()
}
