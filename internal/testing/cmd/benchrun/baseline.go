package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/engine"
)

// maxDistinctBodies bounds the pre-rendered OTLP/JSON requests (~230 KB each):
// larger runs send them again in a cycle, which the counting sink does not mind.
const maxDistinctBodies = 200

type baselineResult struct {
	records   int
	bodies    int
	senders   int
	bodyKiB   int
	elapsed   time.Duration
	perSecond float64
	peakMiB   float64
	cpuCores  float64
	selfCores float64
	afterMiB  float64
	failures  int64
}

func baselineConfig(listen, sinkURL string, queue bool) string {
	return fmt.Sprintf(`receivers:
  otlp:
    protocols:
      http:
        endpoint: %s
%sservice:
%s  pipelines:
    logs:
      receivers: [otlp]
      exporters: [otlphttp]
`, listen, exporterYAML(sinkURL, queue), telemetryYAML)
}

// renderBodies builds the OTLP/JSON requests before timing: the records have
// the shape the api_logs receiver emits for the bench action (same resource
// and scope, event name, the message as body, the attribute tines: {id,
// level, message, created_at, inbound_event} and log.record.uid, severity,
// timestamps).
func renderBodies(n int) ([][]byte, error) {
	count := min((n+pageSize-1)/pageSize, maxDistinctBodies)
	base := time.Now().Add(-time.Duration(n/10) * time.Second).Unix()
	observed := pcommon.NewTimestampFromTime(time.Now())
	levels := [...]int64{3, 3, 3, 2, 3, 4, 3, 3}
	sev := map[int64]struct {
		num  plog.SeverityNumber
		text string
	}{2: {plog.SeverityNumberWarn, "warning"}, 3: {plog.SeverityNumberInfo, "info"}, 4: {plog.SeverityNumberError, "error"}}
	var m plog.JSONMarshaler
	bodies := make([][]byte, 0, count)
	for b := range count {
		ld := plog.NewLogs()
		rl := ld.ResourceLogs().AppendEmpty()
		ra := rl.Resource().Attributes()
		ra.PutStr("api_logs.source", "api_logs/bench")
		ra.PutStr("api_logs.api", "tines_action_logs")
		ra.PutStr("api_logs.stream", benchAction)
		ra.PutStr("server.address", "127.0.0.1")
		ra.PutStr("tines.action.id", benchAction)
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName(engine.ScopeName)
		lrs := sl.LogRecords()
		for j := range pageSize {
			i := int64(b*pageSize + j)
			id := i + 1
			lvl := levels[i%int64(len(levels))]
			t := time.Unix(base+i/10, 0).UTC()
			lr := lrs.AppendEmpty()
			lr.SetTimestamp(pcommon.NewTimestampFromTime(t))
			lr.SetObservedTimestamp(observed)
			lr.SetSeverityNumber(sev[lvl].num)
			lr.SetSeverityText(sev[lvl].text)
			lr.SetEventName("tines.action_log")
			msg := "Bench action log " + strconv.FormatInt(id, 10)
			lr.Body().SetStr(msg)
			attrs := lr.Attributes()
			attrs.EnsureCapacity(2)
			fields := attrs.PutEmptyMap("tines")
			fields.EnsureCapacity(5)
			fields.PutInt("id", id)
			fields.PutInt("level", lvl)
			fields.PutStr("message", msg)
			fields.PutStr("created_at", t.Format(time.RFC3339))
			fields.PutEmpty("inbound_event")
			attrs.PutStr("log.record.uid", strconv.FormatInt(id, 10))
		}
		raw, err := m.MarshalLogs(ld)
		if err != nil {
			return nil, err
		}
		bodies = append(bodies, raw)
	}
	return bodies, nil
}

// runBaseline sends n records as OTLP/JSON, 500 per request, from several
// concurrent senders to a second collector process that has the same
// exporter and an identical counting sink; the runs are sequential so that
// neither competes with the other for the 2 cores.
func runBaseline(binary, dir string, n, senders int, queue bool, timeout time.Duration) (baselineResult, error) {
	res := baselineResult{records: n, senders: senders}
	if n%pageSize != 0 {
		return res, fmt.Errorf("-records must be a multiple of %d for the baseline", pageSize)
	}
	bodies, err := renderBodies(n)
	if err != nil {
		return res, err
	}
	res.bodies, res.bodyKiB = len(bodies), len(bodies[0])/1024
	sink, err := startCountingSink()
	if err != nil {
		return res, err
	}
	defer sink.close()
	listen, err := collectorproc.FreeAddr()
	if err != nil {
		return res, err
	}
	col, err := collectorproc.Launch(binary, dir, fmt.Sprintf("otlp-%d", n), baselineConfig(listen, sink.endpoint(), queue))
	if err != nil {
		return res, err
	}
	defer func() { _ = col.Stop(15 * time.Second) }() // a deliberate stop: the exit status says nothing
	mem := collectorproc.SampleMemory(col.Pid(), 50*time.Millisecond)
	err = col.WaitListening(listen, 30*time.Second)
	if err != nil {
		return res, err
	}

	done := sink.expect(int64(n))
	self := collectorproc.SampleMemory(os.Getpid(), 50*time.Millisecond)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders, DisableCompression: true}, Timeout: time.Minute}
	url := "http://" + listen + "/v1/logs"
	total := int64(n / pageSize)
	var next atomic.Int64
	var failures atomic.Int64
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k := next.Add(1) - 1
				if k >= total {
					return
				}
				if !post(client, url, bodies[k%int64(len(bodies))]) {
					failures.Add(1)
				}
			}
		}()
	}
	err = waitFor(done, col, timeout, func() string {
		return fmt.Sprintf("%d of %d records, %d failed requests", sink.records.Load(), n, failures.Load())
	})
	wg.Wait()
	res.failures = failures.Load()
	if err != nil {
		return res, err
	}
	first, reach := sink.window()
	res.elapsed = reach.Sub(first)
	res.perSecond = float64(n) / res.elapsed.Seconds()
	time.Sleep(60 * time.Millisecond)
	res.cpuCores = mem.CPUBetween(first, reach).Seconds() / res.elapsed.Seconds()
	res.selfCores = self.CPUBetween(first, reach).Seconds() / res.elapsed.Seconds()
	self.Finish()
	res.peakMiB, res.afterMiB = mem.Finish()
	return res, nil
}

func post(c *http.Client, url string, body []byte) bool {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
