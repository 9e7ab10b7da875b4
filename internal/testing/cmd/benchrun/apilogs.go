package main

import (
	"fmt"
	"os"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

const (
	benchAction = "424242" // the simulator's bench action: N pre-rendered records
	freshAction = "777"    // an empty ordinary action, for the request-efficiency check
	pageSize    = 500
)

// apiLogsResult is one end-to-end run of the api_logs receiver.
type apiLogsResult struct {
	records      int
	elapsed      time.Duration
	perSecond    float64
	peakMiB      float64
	afterMiB     float64
	cpuCores     float64 // collector CPU / wall time, first to N-th record
	selfCores    float64 // the same for this process (simulator and sink)
	benchReqs    int64   // requests for the bench action until the N-th record arrived
	simReqs      int64   // every tines_action_logs request the simulator served (Stats)
	non200       int64
	duplicates   int64 // records beyond N, after the stream went idle
	idleBench    float64
	idleFresh    float64
	idlePolls    int64
	added        int
	addedReqs    int64
	addedPolls   int
	addedBound   int64
	addedLatency time.Duration
}

func apiLogsConfig(simURL, sinkURL, storageDir string, n int, queue bool) string {
	storageExt, storageRef, storageUse := "", "", ""
	if storageDir != "" {
		storageExt = "extensions:\n  file_storage:\n    directory: " + storageDir + "\n    create_directory: true\n"
		storageRef = "    storage: file_storage\n"
		storageUse = "  extensions: [file_storage]\n"
	}
	// Bench record i is at now - (n-1-i)/10 s; an hour more covers clock skew and a slow start.
	startAt := fmt.Sprintf("-%ds", n/10+3600)
	return fmt.Sprintf(`%sreceivers:
  api_logs/bench:
    api: tines_action_logs
    endpoint: %s/tines
    api_key: demo-tines-key
    action_ids: [%s, %s]
    collection_interval: 1s
    page_size: %d
    start_at: %s
    rate_limit:
      requests_per_minute: 1000000
%s%sservice:
%s%s  pipelines:
    logs:
      receivers: [api_logs/bench]
      exporters: [otlphttp]
`, storageExt, simURL, benchAction, freshAction, pageSize, startAt, storageRef, exporterYAML(sinkURL, queue), telemetryYAML, storageUse)
}

func runAPILogs(binary, dir string, n, add int, storage, queue bool, timeout time.Duration) (apiLogsResult, error) {
	res := apiLogsResult{records: n, added: add}
	sim, err := startSimServer(simulator.Options{Mode: simulator.ModeBench, BenchRecords: n, BenchActionID: benchAction, Seed: 1}, time.Hour, freshAction)
	if err != nil {
		return res, err
	}
	defer sim.close()
	sink, err := startCountingSink()
	if err != nil {
		return res, err
	}
	defer sink.close()
	storageDir := ""
	if storage {
		if storageDir, err = os.MkdirTemp(dir, "storage-"); err != nil {
			return res, err
		}
	}

	done := sink.expect(int64(n))
	col, err := collectorproc.Launch(binary, dir, fmt.Sprintf("apilogs-%d", n), apiLogsConfig(sim.url, sink.endpoint(), storageDir, n, queue))
	if err != nil {
		return res, err
	}
	defer func() { _ = col.Stop(15 * time.Second) }() // a deliberate stop: the exit status says nothing
	mem := collectorproc.SampleMemory(col.Pid(), 50*time.Millisecond)
	self := collectorproc.SampleMemory(os.Getpid(), 50*time.Millisecond)
	if err := waitFor(done, col, timeout, func() string {
		return fmt.Sprintf("%d of %d records", sink.records.Load(), n)
	}); err != nil {
		return res, err
	}
	first, reach := sink.window()
	res.elapsed = reach.Sub(first)
	res.perSecond = float64(n) / res.elapsed.Seconds()
	time.Sleep(60 * time.Millisecond) // one more sample after the N-th record
	res.cpuCores = mem.CPUBetween(first, reach).Seconds() / res.elapsed.Seconds()
	res.selfCores = self.CPUBetween(first, reach).Seconds() / res.elapsed.Seconds()
	self.Finish()
	res.benchReqs = sim.action(benchAction).reqs

	// Idle: every poll of both streams should cost exactly one request.
	time.Sleep(1500 * time.Millisecond)
	b0, f0 := sim.action(benchAction), sim.action(freshAction)
	time.Sleep(4 * time.Second)
	b1, f1 := sim.action(benchAction), sim.action(freshAction)
	res.idleBench = perPoll(b1.reqs-b0.reqs, b1.polls-b0.polls)
	res.idleFresh = perPoll(f1.reqs-f0.reqs, f1.polls-f0.polls)
	res.idlePolls = b1.polls - b0.polls
	res.duplicates = sink.records.Load() - int64(n)

	// New records: the poll that finds them should use ceil(add/page)+1 requests at most
	// (the last page, or one more, reaches records already delivered).
	if add > 0 {
		res.addedBound = int64((add+pageSize-1)/pageSize + 1)
		addDone := sink.expect(int64(add))
		tAdd := time.Now()
		sim.sim.AddRecords(simulator.APITinesActionLogs, freshAction, add, tAdd)
		if err := waitFor(addDone, col, 30*time.Second, func() string { return "added records" }); err != nil {
			return res, err
		}
		_, tDel := sink.window()
		res.addedLatency = tDel.Sub(tAdd)
		time.Sleep(2500 * time.Millisecond) // the poll ends and the next, idle one starts
		res.addedReqs, res.addedPolls = requestsOfPollsBetween(sim.action(freshAction).events, tAdd, tDel)
		res.duplicates = sink.records.Load() - int64(n+add)
	}
	st := sim.sim.Stats()
	res.simReqs = totalRequests(st, simulator.APITinesActionLogs)
	res.non200 = res.simReqs - st.Requests[simulator.APITinesActionLogs]["200"]
	res.peakMiB, res.afterMiB = mem.Finish()
	return res, nil
}

// requestsOfPollsBetween counts the requests of the polls that started after
// from and no later than to (the polls that found and delivered new records).
func requestsOfPollsBetween(events []reqEvent, from, to time.Time) (int64, int) {
	var reqs int64
	polls := 0
	in := false
	for _, e := range events {
		if e.first {
			in = e.at.After(from) && !e.at.After(to)
			if in {
				polls++
			}
		}
		if in {
			reqs++
		}
	}
	return reqs, polls
}

func perPoll(reqs, polls int64) float64 {
	if polls == 0 {
		return 0
	}
	return float64(reqs) / float64(polls)
}

// waitFor waits for done, failing early if the collector exits.
func waitFor(done <-chan struct{}, col *collectorproc.Process, timeout time.Duration, progress func() string) error {
	deadline := time.After(timeout)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return nil
		case <-deadline:
			return fmt.Errorf("timed out after %s waiting (%s); collector log tail:\n%s", timeout, progress(), col.Tail(3000))
		case <-tick.C:
			if err := col.Ended(); err != nil {
				return err
			}
		}
	}
}
