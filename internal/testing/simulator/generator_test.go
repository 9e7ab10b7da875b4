package simulator

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDemoModeHistoryAndNewRecords(t *testing.T) {
	s, srv := newSim(t, Options{Seed: 1, NewRecordEvery: 50 * time.Millisecond})
	// Singletons exist with 25 records; action streams appear lazily on first use.
	assert.Len(t, s.Records(APILogtoLogs), 25)
	assert.Empty(t, s.Records(APITinesActionLogs))
	r := get(t, srv.URL+"/tines/api/v1/actions/555/logs?per_page=100", tinesAuth...)
	var p tinesActionPage
	r.json(t, &p)
	assert.GreaterOrEqual(t, p.Meta.Count, 25)
	// History spans about the last hour and contains ties.
	seen := map[string]int{}
	ties := 0
	for _, l := range p.ActionLogs {
		seen[l.CreatedAt]++
		if seen[l.CreatedAt] == 2 {
			ties++
		}
		ts, _ := time.Parse(time.RFC3339, l.CreatedAt)
		assert.WithinDuration(t, time.Now(), ts, 61*time.Minute)
	}
	assert.Positive(t, ties)
	require.Eventually(t, func() bool { return len(s.Records(APITinesActionLogs)) > 26 }, 3*time.Second, 20*time.Millisecond)

	// Pause stops creation.
	s.Pause()
	time.Sleep(100 * time.Millisecond)
	n := len(s.Records(APILogtoLogs))
	time.Sleep(200 * time.Millisecond)
	assert.Len(t, s.Records(APILogtoLogs), n)
}

func TestChaosModeCreatesTies(t *testing.T) {
	s, _ := newSim(t, Options{Mode: ModeChaos, Seed: 3, InitialRecords: -1, ChaosRatePerSecond: 200, ChaosTick: 20 * time.Millisecond})
	require.Eventually(t, func() bool { return len(s.Records(APITinesAuditLogs)) > 100 }, 3*time.Second, 20*time.Millisecond)
	s.Pause()
	byTime := map[time.Time]int{}
	for _, r := range s.Records(APILogtoLogs) {
		byTime[r.Time]++
	}
	maxTie := 0
	for _, n := range byTime {
		maxTie = max(maxTie, n)
	}
	assert.Greater(t, maxTie, 1, "ties at millisecond precision")
}

func TestStartAndClose(t *testing.T) {
	s, err := New(Options{Seed: 1})
	require.NoError(t, err)
	require.NoError(t, s.Start("127.0.0.1:0"))
	res, err := http.Get(s.URL() + "/_sim/stats")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 200, res.StatusCode)
	assert.NotEqual(t, s.URL(), s.ForeignURL())
	require.NoError(t, s.Close())
	require.NoError(t, s.Close())
	_, err = http.Get(s.URL() + "/_sim/stats")
	require.Error(t, err)
	_, err = New(Options{Mode: "nope"})
	assert.Error(t, err)
}
