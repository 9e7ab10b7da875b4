package e2e

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/etcdtest"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/prometheus"
)

// The coordinator alerts' test runs three collectors for two units (the
// Tines and the StackOne receiver, a budget each), so at least one collector
// owns nothing, which is normal and must not alert.
const (
	coordMembers  = 3
	coordUnits    = 2
	coordLeaseTTL = 2 * time.Second
)

// Three built collectors with api_logs_coordinator on one etcd member, a
// real Prometheus scraping them every second and evaluating alerts.yaml
// time compressed (see timeScale). Every collector prints owned_units, the
// one owning nothing too (0), and the cluster owns both units: no
// coordinator alert. The coordinator metrics and labels that the rules, the
// dashboard and the promtool series use are the ones these collectors print
// (refused_writes, which a healthy cluster never increments, as declared in
// the extension's metadata.yaml); every query of the dashboard's coordinator
// row returns data. Then etcd stops: APILogsCoordinatorOwnsNothing (for the
// job) and APILogsCoordinatorLeaseNotRenewed (for each collector) fire; etcd
// starts again: both clear and the cluster owns both units again.
func TestAlertCoordinator(t *testing.T) {
	promBin := prometheusBinary(t)
	etcd := etcdtest.Run(t, 1)
	sim := deploySimulator(t)
	sink := startSink(t)
	var cols []*collectorproc.Process
	var targets []string
	for i := range coordMembers {
		col, metrics := startDeployMember(t, sim, sink, "normal", scaledInterval.String(), fmt.Sprintf(
			"    endpoints: [%s]\n    member_id: c%d\n    lease_ttl: %s\n", strings.Join(etcd.Endpoints(), ", "), i, coordLeaseTTL))
		cols = append(cols, col)
		targets = append(targets, metrics)
	}

	text, _ := alertRules(t)
	text, cerr := prometheus.Compress(text, timeScale)
	require.NoError(t, cerr)
	dir := t.TempDir()
	rules := filepath.Join(dir, "alerts.yaml")
	require.NoError(t, os.WriteFile(rules, []byte(text), 0o600))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	prom, perr := prometheus.Start(ctx, promBin, dir, prometheus.Config{Targets: targets, RuleFiles: []string{rules}, Interval: time.Second})
	require.NoError(t, perr)
	t.Cleanup(func() {
		prom.Stop()
		if t.Failed() {
			t.Logf("prometheus output:\n%s\netcd output:\n%s", prom.Tail(4000), etcd.Member(0).Tail(2000))
		}
	})
	// value returns the one sample of expr, or "" when it has none.
	value := func(expr string) (string, error) {
		got, err := prom.Query(ctx, expr)
		if err != nil || len(got) == 0 {
			return "", err
		}
		return got[0].Value, nil
	}
	// coordAlerts are the coordinator's alerts, alertname -> state and
	// instance of each, but APILogsCoordinatorWriteRefused while etcd is away:
	// a checkpoint under way when a lease lapses is refused and counted
	// (whether one is depends on timing), and the alert then holds for its
	// hour (2 minutes here).
	refusedSeen, etcdStopped := false, false
	coordAlerts := func() map[string][]string {
		alerts, err := prom.Alerts(ctx)
		require.NoError(t, err)
		out := map[string][]string{}
		for _, a := range alerts {
			name := a.Labels["alertname"]
			if name == "APILogsCoordinatorWriteRefused" && etcdStopped {
				refusedSeen = true
				continue
			}
			if strings.HasPrefix(name, "APILogsCoordinator") {
				out[name] = append(out[name], a.State+" "+a.Labels["instance"])
			}
		}
		return out
	}

	// Settled: every collector prints owned_units and renews its lease, the
	// cluster owns both units, and the compressed windows (2m: 4 s) are full.
	waitFor(t, time.Minute, func() string {
		for _, c := range cols {
			if err := c.Ended(); err != nil {
				return err.Error()
			}
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
		for expr, want := range map[string]string{
			`count(otelcol_api_logs_coordinator_owned_units)`:                                    strconv.Itoa(coordMembers),
			`sum(otelcol_api_logs_coordinator_owned_units)`:                                      strconv.Itoa(coordUnits),
			`count(increase(otelcol_api_logs_coordinator_lease_renewal_latency_count[10s]) > 0)`: strconv.Itoa(coordMembers),
		} {
			if got, err := value(expr); err != nil || got != want {
				return fmt.Sprintf("%s = %q, want %s (%v)", expr, got, want, err)
			}
		}
		if a := coordAlerts(); len(a) > 0 {
			return fmt.Sprintf("coordinator alerts at start: %v", a)
		}
		return ""
	})
	owned := map[string]string{}
	samples, qerr := prom.Query(ctx, `otelcol_api_logs_coordinator_owned_units`)
	require.NoError(t, qerr)
	for _, s := range samples {
		owned[s.Labels["instance"]] = s.Value
	}
	assert.Contains(t, slices.Collect(maps.Values(owned)), "0", "a collector owns nothing (%d for %d units): %v", coordMembers, coordUnits, owned)

	// The names and labels of the coordinator's metrics, as the collectors print them.
	var series []promSeries
	for _, target := range targets {
		s, err := scrape(target)
		require.NoError(t, err)
		series = append(series, s...)
	}
	use := newMetricUse(t, series)
	declaredOnly, exprs, promSeriesN := use.check(t, usesCoordinator)
	assert.Equal(t, []string{"otelcol_api_logs_coordinator_refused_writes"}, declaredOnly, "only a counter a healthy cluster never increments is taken from metadata.yaml")
	assert.GreaterOrEqual(t, exprs, 9, "coordinator expressions checked: 4 alerts, 5 dashboard queries")
	assert.GreaterOrEqual(t, promSeriesN, 10, "coordinator promtool series checked")

	// The dashboard's coordinator row: every query has data.
	rowQueries := 0
	for _, q := range dashboardQueries(t) {
		if !usesCoordinator(q.expr) {
			continue
		}
		rowQueries++
		got, err := prom.Query(ctx, q.promQL())
		if assert.NoError(t, err, q.where) {
			assert.NotEmpty(t, got, "%s: %s returns nothing", q.where, q.promQL())
		}
	}
	assert.Equal(t, 5, rowQueries, "queries of the coordinator row")
	// Seconds after the start: more than the `for:` of OwnsNothing and LeaseNotRenewed.
	if a := coordAlerts(); !assert.Empty(t, a, "a collector owning nothing while the cluster owns every unit alerts nobody") {
		renewals, err := prom.Query(ctx, `increase(otelcol_api_logs_coordinator_lease_renewal_latency_count[4s])`)
		t.Logf("renewals in 4 s: %v (%v)", renewals, err)
	}

	// etcd gone: nobody renews, nobody owns anything.
	etcdStopped = true
	etcd.Member(0).Stop()
	stopped := time.Now()
	want := map[string][]string{"APILogsCoordinatorOwnsNothing": {"firing "}}
	for _, target := range targets {
		want["APILogsCoordinatorLeaseNotRenewed"] = append(want["APILogsCoordinatorLeaseNotRenewed"], "firing "+target)
	}
	slices.Sort(want["APILogsCoordinatorLeaseNotRenewed"])
	var got map[string][]string
	waitFor(t, time.Minute, func() string {
		got = coordAlerts()
		for _, states := range got {
			slices.Sort(states)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Sprintf("coordinator alerts %v, want %v", got, want)
		}
		return ""
	})
	firing := time.Since(stopped)
	// OwnsNothing: the members stop within lease_ttl, then its `for:` (2m/30).
	assert.GreaterOrEqual(t, firing, 2*time.Minute/timeScale, "fired before its `for:`")
	ownedNow, verr := value(`sum(otelcol_api_logs_coordinator_owned_units)`)
	require.NoError(t, verr)
	assert.Equal(t, "0", ownedNow)

	// etcd back: the cluster owns both units again and the alerts clear.
	require.NoError(t, etcd.Restart(0))
	restarted := time.Now()
	waitFor(t, time.Minute, func() string {
		if a := coordAlerts(); len(a) > 0 {
			return fmt.Sprintf("coordinator alerts %v", a)
		}
		if got, err := value(`sum(otelcol_api_logs_coordinator_owned_units)`); err != nil || got != strconv.Itoa(coordUnits) {
			return fmt.Sprintf("the cluster owns %q units (%v)", got, err)
		}
		return ""
	})
	t.Logf("etcd stopped: both alerts firing after %s; etcd back: cleared after %s; owned units per collector before: %v; a checkpoint refused after a lapsed lease: %v",
		firing.Round(100*time.Millisecond), time.Since(restarted).Round(100*time.Millisecond), owned, refusedSeen)
	for _, c := range cols {
		require.NoError(t, c.Stop(10*time.Second), "the collector must exit 0 soon after SIGTERM")
	}
}
