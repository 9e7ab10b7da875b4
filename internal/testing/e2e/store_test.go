package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/victorialogs"
)

// storeCheck is what a log store must show of one API's records besides the
// log.record.uid, the event time and the severity, which every API is checked for.
type storeCheck struct {
	// Namespace is the prefix VictoriaLogs gives the vendor fields: the
	// API's records.attributes_namespace, the attribute whose map holds
	// them; "" when the record is the body (`body: record`).
	Namespace string
	// Fields are vendor fields as VictoriaLogs names them: the namespace,
	// then the path in the vendor's JSON record, a dot between levels
	// (logto.payload.result).
	Fields []string
	// Msg: _msg is the record's message. False: the body is the record, so
	// VictoriaLogs shows its placeholder (victorialogs.MissingMsg) and the
	// message is the field api_logs.message.
	Msg bool
	// EventName is the LogRecord's EventName, which VictoriaLogs keeps as the
	// stream field event_name; "" for none.
	EventName string
}

// storeChecks, per api_logs.api: the body is the message, the vendor
// fields are one map attribute per API, every API names its event; the
// custom receiver (`body: record`) keeps the record as the body.
//
// How VictoriaLogs v1.52.1 stores an OTLP record
// (app/vlinsert/opentelemetry/pb.go, decodeLogRecord and decodeAnyValue):
// a string body is _msg; a map body has no name prefix, so its keys become
// top-level fields and nested maps dotted names (payload.result), and _msg is
// the -defaultMsgValue placeholder; log record attributes are flattened the
// same way, a map attribute's keys under its name (logto.payload.result);
// arrays are stored as JSON text; resource attributes form the _stream; a
// non-empty EventName becomes the stream field event_name; an empty
// SeverityText is replaced by the name of the SeverityNumber ("Info").
func storeChecks() map[string]storeCheck {
	return map[string]storeCheck{
		simulator.APITinesActionLogs: {
			Namespace: "tines", Msg: true, EventName: "tines.action_log",
			Fields: []string{"tines.message", "tines.level", "tines.created_at"},
		},
		simulator.APITinesAuditLogs: {
			Namespace: "tines", Msg: true, EventName: "tines.audit_log",
			Fields: []string{"tines.operation_name", "tines.user_email", "tines.request_ip", "tines.tenant_id"},
		},
		"custom": {
			EventName: "tines.audit_log",
			Fields:    []string{"operation_name", "user_email", "request_ip", "tenant_id"},
		},
		simulator.APIStackOneActionLogs: {
			Namespace: "stackone", Msg: true, EventName: "stackone.action_log",
			Fields: []string{"stackone.action_id", "stackone.http_method", "stackone.url", "stackone.status_code", "stackone.success", "stackone.connector_key"},
		},
		simulator.APILogtoLogs: {
			Namespace: "logto", Msg: true, EventName: "logto.log",
			Fields: []string{"logto.key", "logto.payload.result", "logto.payload.ip", "logto.payload.applicationId"},
		},
		simulator.APIOMSActionLogs: {
			Namespace: "oms", Msg: true, EventName: "oms.action_log",
			Fields: []string{"oms.message", "oms.level", "oms.logger_name", "oms.app_name"},
		},
		simulator.APIMakeScenarioLogs: {
			Namespace: "make", Msg: true, EventName: "make.scenario_log",
			Fields: []string{"make.imtId", "make.status", "make.operations", "make.type"},
		},
		simulator.APIMakeModuleLogs: {
			Namespace: "make", Msg: true, EventName: "make.module_log",
			Fields: []string{"make.executionId", "make.scenarioId", "make.status", "make.bundles"},
		},
		simulator.APIMakeAuditLogs: {
			Namespace: "make", Msg: true, EventName: "make.audit_log",
			Fields: []string{"make.eventName", "make.actor.id", "make.team.name", "make.organization.name"},
		},
	}
}

