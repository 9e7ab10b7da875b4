package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/collectorproc"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// promSeries is one sample of the Prometheus text format: the metric name,
// its labels and its value.
type promSeries struct {
	name   string
	labels map[string]string
	value  float64
}

var (
	promLine  = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$`)
	promLabel = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)
)

// scrape reads the collector's Prometheus endpoint.
func scrape(addr string) ([]promSeries, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", http.NoBody)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []promSeries
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		m := promLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue // comments, blank lines
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			return nil, fmt.Errorf("%q: %w", sc.Text(), err)
		}
		s := promSeries{name: m[1], labels: map[string]string{}, value: v}
		for _, l := range promLabel.FindAllStringSubmatch(m[2], -1) {
			s.labels[l[1]] = l[2]
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

func labelKeys(s promSeries) []string {
	var keys []string
	for k := range s.labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// The receiver's metrics as the collector's Prometheus endpoint serves them
// with its defaults: at level normal one series per receiver (and outcome),
// at level detailed one per stream too, the receiver named by `receiver` as
// on otelcol_receiver_accepted_log_records, no otelcol_api_logs_records and
// never the level probe. Two Tines actions of 20 records, one page each: 2
// polls, 2 requests.
func TestPrometheusLabelsByLevel(t *testing.T) {
	bin := collectorBinary(t)
	for _, level := range []string{"normal", "detailed"} {
		t.Run(level, func(t *testing.T) {
			sim := startSimulator(t, simulator.Options{Paused: true, InitialRecords: 20, Seed: 7})
			sink := startSink(t)
			metrics, err := collectorproc.FreeAddr()
			require.NoError(t, err)
			host, port, _ := strings.Cut(metrics, ":")
			const id = "api_logs/tines"
			cfg := fmt.Sprintf(`receivers:
  %s:
    api: tines_action_logs
    endpoint: %s/tines
    api_key: %s
    action_ids: [1001, 1002]
    collection_interval: 1h
    start_at: "-24h"
exporters:
  otlp_http:
    endpoint: %s
    sending_queue: {enabled: false}
service:
  telemetry:
    logs: {level: warn}
    metrics:
      level: %s
      readers:
        - pull: {exporter: {prometheus: {host: %s, port: %s}}}
  pipelines:
    logs: {receivers: [%s], exporters: [otlp_http]}
`, id, sim.URL(), simulator.DefaultKeys().Tines, sink.Endpoint(), level, host, port, id)
			dir := t.TempDir()
			cfgPath := filepath.Join(dir, "config.yaml")
			require.NoError(t, os.WriteFile(cfgPath, []byte(cfg), 0o600))
			col := &collectorproc.Process{Binary: bin, Config: cfgPath, LogPath: filepath.Join(dir, "collector.log")}
			t.Cleanup(func() {
				col.Kill()
				if t.Failed() {
					t.Logf("collector configuration:\n%s\ncollector output:\n%s", cfg, tail(col.Log(), 100))
				}
			})
			require.NoError(t, col.Start())

			var series []promSeries
			waitFor(t, time.Minute, func() string {
				if ended := col.Ended(); ended != nil {
					return ended.Error()
				}
				if n := sink.Records(); n != 40 {
					return fmt.Sprintf("%d of 40 records in the sink", n)
				}
				series, err = scrape(metrics)
				if err != nil {
					return err.Error()
				}
				polls := 0.0
				for _, s := range series {
					if s.name == "otelcol_api_logs_polls" {
						polls += s.value
					}
				}
				if polls != 2 {
					return fmt.Sprintf("%v polls measured, want 2", polls)
				}
				return ""
			})

			perStream := level == "detailed"
			ours := map[string][]promSeries{}
			httpClient := 0
			for _, s := range series {
				switch {
				case strings.HasPrefix(s.name, "otelcol_api_logs_"):
					ours[s.name] = append(ours[s.name], s)
				case strings.HasPrefix(s.name, "http_client_"):
					httpClient++
				}
			}
			assert.Equal(t, perStream, httpClient > 0, "confighttp's otelhttp metrics, the switch the receiver follows, are there at detailed only")
			_, records := ours["otelcol_api_logs_records"]
			assert.False(t, records, "obsreport counts the records")
			_, probe := ours["otelcol_api_logs_level_probe"]
			assert.False(t, probe, "the level probe records nothing")
			for _, name := range []string{"otelcol_api_logs_polls", "otelcol_api_logs_requests", "otelcol_api_logs_pages", "otelcol_api_logs_cursor_lag", "otelcol_api_logs_last_success"} {
				assert.Contains(t, ours, name)
			}
			for name, ss := range ours {
				want := []string{"receiver"}
				if name == "otelcol_api_logs_polls" || name == "otelcol_api_logs_requests" {
					want = append(want, "outcome")
				}
				if perStream {
					want = append(want, "stream")
				}
				slices.Sort(want)
				var streams []string
				for _, s := range ss {
					assert.Equal(t, want, labelKeys(s), name)
					assert.Equal(t, id, s.labels["receiver"], name)
					if perStream {
						streams = append(streams, s.labels["stream"])
					}
				}
				if !perStream {
					assert.Len(t, ss, 1, "%s: one series per receiver and outcome", name)
				} else if name != "otelcol_api_logs_throttled_time" {
					slices.Sort(streams)
					assert.Equal(t, []string{"1001", "1002"}, streams, name)
				}
			}
			requests := 0.0
			for _, s := range ours["otelcol_api_logs_requests"] {
				requests += s.value
			}
			assert.InDelta(t, 2, requests, 0, "one page per action")
			assert.Equal(t, map[string]int64{"200": 2}, sim.Stats().Requests[simulator.APITinesActionLogs], "one request per action")
		})
	}
}
