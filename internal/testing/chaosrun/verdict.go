package chaosrun

import (
	"fmt"
	"io"
	"strings"
)

// Row is one API's line of the report.
type Row struct {
	Tally
	Phase1Duplicated int
	Allowed          int // duplicate bound: kills × page_size × streams
	OK               bool
}

// Verdict checks the result: no loss anywhere, no duplicate after graceful
// restarts, at most one page per stream per SIGKILL duplicated.
func (res *Result) Verdict() ([]Row, bool) {
	ok := len(res.Problems) == 0
	rows := make([]Row, 0, len(res.Final))
	for i, t := range res.Final {
		row := Row{Tally: t, Allowed: res.Kills * res.PageSize * res.Receivers[i].Streams}
		if i < len(res.Phase1) {
			row.Phase1Duplicated = res.Phase1[i].Duplicated
		}
		row.OK = t.Lost == 0 && t.Unexpected == 0 && row.Phase1Duplicated == 0 && t.Duplicated <= row.Allowed
		ok = ok && row.OK
		rows = append(rows, row)
	}
	return rows, ok
}

// Print writes the report as a Markdown table.
func (res *Result) Print(w io.Writer) bool {
	rows, ok := res.Verdict()
	fmt.Fprintf(w, "\nchaos: %d graceful restarts (phase 1), %d SIGKILLs (phase 2), page_size %d, settle %q\n\n", res.Restarts, res.Kills, res.PageSize, res.Settle)
	fmt.Fprintln(w, "| API | streams | created | delivered (unique) | lost | duplicated after restarts | duplicated total | allowed (kills × page × streams) | ok |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---|")
	var sum Row
	for i, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d | %d | %s |\n", r.API, res.Receivers[i].Streams, r.Created, r.Delivered, r.Lost,
			r.Phase1Duplicated, r.Duplicated, r.Allowed, yes(r.OK))
		sum.Created += r.Created
		sum.Delivered += r.Delivered
		sum.Lost += r.Lost
		sum.Phase1Duplicated += r.Phase1Duplicated
		sum.Duplicated += r.Duplicated
		sum.Allowed += r.Allowed
	}
	fmt.Fprintf(w, "| **total** | | %d | %d | %d | %d | %d | %d | %s |\n", sum.Created, sum.Delivered, sum.Lost, sum.Phase1Duplicated, sum.Duplicated, sum.Allowed, yes(ok))
	for _, r := range rows {
		if !r.OK {
			fmt.Fprintf(w, "\nFAIL %s\n", r.Tally)
		}
	}
	for _, p := range res.Problems {
		fmt.Fprintf(w, "\nPROBLEM %s\n", p)
	}
	if ok {
		fmt.Fprintln(w, "\nPASS: nothing lost, no duplicate across graceful restarts, duplicates after SIGKILL within one page per stream per kill")
	} else {
		fmt.Fprintf(w, "\nFAIL (collector log and checkpoints: %s)\n", strings.TrimSpace(res.Dir))
	}
	return ok
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}
