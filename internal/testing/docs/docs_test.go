package docs

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-api-logs/otelcol-api-logs/extension/apilogscoordinatorextension"
	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"
)

// repoRoot is the repository, seen from this package.
const repoRoot = "../../.."

// pages are the Markdown files checked, relative to the repository: the
// README, CONTRIBUTING, CHANGELOG, the component's README and everything under docs/.
func pages(t *testing.T) map[string]*Page {
	t.Helper()
	names := []string{"README.md", "CONTRIBUTING.md", "CHANGELOG.md", "receiver/apilogsreceiver/README.md"}
	err := filepath.WalkDir(filepath.Join(repoRoot, "docs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(repoRoot, p)
			names = append(names, filepath.ToSlash(rel))
		}
		return err
	})
	require.NoError(t, err)
	out := make(map[string]*Page, len(names))
	for _, name := range names {
		raw, err := os.ReadFile(filepath.Join(repoRoot, name))
		require.NoError(t, err)
		page, err := ParsePage(string(raw))
		require.NoError(t, err, name)
		out[name] = page
	}
	return out
}

// TestLinksResolve: every relative link of the pages names a file or
// directory of the repository, and every #fragment one of the anchors of the
// Markdown page it points to.
func TestLinksResolve(t *testing.T) {
	all := pages(t)
	checked, anchors := 0, 0
	for name, page := range all {
		for _, link := range page.Links {
			u, err := url.Parse(link)
			require.NoError(t, err, "%s: link %q", name, link)
			if u.Scheme != "" || u.Host != "" {
				continue // an absolute URL: not this test's business
			}
			checked++
			target := name
			if u.Path != "" {
				target = path.Clean(path.Join(path.Dir(name), u.Path))
				if !assert.False(t, target == ".." || strings.HasPrefix(target, "../"), "%s: link %q leaves the repository", name, link) {
					continue
				}
				if _, err := os.Stat(filepath.Join(repoRoot, filepath.FromSlash(target))); err != nil {
					assert.Fail(t, "broken link", "%s: link %q: %s does not exist", name, link, target)
					continue
				}
			}
			if u.Fragment == "" || !strings.HasSuffix(target, ".md") {
				continue
			}
			anchors++
			dest, ok := all[target]
			if !ok {
				raw, err := os.ReadFile(filepath.Join(repoRoot, filepath.FromSlash(target)))
				require.NoError(t, err)
				dest, err = ParsePage(string(raw))
				require.NoError(t, err, target)
				all[target] = dest
			}
			assert.True(t, dest.Anchors[u.Fragment], "%s: link %q: %s has no heading or anchor %q (it has %s)",
				name, link, target, u.Fragment, strings.Join(slices.Sorted(maps.Keys(dest.Anchors)), ", "))
		}
	}
	// The pages link to each other and into the code: a parser that found
	// none would pass without checking anything.
	assert.Greater(t, checked, 150, "relative links checked")
	assert.Greater(t, anchors, 40, "anchors checked")
}

// receiverRe finds an api_logs receiver entry in a YAML block.
var receiverRe = regexp.MustCompile(`(?m)^\s*api_logs(/\S*)?:\s*$`)

// TestConfigBlocksValidate: every YAML block marked <!-- config --> holds
// api_logs receivers (a collector configuration with receivers:, or receiver
// entries alone) that load through the factory's config, strict keys
// included, and pass Validate; a complete configuration also declares and
// enables the storage extension its receivers name, the one thing the
// receiver's Validate cannot see, and the api_logs_coordinator extension
// they name, whose configuration must load and pass its own Validate.
func TestConfigBlocksValidate(t *testing.T) {
	blocks := 0
	for name, page := range pages(t) {
		for _, b := range page.Blocks {
			if b.Marker != "config" {
				// A receiver example left unmarked would go unchecked; a
				// part of one that cannot load alone says so with
				// <!-- fragment -->.
				assert.False(t, b.Marker != "fragment" && receiverRe.MatchString(b.Text),
					"%s:%d: a block with an api_logs receiver is marked <!-- config --> (or <!-- fragment --> when it is only a part)", name, b.Line)
				continue
			}
			blocks++
			where := name + ":" + strconv.Itoa(b.Line)
			t.Run(where, func(t *testing.T) {
				require.Equal(t, "yaml", b.Info, "a config block is a yaml block")
				for id, err := range validateBlock(b.Text) {
					assert.NoError(t, err, "receiver %s", id)
				}
			})
		}
	}
	assert.GreaterOrEqual(t, blocks, 12, "config blocks: the README's, one per built-in API at least, the custom API's")
}

