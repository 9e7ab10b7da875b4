// Package headless runs Debian's Chromium without a window for the tests that
// look at a web page: the page's DOM after its scripts ran, or a screenshot.
package headless

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

const (
	// EnvChromium names the environment variable with the browser's path;
	// DefaultChromium when unset.
	EnvChromium = "APILOGS_CHROMIUM"
	// DefaultChromium is where Debian's chromium package puts the browser.
	DefaultChromium = "/usr/bin/chromium"
	// EnvRequire, when set to 1 (as .ci/run does), makes a missing browser a
	// test failure instead of a skip.
	EnvRequire = "APILOGS_REQUIRE_CHROMIUM"
)

// Find returns the browser, or "" and why not.
func Find() (path, why string) {
	path = os.Getenv(EnvChromium)
	if path == "" {
		path = DefaultChromium
	}
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Sprintf("no Chromium at %s (install Debian's chromium package, or set %s): %v", path, EnvChromium, err)
	}
	return path, ""
}

// Required reports whether a missing browser must fail the tests.
func Required() bool { return os.Getenv(EnvRequire) == "1" }

// Browser runs one Chromium command per call, each with a new empty profile.
type Browser struct {
	Path string
	// Budget is the virtual time the page's scripts get before the DOM is
	// read or the screenshot taken. Virtual time stands still while a fetch
	// is pending, so a slow answer does not cut the page short.
	Budget time.Duration
	Width  int
	Height int
}

// flags are those a headless run on a machine without a network needs: the
// background services otherwise keep trying to reach Google's hosts.
func (b Browser) flags(profile string) []string {
	w, h := b.Width, b.Height
	if w == 0 || h == 0 {
		w, h = 1400, 900
	}
	budget := b.Budget
	if budget == 0 {
		budget = 10 * time.Second
	}
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--hide-scrollbars", "--user-data-dir=" + profile,
		"--window-size=" + strconv.Itoa(w) + "," + strconv.Itoa(h),
		"--virtual-time-budget=" + strconv.FormatInt(budget.Milliseconds(), 10),
	}
}

// DumpDOM loads url and returns the DOM as HTML once the budget has passed.
func (b Browser) DumpDOM(ctx context.Context, url string) (string, error) {
	out, err := b.run(ctx, "--dump-dom", url)
	return string(out), err
}

// Screenshot loads url and writes a PNG of the window to path.
func (b Browser) Screenshot(ctx context.Context, url, path string) error {
	_, err := b.run(ctx, "--screenshot="+path, url)
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("chromium wrote no screenshot: %w", err)
	}
	if st.Size() == 0 {
		return fmt.Errorf("chromium wrote an empty screenshot to %s", path)
	}
	return nil
}

func (b Browser) run(ctx context.Context, args ...string) ([]byte, error) {
	profile, err := os.MkdirTemp("", "apilogs-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(profile)
	cmd := exec.CommandContext(ctx, b.Path, append(b.flags(profile), args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("chromium %s: %w; stderr tail:\n%s", strings.Join(args, " "), err, tail(stderr.String(), 2000))
	}
	return stdout.Bytes(), nil
}

func tail(s string, n int) string {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	return strings.TrimSpace(s)
}
