package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.uber.org/goleak"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestCheckpointEmptyScanMovesToWindowEnd(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	clock := &fakeClock{now: base.Add(10*time.Second + 300*time.Millisecond)}
	r := newRig(t, srv, caseOf(t, simulator.APITinesAuditLogs), nil, clock)

	_, records, err := r.poll()
	require.NoError(t, err)
	assert.Zero(t, records)
	st := r.stored()
	require.NotNil(t, st, "an empty successful scan is checkpointed")
	assert.Equal(t, base.Add(9*time.Second).UnixNano(), st.Key, "cursor = last fully elapsed second")
	assert.Nil(t, st.Walk)
}

func TestCheckpointUnchangedOnAPIFailure(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	clock := &fakeClock{now: base.Add(10 * time.Second)}
	r := newRig(t, srv, caseOf(t, simulator.APITinesAuditLogs), nil, clock)
	srv.sim.AddRecords(simulator.APITinesAuditLogs, "", 3, base.Add(2*time.Second))
	_, records, err := r.poll()
	require.NoError(t, err)
	require.Equal(t, 3, records)
	before := r.stored()

	srv.sim.AddRecords(simulator.APITinesAuditLogs, "", 2, base.Add(12*time.Second))
	require.NoError(t, srv.sim.SetFault(simulator.Fault{Kind: simulator.Fault503, API: simulator.APITinesAuditLogs}))
	clock.Set(base.Add(20 * time.Second))
	_, _, err = r.poll()
	require.Error(t, err)
	after := r.stored()
	assert.Equal(t, before.Key, after.Key, "cursor must not move on an API failure")
	assert.Nil(t, after.Walk)
	assert.Len(t, r.consumer.uids(), 3)

	srv.sim.ClearFaults()
	_, records, err = r.poll()
	require.NoError(t, err)
	assert.Equal(t, 2, records)
	assert.Equal(t, base.Add(19*time.Second).UnixNano(), r.stored().Key)
	requireExactlyOnce(t, r.want(), r.got())
}

func TestCheckpointUnchangedOnRetryableConsumerError(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	clock := &fakeClock{now: base.Add(10 * time.Second)}
	c := caseOf(t, simulator.APITinesAuditLogs)
	r := newRig(t, srv, c, nil, clock)
	r.drain()
	before := r.stored()

	srv.sim.AddRecords(c.api, "", 4, base.Add(12*time.Second))
	clock.Set(base.Add(20 * time.Second))
	r.consumer.failWith(1, errPipeline)
	_, _, err := r.poll()
	require.ErrorIs(t, err, errPipeline)
	after := r.stored()
	assert.Equal(t, before.Key, after.Key, "cursor must not move when the pipeline refused the page")
	assert.Nil(t, after.Walk, "a walk whose first page was refused has nothing to remember")

	r.consumer.heal()
	r.drain()
	requireExactlyOnce(t, r.want(), r.got())
}

// A consumer failure in the middle of a window keeps the pages already
// accepted: the walk is persisted and a new source resumes after them.
func TestCheckpointMovesToLastAcceptedPageAndResumes(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	clock := &fakeClock{now: base.Add(30 * time.Second)}
	c := caseOf(t, simulator.APITinesAuditLogs)
	store := cursor.NewStore(nil)
	r := newRig(t, srv, c, store, clock, withPageSize(2))
	r.drain()
	keyBefore := r.stored().Key

	for i := range 6 {
		srv.sim.AddRecords(c.api, "", 1, base.Add(time.Duration(31+i)*time.Second))
	}
	clock.Set(base.Add(40 * time.Second))
	r.consumer.failWith(2, errPipeline)
	_, records, err := r.poll()
	require.ErrorIs(t, err, errPipeline)
	assert.Equal(t, 2, records)
	st := r.stored()
	assert.Equal(t, keyBefore, st.Key)
	require.NotNil(t, st.Walk, "the walk must be persisted after the accepted page")
	assert.Equal(t, 1, st.Walk.Pages)

	// A new source (a restart) on the same store resumes the walk.
	r2 := newRig(t, srv, c, store, clock, withPageSize(2))
	r2.drain()
	assert.Len(t, r2.got(), 4)
	requireExactlyOnce(t, r.want(), r.got(), r2.got())
	assert.Equal(t, base.Add(39*time.Second).UnixNano(), r2.stored().Key)
}

func TestPermanentConsumerErrorSkipsPage(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	clock := &fakeClock{now: base.Add(10 * time.Second)}
	c := caseOf(t, simulator.APITinesAuditLogs)
	r := newRig(t, srv, c, nil, clock)
	r.drain()
	srv.sim.AddRecords(c.api, "", 3, base.Add(12*time.Second))
	clock.Set(base.Add(20 * time.Second))
	r.consumer.failWith(1, consumererror.NewPermanent(errPipeline))
	_, _, err := r.poll()
	require.NoError(t, err, "a permanent pipeline error skips the page")
	assert.Equal(t, base.Add(19*time.Second).UnixNano(), r.stored().Key, "the cursor advances past the skipped page")
	r.consumer.heal()
	r.drain()
	assert.Empty(t, r.got(), "the skipped page is not read again")
}

// A restart resumes exactly where the last poll stopped, across APIs.
func TestNewSourceResumesExactly(t *testing.T) {
	for _, c := range apiCases {
		t.Run(c.api, func(t *testing.T) {
			srv := newSimServer(t, simulator.Options{})
			base := baseTime()
			clock := &fakeClock{now: base}
			store := cursor.NewStore(nil)
			p := precisionOf(t, c)
			var got [][]string
			for round := range 4 {
				at := base.Add(time.Duration(round) * p)
				addTo(srv, c, 3, at)
				clock.Set(at.Add(p + p/2))
				r := newRig(t, srv, c, store, clock, withPageSize(2))
				r.drain()
				got = append(got, r.got())
			}
			requireExactlyOnce(t, srv.expected(c), got...)
		})
	}
}

func addTo(srv *simServer, c apiCase, n int, at time.Time) {
	srv.sim.AddRecords(c.api, c.simStream, n, at)
}

func precisionOf(t *testing.T, c apiCase) time.Duration {
	spec, err := apispec.Builtin(c.api)
	require.NoError(t, err)
	return spec.Records.TimePrecision
}
