package simulator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// With DisorderBy, every DisorderEvery-th record is dated that much before
// the record created before it: an API that lists by id shows it where its
// id puts it, Logto (by time) in its place by time. With FutureBy, every
// FutureEvery-th record is dated ahead. Both are counted.
func TestDisorderAndFutureHabits(t *testing.T) {
	o := quietOpts()
	o.DisorderBy, o.DisorderEvery = 20*time.Second, 3
	o.FutureBy, o.FutureEvery = time.Hour, 4
	s, srv := newSim(t, o)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 6 {
		s.AddRecords(APITinesActionLogs, "5", 1, t0.Add(time.Duration(i)*time.Second))
		s.AddRecords(APILogtoLogs, "", 1, t0.Add(time.Duration(i)*time.Second))
	}
	var tines struct {
		Logs []struct {
			ID        int    `json:"id"`
			CreatedAt string `json:"created_at"`
		} `json:"action_logs"`
	}
	get(t, srv.URL+"/tines/api/v1/actions/5/logs?per_page=10", tinesAuth...).json(t, &tines)
	var times []string
	for i, l := range tines.Logs {
		times = append(times, l.CreatedAt)
		if i > 0 {
			assert.Less(t, l.ID, tines.Logs[i-1].ID, "newest first by id")
		}
	}
	// created at 0..5 s: the 3rd and 6th are dated 20 s before the 2nd and
	// the 5th, the 4th an hour ahead
	assert.Equal(t, []string{
		"2024-12-31T23:59:44Z", "2025-01-01T00:00:04Z", "2025-01-01T01:00:03Z",
		"2024-12-31T23:59:41Z", "2025-01-01T00:00:01Z", "2025-01-01T00:00:00Z",
	}, times)

	var logs []struct {
		CreatedAt int64 `json:"createdAt"`
	}
	get(t, srv.URL+"/logto/api/logs?page_size=10", "Authorization", "Bearer "+logtoToken(t, srv.URL)).json(t, &logs)
	var logto []int64
	for _, l := range logs {
		logto = append(logto, l.CreatedAt)
	}
	assert.Equal(t, []int64{
		t0.Add(time.Hour + 3*time.Second).UnixMilli(), t0.Add(4 * time.Second).UnixMilli(), t0.Add(time.Second).UnixMilli(),
		t0.UnixMilli(), t0.Add(-16 * time.Second).UnixMilli(), t0.Add(-19 * time.Second).UnixMilli(),
	}, logto, "Logto lists by time: the records dated back are in their place")
	assert.Equal(t, int64(4), s.Stats().Modes.Disordered)
	assert.Equal(t, int64(2), s.Stats().Modes.Future)
}
