package engine

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// PollOnce runs one poll of a stream outside the scheduler: its pages go to
// the consumer, its checkpoint to the store, and it returns that
// checkpoint's bytes; the source schedules nothing.
func TestPollOnce(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	clock := &fakeClock{now: base.Add(10 * time.Second)}
	r := newRig(t, srv, caseOf(t, simulator.APITinesAuditLogs), nil, clock, withPageSize(2))
	srv.sim.AddRecords(simulator.APITinesAuditLogs, "", 5, base.Add(2*time.Second))

	ids, err := r.src.Streams(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{DefaultStream}, ids)

	once, err := r.src.PollOnce(context.Background(), DefaultStream)
	require.NoError(t, err)
	assert.Equal(t, 3, once.Pages, "5 records in pages of 2")
	assert.Equal(t, 5, once.Records)
	assert.Len(t, r.consumer.uids(), 5)
	assert.Equal(t, 3, srv.requests["/tines/api/v1/audit_logs"])
	assert.Equal(t, r.st.key, once.Key)
	stored, err := r.store.Load(context.Background(), once.Key)
	require.NoError(t, err)
	assert.Equal(t, stored, once.Cursor, "the bytes of the last checkpoint")
	state, err := cursor.Unmarshal(once.Cursor)
	require.NoError(t, err)
	assert.Equal(t, base.Add(9*time.Second).UnixNano(), state.Key)
	assert.Empty(t, r.src.streams, "nothing scheduled")

	_, err = r.src.PollOnce(context.Background(), "1001")
	require.ErrorContains(t, err, `the API has no streams; its one stream is "default"`)
}
