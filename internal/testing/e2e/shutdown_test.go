package e2e

import (
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// blackHole accepts connections, reads what they send and never answers:
// an exporter endpoint behind a hung proxy or a wedged backend.
type blackHole struct {
	ln    net.Listener
	conns atomic.Int64
	bytes atomic.Int64
	mu    sync.Mutex
	open  []net.Conn
	wg    sync.WaitGroup
}

func startBlackHole(t *testing.T) *blackHole {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	b := &blackHole{ln: ln}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.conns.Add(1)
			b.mu.Lock()
			b.open = append(b.open, c)
			b.mu.Unlock()
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					b.bytes.Add(int64(n))
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		b.mu.Lock()
		for _, c := range b.open {
			_ = c.Close()
		}
		b.mu.Unlock()
		b.wg.Wait()
	})
	return b
}

func (b *blackHole) url() string { return "http://" + b.ln.Addr().String() }

// auditRequests counts the simulator's answers to Tines audit log requests.
func auditRequests(sim *simulator.Simulator) int64 {
	var n int64
	for _, c := range sim.Stats().Requests[simulator.APITinesAuditLogs] {
		n += c
	}
	return n
}

// TestShutdownWithAnExporterThatNeverAnswers: the crash-safe setting
// (sending_queue off, retry_on_failure on) with an endpoint that accepts
// connections and never answers. The poll waits in ConsumeLogs behind the
// exporter's 30s attempts and 300s of retries; SIGTERM must still end the
// collector, cleanly, within 10s: the receiver's Shutdown (the collector's
// first step) cancels ConsumeLogs' context and exporterhelper gives up.
// Nothing was accepted, so no cursor moved, and a restart with a working
// endpoint delivers every record, each once, reading the three pages again.
func TestShutdownWithAnExporterThatNeverAnswers(t *testing.T) {
	collectorBinary(t)
	const records, pageSize = 30, 10
	sim := startSimulator(t, simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: records, Seed: 3})
	hole := startBlackHole(t)
	receivers := chaosrun.Select(chaosrun.BuiltinReceivers(sim.URL()), chaosrun.TinesAudit)
	// An hour between polls: every request is a page of the first walk.
	h := newHarness(t, chaosrun.Config{
		Receivers: receivers, SinkURL: hole.url(), CollectionInterval: "1h", PageSize: pageSize,
		RequestsPerMinute: 6000,
	})
	h.start()
	// The walk blocks on its first page in ConsumeLogs, with the second
	// queued behind it and the third mapped: three requests, no more.
	waitFor(t, time.Minute, func() string {
		if hole.bytes.Load() == 0 || auditRequests(sim) < 3 {
			return fmt.Sprintf("exporter connections %d, bytes %d, API requests %d",
				hole.conns.Load(), hole.bytes.Load(), auditRequests(sim))
		}
		return ""
	})
	time.Sleep(2 * time.Second) // a fourth request, if any, would come now
	assert.Equal(t, int64(records/pageSize), auditRequests(sim))

	stopped := time.Now()
	require.NoError(t, h.col.Stop(10*time.Second), "the collector must exit 0 within 10s of SIGTERM")
	t.Logf("the collector exited %s after SIGTERM", time.Since(stopped).Round(100*time.Millisecond))
	require.NotContains(t, h.col.Log(), "did not return after their context was cancelled")

	sink := startSink(t)
	h.cfg.SinkURL = sink.Endpoint()
	require.NoError(t, h.cfg.Write(h.col.Config))
	h.start()
	waitFor(t, time.Minute, allDelivered(sim, sink, receivers, map[string]int{chaosrun.TinesAudit: records}))
	time.Sleep(2 * time.Second) // duplicates, if any, would arrive now
	requireExact(t, sim, sink, receivers)
	assert.Equal(t, int64(records), sink.Records())
	assert.Equal(t, int64(records/pageSize), sink.Requests(), "one export per page")
	assert.Equal(t, int64(2*records/pageSize), auditRequests(sim),
		"the three pages, read once more after the restart")
	h.stop()
}
