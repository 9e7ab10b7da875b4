package mapper

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

const benchPageSize = 500

// benchPages builds one realistic 500-record page per built-in API.
var benchPages = []struct {
	api  string
	gen  func(i int, ts time.Time) string
	wrap func(records string) string
}{
	{"tines_action_logs", func(i int, ts time.Time) string {
		return fmt.Sprintf(`{"id":%d,"level":%d,"message":"Sending request to https://tenant.tines.com/api/v1/stories/%d with options: {\"method\":\"get\",\"params\":{},\"body\":null} attempt %d of 3","created_at":%q,"inbound_event":null}`,
			900000+i, 2+i%3, 4000+i, 1+i%3, ts.Format(time.RFC3339))
	}, func(r string) string {
		return `{"action_logs":[` + r + `],"meta":{"current_page":"https://t/api/v1/actions/1/logs?page=1","previous_page":null,"next_page":"https://t/api/v1/actions/1/logs?page=2","next_page_number":2,"per_page":500,"pages":9,"count":4321}}`
	}},
	{"tines_audit_logs", func(i int, ts time.Time) string {
		return fmt.Sprintf(`{"created_at":%q,"operation_name":"StoryItemsMovement","id":%d,"inputs":{"storyId":146411,"inputs":{"actionIds":[%d],"diagramNoteIds":[],"delta":{"x":62,"y":-34}}},"request_ip":"216.160.83.56","request_user_agent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/109.0.0.0 Safari/537.36","tenant_id":1234,"updated_at":%q,"user_email":"example.user@your.domain.tld","user_id":1234,"user_name":"Example User"}`,
			ts.Format(time.RFC3339), 3700000+i, 1348000+i, ts.Format(time.RFC3339))
	}, func(r string) string {
		return `{"audit_logs":[` + r + `],"meta":{"current_page":"x","previous_page":null,"next_page":null,"per_page":500,"pages":1,"count":500}}`
	}},
	{"stackone_action_logs", func(i int, ts time.Time) string {
		return fmt.Sprintf(`{"log_id":"adbf752f-6457-4ddd-89b3-%012d","log_type":"action","action_run_id":"adbf752f-6457-4ddd-89b3-98ae2252b83b","event_time":%q,"start_time":%q,"end_time":%q,"duration_ms":%d,"project_id":"dev-project-68574","account_id":"45355976281015164504","success":%t,"status_code":%d,"connector_key":"workday","connector_version":"1.0.0","connector_owner":"stackone","mode":"production","http_method":"GET","url":"https://api.stackone.com/unified/hris/employees","source_type":"DASHBOARD","source_id":"1234567890","source_value":"ACCOUNT_TESTER","auth_type":"API_KEY","auth_id":"auth-123","user_agent":"Mozilla/5.0","ip_address":"192.168.1.1","session_id":"session-123","agent_id":"agent-123","transport_type":"HTTP","stream_type":"HTTP","is_background":false,"origin_owner_id":"owner-123","origin_owner_name":"Test Owner","action_id":"get_employees","connector_profile_id":"profile-123","action_type":"sync","category":"hris","risk_level":"low","tier2_score":0.5}`,
			i, ts.Format("2006-01-02T15:04:05.000Z"), ts.Format("2006-01-02T15:04:05.000Z"), ts.Format("2006-01-02T15:04:05.000Z"), 100+i, i%4 != 0, []int{200, 404, 500, 200}[i%4])
	}, func(r string) string { return `{"data":[` + r + `],"total":500}` }},
	{"logto_logs", func(i int, ts time.Time) string {
		return fmt.Sprintf(`{"tenantId":"default","id":"log%017d","key":"Interaction.SignIn.Submit","payload":{"key":"Interaction.SignIn.Submit","result":%q,"ip":"10.0.0.1","userAgent":"Mozilla/5.0","userAgentParsed":{"ua":"Mozilla/5.0","browser":{"name":"Chrome","version":"120.0","major":"120"},"os":{"name":"Mac OS","version":"10.15.7"}},"userId":"u%d","applicationId":"app1","sessionId":"s%d","params":{}},"createdAt":%d}`,
			i, []string{"Success", "Error"}[i%2], i, i, ts.UnixMilli())
	}, func(r string) string { return `[` + r + `]` }},
	{"oms_action_logs", func(i int, ts time.Time) string {
		return fmt.Sprintf(`{"id":%d,"level":%d,"logger_name":"logger_name_%d","message":"Test Log Message %d","app_name":"oms","trace":"Traceback (most recent call last): File \"/app/oms/x.py\", line %d","created_at":%q}`,
			100000+i, []int{40, 0, 30, 20, 10}[i%5], i, i, i, ts.Format("2006-01-02T15:04:05.000000Z"))
	}, func(r string) string {
		return `{"count":9000,"next":"https://d/api/v1/oms/logs/action_log/?page=2","previous":null,"results":[` + r + `]}`
	}},
	{"make_scenario_logs", func(i int, ts time.Time) string {
		return fmt.Sprintf(`{"imtId":"%d_scenario.1229.auto.da518adcd14b4b64ac6358823cc%05d","duration":19979,"operations":10,"transfer":3942,"organizationId":21,"teamId":27,"id":"da518adcd14b4b64ac6358823cc%05d","type":"auto","authorId":null,"instant":false,"timestamp":%q,"status":%d}`,
			ts.UnixMilli(), i, i, ts.Format("2006-01-02T15:04:05.000Z"), 1+i%3)
	}, func(r string) string {
		return `{"scenarioLogs":[` + r + `],"pg":{"sortBy":"imtId","sortDir":"desc","limit":500}}`
	}},
	{"make_module_logs", func(i int, ts time.Time) string {
		return fmt.Sprintf(`{"imtId":"%d_module.%05d","executionId":"cc1c49323b344687a3248887622%05d","organizationId":5,"teamId":16,"scenarioId":1229,"timestamp":%q,"status":%d,"bundles":1,"size":2048}`,
			ts.UnixMilli(), i, i, ts.Format("2006-01-02T15:04:05.000Z"), 1+i%3)
	}, func(r string) string { return `{"moduleLogs":[` + r + `],"pg":{"limit":500}}` }},
	{"make_audit_logs", func(i int, ts time.Time) string {
		return fmt.Sprintf(`{"uuid":"c37c729235cd4dc4911321b23be%05d","imtId":"%d_c37c729235cd4dc4911321b23beaea7d","createdAt":%q,"triggeredAt":%q,"organizationId":3,"organization":{"id":3,"name":"John's Organization"},"eventName":"webhook_created","team":{"id":212,"name":"Operations"},"actor":{"id":212,"name":"John Doe","email":"john.doe@example.com"},"targetId":"3000"}`,
			i, ts.UnixMilli(), ts.Format("2006-01-02T15:04:05.000Z"), ts.Format("2006-01-02T15:04:05.000Z"))
	}, func(r string) string { return `{"auditLogs":[` + r + `],"pg":{"limit":500,"offset":0}}` }},
}

