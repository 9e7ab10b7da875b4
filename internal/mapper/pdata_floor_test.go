package mapper

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/plog"
)

// BenchmarkPdataFloor builds the Tines action log records of
// BenchmarkDecodeMap directly with the plog API, without JSON: the cost set
// by pdata's allocation model (one allocation per scalar value, per map,
// per log record), against which the mapper's own overhead is measured.
func BenchmarkPdataFloor(b *testing.B) {
	msg := "Sending request to https://tenant.tines.com/api/v1/stories/4000 with options: {\"method\":\"get\",\"params\":{},\"body\":null} attempt 1 of 3"
	for i := 0; i < b.N; i++ {
		logs := plog.NewLogs()
		lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
		lrs.EnsureCapacity(500)
		for j := 0; j < 500; j++ {
			lr := lrs.AppendEmpty()
			lr.SetTimestamp(1)
			lr.SetObservedTimestamp(2)
			lr.SetSeverityNumber(9)
			lr.SetSeverityText("info")
			m := lr.Body().SetEmptyMap()
			m.EnsureCapacity(5)
			m.PutInt("id", 1)
			m.PutInt("level", 3)
			m.PutStr("message", msg)
			m.PutStr("created_at", "2023-12-20T14:41:15Z")
			m.PutEmpty("inbound_event")
			lr.Attributes().PutStr("log.record.uid", "733")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/record")
}
