package main

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
)

func logsWith(perScope ...int) plog.Logs {
	ld := plog.NewLogs()
	for _, n := range perScope {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("k", "v")
		sl := rl.ScopeLogs().AppendEmpty()
		sl.Scope().SetName("scope")
		for i := range n {
			lr := sl.LogRecords().AppendEmpty()
			lr.Body().SetEmptyMap().PutInt("id", int64(i))
			lr.Attributes().PutStr("log.record.uid", "x")
		}
	}
	return ld
}

func TestCountLogRecordsMatchesPdata(t *testing.T) {
	var m plog.ProtoMarshaler
	for _, counts := range [][]int{{}, {0}, {1}, {500}, {3, 0, 7}} {
		ld := logsWith(counts...)
		raw, err := m.MarshalLogs(ld)
		require.NoError(t, err)
		n, err := countLogRecords(raw)
		require.NoError(t, err)
		assert.Equal(t, ld.LogRecordCount(), n, "%v", counts)
	}
	_, err := countLogRecords([]byte{0x0a, 0x05, 0x01})
	assert.Error(t, err)
}

func TestCountingSinkReachesTarget(t *testing.T) {
	s, err := startCountingSink()
	require.NoError(t, err)
	defer s.close()
	done := s.expect(10)
	var m plog.ProtoMarshaler
	raw, err := m.MarshalLogs(logsWith(4, 1))
	require.NoError(t, err)
	for range 2 {
		resp, err := http.Post(s.endpoint()+"/v1/logs", "application/x-protobuf", bytes.NewReader(raw))
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	}
	<-done
	first, reach := s.window()
	assert.False(t, first.IsZero())
	assert.False(t, reach.Before(first))
	assert.EqualValues(t, 10, s.records.Load())
}
