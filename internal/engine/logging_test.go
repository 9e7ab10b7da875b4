package engine

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// At debug level every poll of every stream says what it did.
func TestEveryPollLogsOneDebugLine(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	c := caseOf(t, simulator.APITinesAuditLogs)
	base := baseTime()
	addTo(srv, c, 3, base.Add(-time.Minute))
	clock := &fakeClock{now: base}
	core, logs := observer.New(zapcore.DebugLevel)
	r := newLoggingRig(t, srv, c, nil, clock, zap.New(core))
	r.st.poll(t.Context(), r.w)
	clock.Add(time.Minute)
	r.st.poll(t.Context(), r.w)

	polled := logs.FilterMessage("Polled").All()
	require.Len(t, polled, 2)
	first, idle := polled[0].ContextMap(), polled[1].ContextMap()
	assert.Equal(t, int64(3), first["records"])
	assert.Equal(t, int64(1), first["requests"])
	assert.Equal(t, int64(0), idle["records"])
	assert.Equal(t, int64(1), idle["requests"], "an idle poll costs one request")
	assert.Equal(t, first["cursor_after"], idle["cursor_before"])
	assert.Equal(t, false, idle["failed"])
}

// A stream that keeps failing says so again every 15 minutes, says when it
// recovered, and never logs a stack trace for it.
func TestFailingStreamLogsAgainAtASlowCadence(t *testing.T) {
	srv := newSimServer(t, simulator.Options{})
	c := caseOf(t, simulator.APITinesAuditLogs)
	clock := &fakeClock{now: baseTime()}
	core, logs := observer.New(zapcore.InfoLevel)
	// The collector's own logger adds stack traces at error level.
	r := newLoggingRig(t, srv, c, nil, clock, zap.New(core, zap.AddStacktrace(zapcore.ErrorLevel)))
	require.NoError(t, srv.sim.SetFault(simulator.Fault{Kind: simulator.Fault503, API: c.api}))
	for range 4 { // 0, 5, 10, 15 minutes
		r.st.poll(t.Context(), r.w)
		clock.Add(5 * time.Minute)
	}
	require.Equal(t, 1, logs.FilterMessageSnippet("Poll failed").Len(), "the first failure")
	still := logs.FilterMessageSnippet("Poll still failing").All()
	require.Len(t, still, 1, "again after 15 minutes, not at every poll")
	assert.Equal(t, 15*time.Minute, still[0].ContextMap()["since"])
	for _, e := range logs.FilterLevelExact(zapcore.ErrorLevel).All() {
		assert.Empty(t, e.Stack, "no stack trace for a known condition")
	}

	srv.sim.ClearFaults()
	r.st.poll(t.Context(), r.w)
	recovered := logs.FilterMessage("Stream recovered").All()
	require.Len(t, recovered, 1)
	assert.Equal(t, 20*time.Minute, recovered[0].ContextMap()["failed_for"])
}
