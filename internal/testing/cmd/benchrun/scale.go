package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

type scaleResult struct {
	streams, receivers int
	interval           time.Duration
	firstRound         time.Duration
	window             time.Duration
	cpuPercent         float64 // of one core, over the window
	rssMiB, peakMiB    float64
	summary            pollSummary
	records            int64
	non200             int64
}

func scaleConfig(simURL, sinkURL string, receivers, perReceiver int, interval time.Duration) string {
	var b strings.Builder
	b.WriteString("receivers:\n")
	names := make([]string, receivers)
	for r := range receivers {
		names[r] = fmt.Sprintf("api_logs/r%03d", r)
		ids := make([]string, perReceiver)
		for i := range perReceiver {
			ids[i] = strconv.Itoa(100000 + r*perReceiver + i)
		}
		fmt.Fprintf(&b, `  %s:
    api: tines_action_logs
    endpoint: %s/tines
    api_key: demo-tines-key
    action_ids: [%s]
    collection_interval: %s
    page_size: %d
    start_at: -2h
    rate_limit:
      requests_per_minute: 1000000
`, names[r], simURL, strings.Join(ids, ", "), interval, pageSize)
	}
	b.WriteString(exporterYAML(sinkURL, false))
	b.WriteString("service:\n")
	b.WriteString(telemetryYAML)
	fmt.Fprintf(&b, "  pipelines:\n    logs:\n      receivers: [%s]\n      exporters: [otlphttp]\n", strings.Join(names, ", "))
	return b.String()
}

// runScale: one collector, receivers × perReceiver Tines actions with one
// record each. After the first round (every stream polled once), it measures
// the collector's CPU and RSS over window, and the gaps between polls of
// every stream, as the simulator saw them.
func runScale(binary, dir string, receivers, perReceiver int, interval, window time.Duration) (scaleResult, error) {
	total := receivers * perReceiver
	res := scaleResult{streams: total, receivers: receivers, interval: interval, window: window}
	late := interval + 5*time.Second
	sim, err := startSimServer(simulator.Options{Mode: simulator.ModeDemo, InitialRecords: 1, NewRecordEvery: 24 * time.Hour, Paused: true, Seed: 1}, late)
	if err != nil {
		return res, err
	}
	defer sim.close()
	sink, err := startCountingSink()
	if err != nil {
		return res, err
	}
	defer sink.close()
	firstRound := sink.expect(int64(total))
	start := time.Now()
	col, err := collectorproc.Launch(binary, dir, fmt.Sprintf("scale-%d", total), scaleConfig(sim.url, sink.endpoint(), receivers, perReceiver, interval))
	if err != nil {
		return res, err
	}
	defer func() { _ = col.Stop(15 * time.Second) }() // a deliberate stop: the exit status says nothing
	mem := collectorproc.SampleMemory(col.Pid(), 250*time.Millisecond)
	err = waitFor(firstRound, col, interval, func() string {
		return fmt.Sprintf("%d of %d first-round records", sink.records.Load(), total)
	})
	if err != nil {
		return res, err
	}
	res.firstRound = time.Since(start)
	time.Sleep(2 * time.Second) // let the last first-round checkpoints and logs settle
	cpu0, err := collectorproc.CPUTime(col.Pid())
	if err != nil {
		return res, err
	}
	t0 := time.Now()
	time.Sleep(window)
	cpu1, err := collectorproc.CPUTime(col.Pid())
	if err != nil {
		return res, err
	}
	elapsed := time.Since(t0)
	res.cpuPercent = 100 * (cpu1 - cpu0).Seconds() / elapsed.Seconds()
	res.summary = sim.summary(time.Now())
	res.records = sink.records.Load()
	st := sim.sim.Stats()
	res.non200 = totalRequests(st, simulator.APITinesActionLogs) - st.Requests[simulator.APITinesActionLogs]["200"]
	res.peakMiB, res.rssMiB = mem.Finish()
	return res, nil
}
