package simulator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A run created with MakePendingLists is listed with status 0 and its
// details say RUNNING for as many list answers as asked, then it is final.
func TestMakePendingRunsFinishAfterListings(t *testing.T) {
	o := quietOpts()
	o.MakePendingLists = []int{2, 0}
	s, srv := newSim(t, o)
	s.AddRecords(APIMakeScenarioLogs, "9", 2, time.Now().Add(-time.Minute))
	refs := s.Records(APIMakeScenarioLogs)
	require.Len(t, refs, 2)
	pending := refs[0].ID
	list := srv.URL + "/make/api/v2/scenarios/9/logs"
	detail := srv.URL + "/make/api/v2/scenarios/9/executions/" + pending
	statusOf := func() (listed int, det string) {
		var page struct {
			ScenarioLogs []struct {
				ID     string `json:"id"`
				Status int    `json:"status"`
			} `json:"scenarioLogs"`
		}
		var d struct {
			Status string `json:"status"`
		}
		get(t, detail, makeAuth...).json(t, &d)
		get(t, list, makeAuth...).json(t, &page)
		require.Len(t, page.ScenarioLogs, 2)
		for _, l := range page.ScenarioLogs {
			if l.ID == pending {
				listed = l.Status
			} else {
				assert.NotZero(t, l.Status, "a run created with 0 lists is final at once")
			}
		}
		return listed, d.Status
	}
	for range 2 {
		listed, det := statusOf()
		assert.Equal(t, 0, listed)
		assert.Equal(t, "RUNNING", det)
	}
	assert.Equal(t, ModeStats{PendingRuns: 1, PendingListings: 2, StillPending: 0}, s.Stats().Modes)
	listed, det := statusOf()
	assert.Contains(t, []int{1, 2, 3}, listed)
	assert.Equal(t, map[int]string{1: "SUCCESS", 2: "WARNING", 3: "ERROR"}[listed], det)
	assert.Equal(t, listed, s.Records(APIMakeScenarioLogs)[0].Level, "the record list gives the final status")
	assert.Equal(t, ModeStats{PendingRuns: 1, PendingListings: 2}, s.Stats().Modes, "a final run counts no more listings")
}
