package simulator

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMakeExecutionMaxBytes(t *testing.T) {
	const big = 4 << 20
	o := quietOpts()
	o.MakeExecutionOutputBytes = big
	s, srv := newSim(t, o)
	s.AddRecords(APIMakeScenarioLogs, "9", 1, time.Now())
	u := srv.URL + "/make/api/v2/scenarios/9/executions/" + s.Records(APIMakeScenarioLogs)[0].ID

	// Without a budget the whole multi-megabyte outputs come back.
	r := get(t, u, makeAuth...)
	require.Equal(t, 200, r.code)
	var det struct {
		Status  string          `json:"status"`
		Outputs json.RawMessage `json:"outputs"`
	}
	r.json(t, &det)
	assert.InDelta(t, big, len(det.Outputs), 64, "outputs of about MakeExecutionOutputBytes")

	// Over budget: 413 with a small Make-style error, never truncated outputs.
	r = get(t, u+"?maxBytes=65536", makeAuth...)
	assert.Equal(t, 413, r.code)
	assert.Less(t, len(r.body), 1024)
	var e map[string]any
	r.json(t, &e)
	assert.Contains(t, e, "message")
	assert.Contains(t, e, "detail")
	assert.NotContains(t, e, "outputs")

	// Within budget: the full answer.
	r = get(t, u+"?maxBytes=8388608", makeAuth...)
	assert.Equal(t, 200, r.code)
	assert.Greater(t, len(r.body), big)

	assert.Equal(t, 400, get(t, u+"?maxBytes=lots", makeAuth...).code)
	assert.Equal(t, 400, get(t, u+"?maxBytes=0", makeAuth...).code)
	assert.Equal(t, RequestCounts{Detail: 5}, s.StreamRequests(APIMakeScenarioLogs)["9"])

	// Off (the default): tiny outputs fit a 64 KiB budget.
	s0, srv0 := newSim(t, quietOpts())
	s0.AddRecords(APIMakeScenarioLogs, "9", 1, time.Now())
	r = get(t, srv0.URL+"/make/api/v2/scenarios/9/executions/"+s0.Records(APIMakeScenarioLogs)[0].ID+"?maxBytes=65536", makeAuth...)
	require.Equal(t, 200, r.code)
	r.json(t, &det)
	assert.Less(t, len(det.Outputs), 100)
}
