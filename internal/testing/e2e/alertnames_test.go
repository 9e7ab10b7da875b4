package e2e

import (
	"maps"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

var (
	// metricRef is a collector metric in an expression, with its matchers.
	metricRef = regexp.MustCompile(`\b(otelcol_[a-z0-9_]+)(\{[^}]*\})?`)
	// matcherLabel is the label of one matcher inside {...}.
	matcherLabel = regexp.MustCompile(`(\w+)\s*(?:=~|!~|!=|=)\s*"`)
	// groupingLabels is the label list of by, on, without, ignoring, group_left and group_right.
	groupingLabels = regexp.MustCompile(`\b(?:by|on|without|ignoring|group_left|group_right)\s*\(([^)]*)\)`)
)

// Labels the rules and the dashboard may use that the collector does not
// print: Prometheus adds job and instance to every scraped series, and
// alertname and alertstate to ALERTS.
var prometheusLabels = []string{"job", "instance", "alertname", "alertstate"}

// telemetryMetadata is a component's telemetry declaration in metadata.yaml.
type telemetryMetadata struct {
	Attributes map[string]struct {
		Enum []string `yaml:"enum"`
	} `yaml:"attributes"`
	Telemetry struct {
		Metrics map[string]struct {
			Attributes []string `yaml:"attributes"`
		} `yaml:"metrics"`
	} `yaml:"telemetry"`
}

// Every metric and label that deploy/prometheus/alerts.yaml, its promtool
// tests (alerts_test.yaml) and deploy/grafana/api-logs.json use is one the
// built collector prints on its Prometheus endpoint, with the labels it has
// there: the collector runs at level detailed (the most labels) with a
// refused Tines action (failed polls, 4xx) and StackOne answering 429s
// (retries, throttled time). The counters of rare faults that this run cannot
// provoke (storage failures, a cursor set aside, tie records missed) must be
// declared in metadata.yaml under the name the others are printed with. The
// promtool series must have exactly the labels the collector prints, or
// those but stream (levels below detailed). The coordinator's metrics are
// TestAlertCoordinator's (this collector runs without it).
func TestAlertMetricsExist(t *testing.T) {
	sim := deploySimulator(t)
	sim.Revoke(simulator.APITinesActionLogs, "1002", http.StatusForbidden)
	sink := startSink(t)
	col, metrics := startDeployCollector(t, sim, sink, "detailed", "1s")
	started := time.Now()

	var series []promSeries
	want := []string{
		`otelcol_api_logs_polls{outcome="failure"}`, `otelcol_api_logs_requests{outcome="429"}`, "otelcol_api_logs_retries",
		"otelcol_api_logs_throttled_time", "otelcol_api_logs_last_success", "otelcol_api_logs_cursor_lag",
		"otelcol_receiver_accepted_log_records", "otelcol_receiver_refused_log_records",
	}
	waitFor(t, time.Minute, func() string {
		if err := col.Ended(); err != nil {
			return err.Error()
		}
		var err error
		if series, err = scrape(metrics); err != nil {
			return err.Error()
		}
		var missing []string
		for _, w := range want {
			name, outcome, _ := strings.Cut(strings.TrimSuffix(w, `"}`), `{outcome="`)
			if !slices.ContainsFunc(series, func(s promSeries) bool {
				return s.name == name && (outcome == "" || s.labels["outcome"] == outcome)
			}) {
				missing = append(missing, w)
			}
		}
		if len(missing) > 0 {
			return "not yet on the endpoint: " + strings.Join(missing, ", ")
		}
		return ""
	})
	use := newMetricUse(t, series)
	declaredOnly, exprs, promSeries := use.check(t, func(e string) bool { return !usesCoordinator(e) })
	// Only the counters of faults this run cannot provoke may be checked against metadata.yaml alone.
	assert.Equal(t, []string{
		"otelcol_api_logs_checkpoint_errors", "otelcol_api_logs_cursor_read_errors",
		"otelcol_api_logs_cursors_set_aside", "otelcol_api_logs_refresh_token_save_errors",
		"otelcol_api_logs_refused_positions", "otelcol_api_logs_tie_records_missed",
	}, declaredOnly)
	// 1002 refused from the start: asked again after 10 intervals (10 s), not every interval.
	refused := sim.Stats().Requests[simulator.APITinesActionLogs]["403"]
	assert.GreaterOrEqual(t, refused, int64(1))
	assert.LessOrEqual(t, refused, int64(time.Since(started)/(10*time.Second))+1, "403s in %s", time.Since(started).Round(time.Second))
	require.NoError(t, col.Stop(10*time.Second), "the collector must exit 0 soon after SIGTERM")
	t.Logf("checked %d expressions and %d promtool series against %d collector metrics", exprs, promSeries, len(use.printed))
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Metrics of the api_logs_coordinator extension start so.
const coordinatorMetric = "otelcol_api_logs_coordinator_"

// usesCoordinator tells whether an expression or a promtool series names a
// metric of the coordinator.
func usesCoordinator(e string) bool { return strings.Contains(e, coordinatorMetric) }

// The metadata.yaml files whose telemetry the collector prints.
var telemetryMetadataFiles = []string{
	"../../../receiver/apilogsreceiver/metadata.yaml",
	"../../../extension/apilogscoordinatorextension/metadata.yaml",
}

// metricUse holds what a scrape of the built collector printed and what the
// components declare, to check the rules, the dashboard and the promtool
// series against.
type metricUse struct {
	printed map[string]map[string]bool // metric -> its label names
	known   map[string]bool            // every label printed, and Prometheus' own
	meta    telemetryMetadata          // the metadata.yaml files, merged
}

func newMetricUse(t *testing.T, series []promSeries) metricUse {
	t.Helper()
	u := metricUse{printed: map[string]map[string]bool{}, known: map[string]bool{}}
	for _, l := range prometheusLabels {
		u.known[l] = true
	}
	for _, s := range series {
		if !strings.HasPrefix(s.name, "otelcol_") {
			continue
		}
		if u.printed[s.name] == nil {
			u.printed[s.name] = map[string]bool{}
		}
		for l := range s.labels {
			u.printed[s.name][l], u.known[l] = true, true
		}
	}
	u.meta.Attributes = map[string]struct {
		Enum []string `yaml:"enum"`
	}{}
	u.meta.Telemetry.Metrics = map[string]struct {
		Attributes []string `yaml:"attributes"`
	}{}
	for _, f := range telemetryMetadataFiles {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		var m telemetryMetadata
		require.NoError(t, yaml.Unmarshal(raw, &m))
		maps.Copy(u.meta.Attributes, m.Attributes)
		maps.Copy(u.meta.Telemetry.Metrics, m.Telemetry.Metrics)
	}
	// The endpoint prints a metadata.yaml metric api_logs_X as otelcol_api_logs_X, no suffix
	// (a histogram as its _bucket, _sum and _count).
	for name := range u.printed {
		if api, ok := strings.CutPrefix(histogramBase(name), "otelcol_"); ok && strings.HasPrefix(api, "api_logs_") {
			assert.Contains(t, u.meta.Telemetry.Metrics, api, "%s is printed but not declared", name)
		}
	}
	return u
}

// histogramBase is the metric of a histogram's series (name without _bucket,
// _sum or _count), or name.
func histogramBase(name string) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			return base
		}
	}
	return name
}