// TestVictoriaLogsEveryAPI: the built collector polls every built-in API (and
// a custom spec) and exports with otlphttp, without a sending queue, into a
// real log store. Queried back with LogsQL, every record is there exactly once
// with its event time, severity and vendor fields; after a graceful restart
// and more polls exactly the new records were added.
func TestVictoriaLogsEveryAPI(t *testing.T) {
	collectorBinary(t)
	vl := startVictoriaLogs(t)
	sim := startSimulator(t, simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: initialRecords, Seed: 42, StackOneNullable: true})
	receivers := append(chaosrun.BuiltinReceivers(sim.URL()), chaosrun.CustomTinesAudit(sim.URL()))
	h := newHarness(t, chaosrun.Config{
		Receivers: receivers, SinkURL: vl.OTLPEndpoint(),
		CollectionInterval: "1s", StartAt: "-24h", RequestsPerMinute: 6000,
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("victoria-logs output:\n%s", vl.Tail(4000))
		}
	})
	minCreated := map[string]int{}
	for _, r := range receivers {
		minCreated[r.ID] = r.Streams * initialRecords
	}

	began := time.Now()
	h.start()
	waitFor(t, 2*time.Minute, storeDelivered(vl, sim, receivers, minCreated))
	firstDelivery := time.Since(began)
	requireExact(t, sim, storeCounts(t, vl), receivers)
	checkStoreRows(t, vl, sim, receivers)
	requireNoThrottling(t, sim, receivers)
	checkDocQueries(t, vl)

	// New records while the collector is down; then it polls again.
	h.stop()
	added := addToEveryStream(sim, receivers, 3, time.Now())
	for id, n := range added {
		minCreated[id] += n
	}
	h.start()
	waitFor(t, time.Minute, storeDelivered(vl, sim, receivers, minCreated))
	// Two more list requests on every stream: at least one whole poll after
	// the new records arrived, in which anything delivered twice would show.
	waitFor(t, time.Minute, pollsOnEveryStream(sim, receivers, 2))
	h.stop()

	// Stopped gracefully without a queue, the collector has nothing left to
	// send: what VictoriaLogs counted at ingestion is final. Every ingested
	// row must be queryable, exactly the created records, each once.
	ingested := waitStoreSettled(t, vl)
	tallies := requireExact(t, sim, storeCounts(t, vl), receivers)
	want := 0
	for _, tally := range tallies {
		assert.Equal(t, minCreated[tally.Receiver], tally.Created, tally.Receiver)
		want += tally.Created
	}
	assert.Equal(t, want, ingested, "rows VictoriaLogs ingested: every record once, nothing twice")
	checkStoreRows(t, vl, sim, receivers)
	requireNoThrottling(t, sim, receivers)
	requests := victoriaLogsMetric(t, vl, `vl_http_requests_total{path="/insert/opentelemetry/v1/logs",format="protobuf"}`)
	t.Logf("%d records of %d receivers in VictoriaLogs, each once; first delivery %s, whole test %s; %d OTLP export requests",
		want, len(receivers), firstDelivery.Round(100*time.Millisecond), time.Since(began).Round(100*time.Millisecond), requests)
}

