package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
)

// Targets of the "Fast and lean" issue.
const (
	targetPerSecond   = 400_000
	targetPeakMiB     = 100
	targetGrowth      = 1.10 // peak at the largest backlog vs the smallest
	targetScaleMiB    = 200
	targetScaleCPU    = 5.0 // % of one core
	targetPeakBacklog = 1_000_000
)

type report struct {
	apiLogs  []apiLogsResult
	baseline []baselineResult
	scale    *scaleResult
	economy  *chaosrun.EconomyResult
}

type verdict struct {
	name string
	ok   bool
	note string
}

func (r *report) print(w io.Writer, o options) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w)
	storage := "file_storage checkpoints"
	if !o.storage {
		storage = "in-memory checkpoints"
	}
	queue := "no sending queue"
	if o.queue {
		queue = "in-memory sending queue"
	}
	fmt.Fprintf(w, "End to end: simulator bench action -> collector (%s) -> otlphttp (protobuf, no compression, no batch, %s) -> counting sink\n", storage, queue)
	fmt.Fprintln(tw, "path\trecords\tseconds\trecords/s\tpeak RSS MiB\tRSS after MiB\tcollector cores\tharness cores\t")
	for i, a := range r.apiLogs {
		fmt.Fprintf(tw, "api_logs (tines_action_logs, page 500)\t%d\t%.2f\t%.0f\t%.1f\t%.1f\t%.2f\t%.2f\t\n", a.records, a.elapsed.Seconds(), a.perSecond, a.peakMiB, a.afterMiB, a.cpuCores, a.selfCores)
		if i < len(r.baseline) {
			b := r.baseline[i]
			fmt.Fprintf(tw, "otlp receiver, OTLP/JSON x%d senders\t%d\t%.2f\t%.0f\t%.1f\t%.1f\t%.2f\t%.2f\t\n", b.senders, b.records, b.elapsed.Seconds(), b.perSecond, b.peakMiB, b.afterMiB, b.cpuCores, b.selfCores)
			fmt.Fprintf(tw, "ratio api_logs / otlp\t\t\t%.2f\t\t\t\t\t\n", a.perSecond/b.perSecond)
		}
	}
	_ = tw.Flush()
	if len(r.baseline) > 0 {
		b := r.baseline[0]
		fmt.Fprintln(w, "(records/s: N / time from the first record to the N-th at the sink; cores: CPU time / that time, of the collector and of this harness process: simulator, sink, senders; 2 cores in all)")
		fmt.Fprintf(w, "(baseline: %d distinct pre-rendered requests of 500 records, %d KiB each, cycled; a separate collector process run after the api_logs one, same exporter and sink)\n", b.bodies, b.bodyKiB)
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Requests (as the simulator served them)")
	fmt.Fprintln(tw, "records\tbackfill requests\tminimum ceil(N/500)\tnon-200\tidle req/poll bench\tidle req/poll empty\tidle polls\tadded\treq for added\tbound ceil(n/500)+1\tdelivered after\tduplicates\t")
	for _, a := range r.apiLogs {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%.2f\t%.2f\t%d\t%d\t%d (%d poll)\t%d\t%s\t%d\t\n",
			a.records, a.benchReqs, ceilDiv(a.records, pageSize), a.non200, a.idleBench, a.idleFresh, a.idlePolls,
			a.added, a.addedReqs, a.addedPolls, a.addedBound, a.addedLatency.Round(1e6), a.duplicates)
	}
	_ = tw.Flush()

	if s := r.scale; s != nil {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "Scale: %d streams (%d receivers x %d tines actions), collection_interval %s, late = gap between polls > %s\n",
			s.streams, s.receivers, s.streams/s.receivers, s.interval, s.interval+5e9)
		fmt.Fprintln(tw, "first round\tidle window\tCPU % of one core\tRSS MiB\tpeak RSS MiB\tstreams polled\tpolls\trequests\tlate polls\toverdue at end\tmax gap\tnon-200\t")
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%.1f\t%.1f\t%d\t%d\t%d\t%d\t%d\t%s\t%d\t\n",
			s.firstRound.Round(1e8), s.window, s.cpuPercent, s.rssMiB, s.peakMiB, s.summary.streams, s.summary.polls, s.summary.reqs,
			s.summary.late, s.summary.overdue, s.summary.maxGap.Round(1e8), s.non200)
		_ = tw.Flush()
	}

	if r.economy != nil {
		r.economy.Print(w)
	}

	vs := r.verdicts()
	fmt.Fprintln(w)
	parts := make([]string, 0, len(vs))
	missed := 0
	for _, v := range vs {
		status := "met"
		if !v.ok {
			status = "MISSED"
			missed++
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", v.name, status, v.note))
	}
	head := "VERDICT: all targets met"
	if missed > 0 {
		head = fmt.Sprintf("VERDICT: %d target(s) MISSED", missed)
	}
	fmt.Fprintf(w, "%s: %s\n", head, strings.Join(parts, "; "))
}

