package e2e

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

const initialRecords = 30

// TestEveryAPIEndToEnd: every built-in API plus a custom spec, all records
// exactly once, and exactly the new ones after a graceful restart.
func TestEveryAPIEndToEnd(t *testing.T) {
	collectorBinary(t)
	sim := startSimulator(t, simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: initialRecords, Seed: 42, StackOneNullable: true})
	sink := startSink(t)
	tp := startTap(t, sink.Endpoint())

	receivers := append(chaosrun.BuiltinReceivers(sim.URL()), chaosrun.CustomTinesAudit(sim.URL()))
	h := newHarness(t, chaosrun.Config{
		Receivers: receivers, SinkURL: tp.url,
		CollectionInterval: "1s", StartAt: "-24h",
		// The restart phase adds records tied with delivered ones at a timestamp
		// the cursor may have passed already; settle keeps it in the re-read overlap.
		Settle:            "2m",
		RequestsPerMinute: 6000,
	})
	minCreated := map[string]int{}
	for _, r := range receivers {
		minCreated[r.ID] = r.Streams * initialRecords
	}

	h.start()
	waitFor(t, 2*time.Minute, allDelivered(sim, sink, receivers, minCreated))
	requireExact(t, sim, sink, receivers)
	checkRecords(t, sim, tp, receivers)

	// Tie group A at "now", delivered before the stop.
	tieAt := time.Now()
	added := addToEveryStream(sim, receivers, 2, tieAt)
	for id, n := range added {
		minCreated[id] += n
	}
	waitFor(t, time.Minute, allDelivered(sim, sink, receivers, minCreated))
	requireExact(t, sim, sink, receivers)
	h.stop()
	before := sink.Records()

	// While it is down: ties with already delivered records (same timestamp at
	// the API's precision) and a new tie group.
	addedTies := addToEveryStream(sim, receivers, 2, tieAt)
	addedNew := addToEveryStream(sim, receivers, 3, time.Now())
	want := int64(0)
	for id := range minCreated {
		minCreated[id] += addedTies[id] + addedNew[id]
		want += int64(addedTies[id] + addedNew[id])
	}

	h.start()
	waitFor(t, time.Minute, allDelivered(sim, sink, receivers, minCreated))
	// Let a few more polls run: anything old delivered again would show now.
	time.Sleep(3 * time.Second)
	tallies := requireExact(t, sim, sink, receivers)
	assert.Equal(t, want, sink.Records()-before, "after the restart exactly the new records arrive")
	for _, tally := range tallies {
		assert.Equal(t, minCreated[tally.Receiver], tally.Created, tally.Receiver)
	}
	h.stop()
}

// addToEveryStream creates n tied records at `at` in every simulator stream the
// receivers read (once per stream even when two receivers read it) and returns
// how many new records each receiver must see.
func addToEveryStream(sim *simulator.Simulator, rs []chaosrun.Receiver, n int, at time.Time) map[string]int {
	done := map[string]bool{}
	perReceiver := map[string]int{}
	for _, r := range rs {
		for _, s := range r.SimStreams {
			key := r.SimAPI + "|" + s
			if !done[key] {
				done[key] = true
				sim.AddRecords(r.SimAPI, s, n, at)
			}
			perReceiver[r.ID] += n
		}
	}
	return perReceiver
}

// checkRecords looks at the first records of each receiver (resource
// attributes, the event time as Timestamp) and at the severity of every
// record whose severity the checks know. StackOne's records, some with a null
// event_time, success or status_code, are checked in full.
func checkRecords(t *testing.T, sim *simulator.Simulator, tp *tap, rs []chaosrun.Receiver) {
	t.Helper()
	host, err := url.Parse(sim.URL())
	require.NoError(t, err)
	for _, r := range rs {
		want := map[string]simulator.RecordRef{}
		for _, ref := range chaosrun.Expected(sim, r) {
			want[ref.ID] = ref
		}
		got := tp.records(r.API)
		require.NotEmpty(t, got, r.ID)
		checkedSeverity := false
		timeFields := map[string]int{}
		for i, rec := range got {
			ref, ok := want[chaosrun.RecordID(r.SimAPI, rec.uid)]
			require.True(t, ok, "%s: record %q is not one of the simulator's", r.ID, rec.uid)
			stream := chaosrun.ReceiverStream(r.SimAPI, ref.Stream)
			if r.SimAPI == simulator.APIStackOneActionLogs {
				checkStackOneTime(t, rec, ref)
				if field, ok := rec.record.Attributes().Get("api_logs.time_field"); ok {
					timeFields[field.AsString()]++
				}
			}
			if i < 3 {
				assert.Equal(t, "api_logs/"+r.ID, rec.resource["api_logs.source"], r.ID)
				assert.Equal(t, r.API, rec.resource["api_logs.api"], r.ID)
				assert.Equal(t, stream, rec.resource["api_logs.stream"], r.ID)
				assert.Equal(t, host.Hostname(), rec.resource["server.address"], r.ID)
				if attr := streamAttribute(r.SimAPI); attr != "" && r.API != "custom" {
					assert.Equal(t, stream, rec.resource[attr], r.ID)
				}
				assert.True(t, ref.Time.Equal(rec.record.Timestamp().AsTime()),
					"%s: Timestamp %s, vendor time %s", r.ID, rec.record.Timestamp().AsTime(), ref.Time)
				assert.NotZero(t, rec.record.ObservedTimestamp(), r.ID)
			}
			fields := recordFields(r.SimAPI, rec.record)
			num, text, known := expectedSeverity(r.API, fields)
			if known {
				checkedSeverity = true
				assert.Equal(t, num, rec.record.SeverityNumber(), "%s: severity number of %v", r.ID, fields)
				assert.Equal(t, text, rec.record.SeverityText(), "%s: severity text of %v", r.ID, fields)
			}
			checkMessage(t, r, rec, fields)
		}
		assert.True(t, checkedSeverity, "%s: no record with a known severity", r.ID)
		if r.SimAPI == simulator.APIStackOneActionLogs {
			assert.Positive(t, timeFields["start_time"], "%s: records timed by start_time", r.ID)
			assert.Positive(t, timeFields["end_time"], "%s: records timed by end_time", r.ID)
		}
	}
}

// checkStackOneTime: the Timestamp is event_time, else start_time, else
// end_time, and api_logs.time_field names the field when it is not
// event_time.
func checkStackOneTime(t *testing.T, rec tapped, ref simulator.RecordRef) {
	t.Helper()
	body := recordFields(simulator.APIStackOneActionLogs, rec.record)
	field := "event_time"
	if attr, ok := rec.record.Attributes().Get("api_logs.time_field"); ok {
		field = attr.AsString()
	}
	for _, f := range []string{"event_time", "start_time", "end_time"} {
		if f == field {
			break
		}
		assert.Nil(t, body[f], "%s: %s is set, yet the record is timed by %s", ref.ID, f, field)
	}
	assert.Equal(t, ref.Time.UTC().Format("2006-01-02T15:04:05.000Z"), body[field], "%s: %s", ref.ID, field)
	assert.True(t, ref.Time.Equal(rec.record.Timestamp().AsTime()), "%s: Timestamp %s, record time %s", ref.ID, rec.record.Timestamp().AsTime(), ref.Time)
}

func streamAttribute(simAPI string) string {
	switch simAPI {
	case simulator.APITinesActionLogs:
		return "tines.action.id"
	case simulator.APIMakeScenarioLogs:
		return "make.scenario.id"
	case simulator.APIMakeModuleLogs:
		return "make.module.id"
	}
	return ""
}