// startVictoriaLogs runs the store of victorialogs.EnvBinary, or skips the
// test when the variable is unset (`make unit` and `make test` set it).
func startVictoriaLogs(t *testing.T) *victorialogs.Server {
	t.Helper()
	bin, err := victorialogs.Binary()
	require.NoError(t, err)
	if bin == "" {
		t.Skipf("set %s to a victoria-logs binary to run the log-store tests (`make unit` and `make test` install it into _build and set it)", victorialogs.EnvBinary)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	vl, err := victorialogs.Start(ctx, bin, filepath.Join(dir, "data"), filepath.Join(dir, "victoria-logs.log"))
	require.NoError(t, err)
	t.Cleanup(vl.Stop)
	return vl
}

// storeTally is the store's rows counted by api_logs.api and stream/uid: a chaosrun.Sink.
type storeTally map[string]map[string]int

func (s storeTally) Received(api string) map[string]int { return s[api] }

// Notes are none: the state each record arrived in is compared field by field
// with the simulator's record by checkStoreRows, not through notes.
func (s storeTally) Notes(string) map[string][]string { return nil }

// queryStoreCounts makes what was ingested visible, then counts it by
// api_logs.api, api_logs.stream and log.record.uid.
func queryStoreCounts(vl *victorialogs.Server) (storeTally, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := vl.Flush(ctx); err != nil {
		return nil, 0, err
	}
	rows, err := vl.Query(ctx, `* | stats by (api_logs.api, api_logs.stream, log.record.uid) count() rows`)
	if err != nil {
		return nil, 0, err
	}
	out, total := storeTally{}, 0
	for _, r := range rows {
		n, err := strconv.Atoi(r["rows"])
		if err != nil {
			return nil, 0, fmt.Errorf("victoria-logs count %v: %w", r, err)
		}
		m := out[r["api_logs.api"]]
		if m == nil {
			m = map[string]int{}
			out[r["api_logs.api"]] = m
		}
		m[r["api_logs.stream"]+"/"+r["log.record.uid"]] += n
		total += n
	}
	return out, total, nil
}

func storeCounts(t *testing.T, vl *victorialogs.Server) storeTally {
	t.Helper()
	counts, _, err := queryStoreCounts(vl)
	require.NoError(t, err)
	return counts
}

// storeDelivered is a waitFor condition: every receiver has at least
// minCreated[id] records in the simulator and the store has all of them.
func storeDelivered(vl *victorialogs.Server, sim *simulator.Simulator, rs []chaosrun.Receiver, minCreated map[string]int) func() string {
	return func() string {
		counts, _, err := queryStoreCounts(vl)
		if err != nil {
			return err.Error()
		}
		return allDelivered(sim, counts, rs, minCreated)()
	}
}

// waitStoreSettled waits until the rows a query counts equal the rows
// VictoriaLogs counted at ingestion (both move while it makes rows visible)
// and returns that number; no rows may have been dropped.
func waitStoreSettled(t *testing.T, vl *victorialogs.Server) int {
	t.Helper()
	var ingested float64
	waitFor(t, time.Minute, func() string {
		var err error
		ingested, err = vl.Metric(context.Background(), `vl_rows_ingested_total{type="opentelemetry_protobuf"}`)
		if err != nil {
			return err.Error()
		}
		_, total, err := queryStoreCounts(vl)
		if err != nil {
			return err.Error()
		}
		if float64(total) != ingested {
			return fmt.Sprintf("VictoriaLogs ingested %.0f rows, a query finds %d", ingested, total)
		}
		return ""
	})
	for _, m := range []string{
		`vl_http_errors_total{path="/insert/opentelemetry/v1/logs",format="protobuf"}`,
		`vl_rows_dropped_total{reason="too_big_timestamp"}`,
		`vl_rows_dropped_total{reason="too_small_timestamp"}`,
		`vl_rows_dropped_total{reason="too_many_fields"}`,
	} {
		assert.Zero(t, victoriaLogsMetric(t, vl, m), m)
	}
	return int(ingested)
}

func victoriaLogsMetric(t *testing.T, vl *victorialogs.Server, name string) int64 {
	t.Helper()
	v, err := vl.Metric(context.Background(), name)
	require.NoError(t, err, name)
	return int64(v)
}

// pollsOnEveryStream is a waitFor condition, from the moment it is made: every
// stream the receivers read got at least n more list requests.
func pollsOnEveryStream(sim *simulator.Simulator, rs []chaosrun.Receiver, n int64) func() string {
	listed := func() map[string]int64 {
		out := map[string]int64{}
		for _, r := range rs {
			counts := sim.StreamRequests(r.SimAPI)
			for _, s := range r.SimStreams {
				out[r.SimAPI+" stream "+s] = counts[s].List
			}
		}
		return out
	}
	before := listed()
	return func() string {
		var behind []string
		for key, now := range listed() {
			if now < before[key]+n {
				behind = append(behind, fmt.Sprintf("%s: %d of %d more list requests", key, now-before[key], n))
			}
		}
		return strings.Join(behind, "; ")
	}
}

// requireNoThrottling: every stream was asked for its records and nothing was answered 429.
func requireNoThrottling(t *testing.T, sim *simulator.Simulator, rs []chaosrun.Receiver) {
	t.Helper()
	for _, r := range rs {
		counts := sim.StreamRequests(r.SimAPI)
		for _, s := range r.SimStreams {
			assert.Positive(t, counts[s].List, "%s: list requests on stream %q", r.ID, s)
			assert.Zero(t, counts[s].Throttled, "%s: requests answered 429 on stream %q", r.ID, s)
		}
	}
	for api, byCode := range sim.Stats().Requests {
		assert.Zero(t, byCode["429"], "%s: answers 429", api)
	}
}

// checkStoreRows reads every row back and compares it with the simulator's
// record: the event time, the severity, the vendor fields of storeChecks, the
// message and the event name.
func checkStoreRows(t *testing.T, vl *victorialogs.Server, sim *simulator.Simulator, rs []chaosrun.Receiver) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := vl.Query(ctx, "*")
	require.NoError(t, err)
	byAPI := map[string][]victorialogs.Row{}
	for _, row := range rows {
		byAPI[row["api_logs.api"]] = append(byAPI[row["api_logs.api"]], row)
	}
	checks := storeChecks()
	for _, r := range rs {
		check, ok := checks[r.API]
		require.True(t, ok, "storeChecks has no entry for %s", r.API)
		want := chaosrun.Expected(sim, r)
		got := byAPI[r.API]
		require.Len(t, got, len(want), "%s: rows in the store", r.ID)
		shown := map[string]int{}
		severities := 0
		for _, row := range got {
			key := row["api_logs.stream"] + "/" + chaosrun.RecordID(r.SimAPI, row["log.record.uid"])
			ref, ok := want[key]
			require.True(t, ok, "%s: row %s is not one of the simulator's records", r.ID, key)
			assert.Equal(t, "api_logs/"+r.ID, row["api_logs.source"], key)

			at, err := time.Parse(time.RFC3339Nano, row["_time"])
			require.NoError(t, err, "%s: _time", key)
			assert.True(t, ref.Time.Equal(at), "%s %s: _time %s, the record's time %s", r.ID, key, at, ref.Time)

			body := sim.RecordBody(r.SimAPI, ref.Stream, ref.ID)
			require.NotNil(t, body, key)
			fields, typed := vendorFields(t, body, check.Namespace)
			if num, text, known := expectedSeverity(r.API, typed); known {
				severities++
				assert.Equal(t, strconv.Itoa(int(num)), row["severity_number"], "%s %s: severity_number", r.ID, key)
				assert.Equal(t, storedSeverityText(num, text), row["severity_text"], "%s %s: severity_text", r.ID, key)
			}
			for _, f := range check.Fields {
				assert.Equal(t, fields[f], row[f], "%s %s: vendor field %s", r.ID, key, f)
				if fields[f] != "" {
					shown[f]++
				}
			}
			// Nothing of the vendor's outside the namespace: a field
			// without its prefix would be a top-level attribute.
			if check.Namespace != "" {
				for f := range fields {
					_, bare := row[strings.TrimPrefix(f, check.Namespace+".")]
					assert.False(t, bare && !isStoreField(strings.TrimPrefix(f, check.Namespace+".")),
						"%s %s: vendor field %s outside %s", r.ID, key, f, check.Namespace)
				}
			}
			// The message the spec writes, from the record and what
			// enrichment put beside its fields (make.execution.*).
			event, msg := expectedMessage(r.SimAPI, withEnrichment(typed, row, check.Namespace), row["api_logs.stream"])
			if msg == "" {
				msg = event + " " + row["log.record.uid"]
			}
			if check.Msg {
				assert.Equal(t, msg, row["_msg"], "%s %s: _msg", r.ID, key)
			} else {
				assert.Contains(t, row["_msg"], victorialogs.MissingMsg, "%s %s: the record is the body", r.ID, key)
				assert.Equal(t, msg, row["api_logs.message"], "%s %s: api_logs.message", r.ID, key)
			}
			assert.Equal(t, check.EventName, row["event_name"], "%s %s: event_name", r.ID, key)
		}
		assert.Positive(t, severities, "%s: no record with a known severity", r.ID)
		for _, f := range check.Fields {
			assert.Positive(t, shown[f], "%s: no record has a value for %s; is the name right?", r.ID, f)
		}
	}
}

