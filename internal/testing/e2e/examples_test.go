package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
)

// exampleEnv gives every ${env:...} of the examples a dummy value.
func exampleEnv(t *testing.T) []string {
	return append(os.Environ(),
		"CHECKPOINT_DIR="+t.TempDir(), "OTLP_ENDPOINT=http://127.0.0.1:4318",
		"TINES_TENANT_URL=https://example.tines.com", "TINES_API_KEY=dummy-tines-key",
		"STACKONE_API_KEY=dummy-stackone-key",
		"LOGTO_ENDPOINT=https://example.logto.app", "LOGTO_CLIENT_ID=dummy-app", "LOGTO_CLIENT_SECRET=dummy-secret",
		"OMS_ENDPOINT=https://oms.example.com", "OMS_API_KEY=dummy-oms-key",
		"MAKE_ZONE_URL=https://eu1.make.com", "MAKE_API_TOKEN=dummy-make-token",
		"MAKE_TEAM_ID=7", "MAKE_SCENARIO_ID=7001", "MAKE_ORGANIZATION_ID=21",
		"OKTA_ORG_URL=https://example.okta.com", "OKTA_API_TOKEN=dummy-okta-token",
		"ONEPASSWORD_EVENTS_URL=https://events.1password.com", "ONEPASSWORD_EVENTS_TOKEN=dummy-1password-token",
		"SLACK_AUDIT_TOKEN=xoxp-dummy-slack-token",
		"GITHUB_AUDIT_TOKEN=ghp_dummyGitHubToken", "GITHUB_ENTERPRISE=avocado-corp",
	)
}

func validate(t *testing.T, bin, path string) (string, error) {
	cmd := exec.Command(bin, "validate", "--config", path)
	cmd.Env = exampleEnv(t)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// TestExamplesValidate: every example is a complete, valid configuration and
// together they cover every built-in API and a custom spec.
func TestExamplesValidate(t *testing.T) {
	bin := collectorBinary(t)
	files, err := filepath.Glob("../../../examples/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	apiLine := regexp.MustCompile(`(?m)^\s+api:\s*(\S+)`)
	covered := map[string]bool{}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out, err := validate(t, bin, f)
			require.NoError(t, err, "collector validate %s:\n%s", f, out)
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			for _, m := range apiLine.FindAllStringSubmatch(string(raw), -1) {
				covered[m[1]] = true
			}
		})
	}
	for _, api := range append(apispec.BuiltinNames(), apispec.Custom) {
		assert.True(t, covered[api], "no example uses api %s", api)
	}
}

// TestInvalidConfigNamesReceiverAndKeys: a broken receiver stops the collector
// before it starts, and the message says which receiver and which keys.
func TestInvalidConfigNamesReceiverAndKeys(t *testing.T) {
	bin := collectorBinary(t)
	path := filepath.Join(t.TempDir(), "invalid.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
receivers:
  api_logs/tines_broken:
    api: tines_audit_logs
    endpoint: https://example.tines.com
    page_size: 600
exporters:
  otlp_http:
    endpoint: http://127.0.0.1:4318
service:
  pipelines:
    logs:
      receivers: [api_logs/tines_broken]
      exporters: [otlp_http]
`), 0o600))
	out, err := validate(t, bin, path)
	require.Error(t, err, "validate must fail:\n%s", out)
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit)
	assert.NotZero(t, exit.ExitCode())
	for _, want := range []string{"api_logs/tines_broken", "page_size", "api_key"} {
		assert.Contains(t, out, want)
	}
}

// TestCustomSpecIsTheBuiltinOne keeps the custom receiver of the tests and
// examples/custom.yaml equal to the built-in Tines audit spec.
func TestCustomSpecIsTheBuiltinOne(t *testing.T) {
	raw, err := os.ReadFile("../../apispec/builtin/tines_audit_logs.yaml")
	require.NoError(t, err)
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
		if !strings.HasPrefix(l, "#") {
			lines = append(lines, l)
		}
	}
	builtin := strings.Join(lines, "\n")
	assert.Equal(t, builtin, strings.TrimSpace(chaosrun.TinesAuditSpec))

	example, err := os.ReadFile("../../../examples/custom.yaml")
	require.NoError(t, err)
	var indented []string
	for _, l := range lines {
		indented = append(indented, "      "+l)
	}
	assert.Contains(t, string(example), strings.Join(indented, "\n"))
}