func (r *report) verdicts() []verdict {
	var vs []verdict
	for i, a := range r.apiLogs {
		tag := "@" + short(a.records)
		vs = append(vs, verdict{"throughput" + tag, a.perSecond >= targetPerSecond, fmt.Sprintf("%.0f/s vs >= %d/s", a.perSecond, targetPerSecond)})
		if i < len(r.baseline) {
			b := r.baseline[i]
			vs = append(vs, verdict{"vs-otlp" + tag, a.perSecond >= b.perSecond, fmt.Sprintf("%.2fx of OTLP/JSON", a.perSecond/b.perSecond)})
		}
		if a.records <= targetPeakBacklog {
			vs = append(vs, verdict{"peak-rss" + tag, a.peakMiB <= targetPeakMiB, fmt.Sprintf("%.1f MiB vs <= %d", a.peakMiB, targetPeakMiB)})
		}
		wasted := a.benchReqs - int64(ceilDiv(a.records, pageSize)) + a.non200
		reqOK := wasted == 0 && a.idleBench == 1 && a.idleFresh == 1 && (a.added == 0 || a.addedReqs <= a.addedBound) && a.duplicates == 0
		vs = append(vs, verdict{"requests" + tag, reqOK, fmt.Sprintf("%d wasted in backfill, idle %.2f/%.2f per poll, %d for %d added (<= %d), %d duplicates",
			wasted, a.idleBench, a.idleFresh, a.addedReqs, a.added, a.addedBound, a.duplicates)})
	}
	if len(r.apiLogs) > 1 {
		lo, hi := r.apiLogs[0], r.apiLogs[len(r.apiLogs)-1]
		growth := hi.peakMiB / lo.peakMiB
		vs = append(vs, verdict{
			fmt.Sprintf("flat-memory %s->%s", short(lo.records), short(hi.records)), growth <= targetGrowth,
			fmt.Sprintf("%.1f -> %.1f MiB, x%.2f vs <= x%.2f", lo.peakMiB, hi.peakMiB, growth, targetGrowth),
		})
	}
	if s := r.scale; s != nil {
		tag := fmt.Sprintf("@%s-streams", short(s.streams))
		vs = append(vs,
			verdict{"scale-rss" + tag, s.peakMiB <= targetScaleMiB, fmt.Sprintf("peak %.1f MiB vs <= %d", s.peakMiB, targetScaleMiB)},
			verdict{"scale-cpu" + tag, s.cpuPercent < targetScaleCPU, fmt.Sprintf("%.2f%% of a core vs < %.0f%%", s.cpuPercent, targetScaleCPU)},
			verdict{
				"scale-late" + tag, s.summary.late == 0 && s.summary.overdue == 0 && s.summary.streams == s.streams,
				fmt.Sprintf("%d late, %d overdue, max gap %s, %d of %d streams polled", s.summary.late, s.summary.overdue, s.summary.maxGap.Round(1e8), s.summary.streams, s.streams),
			},
		)
	}
	if e := r.economy; e != nil {
		failures := e.Failures()
		note := fmt.Sprintf("one list request per idle poll, backlog <= ceil(%d/page)+2, no 429, every record once, on every stream", e.Options.Records)
		if len(failures) > 0 {
			note = fmt.Sprintf("%d figure(s) off: %s", len(failures), strings.Join(failures, "; "))
		}
		vs = append(vs, verdict{"economy", len(failures) == 0, note})
	}
	return vs
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func short(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}