// isStoreField: VictoriaLogs and the receiver name these fields themselves.
func isStoreField(name string) bool {
	return strings.HasPrefix(name, "_") || strings.HasPrefix(name, "api_logs.") || name == "log.record.uid" ||
		name == "severity_text" || name == "severity_number" || name == "event_name" || name == "server.address"
}

// withEnrichment is typed with what enrichment put beside the record's
// fields, read back from the row: ns.execution.* (Make's execution details).
func withEnrichment(typed map[string]any, row victorialogs.Row, ns string) map[string]any {
	prefix := ns + ".execution."
	for name, v := range row {
		path, ok := strings.CutPrefix(name, prefix)
		if !ok || ns == "" {
			continue
		}
		m, _ := typed["execution"].(map[string]any)
		if m == nil {
			m = map[string]any{}
			typed["execution"] = m
		}
		keys := strings.Split(path, ".")
		for _, k := range keys[:len(keys)-1] {
			next, _ := m[k].(map[string]any)
			if next == nil {
				next = map[string]any{}
				m[k] = next
			}
			m = next
		}
		m[keys[len(keys)-1]] = v
	}
	return typed
}

// vendorFields flattens a vendor JSON record the way VictoriaLogs shows it
// after the receiver mapped it under the namespace ns ("": the record is
// the body; numbers as written, booleans as true/false, null as absent,
// nested objects with dotted names, arrays as JSON), and decodes it as the
// receiver's map holds it (integers as int64) for expectedSeverity and
// expectedMessage.
func vendorFields(t *testing.T, body []byte, ns string) (map[string]string, map[string]any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v map[string]any
	require.NoError(t, dec.Decode(&v))
	flat := map[string]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				name := k
				if prefix != "" {
					name = prefix + "." + k
				}
				walk(name, e)
			}
		case []any:
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			enc.SetEscapeHTML(false)
			_ = enc.Encode(x)
			flat[prefix] = strings.TrimSpace(b.String())
		case nil:
		default:
			flat[prefix] = fmt.Sprint(x)
		}
	}
	walk(ns, v)
	return flat, typedLikePdata(v).(map[string]any)
}