func buildPage(gen func(int, time.Time) string, wrap func(string) string) []byte {
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	recs := make([]string, benchPageSize)
	for i := range recs {
		recs[i] = gen(i, base.Add(-time.Duration(i)*time.Second-time.Duration(i)*time.Millisecond))
	}
	return []byte(wrap(strings.Join(recs, ",")))
}

// BenchmarkDecodeMap decodes a 500-record page and maps every record into
// one plog.Logs, as a stream worker does per page.
func BenchmarkDecodeMap(b *testing.B) {
	for _, bp := range benchPages {
		b.Run(bp.api, func(b *testing.B) {
			spec, err := apispec.Builtin(bp.api)
			require.NoError(b, err)
			body := buildPage(bp.gen, bp.wrap)
			dec, err := decode.New(spec.Records, spec.Pagination)
			require.NoError(b, err)
			m, err := New(spec, nil)
			require.NoError(b, err)
			observed := pcommon.NewTimestampFromTime(time.Now())
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				page, err := dec.Decode(body, nil)
				if err != nil || len(page.Records) != benchPageSize {
					b.Fatalf("decode: %v, %d records", err, len(page.Records))
				}
				logs := plog.NewLogs()
				lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
				lrs.EnsureCapacity(len(page.Records))
				for j := range page.Records {
					m.Append(lrs.AppendEmpty(), &page.Records[j], observed)
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			n := float64(b.N) * benchPageSize
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/record")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/record")
		})
	}
}
