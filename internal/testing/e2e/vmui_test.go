package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/headless"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/victorialogs"
)

// EnvScreenshot names the environment variable that makes TestVictoriaLogsUI
// save its view of the UI as a PNG there (`make screenshot`).
const EnvScreenshot = "APILOGS_SCREENSHOT"

// vmuiFields are the fields the UI test shows on each row: the severity,
// the record's message and its id.
var vmuiFields = []string{"severity_text", "_msg", "log.record.uid"}

// TestVictoriaLogsUI runs what `make run-store` runs (config.yaml with
// config-store.yaml over it, the simulator, VictoriaLogs), opens VictoriaLogs'
// web UI in headless Chromium and checks that it shows the records of every
// API: one group per api_logs.api with as many entries as the store holds,
// every record's id and message (_msg) on a row of its group. With APILOGS_SCREENSHOT set it
// saves the view (docs/images/victorialogs.png, `make screenshot`).
func TestVictoriaLogsUI(t *testing.T) {
	const perStream = 3 // records per stream: every group fits on the UI's first page
	bin := collectorBinary(t)
	browser := chromium(t)
	vl := startVictoriaLogs(t)
	sim := startSimulator(t, simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: perStream, Seed: 7})

	dir := t.TempDir()
	ports := make([]string, 2)
	for i := range ports {
		addr, err := collectorproc.FreeAddr()
		require.NoError(t, err)
		ports[i] = addr
	}
	_, metricsPort, _ := strings.Cut(ports[0], ":")
	col := &collectorproc.Process{
		Binary: bin, Config: "../../../config.yaml", ExtraConfigs: []string{"../../../config-store.yaml"},
		LogPath: filepath.Join(dir, "collector.log"), Name: "config.yaml + config-store.yaml",
		Env: []string{
			"APISIM_URL=" + sim.URL(), "VICTORIALOGS_URL=" + vl.URL(), "CHECKPOINT_DIR=" + filepath.Join(dir, "checkpoints"),
			"METRICS_PORT=" + metricsPort, "HEALTH_CHECK_ENDPOINT=" + ports[1],
		},
	}
	require.NoError(t, col.Start())
	t.Cleanup(func() {
		col.Kill()
		if t.Failed() {
			t.Logf("collector output:\n%s\nvictoria-logs output:\n%s", tail(col.Log(), 100), vl.Tail(4000))
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	require.NoError(t, col.WaitHealthy(ctx, ports[1]))
	cancel()

	// config.yaml's receivers read the streams chaosrun.BuiltinReceivers names.
	receivers := chaosrun.BuiltinReceivers(sim.URL())
	minCreated := map[string]int{}
	for _, r := range receivers {
		minCreated[r.ID] = r.Streams * perStream
	}
	waitFor(t, 2*time.Minute, storeDelivered(vl, sim, receivers, minCreated))
	requireExact(t, sim, storeCounts(t, vl), receivers)

	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := vl.Query(ctx, "*")
	require.NoError(t, err)
	byAPI := map[string][]victorialogs.Row{}
	for _, row := range rows {
		byAPI[row["api_logs.api"]] = append(byAPI[row["api_logs.api"]], row)
	}
	require.Len(t, byAPI, len(receivers), "one api_logs.api per built-in API")

	url := victorialogs.VMUIURL(vl.URL(), "*", "last_3_hours", "api_logs.api", vmuiFields, 1000)
	t.Logf("UI: %s", url)
	var groups map[string]vmuiGroup
	var total int
	// The DOM is read again until the UI shows every group: a first load on
	// a loaded machine may still be fetching when the budget ends.
	waitFor(t, 2*time.Minute, func() string {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		dom, err := browser.DumpDOM(ctx, url)
		if err != nil {
			return err.Error()
		}
		groups, total = vmuiGroups(dom)
		if len(groups) < len(byAPI) {
			return fmt.Sprintf("the UI shows %d groups, want %d (one per API): %v", len(groups), len(byAPI), groups)
		}
		return ""
	})
	assert.Equal(t, len(rows), total, "Total logs returned")
	for api, apiRows := range byAPI {
		g, ok := groups[api]
		if !assert.True(t, ok, "the UI shows no group %s", api) {
			continue
		}
		assert.Len(t, apiRows, g.entries, "%s: entries the UI counts in the group", api)
		for _, row := range apiRows {
			assert.Contains(t, g.html, ">"+row["log.record.uid"]+"<", "%s: record %s not shown in its group", api, row["log.record.uid"])
			require.NotEmpty(t, row["_msg"], "%s: record %s", api, row["log.record.uid"])
			assert.NotContains(t, row["_msg"], victorialogs.MissingMsg, "%s: record %s has a message", api, row["log.record.uid"])
			assert.Contains(t, g.html, htmlText(row["_msg"]), "%s: message of %s not shown", api, row["log.record.uid"])
		}
	}

	if path := os.Getenv(EnvScreenshot); path != "" {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o750))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		require.NoError(t, browser.Screenshot(ctx, url, path))
		t.Logf("screenshot: %s", path)
	}
	require.NoError(t, col.Stop(10*time.Second), "the collector must exit 0 soon after SIGTERM")
}

