// Command apilogs-check runs one poll of one api_logs receiver of a
// collector configuration and prints the requests it made, each record as
// the receiver would emit it and the cursor it would store. It stores
// nothing: write a spec, check it, deploy it.
//
//	go run ./cmd/apilogs-check --config config.yaml --receiver api_logs/x [--stream ID] [--full]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/receiver"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/otelcol-api-logs/otelcol-api-logs/receiver/apilogsreceiver"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1 // a poll (or the listing of the streams) failed
	exitUsage  = 2 // bad flags or configuration
)

// pollTimeout bounds the whole check: one poll of every stream.
const pollTimeout = 10 * time.Minute

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// uris is the repeatable --config flag.
type uris []string

func (u *uris) String() string     { return strings.Join(*u, ",") }
func (u *uris) Set(v string) error { *u = append(*u, v); return nil }

// run is the command: it returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("apilogs-check", flag.ContinueOnError)
	flags.SetOutput(stderr)
	var configs uris
	flags.Var(&configs, "config", "collector configuration (a file path or a URI: file:, env:); repeat to merge several, as the collector does")
	rcv := flags.String("receiver", "", "the receiver to check, e.g. api_logs/okta")
	stream := flags.String("stream", "", "poll only this stream (default: every stream of the receiver)")
	full := flags.Bool("full", false, "print every record's attributes too")
	if err := flags.Parse(args); err != nil {
		return exitUsage
	}
	if len(configs) == 0 || *rcv == "" || flags.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: apilogs-check --config FILE [--config FILE]... --receiver api_logs/NAME [--stream ID] [--full]")
		return exitUsage
	}
	var id component.ID
	if err := id.UnmarshalText([]byte(*rcv)); err != nil {
		fmt.Fprintf(stderr, "--receiver %q: %v\n", *rcv, err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(ctx, pollTimeout)
	defer cancel()
	// The receiver's and the engine's warnings (skipped records, records
	// out of order...) go to stderr, redacted by the engine.
	log := zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()), zapcore.AddSync(stderr), zap.WarnLevel))
	cfg, err := loadConfig(ctx, configs, id, log)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	return check(ctx, id, cfg, *stream, *full, log, stdout, stderr)
}

// check polls the streams once and prints the report.
func check(ctx context.Context, id component.ID, cfg *apilogsreceiver.Config, stream string, full bool, log *zap.Logger, stdout, stderr io.Writer) int {
	set := receiver.Settings{ID: id, BuildInfo: component.NewDefaultBuildInfo()}
	set.TelemetrySettings = component.TelemetrySettings{
		Logger: log, TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: metricnoop.NewMeterProvider(),
	}
	rec, sink := &recorder{}, &collector{}
	chk, err := apilogsreceiver.NewCheck(ctx, set, cfg, sink, rec.wrap)
	if err != nil {
		fmt.Fprintf(stderr, "receivers::%s: %v\n", id, err)
		return exitUsage
	}
	defer func() {
		if cerr := chk.Close(); cerr != nil {
			fmt.Fprintf(stderr, "receivers::%s: trace: %v\n", id, cerr)
		}
	}()
	p := &printer{out: stdout, red: chk.Redactor, full: full}
	p.line("%s: api %s, endpoint %s", id, cfg.API, cfg.ClientConfig.Endpoint)
	for _, k := range slices.Sorted(maps.Keys(chk.Unused)) {
		p.line("%s: %s is not used: the check starts from start_at, reads and stores no cursor", k, chk.Unused[k])
	}
	streams := []string{stream}
	if stream == "" {
		streams, err = chk.Source.Streams(ctx)
		if exs := rec.take(); len(exs) > 0 {
			p.line("discovery")
			p.requests(exs)
		}
		if err != nil {
			p.line("error: %v", err)
			return exitFailed
		}
		if len(streams) == 0 {
			p.line("error: no stream to poll (no stream configured, and none listed)")
			return exitFailed
		}
	}
	p.line("streams: %s", strings.Join(streams, ", "))
	code := exitOK
	for _, st := range streams {
		p.line("stream %s", st)
		once, err := chk.Source.PollOnce(ctx, st)
		p.requests(rec.take())
		n := p.records(sink.take())
		if once.Cursor == nil {
			p.line("  cursor (none: no page was read)")
		} else {
			p.line("  cursor %s = %s", once.Key, once.Cursor)
		}
		p.line("  polled: %d pages, %d records", once.Pages, n)
		if err != nil {
			p.line("  error: %v", err)
			code = exitFailed
		}
	}
	if code != exitOK {
		p.line("FAILED: a poll failed (see error above); nothing was stored")
		return code
	}
	p.line("OK: nothing was stored")
	return code
}
