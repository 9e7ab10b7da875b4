package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/otlpsink"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/prometheus"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// The files of deploy/ that the tests of this file's callers hold to the
// built collector.
var (
	alertRulesFile = filepath.Join("..", "..", "..", "deploy", "prometheus", "alerts.yaml")
	alertTestsFile = filepath.Join("..", "..", "..", "deploy", "prometheus", "alerts_test.yaml")
	dashboardFile  = filepath.Join("..", "..", "..", "deploy", "grafana", "api-logs.json")
)

// prometheusBinary returns Debian's prometheus, or skips the test when there
// is none, unless prometheus.EnvRequire says it must be there (.ci/run).
func prometheusBinary(t *testing.T) string {
	t.Helper()
	path, why := prometheus.Find(prometheus.EnvPrometheus, prometheus.DefaultPrometheus)
	if path == "" {
		if prometheus.Required() {
			t.Fatalf("%s (%s=1 requires it)", why, prometheus.EnvRequire)
		}
		t.Skip(why)
	}
	return path
}

// Receivers of the deploy tests: two Tines actions (one of which the
// lifecycle test refuses) and StackOne, whose API answers 429 to about one
// request in two.
const (
	deployTines    = "api_logs/tines_actions"
	deployStackOne = "api_logs/stackone"
)

// deploySimulator serves a few records per stream and 429s (Retry-After 1 s)
// on StackOne.
func deploySimulator(t *testing.T) *simulator.Simulator {
	t.Helper()
	return startSimulator(t, simulator.Options{
		Paused: true, InitialRecords: 5, Seed: 11,
		Faults: []simulator.Fault{{Kind: simulator.Fault429Seconds, Probability: 0.5, API: simulator.APIStackOneActionLogs, RetryAfter: time.Second}},
	})
}

// startDeployCollector runs the collector with the deploy receivers polling
// every interval, its Prometheus endpoint (the defaults of a pull reader) on
// a free port at the telemetry level given, and returns the endpoint.
func startDeployCollector(t *testing.T, sim *simulator.Simulator, sink *otlpsink.Sink, level, interval string) (*collectorproc.Process, string) {
	t.Helper()
	return startDeployMember(t, sim, sink, level, interval, "")
}

// startDeployMember is startDeployCollector with its receivers under the
// api_logs_coordinator extension configured by coordinator (the extension's
// YAML, indented for its keys), or with none when it is empty.
func startDeployMember(t *testing.T, sim *simulator.Simulator, sink *otlpsink.Sink, level, interval, coordinator string) (*collectorproc.Process, string) {
	t.Helper()
	bin := collectorBinary(t)
	metrics, err := collectorproc.FreeAddr()
	require.NoError(t, err)
	host, port, _ := strings.Cut(metrics, ":")
	k := simulator.DefaultKeys()
	receiverKey, extensions, serviceExtensions := "", "", ""
	if coordinator != "" {
		receiverKey = "coordinator: api_logs_coordinator"
		extensions = "extensions:\n  api_logs_coordinator:\n" + coordinator
		serviceExtensions = "  extensions: [api_logs_coordinator]\n"
	}
	cfg := fmt.Sprintf(`receivers:
  %[1]s:
    api: tines_action_logs
    endpoint: %[3]s/tines
    api_key: %[4]s
    action_ids: [1001, 1002]
    collection_interval: %[6]s
    start_at: "-24h"
    %[11]s
  %[2]s:
    api: stackone_action_logs
    endpoint: %[3]s/stackone
    api_key: %[5]s
    collection_interval: %[6]s
    start_at: "-24h"
    %[11]s
exporters:
  otlp_http:
    endpoint: %[7]s
    sending_queue: {enabled: false}
service:
%[13]s  telemetry:
    logs: {level: warn}
    metrics:
      level: %[8]s
      readers:
        - pull: {exporter: {prometheus: {host: %[9]s, port: %[10]s}}}
  pipelines:
    logs: {receivers: [%[1]s, %[2]s], exporters: [otlp_http]}
%[12]s`, deployTines, deployStackOne, sim.URL(), k.Tines, k.StackOne, interval, sink.Endpoint(), level, host, port, receiverKey, extensions, serviceExtensions)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
	col := &collectorproc.Process{Binary: bin, Config: cfgPath, LogPath: filepath.Join(dir, "collector.log")}
	t.Cleanup(func() {
		col.Kill()
		if t.Failed() {
			t.Logf("collector configuration:\n%s\ncollector output:\n%s", cfg, tail(col.Log(), 100))
		}
	})
	require.NoError(t, col.Start())
	return col, metrics
}

// ruleFile is the part of a Prometheus rule file the tests read.
type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Record string `yaml:"record"`
			Alert  string `yaml:"alert"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// alertRules reads deploy/prometheus/alerts.yaml: its text, and the
// expression of every rule by its record or alert name.
func alertRules(t *testing.T) (string, map[string]string) {
	t.Helper()
	b, err := os.ReadFile(alertRulesFile)
	require.NoError(t, err)
	var f ruleFile
	require.NoError(t, yaml.Unmarshal(b, &f))
	exprs := map[string]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			exprs[r.Record+r.Alert] = r.Expr
		}
	}
	require.NotEmpty(t, exprs)
	return string(b), exprs
}

// alertTestSeries reads the input series of deploy/prometheus/alerts_test.yaml.
func alertTestSeries(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(alertTestsFile)
	require.NoError(t, err)
	var f struct {
		Tests []struct {
			InputSeries []struct {
				Series string `yaml:"series"`
			} `yaml:"input_series"`
		} `yaml:"tests"`
	}
	require.NoError(t, yaml.Unmarshal(b, &f))
	var out []string
	for _, tc := range f.Tests {
		for _, s := range tc.InputSeries {
			out = append(out, s.Series)
		}
	}
	require.NotEmpty(t, out)
	return out
}

// dashboardQuery is one query of the dashboard: a panel's target, or a
// template variable's label_values(selector, label).
type dashboardQuery struct {
	where string // panel title and refId, or the variable's name
	expr  string
}

// dashboardQueries reads deploy/grafana/api-logs.json: every panel target's
// expression and every variable's query.
func dashboardQueries(t *testing.T) []dashboardQuery {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	require.NoError(t, err)
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	require.NoError(t, json.Unmarshal(b, &d))
	var out []dashboardQuery
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, dashboardQuery{where: p.Title + " " + tg.RefID, expr: tg.Expr})
		}
	}
	for _, v := range d.Templating.List {
		if q, ok := v.Query.(map[string]any); ok && v.Type == "query" {
			out = append(out, dashboardQuery{where: "variable " + v.Name, expr: fmt.Sprint(q["query"])})
		}
	}
	require.NotEmpty(t, out)
	return out
}

// labelValues is Grafana's label_values(selector, label) of a variable.
var labelValues = regexp.MustCompile(`^label_values\((.*), *(\w+)\)$`)

// promQL is a dashboard query as Prometheus evaluates it: the variables set
// to every value (their allValue) and Grafana's $__rate_interval to 1m;
// label_values(sel, label) becomes count by (label) (sel).
func (q dashboardQuery) promQL() string {
	e := strings.NewReplacer(`$job`, `.+`, `$receiver`, `api_logs(/.*)?`, `$__rate_interval`, `1m`).Replace(q.expr)
	if m := labelValues.FindStringSubmatch(e); m != nil {
		e = "count by (" + m[2] + ") (" + m[1] + ")"
	}
	return e
}
