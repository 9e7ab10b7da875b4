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

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/apispec"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/decode"
)

// update rewrites the goldens from the current output:
//
//	go test ./internal/mapper/ -run TestGolden -update
//
// golden.WriteLogs marks every rewritten case failed, so a run with -update
// never passes on its own: review the diff of testdata/golden, then run again
// without -update.
var update = flag.Bool("update", false, "rewrite testdata/golden/*.yaml (the run then fails by design; rerun without -update)")

// goldenObserved is the ObservedTimestamp passed to Append in the golden
// tests. It is when the receiver read the record, not part of what the
// mapping computes from it: the goldens leave it out, the comparison ignores
// it, and a separate assertion checks that Append set it.
var goldenObserved = pcommon.NewTimestampFromTime(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))

// bodiesDir holds the seed samples and fixtures (see its README). They stay
// in decode's testdata, where decode's unit tests and both packages' fuzz
// targets read them too: one copy of each recorded response.
const bodiesDir = "../decode/testdata/bodies"

// goldenDir holds one golden per body: the expected plog.Logs as YAML in
// pkg/golden's format (OTLP/JSON field names), named after the body.
var goldenDir = filepath.Join("testdata", "golden")

func goldenPath(body string) string {
	return filepath.Join(goldenDir, strings.TrimSuffix(body, ".json")+".yaml")
}

func TestGolden(t *testing.T) {
	tests := []struct {
		body     string
		api      string
		rootPath bool // Records.Path "": the sample is a single record object
		records  int
		more     decode.More
		stream   string // the stream the records are read from, where the message names it
	}{
		{body: "tines_action_logs.seed000.json", api: "tines_action_logs", records: 1, more: decode.MoreNo},
		{body: "stackone_action_logs.seed001.json", api: "stackone_action_logs", rootPath: true, records: 1, more: decode.MoreUnknown},
		{body: "stackone_action_logs.nullable.json", api: "stackone_action_logs", records: 9, more: decode.MoreUnknown},
		{body: "logto_logs.seed002.json", api: "logto_logs", records: 1, more: decode.MoreUnknown},
		{body: "oms_action_logs.seed003.json", api: "oms_action_logs", records: 10, more: decode.MoreYes},
		{body: "make_scenario_logs.seed004.json", api: "make_scenario_logs", records: 1, more: decode.MoreUnknown, stream: "42"},
		{body: "make_module_logs.seed004.json", api: "make_module_logs", records: 1, more: decode.MoreUnknown, stream: "5"},
		{body: "tines_audit_logs.fixture.json", api: "tines_audit_logs", records: 4, more: decode.MoreNo},
		{body: "make_scenario_logs.fixture-list.json", api: "make_scenario_logs", records: 1, more: decode.MoreUnknown, stream: "1229"},
		{body: "make_scenario_logs.fixture-execution-get.json", api: "make_scenario_logs", records: 1, more: decode.MoreUnknown, stream: "5"},
		{body: "make_audit_logs.fixture.json", api: "make_audit_logs", records: 2, more: decode.MoreUnknown},
	}
	cases := make(map[string]bool, len(tests))
	for _, tt := range tests {
		cases[goldenPath(tt.body)] = true
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
			m.SetStream(tt.stream)
			logs := plog.NewLogs()
			lrs := logs.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords()
			for i := range page.Records {
				m.Append(lrs.AppendEmpty(), &page.Records[i], goldenObserved)
			}
			for i := range lrs.Len() {
				assert.Equal(t, goldenObserved, lrs.At(i).ObservedTimestamp(), "record %d", i)
			}
			got := withoutObserved(logs)

			path := goldenPath(tt.body)
			if *update {
				require.NoError(t, golden.WriteLogs(t, path, got))
			}
			want, err := golden.ReadLogs(path)
			require.NoError(t, err, "run with -update to create it")

			// No order option: the goldens hold one page in one scope, and
			// the receiver keeps the page's record order.
			require.NoError(t, plogtest.CompareLogs(want, got, plogtest.IgnoreObservedTimestamp()))
			// CompareLogs compares maps as Go maps and skips some fields
			// (event name, for one). The mapper also promises key order
			// (body and attributes keep the record's order) and never
			// repeats a key; the OTLP/JSON encodings, where maps are
			// lists, hold all of it, as the JSON goldens did.
			assert.JSONEq(t, string(marshalIndent(t, withoutObserved(want))), string(marshalIndent(t, got)),
				"CompareLogs passed, the encodings differ: key order, a repeated key or a field CompareLogs skips")
		})
	}

	t.Run("no stale golden", func(t *testing.T) {
		files, err := filepath.Glob(filepath.Join(goldenDir, "*"))
		require.NoError(t, err)
		for _, f := range files {
			assert.True(t, cases[f], "%s has no test case", f)
		}
	})
}

// withoutObserved is a copy of logs with every ObservedTimestamp cleared.
func withoutObserved(logs plog.Logs) plog.Logs {
	out := plog.NewLogs()
	logs.CopyTo(out)
	rls := out.ResourceLogs()
	for i := range rls.Len() {
		sls := rls.At(i).ScopeLogs()
		for j := range sls.Len() {
			lrs := sls.At(j).LogRecords()
			for k := range lrs.Len() {
				lrs.At(k).SetObservedTimestamp(0)
			}
		}
	}
	return out
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
