package engine

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/mapper"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// StackOne's event_time is nullable. Records timed by start_time or end_time
// instead (the simulator files them at that time) arrive exactly once, among
// ties, across page boundaries and a restart, with that time as Timestamp
// and api_logs.time_field naming the field; none is skipped as invalid.
func TestStackOneNullEventTimeExactlyOnce(t *testing.T) {
	c := caseOf(t, simulator.APIStackOneActionLogs)
	for _, pageSize := range []int{2, 5} {
		t.Run(fmt.Sprintf("page_size=%d", pageSize), func(t *testing.T) {
			srv := newSimServer(t, simulator.Options{StackOneNullable: true, Seed: 11})
			base := baseTime()
			clock := &fakeClock{now: base}
			store := cursor.NewStore(nil)
			core, logs := observer.New(zapcore.WarnLevel)
			r := newLoggingRig(t, srv, c, store, clock, zap.New(core), withPageSize(pageSize))
			for i := range 20 {
				at := base.Add(time.Duration(i) * 10 * time.Millisecond)
				addTo(srv, c, 3, at) // ties: every record of a tie group has another time case
				clock.Set(at.Add(5 * time.Millisecond))
				if i%3 == 0 {
					_, _, err := r.poll()
					require.NoError(t, err)
				}
			}
			// A restart: a new source on the same store carries on.
			r2 := newLoggingRig(t, srv, c, store, clock, zap.New(core), withPageSize(pageSize))
			for i := 20; i < 30; i++ {
				at := base.Add(time.Duration(i) * 10 * time.Millisecond)
				addTo(srv, c, 3, at)
			}
			clock.Set(base.Add(time.Second))
			r2.drain()
			requireExactlyOnce(t, r.want(), r.got(), r2.got())
			assert.Empty(t, logs.All(), "no record skipped, no warning")

			refs := map[string]simulator.RecordRef{}
			for _, ref := range srv.sim.Records(c.api) {
				refs[ref.ID] = ref
			}
			byField := map[string]int{}
			for _, lr := range append(r.consumer.logRecords(), r2.consumer.logRecords()...) {
				uid, _ := lr.Attributes().Get(mapper.AttrUID)
				ref := refs[uid.AsString()]
				assert.True(t, ref.Time.Equal(lr.Timestamp().AsTime()), "%s: Timestamp %s, record time %s", ref.ID, lr.Timestamp().AsTime(), ref.Time)
				field := "event_time"
				if attr, ok := lr.Attributes().Get(mapper.AttrTimeField); ok {
					field = attr.AsString()
					assert.False(t, present(fieldOf(lr, "stackone", "event_time")), ref.ID)
				}
				assert.Equal(t, ref.Time.Format("2006-01-02T15:04:05.000Z"), fieldOf(lr, "stackone", field).AsRaw(), "%s: %s", ref.ID, field)
				byField[field]++
			}
			assert.Equal(t, map[string]int{"event_time": 54, "start_time": 18, "end_time": 18}, byField)
		})
	}
}

// A record with no time at all is counted and warned about, never delivered
// and never dropped silently; the records around it arrive.
func TestStackOneRecordWithoutAnyTimeIsInvalid(t *testing.T) {
	c := caseOf(t, simulator.APIStackOneActionLogs)
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	at := base.Add(-time.Minute).UTC().Format("2006-01-02T15:04:05.000Z")
	srv.serve = func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":[
			{"log_id":"a","event_time":"` + at + `","success":true},
			{"log_id":"b","event_time":null,"start_time":null,"end_time":null,"success":true},
			{"log_id":"c","event_time":null,"start_time":"` + at + `","success":null,"status_code":404}
		],"query":{"page":1,"page_size":5},"total":3}`))
	}
	core, logs := observer.New(zapcore.WarnLevel)
	r := newLoggingRig(t, srv, c, nil, &fakeClock{now: base}, zap.New(core))
	_, records, err := r.poll()
	require.NoError(t, err)
	assert.Equal(t, 1, srv.totalRequests(), "total 3 on the first page: one request")
	assert.Equal(t, 2, records)
	assert.ElementsMatch(t, []string{"a", "c"}, r.got())
	warned := logs.FilterMessage("Skipped records without a usable id or event time").All()
	require.Len(t, warned, 1)
	assert.Equal(t, int64(1), warned[0].ContextMap()["count"])
	assert.Equal(t, `missing time fields "event_time", "start_time", "end_time" (all missing or null)`, warned[0].ContextMap()["example"])
}
