package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/prometheus"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// EnvAlertsScreenshot names the environment variable that makes
// TestAlertStreamFailing save Prometheus' graph of the dashboard's queries as
// a PNG there (`make screenshot`: docs/images/prometheus-dashboard.png).
const EnvAlertsScreenshot = "APILOGS_ALERTS_SCREENSHOT"

// Time runs timeScale times faster in TestAlertStreamFailing than in
// production: the collector polls every 2 s instead of the default 1m, and
// every range window, offset and `for:` of alerts.yaml is divided by 30
// (prometheus.Compress), so the alert that fires 5 minutes after 3 failed
// polls fires 10 s after 3 failed polls of 2 s.
const (
	timeScale        = 30
	scaledInterval   = 2 * time.Second
	defaultIntervalS = "* 0 + 60\n" // the default interval of alerts.yaml's recording rule
)

// A real Prometheus (Debian's) scrapes the built collector every second and
// evaluates deploy/prometheus/alerts.yaml, time compressed (see timeScale),
// at level normal (no stream label). The simulator refuses Tines action 1002
// (403): APILogsStreamFailing for api_logs/tines_actions goes pending, then
// fires, no sooner than 3 intervals plus its `for:` after the refusal; once
// the action answers again the alert clears. While it fires, every query of
// deploy/grafana/api-logs.json but the coordinator's (TestAlertCoordinator),
// evaluated by that Prometheus, returns data.
// With APILOGS_ALERTS_SCREENSHOT set, Prometheus' graph page of those queries
// over the last minute (refusal, alert, recovery) is saved there at the end.
func TestAlertStreamFailing(t *testing.T) {
	promBin := prometheusBinary(t)
	sim := deploySimulator(t)
	sink := startSink(t)
	col, metrics := startDeployCollector(t, sim, sink, "normal", scaledInterval.String())

	text, _ := alertRules(t)
	require.Equal(t, 1, strings.Count(text, defaultIntervalS), "alerts.yaml's interval rule ends in %q", defaultIntervalS)
	text = strings.Replace(text, defaultIntervalS, fmt.Sprintf("* 0 + %d\n", int(scaledInterval.Seconds())), 1)
	text, err := prometheus.Compress(text, timeScale)
	require.NoError(t, err)
	dir := t.TempDir()
	rules := filepath.Join(dir, "alerts.yaml")
	require.NoError(t, os.WriteFile(rules, []byte(text), 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	prom, err := prometheus.Start(ctx, promBin, dir, prometheus.Config{Targets: []string{metrics}, RuleFiles: []string{rules}, Interval: time.Second})
	require.NoError(t, err)
	t.Cleanup(func() {
		prom.Stop()
		if t.Failed() {
			t.Logf("prometheus output:\n%s", prom.Tail(4000))
		}
	})

	// Every rule evaluates without error and both receivers have polled.
	waitFor(t, time.Minute, func() string {
		if err := col.Ended(); err != nil {
			return err.Error()
		}
		health, err := prom.RuleHealth(ctx)
		if err != nil {
			return err.Error()
		}
		for name, h := range health {
			if h != "ok" {
				return fmt.Sprintf("rule %s: %s", name, h)
			}
		}
		got, err := prom.Query(ctx, `count by (receiver) (otelcol_api_logs_last_success)`)
		if err != nil {
			return err.Error()
		}
		if len(got) != 2 {
			return fmt.Sprintf("last_success of %d receivers, want 2", len(got))
		}
		return ""
	})
	state := func() (string, map[string]string) {
		alerts, err := prom.Alerts(ctx)
		require.NoError(t, err)
		for _, a := range alerts {
			if a.Labels["alertname"] == "APILogsStreamFailing" && a.Labels["receiver"] == deployTines {
				return a.State, a.Labels
			}
		}
		return "", nil
	}
	st, _ := state()
	require.Empty(t, st, "no alert before the refusal")

	sim.Revoke(simulator.APITinesActionLogs, "1002", http.StatusForbidden)
	revoked := time.Now()
	var pendingAt, firingAt time.Time
	var labels map[string]string
	var refusedWhenPending int64
	waitFor(t, 2*time.Minute, func() string {
		st, labels = state()
		switch {
		case st == "pending" && pendingAt.IsZero():
			pendingAt = time.Now()
			refusedWhenPending = sim.Stats().Requests[simulator.APITinesActionLogs]["403"]
		case st == "firing":
			firingAt = time.Now()
			return ""
		}
		return fmt.Sprintf("APILogsStreamFailing is %q (pending seen: %v)", st, !pendingAt.IsZero())
	})
	require.False(t, pendingAt.IsZero(), "the alert was pending before it fired")
	// Pending needs a failed poll, so it starts after the refusal, and firing
	// its `for:` later. (3 intervals without success may end before the
	// refusal's first poll: the last success came an interval or more before
	// it on a loaded machine.) Seen pending: up to a poll of ours late.
	forDuration := 5 * time.Minute / timeScale
	assert.GreaterOrEqual(t, firingAt.Sub(revoked), forDuration,
		"fires its `for:` after the first failed poll (pending after %s, firing after %s)", pendingAt.Sub(revoked), firingAt.Sub(revoked))
	assert.GreaterOrEqual(t, firingAt.Sub(pendingAt), forDuration-2*time.Second, "pending for its `for:`")
	// The first failed poll counts (a counter series that appears with it),
	// so the alert does not wait for the refusal asked again 10 intervals later.
	assert.Equal(t, int64(1), refusedWhenPending, "403s when the alert went pending")
	assert.Equal(t, map[string]string{"alertname": "APILogsStreamFailing", "severity": "warning", "job": "otelcol", "instance": metrics, "receiver": deployTines}, labels,
		"one alert for the receiver (no stream label at level normal)")

	// The dashboard while something is wrong: every query has data.
	queries := dashboardQueries(t)
	var exprs []string
	for _, q := range queries {
		if usesCoordinator(q.expr) {
			continue // this collector runs without it: TestAlertCoordinator
		}
		got, err := prom.Query(ctx, q.promQL())
		if assert.NoError(t, err, q.where) {
			assert.NotEmpty(t, got, "%s: %s returns nothing", q.where, q.promQL())
		}
		if !strings.HasPrefix(q.where, "variable ") {
			exprs = append(exprs, q.promQL())
		}
	}

	sim.Restore(simulator.APITinesActionLogs, "1002")
	restored := time.Now()
	waitFor(t, 2*time.Minute, func() string {
		if st, _ := state(); st != "" {
			return "APILogsStreamFailing is still " + st
		}
		return ""
	})
	if path := os.Getenv(EnvAlertsScreenshot); path != "" {
		screenshotGraphs(t, prom, exprs, path)
	}
	t.Logf("pending %s and firing %s after the refusal, cleared %s after the action answered again",
		pendingAt.Sub(revoked).Round(100*time.Millisecond), firingAt.Sub(revoked).Round(100*time.Millisecond), time.Since(restored).Round(100*time.Millisecond))
	// A refused action is asked again after 10 intervals, not every interval.
	refused := sim.Stats().Requests[simulator.APITinesActionLogs]["403"]
	assert.GreaterOrEqual(t, refused, int64(1))
	assert.LessOrEqual(t, refused, int64(restored.Sub(revoked)/(10*scaledInterval))+1, "403s in %s", restored.Sub(revoked).Round(time.Second))
	require.NoError(t, col.Stop(10*time.Second), "the collector must exit 0 soon after SIGTERM")
}

// screenshotGraphs saves Prometheus' graph page of exprs (the last minute:
// the refusal, the alert and the recovery) as a PNG at path. The classic UI
// draws a graph in about 710 pixels; a window shorter than the page would
// scroll to the last expression's field.
func screenshotGraphs(t *testing.T, prom *prometheus.Server, exprs []string, path string) {
	t.Helper()
	browser := chromium(t)
	browser.Width, browser.Height = 1200, 710*len(exprs)+120
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o750))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	url := prom.GraphURL(exprs, "1m")
	t.Logf("graph: %s", url)
	require.NoError(t, browser.Screenshot(ctx, url, path))
	t.Logf("screenshot: %s", path)
}
