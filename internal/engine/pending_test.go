package engine

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// scenarioListRequests counts the list requests of Make scenario logs (not
// the execution details).
func scenarioListRequests(srv *simServer) *atomic.Int64 {
	var n atomic.Int64
	srv.setHook(func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/logs") {
			n.Add(1)
		}
	})
	return &n
}

func statusOf(lr plog.LogRecord) int64 {
	return fieldOf(lr, "make", "status").Int()
}

// Make runs listed before they finish, finishing after one, two and ten
// polls: each is delivered exactly once with its final status, failed ones
// with their failure, and every poll costs one list request.
func TestMakeUnfinishedRunsArriveOnceWhenFinal(t *testing.T) {
	srv := newSimServer(t, simulator.Options{Seed: 3, MakePendingLists: []int{1, 2, 10, 0, 0}})
	c := caseOf(t, simulator.APIMakeScenarioLogs)
	base := baseTime()
	for i := range 30 {
		addTo(srv, c, 1, base.Add(time.Duration(i)*time.Second))
	}
	clock := &fakeClock{now: base.Add(time.Minute)}
	lists := scenarioListRequests(srv)
	r := newRig(t, srv, c, nil, clock, withPageSize(100), func(s *Settings, _ *httpclientConfig) { s.Enrich = true })
	delivered := []int{}
	for poll := 1; poll <= 12; poll++ {
		before, got := lists.Load(), len(r.got())
		_, _, err := r.poll()
		require.NoError(t, err)
		assert.Equal(t, int64(1), lists.Load()-before, "list requests of poll %d", poll)
		delivered = append(delivered, len(r.got())-got)
		clock.Add(15 * time.Second)
	}
	// 30 runs: 6 each pending for 1, 2 and 10 polls, 12 final at once.
	assert.Equal(t, []int{12, 6, 6, 0, 0, 0, 0, 0, 0, 0, 6, 0}, delivered)
	requireExactlyOnce(t, r.want(), r.got())
	failed := 0
	for _, lr := range r.consumer.logRecords() {
		assert.NotZero(t, statusOf(lr), "a run is delivered with its final status")
		_, unfinished := lr.Attributes().Get(AttrUnfinished)
		assert.False(t, unfinished)
		if statusOf(lr) == 3 {
			failed++
			assert.True(t, present(fieldOf(lr, "make", "execution.error.name")), "a failed run arrives with its failure")
			assert.Equal(t, "ConnectionError", fieldOf(lr, "make", "execution.error.name").AsString())
			assert.Equal(t, "ERROR", fieldOf(lr, "make", "execution.status").AsString())
		}
	}
	require.Positive(t, failed, "the seed must produce failed runs")
	assert.Empty(t, r.stored().Walk)
	assert.Zero(t, r.stored().Reached, "nothing pending any more")
}

// A run still unfinished after max_pending is delivered once as it stands,
// marked api_logs.unfinished; its final state does not follow.
func TestMakeRunPendingPastMaxPending(t *testing.T) {
	srv := newSimServer(t, simulator.Options{Seed: 3, MakePendingLists: []int{0, 6}})
	c := caseOf(t, simulator.APIMakeScenarioLogs)
	base := baseTime()
	addTo(srv, c, 1, base)
	addTo(srv, c, 1, base.Add(time.Second))
	clock := &fakeClock{now: base.Add(10 * time.Second)}
	lists := scenarioListRequests(srv)
	r := newRig(t, srv, c, nil, clock, withPageSize(100), func(s *Settings, _ *httpclientConfig) { s.MaxPending = 30 * time.Second })
	var delivered []int
	for range 6 {
		before, got := lists.Load(), len(r.got())
		_, _, err := r.poll()
		require.NoError(t, err)
		assert.Equal(t, int64(1), lists.Load()-before)
		delivered = append(delivered, len(r.got())-got)
		clock.Add(10 * time.Second)
	}
	// Polls at 10 s, 20 s and 30 s of age hold the run; at 40 s it is
	// older than max_pending.
	assert.Equal(t, []int{1, 0, 0, 1, 0, 0}, delivered)
	requireExactlyOnce(t, r.want(), r.got())
	for _, lr := range r.consumer.logRecords() {
		_, unfinished := lr.Attributes().Get(AttrUnfinished)
		assert.Equal(t, statusOf(lr) == 0, unfinished, "only the run delivered unfinished is marked")
	}
	assert.Zero(t, statusOf(r.consumer.logRecords()[1]))
}
