// Command benchrun is the end-to-end performance harness behind `make bench`:
// the built collector polls the simulator's bench action (N records) with one
// api_logs receiver and exports over OTLP/HTTP to a counting sink; as the
// baseline the same N records go as OTLP/JSON to the otlp receiver of a second
// collector process with the same exporter. It prints records/s, peak RSS,
// the requests used (idle and for new records), with -streams the idle cost
// of many streams, and with -economy (on by default) what every built-in API
// spends in requests (chaosrun.RunEconomy). It always exits 0 once the
// measurements ran: a missed target is a result, printed as MISSED.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
)

type options struct {
	collector     string
	records       []int
	senders       int
	add           int
	baseline      bool
	streams       int
	receivers     int
	scaleInterval time.Duration
	scaleWindow   time.Duration
	keep          bool
	storage       bool
	queue         bool
	economy       bool
	economyMake   int
}

func main() {
	var o options
	var records string
	flag.StringVar(&o.collector, "collector", "_build/otelcol-api-logs", "collector binary")
	flag.StringVar(&records, "records", "1000000", "bench records, comma-separated for several runs (e.g. 1000000,5000000)")
	flag.IntVar(&o.senders, "senders", 4, "concurrent OTLP/JSON senders of the baseline")
	flag.IntVar(&o.add, "add", 1234, "records added after the backfill to count the requests they cost")
	flag.BoolVar(&o.baseline, "baseline", true, "also run the OTLP/JSON baseline")
	flag.IntVar(&o.streams, "streams", 0, "scale run with this many Tines actions in one collector (0: skip; e.g. 10000)")
	flag.IntVar(&o.receivers, "receivers", 100, "receivers of the scale run (streams are split evenly)")
	flag.DurationVar(&o.scaleInterval, "scale-interval", time.Minute, "collection_interval of the scale run")
	flag.DurationVar(&o.scaleWindow, "scale-window", 2*time.Minute, "idle measurement window of the scale run")
	flag.BoolVar(&o.storage, "storage", true, "checkpoint the api_logs cursors in file_storage, as in production (false: in memory)")
	flag.BoolVar(&o.queue, "queue", false, "enable the exporter's in-memory sending queue on both paths (throughput setting; without it ConsumeLogs waits for the sink, the crash-safe setting)")
	flag.BoolVar(&o.economy, "economy", true, "also run the request economy scenario: every built-in API with latency, a sparse backlog, then idle polls (requests per poll, 429s, enrichment)")
	flag.IntVar(&o.economyMake, "economy-make-budget", 0, "Make requests per minute in the economy run (0: 600, what six Make streams polling every 2 s need; -1: Make's default 60)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (configs, collector logs)")
	flag.Parse()
	for _, s := range strings.Split(records, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fatalf("-records: %q is not a positive number", s)
		}
		o.records = append(o.records, n)
	}
	if o.streams > 0 && (o.receivers <= 0 || o.streams%o.receivers != 0) {
		fatalf("-streams must be a multiple of -receivers (%d)", o.receivers)
	}
	if _, err := os.Stat(o.collector); err != nil {
		fatalf("collector binary: %v (run `make build`)", err)
	}
	bin, _ := filepath.Abs(o.collector)
	dir, err := os.MkdirTemp("", "benchrun-")
	if err != nil {
		fatalf("%v", err)
	}
	if o.keep {
		fmt.Println("work directory:", dir)
	}
	rep, err := run(bin, dir, o)
	if !o.keep {
		_ = os.RemoveAll(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
	rep.print(os.Stdout, o)
}

func run(bin, dir string, o options) (*report, error) {
	rep := &report{}
	for _, n := range o.records {
		timeout := time.Duration(max(120, n/20000)) * time.Second
		progress("api_logs: %d records from the simulator's bench action ...", n)
		a, err := runAPILogs(bin, dir, n, o.add, o.storage, o.queue, timeout)
		if err != nil {
			return nil, fmt.Errorf("api_logs run (%d records): %w", n, err)
		}
		rep.apiLogs = append(rep.apiLogs, a)
		if o.baseline {
			progress("baseline: %d records as OTLP/JSON, %d senders ...", n, o.senders)
			b, err := runBaseline(bin, dir, n, o.senders, o.queue, timeout)
			if err != nil {
				return nil, fmt.Errorf("baseline run (%d records): %w", n, err)
			}
			rep.baseline = append(rep.baseline, b)
		}
	}
	if o.streams > 0 {
		progress("scale: %d streams in %d receivers, interval %s, idle window %s ...", o.streams, o.receivers, o.scaleInterval, o.scaleWindow)
		s, err := runScale(bin, dir, o.receivers, o.streams/o.receivers, o.scaleInterval, o.scaleWindow)
		if err != nil {
			return nil, fmt.Errorf("scale run: %w", err)
		}
		rep.scale = &s
	}
	if o.economy {
		progress("economy: every built-in API with latency, a sparse backlog, then idle polls ...")
		edir := filepath.Join(dir, "economy")
		if err := os.MkdirAll(edir, 0o700); err != nil {
			return nil, err
		}
		e, err := chaosrun.RunEconomy(context.Background(), chaosrun.EconomyOptions{Collector: bin, Dir: edir, MakeRequestsPerMinute: o.economyMake, Log: os.Stderr})
		if err != nil {
			return nil, fmt.Errorf("economy run: %w", err)
		}
		rep.economy = e
	}
	return rep, nil
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchrun: "+format+"\n", args...)
	os.Exit(2)
}
