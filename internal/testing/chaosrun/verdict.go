package chaosrun

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// Row is one API's line of a round's report.
type Row struct {
	Tally
	Phase1Duplicated int
	Allowed          int // duplicate bound: kills × page × streams
	OK               bool
}

// pageBound is the largest page receiver r delivers in one request in round
// rr: a tie read's page where the round makes tie groups larger than a page.
func (rr *RoundResult) pageBound(r Receiver, pageSize int) int {
	if rr.Modes.ties() && r.TiePageSize > pageSize {
		return r.TiePageSize
	}
	return pageSize
}

// Verdict checks a round: no loss anywhere, nothing in a wrong state, no
// duplicate after graceful restarts, at most one page per stream per
// SIGKILL duplicated.
func (rr *RoundResult) Verdict(pageSize int) ([]Row, bool) {
	ok := len(rr.Problems) == 0 && len(rr.Final) > 0
	rows := make([]Row, 0, len(rr.Final))
	for i, t := range rr.Final {
		r := rr.Receivers[i]
		row := Row{Tally: t, Allowed: rr.Kills * rr.pageBound(r, pageSize) * r.Streams}
		if i < len(rr.Phase1) {
			row.Phase1Duplicated = rr.Phase1[i].Duplicated
		}
		row.OK = t.Lost == 0 && t.Unexpected == 0 && t.WrongState == 0 && row.Phase1Duplicated == 0 && t.Duplicated <= row.Allowed
		ok = ok && row.OK
		rows = append(rows, row)
	}
	return rows, ok
}

// Verdict checks every round.
func (res *Result) Verdict() bool {
	ok := len(res.Problems) == 0 && len(res.Rounds) > 0
	for _, rr := range res.Rounds {
		_, rok := rr.Verdict(res.PageSize)
		ok = ok && rok
	}
	return ok
}

// Print writes the report as Markdown tables, one per round and one for all
// rounds, and returns the verdict.
func (res *Result) Print(w io.Writer) bool {
	restarts, kills := 0, 0
	for _, rr := range res.Rounds {
		restarts += rr.Restarts
		kills += rr.Kills
	}
	fmt.Fprintf(w, "\nchaos: %d rounds, %d graceful restarts, %d SIGKILLs in all, page_size %d, settle %q\n", len(res.Rounds), restarts, kills, res.PageSize, res.Settle)
	var all []Row
	apis := map[string]int{} // row index in all by API
	for i, rr := range res.Rounds {
		rows, _ := rr.Verdict(res.PageSize)
		rr.print(w, i, rows)
		for _, r := range rows {
			k, seen := apis[r.API]
			if !seen {
				k = len(all)
				apis[r.API] = k
				all = append(all, Row{Tally: Tally{API: r.API}, OK: true})
			}
			all[k].add(r)
		}
	}
	ok := res.Verdict()
	if len(res.Rounds) > 1 {
		fmt.Fprintf(w, "\n### all rounds\n\n")
		printRows(w, all, nil)
	}
	for _, p := range res.Problems {
		fmt.Fprintf(w, "\nPROBLEM %s\n", p)
	}
	if ok {
		fmt.Fprintln(w, "\nPASS: nothing lost, nothing in a wrong state, no duplicate across graceful restarts, duplicates after SIGKILL within one page per stream per kill")
	} else {
		fmt.Fprintf(w, "\nFAIL (collector logs and checkpoints: %s)\n", strings.TrimSpace(res.Dir))
	}
	return ok
}

func (r *Row) add(o Row) {
	r.Created += o.Created
	r.Delivered += o.Delivered
	r.Lost += o.Lost
	r.WrongState += o.WrongState
	r.Phase1Duplicated += o.Phase1Duplicated
	r.Duplicated += o.Duplicated
	r.Allowed += o.Allowed
	r.OK = r.OK && o.OK
}

func (rr *RoundResult) print(w io.Writer, i int, rows []Row) {
	fmt.Fprintf(w, "\n### round %d: %s (%s, %d graceful restarts, %d SIGKILLs)\n\n", i+1, rr.Modes, rr.Duration, rr.Restarts, rr.Kills)
	st := rr.Stats
	var modes []string
	if rr.Modes.ties() {
		modes = append(modes, fmt.Sprintf("%d Logto tie groups, %d records, %d tie reads (%s per group)",
			st.TieGroups, st.TieGroupRecords, st.LogtoTieReads, perGroup(st.LogtoTieReads, st.TieGroups)))
	}
	if rr.Modes.has(ModeCap) {
		modes = append(modes, fmt.Sprintf("%d list requests capped", st.CappedRequests))
	}
	if rr.Modes.has(ModePending) {
		modes = append(modes, fmt.Sprintf("%d Make runs listed pending %d times, %d still pending", st.PendingRuns, st.PendingListings, st.StillPending))
	}
	if len(modes) > 0 {
		fmt.Fprintf(w, "modes: %s\n", strings.Join(modes, "; "))
	}
	if len(rr.Warnings) > 0 {
		names := make([]string, 0, len(rr.Warnings))
		for name, n := range rr.Warnings {
			names = append(names, fmt.Sprintf("%s %d", name, n))
		}
		sort.Strings(names)
		fmt.Fprintf(w, "collector log: %s\n", strings.Join(names, ", "))
	}
	fmt.Fprintln(w)
	printRows(w, rows, rr.Receivers)
	for _, r := range rows {
		if !r.OK {
			fmt.Fprintf(w, "\nFAIL %s\n", r.Tally)
		}
	}
	for _, p := range rr.Problems {
		fmt.Fprintf(w, "\nPROBLEM %s\n", p)
	}
}

// printRows writes rows as a table; receivers, when given, name the streams.
func printRows(w io.Writer, rows []Row, receivers []Receiver) {
	fmt.Fprintln(w, "| API | streams | created | delivered (unique) | lost | wrong state | duplicated after restarts | duplicated total | allowed (kills × page × streams) | ok |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	sum := Row{OK: true}
	for i, r := range rows {
		streams := ""
		if i < len(receivers) {
			streams = strconv.Itoa(receivers[i].Streams)
		}
		fmt.Fprintf(w, "| %s | %s | %d | %d | %d | %d | %d | %d | %d | %s |\n", r.API, streams, r.Created, r.Delivered, r.Lost,
			r.WrongState, r.Phase1Duplicated, r.Duplicated, r.Allowed, yes(r.OK))
		sum.add(r)
	}
	fmt.Fprintf(w, "| **total** | | %d | %d | %d | %d | %d | %d | %d | %s |\n", sum.Created, sum.Delivered, sum.Lost, sum.WrongState,
		sum.Phase1Duplicated, sum.Duplicated, sum.Allowed, yes(sum.OK))
}

// perGroup is reads per group with one decimal; "-" without groups.
func perGroup(reads, groups int64) string {
	if groups == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(reads)/float64(groups), 'f', 1, 64)
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}
