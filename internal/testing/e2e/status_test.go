package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// componentStatus is the health_check extension's /status?verbose answer
// (contrib internal/healthcheck/internal/httpserver/serialization.go).
type componentStatus struct {
	Status     string                      `json:"status"`
	Error      string                      `json:"error"`
	Components map[string]*componentStatus `json:"components"`
}

// receiverStatus reads the status the collector holds for one receiver of
// the logs pipeline, "" when it has none yet.
func receiverStatus(health, id string) (status, errText string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+health+"/status?verbose", http.NoBody)
	if err != nil {
		return "", err.Error()
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err.Error()
	}
	defer resp.Body.Close()
	var st componentStatus
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return "", err.Error()
	}
	if p := st.Components["pipeline:logs"]; p != nil {
		if r := p.Components["receiver:"+id]; r != nil {
			return r.Status, r.Error
		}
	}
	return "", ""
}

// The component status of a receiver whose streams fail and recover, as the
// collector's own status machine (service/internal/status) accepts it: the
// health_check extension in its component-status mode (feature gate
// extension.healthcheck.useComponentStatus) serves what passed that machine,
// which never leaves PermanentError but for Stopping. A scenario refused
// (403) makes the receiver RecoverableError and it is OK again once the
// scenario answers; a scenario refused (401) and then dropped from the
// team's listing leaves the status at once.
func TestStatusFollowsTheCollectorRules(t *testing.T) {
	bin := collectorBinary(t)
	const api = simulator.APIMakeScenarioLogs
	sim := startSimulator(t, simulator.Options{Paused: true, InitialRecords: 20, Seed: 42})
	sim.Revoke(api, "7002", http.StatusForbidden)
	sink := startSink(t)
	receivers := chaosrun.Select(chaosrun.BuiltinReceivers(sim.URL()), chaosrun.MakeScenarios)
	id := "api_logs/" + receivers[0].ID

	health, err := collectorproc.FreeAddr()
	require.NoError(t, err)
	// A 401/403 is retried after 10 intervals: 20 s, far more than the
	// listing's second, so a dropped scenario is asked only once.
	const interval = 2 * time.Second
	var cfg strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&cfg, format+"\n", args...) }
	w("extensions:")
	w("  health_check:")
	w("    http:")
	w("      endpoint: %s", health)
	w("      status: {enabled: true, path: /status}")
	w("receivers:")
	w("  %s:", id)
	for _, s := range receivers[0].Settings {
		w("    %s", s)
	}
	w("    collection_interval: %s", interval)
	w("    discovery_interval: 1s")
	w("    start_at: \"-24h\"")
	w("exporters:")
	w("  otlp_http:")
	w("    endpoint: %s", sink.Endpoint())
	w("    sending_queue: {enabled: false}")
	w("service:")
	w("  telemetry: {metrics: {level: none}}")
	w("  extensions: [health_check]")
	w("  pipelines:")
	w("    logs: {receivers: [%s], exporters: [otlp_http]}", id)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(cfg.String()), 0o600))
	col := &collectorproc.Process{
		Binary: bin, Config: cfgPath, LogPath: filepath.Join(dir, "collector.log"),
		Args: []string{"--feature-gates=+extension.healthcheck.useComponentStatus"},
	}
	t.Cleanup(func() {
		col.Kill()
		if t.Failed() {
			t.Logf("collector configuration:\n%s\ncollector output:\n%s", cfg.String(), tail(col.Log(), 200))
		}
	})
	require.NoError(t, col.Start())
	started := time.Now()

	// waitStatus waits until the receiver's status is one of want.
	waitStatus := func(want ...string) (string, string) {
		t.Helper()
		var status, errText string
		waitFor(t, time.Minute, func() string {
			if err := col.Ended(); err != nil {
				return err.Error()
			}
			status, errText = receiverStatus(health, id)
			for _, s := range want {
				if status == s {
					return ""
				}
			}
			return fmt.Sprintf("receiver status %q (%s), want one of %v", status, errText, want)
		})
		return status, errText
	}

	status, errText := waitStatus("StatusRecoverableError", "StatusPermanentError")
	assert.Equal(t, "StatusRecoverableError", status, errText)
	assert.Contains(t, errText, "stream 7002: GET /make/api/v2/scenarios/{{stream}}/logs: status 403")

	sim.Restore(api, "7002")
	restored := time.Since(started)
	waitStatus("StatusOK")
	refused := sim.Stats().Requests[api]["403"]
	assert.GreaterOrEqual(t, refused, int64(1))
	assert.LessOrEqual(t, refused, int64(math.Ceil(restored.Seconds()/(10*interval).Seconds()))+1,
		"a refused scenario is asked again after 10 intervals, not every interval (refused for %s)", restored.Round(time.Second))

	waitFor(t, time.Minute, allDelivered(sim, sink, receivers, map[string]int{receivers[0].ID: 3 * 20}))

	sim.Revoke(api, "7003", http.StatusUnauthorized)
	_, errText = waitStatus("StatusRecoverableError")
	assert.Contains(t, errText, "stream 7003: GET /make/api/v2/scenarios/{{stream}}/logs: status 401")
	sim.HideScenario(7003, true)
	waitStatus("StatusOK")
	assert.Equal(t, int64(1), sim.Stats().Requests[api]["401"], "the dropped scenario was asked once, then forgotten")
	assert.Equal(t, refused, sim.Stats().Requests[api]["403"], "no refusal since 7002 was given back")

	requireExact(t, sim, sink, receivers)
	require.NoError(t, col.Stop(10*time.Second), "the collector must exit 0 soon after SIGTERM")
}
