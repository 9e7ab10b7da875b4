package simulator

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With StackOneNullable, 60 records hold every combination of the time and
// severity cases; the record's time (which the filter and the event_time
// order use) is event_time, else start_time, else end_time.
func TestStackOneNullable(t *testing.T) {
	o := quietOpts()
	o.StackOneNullable = true
	s, srv := newSim(t, o)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 60 {
		s.AddRecords(APIStackOneActionLogs, "", 1, t0.Add(time.Duration(i)*time.Second))
	}
	r := do(t, "POST", srv.URL+"/stackone/logs/actions",
		`{"filters":{"start_time":"2025-01-01T00:00:00.000Z","end_time":"2025-01-01T00:01:00.000Z","order_by":"event_time","order_direction":"asc"},"page":1,"page_size":100}`, stackAuth...)
	require.Equal(t, 200, r.code, string(r.body))
	var p stackOnePage
	r.json(t, &p)
	require.Len(t, p.Data, 60)
	times := map[string]int{}
	severities := map[string]int{}
	for i, d := range p.Data {
		at := t0.Add(time.Duration(i) * time.Second).Format(layoutMilli)
		switch {
		case d["event_time"] != nil:
			times["event_time"]++
			assert.Equal(t, at, d["event_time"])
			assert.NotNil(t, d["start_time"])
		case d["start_time"] != nil:
			times["start_time"]++
			assert.Equal(t, at, d["start_time"], "null event_time: timed by start_time")
			assert.Greater(t, d["end_time"], d["start_time"])
		default:
			times["end_time"]++
			assert.Equal(t, at, d["end_time"], "only end_time")
		}
		status := "null"
		if c, ok := d["status_code"].(float64); ok {
			status = fmt.Sprintf("%dxx", int(c)/100)
		}
		severities[fmt.Sprintf("success=%v status=%s", d["success"], status)]++
	}
	assert.Equal(t, map[string]int{"event_time": 36, "start_time": 12, "end_time": 12}, times)
	for _, k := range []string{
		"success=<nil> status=2xx", "success=<nil> status=3xx", "success=<nil> status=4xx", "success=<nil> status=5xx",
		"success=<nil> status=null", "success=false status=2xx", "success=false status=null",
		"success=true status=2xx",
	} {
		assert.Positive(t, severities[k], k)
	}

	// The success filter leaves out records whose success is null.
	r = do(t, "POST", srv.URL+"/stackone/logs/actions", `{"filters":{"success":false},"page":1,"page_size":100}`, stackAuth...)
	r.json(t, &p)
	for _, d := range p.Data {
		assert.Equal(t, false, d["success"])
	}
}

// Without the option no field is null.
func TestStackOneNotNullableByDefault(t *testing.T) {
	s, srv := newSim(t, quietOpts())
	s.AddRecords(APIStackOneActionLogs, "", 24, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	r := do(t, "POST", srv.URL+"/stackone/logs/actions", `{"page":1,"page_size":100}`, stackAuth...)
	var p stackOnePage
	r.json(t, &p)
	require.Len(t, p.Data, 24)
	for _, d := range p.Data {
		for _, k := range []string{"event_time", "start_time", "end_time", "success", "status_code"} {
			assert.NotNil(t, d[k], k)
		}
	}
}