// chromium returns the headless browser, or skips the test when there is
// none, unless headless.EnvRequire says it must be there (.ci/run).
func chromium(t *testing.T) headless.Browser {
	t.Helper()
	path, why := headless.Find()
	if path == "" {
		if headless.Required() {
			t.Fatalf("%s (%s=1 requires it)", why, headless.EnvRequire)
		}
		t.Skip(why)
	}
	return headless.Browser{Path: path, Budget: 10 * time.Second, Width: 1400, Height: 900}
}

// vmuiGroup is one group of the UI's Group view: its entry count and its HTML.
type vmuiGroup struct {
	entries int
	html    string
}

// vmuiGroups splits the DOM of the Group view into its groups by value and
// reads "Total logs returned".
func vmuiGroups(dom string) (map[string]vmuiGroup, int) {
	// A group header of the VictoriaLogs v1.52.1 UI
	// (app/vmui/packages/vmui/src/components/Views/GroupView).
	header := regexp.MustCompile(`vm-group-logs-section-keys__pair">([^<]*)</div><span class="vm-group-logs-section-keys__count">(\d+) entr`)
	out := map[string]vmuiGroup{}
	heads := header.FindAllStringSubmatchIndex(dom, -1)
	for i, h := range heads {
		end := len(dom)
		if i+1 < len(heads) {
			end = heads[i+1][0]
		}
		n, _ := strconv.Atoi(dom[h[4]:h[5]])
		out[dom[h[2]:h[3]]] = vmuiGroup{entries: n, html: dom[h[0]:end]}
	}
	total := 0
	if m := regexp.MustCompile(`Total logs returned: <b>(\d+)</b>`).FindStringSubmatch(dom); m != nil {
		total, _ = strconv.Atoi(m[1])
	}
	return out, total
}

// htmlText is s as a text node of a serialized DOM.
func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\u00a0", "&nbsp;").Replace(s)
}

// TestDocsVictoriaLogsBlockIsTested: the VictoriaLogs exporter of
// docs/log-stores.md is the one in config-store.yaml, which TestVictoriaLogsUI
// runs.
func TestDocsVictoriaLogsBlockIsTested(t *testing.T) {
	doc, err := os.ReadFile(logStoresDoc)
	require.NoError(t, err)
	_, block, ok := strings.Cut(string(doc), "<!-- victorialogs -->\n```yaml\n")
	require.True(t, ok, "docs/log-stores.md marks its VictoriaLogs exporter with <!-- victorialogs -->")
	block, _, ok = strings.Cut(block, "```\n<!-- /victorialogs -->")
	require.True(t, ok)
	require.Contains(t, block, "otlp_http/victorialogs:")
	config, err := os.ReadFile("../../../config-store.yaml")
	require.NoError(t, err)
	var lines []string
	for _, l := range strings.Split(string(config), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			lines = append(lines, l)
		}
	}
	assert.Contains(t, strings.Join(lines, "\n"), strings.TrimRight(block, "\n"), "config-store.yaml, comments left out, holds the block of docs/log-stores.md")
}
