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
	pid := os.Getpid()
	m := SampleMemory(pid, 10*time.Millisecond)
	from := time.Now()
	cpu0, err := CPUTime(pid)
	require.NoError(t, err)
	// Spend 100 ms of CPU (not of wall time: a loaded machine only makes
	// it take longer), touching 32 MiB on the way.
	buf := make([]byte, 32<<20)
	var spent time.Duration
	for spent < 100*time.Millisecond {
		for i := range buf {
			buf[i]++
		}
		cpu, err := CPUTime(pid)
		require.NoError(t, err)
		spent = cpu - cpu0
	}
	burnt := time.Now()
	// CPUBetween reads the sample nearest before each instant: wait for
	// one taken after the burn.
	require.Eventually(t, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return len(m.cpu) > 0 && m.cpu[len(m.cpu)-1].at.After(burnt)
	}, 10*time.Second, 5*time.Millisecond)
	to := time.Now()
	peak, last := m.Finish()
	assert.GreaterOrEqual(t, peak, 32.0, "the 32 MiB touched are in the peak RSS (MiB)")
	assert.Positive(t, last)
	assert.GreaterOrEqual(t, peak, last)
	// The sample before from holds at most cpu0, the one before to at
	// least cpu0 + spent: CPU time only grows.
	assert.GreaterOrEqual(t, m.CPUBetween(from, to), spent)
	_ = buf[len(buf)-1]
}

// TestCPUBetweenPicksSamplesBefore: CPUBetween is the difference of the
// samples nearest before each instant, 0 before the first sample.
func TestCPUBetweenPicksSamplesBefore(t *testing.T) {
	t0 := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	m := &MemSampler{cpu: []cpuSample{
		{t0, 1 * time.Second},
		{t0.Add(10 * time.Millisecond), 1500 * time.Millisecond},
		{t0.Add(20 * time.Millisecond), 3 * time.Second},
	}}
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	assert.Equal(t, 2*time.Second, m.CPUBetween(ms(0), ms(25)))
	assert.Equal(t, 500*time.Millisecond, m.CPUBetween(ms(5), ms(15)))
	assert.Equal(t, 1500*time.Millisecond, m.CPUBetween(ms(10), ms(20)), "a sample at the instant counts")
	assert.Equal(t, time.Duration(0), m.CPUBetween(ms(11), ms(19)), "no sample between")
	assert.Equal(t, 1500*time.Millisecond, m.CPUBetween(ms(-1), ms(10)), "before the first sample: 0")
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
