package prometheus

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deployDir holds the rule files and their promtool tests.
var deployDir = filepath.Join("..", "..", "..", "deploy", "prometheus")

// promtool returns promtool, or skips the test when there is none, unless
// EnvRequire says it must be there (.ci/run).
func promtool(t *testing.T) string {
	t.Helper()
	path, why := Find(EnvPromtool, DefaultPromtool)
	if path == "" {
		if Required() {
			t.Fatalf("%s (%s=1 requires it)", why, EnvRequire)
		}
		t.Skip(why)
	}
	return path
}

// deploy/prometheus/alerts.yaml is valid and its unit tests
// (alerts_test.yaml: each alert firing at the minute it should, not before,
// and cleared when it should) pass.
func TestAlertRulesPromtool(t *testing.T) {
	bin := promtool(t)
	out, err := exec.Command(bin, "check", "rules", filepath.Join(deployDir, "alerts.yaml")).CombinedOutput()
	require.NoError(t, err, "promtool check rules:\n%s", out)
	// Every rule of the file is checked: promtool counts what it read.
	rules, err := os.ReadFile(filepath.Join(deployDir, "alerts.yaml"))
	require.NoError(t, err)
	n := len(regexp.MustCompile(`(?m)^\s*- (alert|record): `).FindAll(rules, -1))
	require.GreaterOrEqual(t, n, 16, "the alerting rules and recording rules of alerts.yaml")
	assert.Contains(t, string(out), fmt.Sprintf("SUCCESS: %d rules found", n))

	cmd := exec.Command(bin, "test", "rules", "alerts_test.yaml")
	cmd.Dir = deployDir
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, "promtool test rules:\n%s", out)
	assert.Contains(t, string(out), "SUCCESS")
}

func TestCompress(t *testing.T) {
	in := "expr: increase(x[20m]) or (x unless x offset 1h) and rate(y[15m])\nfor: 5m\n  for: 30s\nlabel: form 5m\n"
	out, err := Compress(in, 30)
	require.NoError(t, err)
	assert.Equal(t, "expr: increase(x[40000ms]) or (x unless x offset 120000ms) and rate(y[30000ms])\nfor: 10000ms\n  for: 1000ms\nlabel: form 5m\n", out)

	_, err = Compress("for: 1ms", 30)
	require.EqualError(t, err, "1ms divided by 30 is not a whole number of milliseconds")
	_, err = Compress("for: 1m", 0)
	assert.Error(t, err)
}

func TestConfigRender(t *testing.T) {
	got := Config{Targets: []string{"127.0.0.1:1", "127.0.0.1:2"}, RuleFiles: []string{"/r/alerts.yaml"}, Interval: 1e9}.render()
	assert.Equal(t, `global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - "/r/alerts.yaml"
scrape_configs:
  - job_name: "otelcol"
    static_configs:
      - targets: ["127.0.0.1:1", "127.0.0.1:2"]
`, got)
}
