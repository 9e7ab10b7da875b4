package docs

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// The places a built-in API has its parts (CONTRIBUTING.md, "Add a built-in
// API"), relative to the repository.
const (
	specDir   = "internal/apispec/builtin"
	goldenDir = "internal/mapper/testdata/golden"
	bodiesDir = "internal/decode/testdata/bodies"
	apiDocDir = "docs/apis"
)

// TestEveryBuiltinAPIIsComplete: each built-in API has its four parts, a
// spec, golden files, a simulator route and a documentation page. The names
// come from every one of those places, so that any part left without the
// others (a page for an API whose spec is gone, a spec without a page) fails.
func TestEveryBuiltinAPIIsComplete(t *testing.T) {
	sim, err := simulator.New(simulator.Options{Paused: true, InitialRecords: -1})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, sim.Close()) })
	readme, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	require.NoError(t, err)

	names := builtinNames(t)
	require.GreaterOrEqual(t, len(names), 8, "built-in APIs")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			// 1. The spec: embedded, parsed like a custom spec, valid.
			spec, err := apispec.Builtin(name)
			if assert.NoError(t, err, "spec: add %s/%s.yaml", specDir, name) {
				assert.NoError(t, spec.ValidateAt(""), "spec %s/%s.yaml", specDir, name)
			}

			// 2. Goldens: a response body and the golden of its mapping
			// (TestGolden in internal/mapper fails on a golden without a case).
			assert.NotEmpty(t, glob(t, bodiesDir, name+".*.json"), "golden files: add a response body %s/%s.<source>.json", bodiesDir, name)
			assert.NotEmpty(t, glob(t, goldenDir, name+".*.yaml"), "golden files: add %s/%s.<source>.yaml (go test ./internal/mapper -run TestGolden -update)", goldenDir, name)

			// 3. The simulator: a route that the simulator counts as this
			// API answers the spec's list request, and the chaos run and
			// the end-to-end tests have a receiver for it.
			if assert.NotNil(t, spec, "simulator: no spec to send a request from") {
				assertSimulatorRoute(t, sim, name, spec)
			}

			// 4. The page: docs/apis/<api>.md with a configuration of the
			// API (TestConfigBlocksValidate validates it), linked from the
			// README's table.
			page := filepath.Join(repoRoot, apiDocDir, name+".md")
			raw, err := os.ReadFile(page)
			if assert.NoError(t, err, "docs page: add %s/%s.md", apiDocDir, name) {
				parsed, err := ParsePage(string(raw))
				require.NoError(t, err)
				assert.True(t, configures(parsed, name), "%s/%s.md has no <!-- config --> block with an api_logs receiver of api %s", apiDocDir, name, name)
			}
			assert.Contains(t, string(readme), "]("+apiDocDir+"/"+name+".md)", "README.md links to %s/%s.md", apiDocDir, name)
		})
	}
}

// builtinNames is every name any of the four places knows as a built-in API.
func builtinNames(t *testing.T) []string {
	t.Helper()
	names := slices.Clone(apispec.BuiltinNames())
	for _, f := range glob(t, goldenDir, "*.yaml") {
		names = append(names, strings.SplitN(f, ".", 2)[0])
	}
	names = append(names, simulator.AllAPIs...)
	for _, r := range chaosrun.BuiltinReceivers("") {
		names = append(names, r.API)
	}
	for _, f := range glob(t, apiDocDir, "*.md") {
		if f != "README.md" {
			names = append(names, strings.TrimSuffix(f, ".md"))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

var templateVarRe = regexp.MustCompile(`\{\{[^}]*\}\}`)

// assertSimulatorRoute sends the spec's list request, as the chaos run's
// receiver of the API addresses the simulator, and checks that the simulator
// counted it for the API (an unknown path counts as "unknown"). Without
// credentials the answer is a 401: the route, not the data, is the point.
func assertSimulatorRoute(t *testing.T, sim *simulator.Simulator, name string, spec *apispec.Spec) {
	t.Helper()
	var endpoint string
	for _, r := range chaosrun.BuiltinReceivers("") {
		if r.API == name {
			for _, s := range r.Settings {
				if e, ok := strings.CutPrefix(s, "endpoint: "); ok {
					endpoint = e
				}
			}
		}
	}
	if !assert.NotEmpty(t, endpoint, "simulator: add a receiver of api %s to chaosrun.BuiltinReceivers", name) {
		return
	}
	method := spec.Request.Method
	if method == "" {
		method = http.MethodGet
	}
	path := endpoint + templateVarRe.ReplaceAllString(spec.Request.Path, "1")
	before := requests(sim, name)
	sim.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, path, http.NoBody))
	assert.Equal(t, before+1, requests(sim, name), "simulator: no route of api %s answers %s %s (add it to internal/testing/simulator/routes.go)", name, method, path)
}

func requests(sim *simulator.Simulator, api string) int64 {
	var n int64
	for _, count := range sim.Stats().Requests[api] {
		n += count
	}
	return n
}

// configures: the page has a config block with a receiver of the api.
func configures(page *Page, api string) bool {
	for _, b := range page.Blocks {
		if b.Marker != "config" {
			continue
		}
		var top map[string]any
		if yaml.Unmarshal([]byte(b.Text), &top) != nil {
			continue
		}
		receivers, ok := top["receivers"].(map[string]any)
		if !ok {
			receivers = top
		}
		for _, r := range receivers {
			if entry, ok := r.(map[string]any); ok && entry["api"] == api {
				return true
			}
		}
	}
	return false
}

// glob lists the base names of the files of a repository directory that match pattern.
func glob(t *testing.T, dir, pattern string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, dir, pattern))
	require.NoError(t, err)
	for i, f := range files {
		files[i] = filepath.Base(f)
	}
	return files
}
