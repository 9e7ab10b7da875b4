// Command chaos restarts and kills the collector while the simulator keeps
// creating records, then counts what was lost and what was duplicated.
// Exit status 1 unless nothing was lost, nothing arrived in a wrong state
// (a Make run before it finished), graceful restarts duplicated nothing and
// SIGKILLs duplicated at most one page per stream each.
//
// -rounds runs the simulator's modes of real servers, each round with its
// own simulator, collector and storage: "ties" (Logto tie groups larger
// than a page, in a stable order), "shuffled-ties" (Logto tie groups of up
// to 250 in a new order on every request), "cap" (every API caps its pages
// below page_size silently), "pending" (Make runs listed before they
// finish), joined by "+" within a round, rounds separated by ",".
//
// -ha adds the HA round after them: three collectors with an
// api_logs_coordinator on one etcd (-etcd), kill -9, pauses of twice
// lease_ttl and SIGTERMs of random collectors from -ha-seed (logged, so that
// a failing sequence runs again); it fails unless nothing was lost, the
// duplicates stay within one page per stream per kill or pause and the
// Make budget was never exceeded in any 60 s (nor answered 429).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
)

func main() {
	var o chaosrun.Options
	flag.StringVar(&o.Collector, "collector", "_build/otelcol-api-logs", "path of the collector binary")
	flag.DurationVar(&o.Duration, "duration", time.Minute, "total time of every round's two phases (graceful restarts, then SIGKILLs)")
	flag.IntVar(&o.Restarts, "restarts", 2, "graceful restarts (SIGTERM), spread over the rounds' first phases")
	flag.IntVar(&o.Kills, "kills", 2, "SIGKILLs, spread over the rounds' second phases")
	rounds := flag.String("rounds", "plain", "rounds and their modes: ties, shuffled-ties, cap, pending joined by + (plain: none), rounds separated by , (e.g. ties+pending,shuffled-ties+pending,cap+pending); none: only the HA round (-ha)")
	tieGroups := flag.String("tie-groups", "101-130", "ties mode: size range of the Logto tie groups (records in one millisecond, in a stable order); above 100, Logto's largest page, and above -page-size")
	shuffledTieGroups := flag.String("shuffled-tie-groups", "90-250", "shuffled-ties mode: size range of the Logto tie groups in a new order on every request; the smallest above -page-size, the largest above 100")
	flag.DurationVar(&o.TieGroupEvery, "tie-group-every", 5*time.Second, "ties and shuffled-ties modes: one Logto tie group every")
	flag.IntVar(&o.Cap, "cap", 13, "cap mode: the page size every API gives, below -page-size")
	makePending := flag.String("make-pending", "0,1,2,10", "pending mode: the i-th Make run is listed pending for the i-th of these list answers (cyclic; 0: final at once)")
	flag.IntVar(&o.PageSize, "page-size", 20, "receiver page_size (small, so pages shift during walks)")
	flag.Float64Var(&o.Rate, "rate", 10, "records created per stream per second")
	flag.Int64Var(&o.Seed, "seed", 1, "seed of the simulator and of the event moments")
	// Records become visible a moment after their own timestamp (the simulator's
	// generator, like a database commit, lags its clock); settle re-reads that
	// much time so such records are not skipped. -settle 0s shows the losses.
	flag.StringVar(&o.Settle, "settle", "2s", "receiver settle")
	flag.StringVar(&o.LogLevel, "log-level", "info", "the collector's log level (debug shows every poll; with -keep)")
	flag.BoolVar(&o.Keep, "keep", false, "keep the temporary directory (config, collector log, checkpoints)")
	flag.DurationVar(&o.CatchUp, "catch-up", 90*time.Second, "how long each catch-up may take")
	var ha chaosrun.HAOptions
	flag.DurationVar(&ha.Duration, "ha", 0, "length of the HA round's events (three collectors on etcd, owners killed and paused at random); 0: no HA round")
	flag.StringVar(&ha.Etcd, "etcd", "", "HA round: path of the etcd binary (make etcd)")
	flag.Uint64Var(&ha.Seed, "ha-seed", 0, "HA round: seed of the event sequence (0: from the clock; the seed is printed)")
	flag.IntVar(&ha.MakePerMinute, "ha-make-per-minute", 600, "HA round: the Make budget of the cluster, also enforced by the simulator")
	flag.Parse()
	o.Log = os.Stderr
	var err error
	if *rounds != "none" {
		if o.Rounds, err = chaosrun.ParseRounds(*rounds); err != nil {
			fail(err)
		}
	}
	if o.TieGroupMin, o.TieGroupMax, err = parseRange(*tieGroups); err != nil {
		fail(fmt.Errorf("-tie-groups: %w", err))
	}
	if o.ShuffledTieGroupMin, o.ShuffledTieGroupMax, err = parseRange(*shuffledTieGroups); err != nil {
		fail(fmt.Errorf("-shuffled-tie-groups: %w", err))
	}
	if o.MakePending, err = parseInts(*makePending); err != nil {
		fail(fmt.Errorf("-make-pending: %w", err))
	}

	if _, err = os.Stat(o.Collector); err != nil {
		fmt.Fprintf(os.Stderr, "chaos: collector binary: %v (run make build)\n", err)
		os.Exit(2)
	}
	if ha.Duration > 0 {
		if _, err = os.Stat(ha.Etcd); err != nil {
			fmt.Fprintf(os.Stderr, "chaos: -etcd: %v (run make etcd)\n", err)
			os.Exit(2)
		}
		if ha.Seed == 0 {
			ha.Seed = uint64(time.Now().UnixNano())
		}
		ha.Collector, ha.PageSize, ha.LogLevel, ha.Keep, ha.Log = o.Collector, o.PageSize, o.LogLevel, o.Keep, os.Stderr
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ok := run(ctx, o, ha)
	stop()
	if !ok {
		os.Exit(1)
	}
}

// run runs the rounds, then the HA round, and prints their results; it
// reports whether every bound was met.
func run(ctx context.Context, o chaosrun.Options, ha chaosrun.HAOptions) bool {
	ok := true
	if len(o.Rounds) > 0 {
		res, rerr := chaosrun.Run(ctx, o)
		if rerr != nil {
			fail(rerr)
		}
		ok = res.Print(os.Stdout)
	}
	if ha.Duration > 0 && ctx.Err() == nil {
		fmt.Fprintf(os.Stderr, "chaos: HA round, seed %d\n", ha.Seed)
		res, herr := chaosrun.RunHA(ctx, ha)
		if herr != nil {
			fail(herr)
		}
		ok = res.Print(os.Stdout) && ok
	}
	return ok
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "chaos: %v\n", err)
	os.Exit(2)
}

// parseRange reads "min-max" or a single number.
func parseRange(s string) (lo, hi int, err error) {
	a, b, found := strings.Cut(s, "-")
	if lo, err = strconv.Atoi(strings.TrimSpace(a)); err != nil {
		return 0, 0, fmt.Errorf("%q: want min-max, e.g. 101-130", s)
	}
	hi = lo
	if found {
		if hi, err = strconv.Atoi(strings.TrimSpace(b)); err != nil {
			return 0, 0, fmt.Errorf("%q: want min-max, e.g. 101-130", s)
		}
	}
	return lo, hi, nil
}

// parseInts reads a comma-separated list of non-negative integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%q: want non-negative integers separated by commas, e.g. 0,1,2,10", s)
		}
		out = append(out, n)
	}
	return out, nil
}