// labelsOf returns the label names of a metric as printed, or else as
// declared (seen false); nil if it is neither. A histogram's _bucket, _sum
// and _count are its series.
func (u metricUse) labelsOf(name string) (labels map[string]bool, seen bool) {
	if l, ok := u.printed[name]; ok {
		return l, true
	}
	base := histogramBase(name)
	if m, ok := u.meta.Telemetry.Metrics[strings.TrimPrefix(base, "otelcol_")]; ok && strings.HasPrefix(name, "otelcol_api_logs_") {
		l := map[string]bool{}
		for _, a := range m.Attributes {
			l[a] = true
		}
		if base != name && strings.HasSuffix(name, "_bucket") {
			l["le"] = true
		}
		return l, false
	}
	return nil, false
}

// check holds every expression of alerts.yaml and the dashboard, and every
// promtool series, that keep selects to the metrics and labels printed (or
// declared): it returns the metrics found only in metadata.yaml, and how
// many expressions and series it checked.
func (u metricUse) check(t *testing.T, keep func(string) bool) (declaredOnly []string, exprs, series int) {
	t.Helper()
	_, rules := alertRules(t)
	var all []string
	for name, e := range rules {
		all = append(all, "rule "+name+": "+e)
	}
	for _, q := range dashboardQueries(t) {
		all = append(all, "dashboard "+q.where+": "+q.expr)
	}
	declared := map[string]bool{}
	for _, e := range all {
		if !keep(e) {
			continue
		}
		exprs++
		for _, m := range metricRef.FindAllStringSubmatch(e, -1) {
			labels, seen := u.labelsOf(m[1])
			if !assert.NotNil(t, labels, "%s: %s is neither printed by the collector nor declared in metadata.yaml", e, m[1]) {
				continue
			}
			if !seen {
				declared[m[1]] = true
			}
			for _, l := range matcherLabel.FindAllStringSubmatch(m[2], -1) {
				assert.True(t, labels[l[1]] || slices.Contains(prometheusLabels, l[1]), "%s: %s has no label %s", e, m[1], l[1])
			}
		}
		for _, g := range groupingLabels.FindAllStringSubmatch(e, -1) {
			for _, l := range strings.Split(g[1], ",") {
				if l = strings.TrimSpace(l); l != "" {
					assert.True(t, u.known[l], "%s: no collector metric has the label %s", e, l)
				}
			}
		}
	}
	for _, s := range alertTestSeries(t) {
		if !keep(s) {
			continue
		}
		series++
		m := metricRef.FindStringSubmatch(s)
		require.NotNil(t, m, "promtool series %s", s)
		labels, _ := u.labelsOf(m[1])
		require.NotNil(t, labels, "promtool series %s: no such metric", s)
		var got []string
		for _, l := range promLabel.FindAllStringSubmatch(m[2], -1) {
			if enum := u.meta.Attributes[l[1]].Enum; len(enum) > 0 {
				assert.Contains(t, enum, l[2], "promtool series %s", s)
			}
			if l[1] != "job" && l[1] != "instance" {
				got = append(got, l[1])
			}
		}
		slices.Sort(got)
		full := keys(labels)
		withoutStream := slices.DeleteFunc(slices.Clone(full), func(l string) bool { return l == "stream" })
		assert.True(t, slices.Equal(got, full) || slices.Equal(got, withoutStream),
			"promtool series %s: labels %v, the collector prints %v (or %v below level detailed)", s, got, full, withoutStream)
	}
	return keys(declared), exprs, series
}
