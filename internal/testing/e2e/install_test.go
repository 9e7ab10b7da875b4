package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReadmeManifestBuilds builds the ocb manifest exactly as the README shows
// it (with the checkout's path filled in) and checks that the collector it
// makes knows the api_logs receiver and the api_logs_coordinator extension.
func TestReadmeManifestBuilds(t *testing.T) {
	collectorBinary(t) // runs with the end-to-end tests: it needs ocb and the module cache
	root, err := filepath.Abs("../../..")
	require.NoError(t, err)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	_, block, ok := strings.Cut(string(readme), "<!-- manifest -->\n```yaml\n")
	require.True(t, ok, "the README marks its manifest with <!-- manifest -->")
	manifest, _, ok := strings.Cut(block, "```\n<!-- /manifest -->")
	require.True(t, ok)
	require.Contains(t, manifest, "path: /path/to/otelcol-api-logs")
	require.Contains(t, manifest, "output_path: ./_build")

	dir := t.TempDir()
	manifest = strings.ReplaceAll(manifest, "/path/to/otelcol-api-logs", root)
	manifest = strings.Replace(manifest, "./_build", filepath.Join(dir, "dist"), 1)
	path := filepath.Join(dir, "manifest.yaml")
	require.NoError(t, os.WriteFile(path, []byte(manifest), 0o600))

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "tool", "-modfile="+filepath.Join(root, "tools", "go.mod"), "builder", "--config", path)
	build.Dir = root // go tool -modfile needs a module around it; every path in the manifest is absolute
	out, err := build.CombinedOutput()
	require.NoError(t, err, "ocb:\n%s", out)

	list, err := exec.CommandContext(ctx, filepath.Join(dir, "dist", "otelcol-custom"), "components").CombinedOutput()
	require.NoError(t, err, "%s", list)
	assert.Contains(t, string(list), "name: api_logs\n")
	assert.Contains(t, string(list), "name: api_logs_coordinator")
}
