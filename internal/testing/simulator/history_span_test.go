package simulator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func oldestNewest(refs []RecordRef) (oldest, newest time.Time) {
	for i, r := range refs {
		if i == 0 || r.Time.Before(oldest) {
			oldest = r.Time
		}
		if i == 0 || r.Time.After(newest) {
			newest = r.Time
		}
	}
	return oldest, newest
}

func TestHistorySpan(t *testing.T) {
	const span, n = 24 * time.Hour, 100
	start := time.Now()
	s, _ := newSim(t, Options{Seed: 7, InitialRecords: n, Paused: true, HistorySpan: span})
	refs := s.Records(APILogtoLogs)
	require.Len(t, refs, n)
	oldest, newest := oldestNewest(refs)
	step := (span - time.Minute) / n
	assert.WithinRange(t, oldest, start.Add(-span-time.Second), start.Add(-span+step+time.Second), "oldest record about HistorySpan ago")
	assert.True(t, newest.Before(time.Now().Add(-time.Minute)), "history ends a minute ago")
	times := map[time.Time]int{}
	for _, r := range refs {
		times[r.Time]++
	}
	assert.Less(t, len(times), n, "some records share a timestamp")

	// Off (the default): the last hour, exactly as before.
	s0, _ := newSim(t, Options{Seed: 7, InitialRecords: n, Paused: true})
	oldest, _ = oldestNewest(s0.Records(APILogtoLogs))
	assert.WithinRange(t, oldest, start.Add(-time.Hour-time.Second), start.Add(-time.Hour+time.Hour/n+time.Second))
}
