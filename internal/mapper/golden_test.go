package mapper

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenObserved is the fixed ObservedTimestamp of every golden record.
var goldenObserved = pcommon.NewTimestampFromTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))

// bodiesDir holds the seed samples and fixtures (see its README).
const bodiesDir = "../decode/testdata/bodies"

func TestGolden(t *testing.T) {
	tests := []struct {
		body     string
		api      string
		rootPath bool // Records.Path "": the sample is a single record object
		records  int
		more     decode.More
	}{
		{body: "tines_action_logs.seed000.json", api: "tines_action_logs", records: 1, more: decode.MoreNo},
		{body: "stackone_action_logs.seed001.json", api: "stackone_action_logs", rootPath: true, records: 1, more: decode.MoreUnknown},
		{body: "logto_logs.seed002.json", api: "logto_logs", records: 1, more: decode.MoreUnknown},
		{body: "oms_action_logs.seed003.json", api: "oms_action_logs", records: 10, more: decode.MoreYes},
		{body: "make_scenario_logs.seed004.json", api: "make_scenario_logs", records: 1, more: decode.MoreUnknown},
		{body: "make_module_logs.seed004.json", api: "make_module_logs", records: 1, more: decode.MoreUnknown},
		{body: "tines_audit_logs.fixture.json", api: "tines_audit_logs", records: 4, more: decode.MoreNo},
		{body: "make_scenario_logs.fixture-list.json", api: "make_scenario_logs", records: 1, more: decode.MoreUnknown},
		{body: "make_scenario_logs.fixture-execution-get.json", api: "make_scenario_logs", records: 1, more: decode.MoreUnknown},
		{body: "make_audit_logs.fixture.json", api: "make_audit_logs", records: 2, more: decode.MoreUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			spec, err := apispec.Builtin(tt.api)
			require.NoError(t, err)
			if tt.rootPath {
				spec.Records.Path = ""
			}
			body, err := os.ReadFile(filepath.Join(bodiesDir, tt.body))
			require.NoError(t, err)

			dec, err := decode.New(spec.Records, spec.Pagination)
			require.NoError(t, err)
			page, err := dec.Decode(body, nil)
			require.NoError(t, err)
			require.Len(t, page.Records, tt.records)
			assert.Equal(t, tt.more, page.More)
			for _, r := range page.Records {
				assert.Empty(t, r.Problem, r.ID)
			}

			m, err := New(spec, nil)
			require.NoError(t, err)
			logs := plog.NewLogs()
			lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
			for i := range page.Records {
				m.Append(lrs.AppendEmpty(), &page.Records[i], goldenObserved)
			}
			got := marshalIndent(t, logs)

			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(tt.body, ".json")+".golden.json")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run with -update to create it")
			// The golden must load back through the unmarshaler.
			wantLogs, err := (&plog.JSONUnmarshaler{}).UnmarshalLogs(want)
			require.NoError(t, err)
			assert.JSONEq(t, string(marshalIndent(t, wantLogs)), string(got))
		})
	}
}

func marshalIndent(t *testing.T, logs plog.Logs) []byte {
	t.Helper()
	raw, err := (&plog.JSONMarshaler{}).MarshalLogs(logs)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, json.Indent(&out, raw, "", "  "))
	out.WriteByte('\n')
	return out.Bytes()
}
