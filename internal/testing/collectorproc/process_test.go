package collectorproc

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeCollector writes a shell script with body that stands in for the collector.
func fakeCollector(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fake-collector")
	script := "#!/bin/sh\n" + body + "\n"
	require.NoError(t, os.WriteFile(path, []byte(script), 0o700))
	return path
}

func TestLaunchStopRestartKill(t *testing.T) {
	// SIGTERM ends the script's sleep: a non-zero exit ("signal: terminated").
	bin := fakeCollector(t, "echo \"args: $*\"\nexec sleep 60")
	dir := t.TempDir()
	p, err := Launch(bin, dir, "demo", "receivers: {}\n")
	require.NoError(t, err)
	require.True(t, p.Running())
	require.Positive(t, p.Pid())
	raw, err := os.ReadFile(filepath.Join(dir, "demo.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "receivers: {}\n", string(raw))
	require.NoError(t, p.Ended(), "a running process has not ended")
	waitForLog(t, p, "args: --config "+filepath.Join(dir, "demo.yaml"), 1)

	require.Error(t, p.Stop(5*time.Second), "killed by SIGTERM: a non-zero exit")
	assert.False(t, p.Running())

	require.NoError(t, p.Start(), "a stopped process starts again")
	require.True(t, p.Running())
	waitForLog(t, p, "args:", 2)
	p.Kill()
	assert.False(t, p.Running())
	<-p.Exited()

	log := p.Log()
	assert.Equal(t, 2, strings.Count(log, "==== start "), "both starts append to one log:\n%s", log)
	assert.Equal(t, 2, strings.Count(log, "args: --config "+filepath.Join(dir, "demo.yaml")), log)
}

// waitForLog waits until the log holds s n times.
func waitForLog(t *testing.T, p *Process, s string, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Count(p.Log(), s) >= n }, 10*time.Second, 10*time.Millisecond)
}

func TestStopKillsAfterTimeout(t *testing.T) {
	bin := fakeCollector(t, "trap '' TERM\necho \"args: $*\"\nwhile :; do sleep 0.1; done")
	p := &Process{Binary: bin, Config: "c.yaml", LogPath: filepath.Join(t.TempDir(), "log")}
	require.NoError(t, p.Start())
	waitForLog(t, p, "args:", 1) // the trap is set before the script prints
	err := p.Stop(300 * time.Millisecond)
	require.ErrorContains(t, err, "did not exit within 300ms of SIGTERM")
	assert.False(t, p.Running())
}

func TestEarlyExitFailsTheWaits(t *testing.T) {
	bin := fakeCollector(t, "echo 'Error: invalid configuration'\nexit 1")
	p, err := Launch(bin, t.TempDir(), "broken", "")
	require.NoError(t, err)
	addr, err := FreeAddr()
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = p.WaitHealthy(ctx, addr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "collector broken exited")
	assert.Contains(t, err.Error(), "Error: invalid configuration", "the log tail says why")
	require.NoError(t, ctx.Err(), "the wait ended with the process, not the deadline")

	err = p.WaitListening(addr, 10*time.Second)
	require.ErrorContains(t, err, "Error: invalid configuration")
	require.Error(t, p.ExitErr())
}

func TestSampleMemory(t *testing.T) {
	m := SampleMemory(os.Getpid(), 10*time.Millisecond)
	from := time.Now()
	buf := make([]byte, 32<<20)
	for i := range buf {
		buf[i] = byte(i)
	}
	time.Sleep(50 * time.Millisecond)
	to := time.Now()
	peak, last := m.Finish()
	assert.Positive(t, peak)
	assert.Positive(t, last)
	assert.GreaterOrEqual(t, peak, last)
	assert.GreaterOrEqual(t, m.CPUBetween(from, to), time.Duration(0))
	cpu, err := CPUTime(os.Getpid())
	require.NoError(t, err)
	assert.Positive(t, cpu)
	_ = buf[len(buf)-1]
}

func TestExtraConfigsAndEnv(t *testing.T) {
	bin := fakeCollector(t, "echo \"args: $* demo=$APILOGS_DEMO_VALUE\"")
	p := &Process{
		Binary: bin, Config: "a.yaml", ExtraConfigs: []string{"b.yaml", "c.yaml"},
		Env: []string{"APILOGS_DEMO_VALUE=42"}, LogPath: filepath.Join(t.TempDir(), "log"),
	}
	require.NoError(t, p.Start())
	<-p.Exited()
	assert.Contains(t, p.Log(), "args: --config a.yaml --config b.yaml --config c.yaml demo=42")
}
