// Command chaos restarts and kills the collector while the simulator keeps
// creating records, then counts what was lost and what was duplicated.
// Exit status 1 unless nothing was lost, graceful restarts duplicated nothing
// and SIGKILLs duplicated at most one page per stream each.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
)

func main() {
	var o chaosrun.Options
	flag.StringVar(&o.Collector, "collector", "_build/otelcol-api-logs", "path of the collector binary")
	flag.DurationVar(&o.Duration, "duration", time.Minute, "total time of both phases (graceful restarts, then SIGKILLs)")
	flag.IntVar(&o.Restarts, "restarts", 2, "graceful restarts (SIGTERM) in phase 1")
	flag.IntVar(&o.Kills, "kills", 2, "SIGKILLs in phase 2")
	flag.IntVar(&o.PageSize, "page-size", 20, "receiver page_size (small, so pages shift during walks)")
	flag.Float64Var(&o.Rate, "rate", 10, "records created per stream per second")
	flag.Int64Var(&o.Seed, "seed", 1, "seed of the simulator and of the event moments")
	// Records become visible a moment after their own timestamp (the simulator's
	// generator, like a database commit, lags its clock); settle re-reads that
	// much time so such records are not skipped. -settle 0s shows the losses.
	flag.StringVar(&o.Settle, "settle", "2s", "receiver settle")
	flag.BoolVar(&o.Keep, "keep", false, "keep the temporary directory (config, collector log, checkpoints)")
	flag.DurationVar(&o.CatchUp, "catch-up", 90*time.Second, "how long each catch-up may take")
	flag.Parse()
	o.Log = os.Stderr

	if _, err := os.Stat(o.Collector); err != nil {
		fmt.Fprintf(os.Stderr, "chaos: collector binary: %v (run make build)\n", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	res, err := chaosrun.Run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "chaos: %v\n", err)
		os.Exit(2)
	}
	if !res.Print(os.Stdout) {
		os.Exit(1)
	}
}
