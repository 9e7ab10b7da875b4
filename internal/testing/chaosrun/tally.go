package chaosrun

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// Sink is the part of otlpsink.Sink the accounting needs.
type Sink interface {
	Received(api string) map[string]int
	// Notes are what StateNote said of the records (otlpsink.Sink.NoteWith).
	Notes(api string) map[string][]string
}

// StateNote says in what state a record arrived, for the sink to keep
// (otlpsink.Sink.NoteWith): "unfinished" when the receiver delivered it
// before it was final (api_logs.unfinished), and for Make scenario runs
// "status=<n>", which must be the final status the simulator lists.
func StateNote(api string, lr plog.LogRecord) string {
	if v, ok := lr.Attributes().Get(attrUnfinished); ok && v.Bool() {
		return noteUnfinished
	}
	if api == simulator.APIMakeScenarioLogs {
		// The run's fields are in the "make" attribute (body: message, the
		// default) or in the body (body: record). A run without a status is
		// a wrong state, never a record left unchecked.
		record := lr.Body()
		if ns, ok := lr.Attributes().Get(makeNamespace); ok {
			record = ns
		}
		if record.Type() == pcommon.ValueTypeMap {
			if v, ok := record.Map().Get("status"); ok {
				return "status=" + v.AsString()
			}
		}
		return "status=none"
	}
	return ""
}

const (
	// attrUnfinished is engine.AttrUnfinished (the test equipment does not
	// import the engine).
	attrUnfinished = "api_logs.unfinished"
	noteUnfinished = "unfinished"
	// makeNamespace is the records.attributes_namespace of the Make APIs.
	makeNamespace = "make"
)

// finalNote is the StateNote of rec in its final state ("" when not checked).
func finalNote(simAPI string, rec simulator.RecordRef) string {
	if simAPI == simulator.APIMakeScenarioLogs {
		return "status=" + strconv.Itoa(rec.Level)
	}
	return ""
}

// Tally compares what the simulator created for a receiver with what the sink got.
type Tally struct {
	Receiver   string
	API        string
	Created    int // records the simulator lists for the receiver's streams
	Delivered  int // created records that arrived at least once
	Lost       int // created records that never arrived
	Duplicated int // extra arrivals of records that arrived more than once
	Unexpected int // arrivals the simulator does not list
	// WrongState counts records that arrived unfinished or in a state other
	// than their final one (Make runs: the status), once each.
	WrongState int
	// LostExamples, DuplicateExamples and WrongStateExamples are a few
	// stream/id keys, for the report.
	LostExamples       []string
	DuplicateExamples  []string
	WrongStateExamples []string
}

// OK reports no loss, no duplicate, nothing unexpected and nothing in a wrong state.
func (t Tally) OK() bool {
	return t.Lost == 0 && t.Duplicated == 0 && t.Unexpected == 0 && t.WrongState == 0
}

func (t Tally) String() string {
	s := fmt.Sprintf("%s (%s): created %d, delivered %d, lost %d, duplicated %d, unexpected %d, wrong state %d",
		t.Receiver, t.API, t.Created, t.Delivered, t.Lost, t.Duplicated, t.Unexpected, t.WrongState)
	if len(t.LostExamples) > 0 {
		s += ", lost e.g. " + strings.Join(t.LostExamples, " ")
	}
	if len(t.DuplicateExamples) > 0 {
		s += ", duplicated e.g. " + strings.Join(t.DuplicateExamples, " ")
	}
	if len(t.WrongStateExamples) > 0 {
		s += ", wrong state e.g. " + strings.Join(t.WrongStateExamples, " ")
	}
	return s
}

// Expected lists the receiver's records in the simulator as api_logs.stream + "/" + id.
func Expected(sim *simulator.Simulator, r Receiver) map[string]simulator.RecordRef {
	out := map[string]simulator.RecordRef{}
	for _, rec := range sim.Records(r.SimAPI) {
		if slices.Contains(r.SimStreams, rec.Stream) {
			out[ReceiverStream(r.SimAPI, rec.Stream)+"/"+rec.ID] = rec
		}
	}
	return out
}

// Count compares the simulator's records of r with the sink's arrivals.
// Receivers sharing an api_logs.api value must not be counted with Count.
func Count(sim *simulator.Simulator, sink Sink, r Receiver) Tally {
	want := Expected(sim, r)
	got := normalize(r.SimAPI, sink.Received(r.API))
	notes := normalizeNotes(r.SimAPI, sink.Notes(r.API))
	t := Tally{Receiver: r.ID, API: r.API, Created: len(want)}
	for key := range want {
		n := got[key]
		switch {
		case n == 0:
			t.Lost++
			t.LostExamples = appendExample(t.LostExamples, key+"@"+want[key].Time.Format("15:04:05.000000"))
		case n > 1:
			t.Duplicated += n - 1
			t.DuplicateExamples = appendExample(t.DuplicateExamples, key)
		}
		if n > 0 {
			t.Delivered++
		}
		final := finalNote(r.SimAPI, want[key])
		for _, note := range notes[key] {
			if note == noteUnfinished || (final != "" && note != final) {
				t.WrongState++
				t.WrongStateExamples = appendExample(t.WrongStateExamples, key+":"+note+"(final "+final+")")
				break
			}
		}
	}
	for key, n := range got {
		if _, ok := want[key]; !ok {
			t.Unexpected += n
		}
	}
	sort.Strings(t.LostExamples)
	sort.Strings(t.DuplicateExamples)
	sort.Strings(t.WrongStateExamples)
	return t
}

func appendExample(list []string, key string) []string {
	if len(list) < 5 {
		return append(list, key)
	}
	return list
}

// CountAll tallies every receiver.
func CountAll(sim *simulator.Simulator, sink Sink, rs []Receiver) []Tally {
	out := make([]Tally, 0, len(rs))
	for _, r := range rs {
		out = append(out, Count(sim, sink, r))
	}
	return out
}

// RecordID turns a log.record.uid into the id the simulator lists. Make module
// logs are the one mismatch: the receiver's id is the imtId
// ("<ms>_scenario.<scenarioId>.auto.<executionId>"), the simulator lists the
// executionId.
func RecordID(simAPI, uid string) string {
	if simAPI == simulator.APIMakeModuleLogs {
		if i := strings.LastIndexByte(uid, '.'); i >= 0 {
			return uid[i+1:]
		}
	}
	return uid
}

// normalizeNotes rewrites the keys of the sink's notes like normalize.
func normalizeNotes(simAPI string, notes map[string][]string) map[string][]string {
	if simAPI != simulator.APIMakeModuleLogs {
		return notes
	}
	out := make(map[string][]string, len(notes))
	for key, n := range notes {
		stream, uid, _ := strings.Cut(key, "/")
		k := stream + "/" + RecordID(simAPI, uid)
		out[k] = append(out[k], n...)
	}
	return out
}

// normalize rewrites the sink's stream/uid keys with RecordID.
func normalize(simAPI string, got map[string]int) map[string]int {
	if simAPI != simulator.APIMakeModuleLogs {
		return got
	}
	out := make(map[string]int, len(got))
	for key, n := range got {
		stream, uid, _ := strings.Cut(key, "/")
		out[stream+"/"+RecordID(simAPI, uid)] += n
	}
	return out
}