var envRe = regexp.MustCompile(`\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}`)

// validateBlock loads the api_logs receivers of a marked block and returns
// what each one's loading and validation said, by receiver id. A block that
// holds no api_logs receiver, or cannot be read, is an error under the id "".
func validateBlock(text string) map[string]error {
	// The collector resolves ${env:NAME:-default}; here a variable is its
	// default, or a placeholder text.
	text = envRe.ReplaceAllStringFunc(text, func(s string) string {
		m := envRe.FindStringSubmatch(s)
		if m[2] != "" {
			return m[2]
		}
		return "env-" + m[1]
	})
	results := map[string]error{}
	var top map[string]any
	if err := yaml.Unmarshal([]byte(text), &top); err != nil {
		results[""] = err
		return results
	}
	receivers, complete := top["receivers"].(map[string]any)
	if !complete {
		receivers = top // receiver entries alone
	}
	apiLogs := component.MustNewType("api_logs")
	for key, raw := range receivers {
		var id component.ID
		if err := id.UnmarshalText([]byte(key)); err != nil || id.Type() != apiLogs {
			if !complete {
				results[key] = fmt.Errorf("%q is not an api_logs receiver; a block of receiver entries holds api_logs receivers only", key)
			}
			continue
		}
		entry, _ := raw.(map[string]any)
		cfg := apilogsreceiver.NewFactory().CreateDefaultConfig().(*apilogsreceiver.Config)
		if err := confmap.NewFromStringMap(entry).Unmarshal(cfg); err != nil {
			results[key] = err
			continue
		}
		err := cfg.Validate()
		if err == nil && complete && cfg.Storage != nil {
			err = storageDeclared(top, cfg.Storage.String())
		}
		if err == nil && complete && cfg.Coordinator != nil {
			err = coordinatorDeclared(top, *cfg.Coordinator)
		}
		results[key] = err
	}
	if len(results) == 0 {
		results[""] = errors.New("the block holds no api_logs receiver")
	}
	return results
}

// coordinatorDeclared: the api_logs_coordinator extension a receiver names
// is configured under extensions: and listed in service.extensions, and its
// configuration loads (strict keys) and passes the extension's Validate.
func coordinatorDeclared(top map[string]any, id component.ID) error {
	factory := apilogscoordinatorextension.NewFactory()
	if id.Type() != factory.Type() {
		return fmt.Errorf("coordinator %q is not an %s extension", id, factory.Type())
	}
	if err := extensionDeclared(top, "coordinator", id.String()); err != nil {
		return err
	}
	exts, _ := top["extensions"].(map[string]any)
	entry, _ := exts[id.String()].(map[string]any)
	cfg := factory.CreateDefaultConfig().(*apilogscoordinatorextension.Config)
	if err := confmap.NewFromStringMap(entry).Unmarshal(cfg); err != nil {
		return fmt.Errorf("extension %s: %w", id, err)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("extension %s: %w", id, err)
	}
	return nil
}

// storageDeclared: the extension is configured under extensions: and listed
// in service.extensions.
func storageDeclared(top map[string]any, ext string) error {
	return extensionDeclared(top, "storage", ext)
}

// extensionDeclared: the extension that the receiver key names is
// configured under extensions: and listed in service.extensions.
func extensionDeclared(top map[string]any, key, ext string) error {
	exts, _ := top["extensions"].(map[string]any)
	if _, ok := exts[ext]; !ok {
		return fmt.Errorf("%s %q is not configured under extensions", key, ext)
	}
	service, _ := top["service"].(map[string]any)
	enabled, _ := service["extensions"].([]any)
	if !slices.Contains(enabled, any(ext)) {
		return fmt.Errorf("%s %q is not in service.extensions", key, ext)
	}
	return nil
}
