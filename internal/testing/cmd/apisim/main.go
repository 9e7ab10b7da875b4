// Command apisim serves the vendor API simulator (Tines, StackOne, Logto,
// Akinon OMS, Make) for the demo, end-to-end tests and benchmarks.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "apisim:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("apisim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8088", "listen address (keep it on 127.0.0.1; port 0 picks a free port)")
	orFreePort := fs.Bool("or-free-port", false, "if -addr cannot be listened on (taken), listen on a free port of 127.0.0.1 instead")
	urlFile := fs.String("url-file", "", "once listening, write the base URL (http://127.0.0.1:<port>) to this file")
	freePorts := fs.Int("free-ports", 0, "print this many free 127.0.0.1 ports on one line and exit (for the demo's collector)")
	uniqueIDs := fs.Bool("unique-ids", true, "demo mode: record ids unique across runs (seeded with the start time); false: ids depend on -seed alone")
	var o simulator.Options
	fs.StringVar(&o.Mode, "mode", simulator.ModeDemo, "demo, chaos or bench")
	fs.Int64Var(&o.Seed, "seed", 1, "seed for generated content and fault draws")
	fs.IntVar(&o.BenchRecords, "bench-records", 1_000_000, "records in the bench Tines action")
	fs.StringVar(&o.BenchActionID, "bench-action", "424242", "bench Tines action id")
	fs.DurationVar(&o.NewRecordEvery, "record-every", 5*time.Second, "demo: interval between new records per stream")
	fs.Float64Var(&o.ChaosRatePerSecond, "chaos-rate", 20, "chaos: records per second per stream")
	fs.IntVar(&o.InitialRecords, "initial", 0, "initial records per stream (0: 25, or 0 in bench mode; <0: none)")
	inclusive := fs.Bool("inclusive", true, "time filters include their bounds")
	fs.DurationVar(&o.TokenTTL, "token-ttl", time.Hour, "Logto access token lifetime")
	fs.BoolVar(&o.StringNullNextPage, "string-null-next", false, `Tines: end pages carry next_page "null" (string)`)
	fs.BoolVar(&o.LogtoPre140, "logto-pre140", false, "Logto: ignore start_time/end_time")
	fs.BoolVar(&o.OMSIgnorePageSize, "oms-ignore-page-size", false, "OMS: ignore page_size")
	fs.BoolVar(&o.StackOneNullable, "stackone-nullable", false, "StackOne: records with null event_time, success or status_code")
	rate := fs.String("rate", "", "request budgets per minute, e.g. tines=100,make=60")
	paused := fs.Bool("paused", false, "start with record generation paused")
	fs.DurationVar(&o.Latency, "latency", 0, "delay before every vendor API answer (not /_sim)")
	fs.DurationVar(&o.HistorySpan, "history-span", 0, "spread the initial records over this span ending 1m ago (0: the last hour)")
	fs.BoolVar(&o.RateLimitHeaders, "rate-headers", false, "add X-RateLimit-Limit/-Remaining/-Reset to answers of APIs with a -rate budget")
	fs.IntVar(&o.MakeExecutionOutputBytes, "make-output-bytes", 0, "Make: outputs of about this many bytes in every execution detail (0: tiny)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *freePorts > 0 {
		ports, err := pickFreePorts(*freePorts)
		if err != nil {
			return err
		}
		fmt.Println(strings.Join(ports, " "))
		return nil
	}
	o.ExclusiveFilters = !*inclusive
	if *uniqueIDs && o.Mode == simulator.ModeDemo {
		o.RunID = time.Now().Unix()
	}
	o.Paused = *paused
	if *rate != "" {
		o.RatePerMinute = map[string]int{}
		for _, kv := range strings.Split(*rate, ",") {
			k, v, ok := strings.Cut(kv, "=")
			n, err := strconv.Atoi(v)
			if !ok || err != nil {
				return fmt.Errorf("bad -rate entry %q (want name=N)", kv)
			}
			o.RatePerMinute[strings.TrimSpace(k)] = n
		}
	}
	sim, err := simulator.New(o)
	if err != nil {
		return err
	}
	err = sim.Start(*addr)
	if err != nil && *orFreePort {
		fmt.Fprintf(os.Stderr, "apisim: %v; listening on a free port instead\n", err)
		err = sim.Start("127.0.0.1:0")
	}
	if err != nil {
		_ = sim.Close()
		return err
	}
	fmt.Printf("apisim listening on %s (mode=%s, foreign origin %s)\n", sim.URL(), sim.Options().Mode, sim.ForeignURL())
	if *urlFile != "" {
		// Written whole under a temporary name, then renamed: a reader never sees half a URL.
		tmp := *urlFile + ".tmp"
		if err := os.WriteFile(tmp, []byte(sim.URL()+"\n"), 0o600); err != nil {
			_ = sim.Close()
			return err
		}
		if err := os.Rename(tmp, *urlFile); err != nil {
			_ = sim.Close()
			return err
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return sim.Close()
}

// pickFreePorts listens on n ports of 127.0.0.1 at once (so they differ),
// closes them and returns their numbers: free a moment ago, for a process
// started next.
func pickFreePorts(n int) ([]string, error) {
	ports := make([]string, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("no free port on 127.0.0.1: %w", err)
		}
		defer ln.Close()
		ports = append(ports, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
	}
	return ports, nil
}
