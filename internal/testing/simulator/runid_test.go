package simulator

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// demoRun builds a paused demo simulator with the demo's streams and a
// record added to each, and returns every record id per API.
func demoRun(t *testing.T, runID int64) map[string][]string {
	t.Helper()
	s, err := New(Options{Seed: 1, RunID: runID, Paused: true})
	require.NoError(t, err)
	defer s.Close()
	streams := map[string][]string{
		APITinesActionLogs:  {"1001", "1002"},
		APIMakeScenarioLogs: {"7001"},
		APIMakeModuleLogs:   {"7001/1", "7001/2"},
		APIMakeAuditLogs:    {"21"},
	}
	for _, api := range AllAPIs {
		names := streams[api]
		if names == nil {
			names = []string{""}
		}
		for _, name := range names {
			s.AddRecords(api, name, 1, time.Now())
		}
	}
	ids := map[string][]string{}
	for _, api := range AllAPIs {
		for _, r := range s.Records(api) {
			ids[api] = append(ids[api], r.ID)
		}
		require.NotEmpty(t, ids[api], api)
	}
	return ids
}

// A restarted demo (same Seed, a later RunID) creates no id of the previous
// run, and its integer ids are above the previous run's.
func TestRunIDMakesIDsUniqueAcrossRuns(t *testing.T) {
	start := time.Now().Unix()
	first, second := demoRun(t, start), demoRun(t, start+1)
	for _, api := range AllAPIs {
		seen := map[string]bool{}
		for _, id := range first[api] {
			seen[id] = true
		}
		for _, id := range second[api] {
			assert.False(t, seen[id], "%s: id %s of the first run created again", api, id)
		}
	}
	for _, api := range []string{APITinesActionLogs, APITinesAuditLogs, APIOMSActionLogs} {
		maxFirst := int64(0)
		for _, id := range first[api] {
			n, err := strconv.ParseInt(id, 10, 64)
			require.NoError(t, err)
			maxFirst = max(maxFirst, n)
			assert.Less(t, n, int64(1)<<53, "%s: id %d is not exact as a JSON number", api, n)
		}
		for _, id := range second[api] {
			n, err := strconv.ParseInt(id, 10, 64)
			require.NoError(t, err)
			assert.Greater(t, n, maxFirst, "%s: the second run's ids continue above the first's", api)
		}
	}
}

// Without RunID the ids are a function of the Seed: the tests and the chaos
// run rely on it.
func TestIDsWithoutRunIDAreDeterministic(t *testing.T) {
	a, b := demoRun(t, 0), demoRun(t, 0)
	for _, api := range AllAPIs {
		assert.Equal(t, a[api], b[api], api)
	}
	assert.Equal(t, "701", a[APITinesActionLogs][0], "Tines action ids start after 700")
	_, err := New(Options{RunID: -1})
	require.Error(t, err)
	_, err = New(Options{RunID: maxRunID + 1})
	require.Error(t, err)
}
