package simulator

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestControlAPI(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	at := time.Date(2024, 1, 1, 0, 0, 0, 123456789, time.UTC)
	s.AddRecords(APITinesActionLogs, "1001", 2, at)

	r := get(t, srv.URL+"/_sim/records?api=tines_action_logs")
	require.Equal(t, 200, r.code)
	var recs struct {
		API     string      `json:"api"`
		Records []RecordRef `json:"records"`
	}
	r.json(t, &recs)
	assert.Equal(t, APITinesActionLogs, recs.API)
	require.Len(t, recs.Records, 2)
	assert.Equal(t, "1001", recs.Records[0].Stream)
	assert.Equal(t, at.Truncate(time.Second), recs.Records[0].Time, "time at API precision")
	assert.Equal(t, s.Records(APITinesActionLogs), recs.Records)
	assert.Equal(t, 400, get(t, srv.URL+"/_sim/records?api=nope").code)

	// Faults over HTTP.
	r = do(t, "POST", srv.URL+"/_sim/faults", `{"kind":"429_seconds","count":1,"api":"tines_action_logs","retry_after":"2s"}`)
	require.Equal(t, 200, r.code, string(r.body))
	r = get(t, srv.URL+"/tines/api/v1/actions/1001/logs", tinesAuth...)
	assert.Equal(t, 429, r.code)
	assert.Equal(t, "2", r.header.Get("Retry-After"))
	assert.Equal(t, 400, do(t, "POST", srv.URL+"/_sim/faults", `{"kind":"bogus"}`).code)
	require.Equal(t, 200, do(t, "POST", srv.URL+"/_sim/faults", `{"kind":"500","probability":1,"slow":1.5}`).code)
	assert.Len(t, s.Faults(), 1)
	assert.Equal(t, 204, do(t, "DELETE", srv.URL+"/_sim/faults", "").code)
	assert.Empty(t, s.Faults())
	require.Equal(t, 200, do(t, "POST", srv.URL+"/_sim/faults", `{"kind":"500"}`).code)
	require.Equal(t, 200, do(t, "POST", srv.URL+"/_sim/faults", `{"kind":"none"}`).code)
	assert.Empty(t, s.Faults())

	// Stats.
	r = get(t, srv.URL+"/_sim/stats")
	var st Stats
	r.json(t, &st)
	assert.Equal(t, int64(1), st.Requests[APITinesActionLogs]["429"])
	assert.Equal(t, int64(2), st.RecordsCreated[APITinesActionLogs])

	// Add over HTTP.
	r = do(t, "POST", srv.URL+"/_sim/add", `{"api":"logto_logs","n":3}`)
	require.Equal(t, 200, r.code)
	assert.Len(t, s.Records(APILogtoLogs), 3)

	// Pause / resume.
	assert.Equal(t, 200, do(t, "POST", srv.URL+"/_sim/resume", "").code)
	assert.False(t, s.paused.Load())
	assert.Equal(t, 200, do(t, "POST", srv.URL+"/_sim/pause", "").code)
	assert.True(t, s.paused.Load())
	assert.Equal(t, 404, get(t, srv.URL+"/nowhere").code)
}

func TestRecordsEndpointScales(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	for i := 0; i < 100; i++ {
		s.AddRecords(APIMakeScenarioLogs, "1", 1000, time.Now())
	}
	start := time.Now()
	r := get(t, srv.URL+"/_sim/records?api=make_scenario_logs")
	require.Equal(t, 200, r.code)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Greater(t, len(r.body), 100_000*50)
}

// TestRecordBody: the body of a listed record is the object the list answer shows.
func TestRecordBody(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	s.AddRecords(APITinesActionLogs, "1001", 1, at)
	refs := s.Records(APITinesActionLogs)
	require.Len(t, refs, 1)

	body := s.RecordBody(APITinesActionLogs, "1001", refs[0].ID)
	require.NotNil(t, body)
	r := get(t, srv.URL+"/tines/api/v1/actions/1001/logs", tinesAuth...)
	require.Equal(t, 200, r.code)
	assert.Contains(t, string(r.body), string(body))

	assert.Nil(t, s.RecordBody(APITinesActionLogs, "1002", refs[0].ID), "another stream")
	assert.Nil(t, s.RecordBody(APITinesActionLogs, "1001", "nope"), "an unknown id")
	assert.Nil(t, s.RecordBody("nope", "1001", refs[0].ID), "an unknown API")
}
