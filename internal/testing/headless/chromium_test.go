package headless

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeChromium is a script that prints its arguments, or writes the
// screenshot --screenshot= names.
func fakeChromium(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "chromium")
	script := `#!/bin/sh
for a in "$@"; do case "$a" in --screenshot=*) printf PNG > "${a#--screenshot=}"; exit 0;; esac; done
echo "<html>$*</html>"
`
	require.NoError(t, os.WriteFile(path, []byte(script), 0o700))
	return path
}

func TestDumpDOMAndScreenshot(t *testing.T) {
	b := Browser{Path: fakeChromium(t)}
	dom, err := b.DumpDOM(context.Background(), "http://127.0.0.1:1/page")
	require.NoError(t, err)
	for _, flag := range []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--window-size=1400,900", "--virtual-time-budget=10000", "--user-data-dir=", "--dump-dom http://127.0.0.1:1/page",
	} {
		assert.Contains(t, dom, flag)
	}

	png := filepath.Join(t.TempDir(), "shot.png")
	require.NoError(t, b.Screenshot(context.Background(), "http://127.0.0.1:1/page", png))
	raw, err := os.ReadFile(png)
	require.NoError(t, err)
	assert.Equal(t, "PNG", string(raw))
}

func TestFailuresSayWhy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "chromium")
	require.NoError(t, os.WriteFile(path, []byte("#!/bin/sh\necho 'cannot open display' >&2\nexit 3\n"), 0o700))
	_, err := Browser{Path: path}.DumpDOM(context.Background(), "http://127.0.0.1:1/")
	require.ErrorContains(t, err, "cannot open display")

	t.Setenv(EnvChromium, filepath.Join(t.TempDir(), "none"))
	found, why := Find()
	assert.Empty(t, found)
	assert.True(t, strings.HasPrefix(why, "no Chromium at "), why)
	assert.Contains(t, why, EnvChromium)
}
