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

// BenchmarkEngineFirstRound is the first round of the -streams scale run
// in-process (100 sources x 100 Tines actions, one record each), to find what
// allocates during it:
//
//	go test -run '^$' -bench EngineFirstRound -benchtime 1x -memprofile mem.out ./internal/testing/cmd/benchrun
func BenchmarkEngineFirstRound(b *testing.B) {
	const sources, perSource = 100, 100
	sim, err := simulator.New(simulator.Options{Mode: simulator.ModeDemo, InitialRecords: 1, NewRecordEvery: 24 * time.Hour, Paused: true})
	require.NoError(b, err)
	b.Cleanup(func() { _ = sim.Close() })
	srv := httptest.NewServer(sim.Handler())
	b.Cleanup(srv.Close)
	spec, err := apispec.Builtin("tines_action_logs")
	require.NoError(b, err)
	endpoint, err := url.Parse(srv.URL + "/tines")
	require.NoError(b, err)

	for b.Loop() {
		var got atomic.Int64
		done := make(chan struct{})
		var pm plog.ProtoMarshaler
		sink, err := consumer.NewLogs(func(_ context.Context, ld plog.Logs) error {
			_, err := pm.MarshalLogs(ld)
			if got.Add(int64(ld.LogRecordCount())) == sources*perSource {
				close(done)
			}
			return err
		})
		require.NoError(b, err)
		var srcs []*engine.Source
		for s := range sources {
			ids := make([]string, perSource)
			for i := range ids {
				ids[i] = strconv.Itoa(100000 + s*perSource + i)
			}
			client, err := httpclient.New(&http.Client{Transport: &http.Transport{}}, httpclient.Config{Origin: endpoint, Auth: httpclient.Bearer("demo-tines-key")})
			require.NoError(b, err)
			id := component.MustNewIDWithName("api_logs", "r"+strconv.Itoa(s))
			obsrep, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: id, Transport: "http", ReceiverCreateSettings: receivertest.NewNopSettings(component.MustNewType("api_logs"))})
			require.NoError(b, err)
			src, err := engine.New(engine.Settings{
				SourceID: id.String(), API: "tines_action_logs", Spec: spec, Endpoint: endpoint,
				StreamIDs: ids, Interval: time.Hour, PageSize: pageSize,
				StartAt: func(now time.Time) time.Time { return now.Add(-2 * time.Hour) },
			}, engine.Deps{Client: client, Store: cursor.NewStore(nil), Consumer: sink, ObsRep: obsrep})
			require.NoError(b, err)
			src.Start()
			srcs = append(srcs, src)
		}
		select {
		case <-done:
		case <-time.After(2 * time.Minute):
			b.Fatalf("only %d of %d records", got.Load(), sources*perSource)
		}
		for _, src := range srcs {
			require.NoError(b, src.Stop(context.Background()))
		}
	}
}