// typedLikePdata turns json.Numbers into int64 where they are integers and
// float64 otherwise, as the receiver's decoder does.
func typedLikePdata(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = typedLikePdata(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = typedLikePdata(e)
		}
		return x
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// storedSeverityText: VictoriaLogs replaces an empty SeverityText with the
// name of the SeverityNumber (app/vlinsert/opentelemetry/pb.go, formatSeverity:
// "Unspecified", "Info", "Warn", ... as plog names them).
func storedSeverityText(num plog.SeverityNumber, text string) string {
	if text != "" {
		return text
	}
	return num.String()
}

// logStoresDoc is the page whose VictoriaLogs exporter and LogsQL queries the
// store tests run.
const logStoresDoc = "../../../docs/log-stores.md"

// checkDocQueries runs every LogsQL query of the VictoriaLogs section of
// docs/log-stores.md: each finds rows, but the one that looks for records
// stored twice.
func checkDocQueries(t *testing.T, vl *victorialogs.Server) {
	t.Helper()
	doc, err := os.ReadFile(logStoresDoc)
	require.NoError(t, err)
	_, block, ok := strings.Cut(string(doc), "<!-- logsql -->\n```\n")
	require.True(t, ok, "docs/log-stores.md marks its LogsQL queries with <!-- logsql -->")
	block, _, ok = strings.Cut(block, "```\n<!-- /logsql -->")
	require.True(t, ok)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	queries := 0
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		query, comment, _ := strings.Cut(line, " # ")
		query = strings.TrimSpace(query)
		rows, err := vl.Query(ctx, query)
		require.NoError(t, err, "docs query %q", query)
		if strings.Contains(comment, "nothing should be") {
			assert.Empty(t, rows, "docs query %q", query)
		} else {
			assert.NotEmpty(t, rows, "docs query %q finds nothing", query)
		}
		queries++
	}
	assert.GreaterOrEqual(t, queries, 5, "docs queries")
}
