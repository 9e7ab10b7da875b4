package chaosrun

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func at(base time.Time, ms ...int) []time.Time {
	out := make([]time.Time, len(ms))
	for i, m := range ms {
		out[i] = base.Add(time.Duration(m) * time.Millisecond)
	}
	return out
}

func sizes(groups [][]time.Time) []int {
	out := make([]int, len(groups))
	for i, g := range groups {
		out[i] = len(g)
	}
	return out
}

func TestPollGroups(t *testing.T) {
	base := time.Now()
	assert.Empty(t, PollGroups(nil, time.Second))
	// Two back-to-back pages, then polls 2 s apart, one of them of two requests.
	times := at(base, 0, 90, 2200, 4300, 4390, 6500)
	assert.Equal(t, []int{2, 1, 2, 1}, sizes(PollGroups(times, time.Second)))
}

func TestSplitPolls(t *testing.T) {
	base := time.Now()
	interval := 2 * time.Second
	times := at(base, 0, 90, 180, 2300, 4400, 6500, 8600)
	// The backlog poll's last page came after the sink showed everything (done at 150 ms).
	p := splitPolls(times, base.Add(150*time.Millisecond), base.Add(9*time.Second), interval)
	assert.Equal(t, []int{3}, sizes(p.backlog), "the poll that was under way when the backlog was done is the backlog poll")
	assert.Equal(t, []int{1, 1, 1}, sizes(p.idle), "the poll at 8.6 s may still be under way at 9 s: not counted")
	assert.Equal(t, 2100*time.Millisecond, p.idleMinGap)

	p = splitPolls(times, time.Time{}, base.Add(time.Minute), interval)
	assert.Len(t, p.backlog, 5, "never done: everything is backlog")
	assert.Empty(t, p.idle)
}

func TestMaxInWindow(t *testing.T) {
	base := time.Now()
	n, from := MaxInWindow(at(base, 5000, 0, 59999, 60000, 61000, 70000), time.Minute)
	assert.Equal(t, 4, n, "60.000 s after the first is outside its window; 5 s .. 61 s holds four")
	assert.Equal(t, base.Add(5*time.Second), from)
	n, _ = MaxInWindow(nil, time.Minute)
	assert.Zero(t, n)
}

func TestEconomyPrintMarksMissed(t *testing.T) {
	o := EconomyOptions{}
	o.applyDefaults()
	ok := EconomyStream{
		Receiver: OMS, API: "oms_action_logs", Records: 150, BacklogList: 2, BacklogPolls: 1,
		IdlePolls: 5, IdleList: 5, IdleMax: 1, IdleMinGap: 2100 * time.Millisecond,
	}
	res := &EconomyResult{
		Options: o,
		Streams: []EconomyStream{ok},
		APIs: []EconomyAPI{{
			API: "oms_action_logs", Receiver: OMS, Streams: 1, PageSize: 100, MinBacklog: 2, BacklogBound: 4,
			BacklogList: []int{2}, IdlePolls: 5, IdleList: 5, IdleMinPolls: 5, IdleMax: 1, IdleMinGap: 2100 * time.Millisecond,
			Tally: Tally{Receiver: OMS, API: "oms_action_logs", Created: 150, Delivered: 150},
		}},
	}
	var b strings.Builder
	require.True(t, res.Print(&b), b.String())
	assert.Empty(t, res.Failures())
	assert.NotContains(t, b.String(), "MISSED")
	assert.Contains(t, b.String(), "| oms_action_logs | 1 | 100 | 2 | 2 | 4 | 5 (5) | 5 | 1.00 | 0 | 0 | 0 | 150 of 150 | yes |")

	// An idle poll of two requests, a backlog over its bound, a 429.
	bad := ok
	bad.IdleList, bad.IdleMax, bad.BacklogList = 6, 2, 5
	res.Streams = []EconomyStream{bad}
	a := &res.APIs[0]
	a.IdleList, a.IdleMax, a.BacklogList, a.Throttled = 6, 2, []int{5}, 1
	res.Total429 = 1
	b.Reset()
	require.False(t, res.Print(&b))
	out := b.String()
	assert.Contains(t, out, "| 5 MISSED |")
	assert.Contains(t, out, "1.20 MISSED (max 2)")
	assert.Contains(t, out, "| 1 MISSED |")
	assert.Contains(t, out, "| NO |")
	assert.Len(t, res.Failures(), 4, out)
	assert.Contains(t, out, "MISSED oms_action_logs: expected exactly 5 list requests for 5 idle polls (one each), got 6 (at most 2 in one poll)")
}
