package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/cursor"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// A stream whose pages come out of the declared order fails its poll with
// an error that names the stream and what was seen; its cursor does not
// move and nothing is delivered, poll after poll. The other stream of the
// same API goes on.
func TestOutOfOrderStreamFailsItsPoll(t *testing.T) {
	srv := newSimServer(t, simulator.Options{OutOfOrder: []string{simulator.APITinesActionLogs + "/1001"}})
	good := caseOf(t, simulator.APITinesActionLogs)
	bad := good
	good.stream, good.simStream = "1002", "1002"
	base := baseTime()
	for i := range 5 {
		addTo(srv, bad, 1, base.Add(-time.Duration(5-i)*time.Minute))
		addTo(srv, good, 1, base.Add(-time.Duration(5-i)*time.Minute))
	}
	clock := &fakeClock{now: base}
	store := cursor.NewStore(nil)
	r := newRig(t, srv, bad, store, clock, withPageSize(10))
	for range 2 {
		before := srv.totalRequests()
		_, records, err := r.poll()
		assert.Equal(t, 1, srv.totalRequests()-before, "the poll stops at the page that contradicts the order")
		require.ErrorIs(t, err, cursor.ErrOrder)
		assert.Zero(t, records)
		assert.Contains(t, err.Error(), "stream 1001")
		assert.Contains(t, err.Error(), "GET /tines/api/v1/actions/1001/logs")
		assert.Contains(t, err.Error(), "declares newest first")
		assert.Contains(t, err.Error(), "is newer by 1m0s")
		assert.Nil(t, r.stored(), "the cursor never moved")
		assert.Empty(t, r.got())
		clock.Add(time.Minute)
	}

	g := newRig(t, srv, good, store, clock, withPageSize(10))
	before := srv.totalRequests()
	_, records, err := g.poll()
	require.NoError(t, err)
	assert.Equal(t, 1, srv.totalRequests()-before, "five records, one short page")
	assert.Equal(t, 5, records)
	requireExactlyOnce(t, g.want(), g.got())
}

// Akinon OMS lists by id while the cursor follows created_at: a record
// written a few milliseconds "late" by a concurrent worker sits after a
// newer one, here across a page boundary. With the default settle that is
// within what the overlap absorbs: no error, and every record exactly once
// (the record after the boundary is newer than the walk's edge, and told
// apart from the delivered ones by id).
func TestSmallDisorderAcrossPagesIsDelivered(t *testing.T) {
	c := caseOf(t, simulator.APIOMSActionLogs)
	srv := newSimServer(t, simulator.Options{})
	base := baseTime()
	// Inserted in id order; newest id first gives F E | D C | B A by page of
	// two, and D was created 3 ms after E.
	for _, at := range []time.Duration{
		-10 * time.Second,                   // A
		-9 * time.Second,                    // B
		-8 * time.Second,                    // C
		-7*time.Second + 3*time.Millisecond, // D
		-7 * time.Second,                    // E
		-6 * time.Second,                    // F
	} {
		addTo(srv, c, 1, base.Add(at))
	}
	clock := &fakeClock{now: base}
	r := newRig(t, srv, c, nil, clock, withPageSize(2), func(s *Settings, _ *httpclientConfig) { s.Settle = 2 * time.Second })
	_, records, err := r.poll()
	require.NoError(t, err)
	assert.Equal(t, 6, records)
	clock.Add(time.Minute)
	r.drain()
	requireExactlyOnce(t, r.want(), r.got())
}
