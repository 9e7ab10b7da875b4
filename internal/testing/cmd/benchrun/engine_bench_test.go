package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/engine"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/httpclient"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// BenchmarkEngineBackfill runs the poll engine in-process against the
// simulator's bench action, so that the receiver's own cost can be profiled
// (the collector binary has no pprof):
//
//	go test -run '^$' -bench EngineBackfill -cpuprofile cpu.out ./internal/testing/cmd/benchrun
//
// consumer=count only counts; consumer=proto also marshals every page to
// OTLP protobuf, as the otlphttp exporter does.
func BenchmarkEngineBackfill(b *testing.B) {
	const n = 200_000
	sim, err := simulator.New(simulator.Options{Mode: simulator.ModeBench, BenchRecords: n, BenchActionID: benchAction})
	require.NoError(b, err)
	b.Cleanup(func() { _ = sim.Close() })
	srv := httptest.NewServer(sim.Handler())
	b.Cleanup(srv.Close)
	// Warm the simulator's page cache so that it costs the same in every iteration.
	for p := 1; p <= n/pageSize; p++ {
		resp, err := http.Get(srv.URL + "/tines/api/v1/actions/" + benchAction + "/logs?per_page=500&page=" + strconv.Itoa(p))
		require.NoError(b, err)
		_ = resp.Body.Close()
	}

	for _, marshal := range []bool{false, true} {
		name := "consumer=count"
		if marshal {
			name = "consumer=proto"
		}
		b.Run(name, func(b *testing.B) {
			var total int64
			for b.Loop() {
				total += runEngineOnce(b, srv.URL, n, marshal)
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

func runEngineOnce(b *testing.B, simURL string, n int, marshal bool) int64 {
	spec, err := apispec.Builtin("tines_action_logs")
	require.NoError(b, err)
	endpoint, err := url.Parse(simURL + "/tines")
	require.NoError(b, err)
	client, err := httpclient.New(&http.Client{Transport: &http.Transport{}}, httpclient.Config{Origin: endpoint, Auth: httpclient.Bearer("demo-tines-key")})
	require.NoError(b, err)
	set := receivertest.NewNopSettings(component.MustNewType("api_logs"))
	obsrep, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: component.MustNewIDWithName("api_logs", "bench"), Transport: "http", ReceiverCreateSettings: set})
	require.NoError(b, err)

	var got atomic.Int64
	done := make(chan struct{})
	var pm plog.ProtoMarshaler
	sink, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
		if marshal {
			if _, merr := pm.MarshalLogs(ld); merr != nil {
				return merr
			}
		}
		if got.Add(int64(ld.LogRecordCount())) == int64(n) {
			close(done)
		}
		return nil
	})
	require.NoError(b, err)
	back := time.Duration(n/10)*time.Second + time.Hour
	src, err := engine.New(engine.Settings{
		SourceID: "api_logs/bench", API: "tines_action_logs", Spec: spec, Endpoint: endpoint,
		StreamIDs: []string{benchAction}, Interval: time.Hour, PageSize: pageSize,
		StartAt: func(now time.Time) time.Time { return now.Add(-back) },
	}, engine.Deps{Client: client, Store: cursor.NewStore(nil), Consumer: sink, ObsRep: obsrep})
	require.NoError(b, err)
	src.Start()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		b.Fatalf("only %d of %d records", got.Load(), n)
	}
	require.NoError(b, src.Stop(context.Background()))
	return got.Load()
}
