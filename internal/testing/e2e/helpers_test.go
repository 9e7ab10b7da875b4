package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"

	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/otlpsink"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// collectorBinary returns the collector under test or skips the test.
func collectorBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("APILOGS_COLLECTOR")
	if bin == "" {
		t.Skip("set APILOGS_COLLECTOR to the built collector (make build; `make unit` sets it) to run the end-to-end tests")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("APILOGS_COLLECTOR=%s: %v", bin, err)
	}
	return bin
}

func startSimulator(t *testing.T, opts simulator.Options) *simulator.Simulator {
	t.Helper()
	sim, err := simulator.New(opts)
	require.NoError(t, err)
	require.NoError(t, sim.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = sim.Close() })
	return sim
}

func startSink(t *testing.T) *otlpsink.Sink {
	t.Helper()
	sink := otlpsink.New(true)
	sink.NoteWith(chaosrun.StateNote)
	require.NoError(t, sink.Start("127.0.0.1:0"))
	t.Cleanup(func() { _ = sink.Close() })
	return sink
}

// harness is one collector configuration with its process.
type harness struct {
	t      *testing.T
	cfg    chaosrun.Config
	col    *collectorproc.Process
	health string
}

// newHarness writes cfg (storage, health endpoint filled in) and prepares the process.
func newHarness(t *testing.T, cfg chaosrun.Config) *harness {
	t.Helper()
	dir := t.TempDir()
	health, err := collectorproc.FreeAddr()
	require.NoError(t, err)
	cfg.StorageDir = filepath.Join(dir, "storage")
	cfg.HealthAddr = health
	cfgPath := filepath.Join(dir, "config.yaml")
	require.NoError(t, cfg.Write(cfgPath))
	h := &harness{
		t: t, cfg: cfg, health: health,
		col: &collectorproc.Process{Binary: collectorBinary(t), Config: cfgPath, LogPath: filepath.Join(dir, "collector.log")},
	}
	t.Cleanup(func() {
		h.col.Kill()
		if t.Failed() {
			t.Logf("collector configuration:\n%s\ncollector output:\n%s", cfg.Render(), tail(h.col.Log(), 200))
		}
	})
	return h
}

func (h *harness) start() {
	h.t.Helper()
	require.NoError(h.t, h.col.Start())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(h.t, h.col.WaitHealthy(ctx, h.health))
}

// stop sends SIGTERM and requires a clean exit within a few seconds.
func (h *harness) stop() {
	h.t.Helper()
	require.NoError(h.t, h.col.Stop(10*time.Second), "the collector must exit 0 soon after SIGTERM")
}

// waitFor polls cond until it returns "" or the deadline passes; the last
// explanation is the failure message.
func waitFor(t *testing.T, deadline time.Duration, cond func() string) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		why := cond()
		if why == "" {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("gave up after %s: %s", deadline, why)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// allDelivered is a waitFor condition: every receiver has at least minCreated[id]
// records in the simulator and all of them arrived.
func allDelivered(sim *simulator.Simulator, sink chaosrun.Sink, rs []chaosrun.Receiver, minCreated map[string]int) func() string {
	return func() string {
		var pending []string
		for _, tally := range chaosrun.CountAll(sim, sink, rs) {
			if tally.Lost > 0 || tally.Created < minCreated[tally.Receiver] {
				pending = append(pending, tally.String())
			}
		}
		return strings.Join(pending, "; ")
	}
}

// requireExact asserts every record arrived exactly once and nothing else arrived.
func requireExact(t *testing.T, sim *simulator.Simulator, sink chaosrun.Sink, rs []chaosrun.Receiver) []chaosrun.Tally {
	t.Helper()
	tallies := chaosrun.CountAll(sim, sink, rs)
	for _, tally := range tallies {
		require.True(t, tally.OK(), "%s", tally)
	}
	return tallies
}

func tail(s string, lines int) string {
	all := strings.Split(s, "\n")
	if len(all) > lines {
		all = append([]string{"..."}, all[len(all)-lines:]...)
	}
	return strings.Join(all, "\n")
}
