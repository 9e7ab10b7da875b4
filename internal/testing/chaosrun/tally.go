package chaosrun

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// Sink is the part of otlpsink.Sink the accounting needs.
type Sink interface {
	Received(api string) map[string]int
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
	// LostExamples and DuplicateExamples are a few stream/id keys, for the report.
	LostExamples      []string
	DuplicateExamples []string
}

// OK reports no loss, no duplicate and nothing unexpected.
func (t Tally) OK() bool { return t.Lost == 0 && t.Duplicated == 0 && t.Unexpected == 0 }

func (t Tally) String() string {
	s := fmt.Sprintf("%s (%s): created %d, delivered %d, lost %d, duplicated %d, unexpected %d",
		t.Receiver, t.API, t.Created, t.Delivered, t.Lost, t.Duplicated, t.Unexpected)
	if len(t.LostExamples) > 0 {
		s += ", lost e.g. " + strings.Join(t.LostExamples, " ")
	}
	if len(t.DuplicateExamples) > 0 {
		s += ", duplicated e.g. " + strings.Join(t.DuplicateExamples, " ")
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
	}
	for key, n := range got {
		if _, ok := want[key]; !ok {
			t.Unexpected += n
		}
	}
	sort.Strings(t.LostExamples)
	sort.Strings(t.DuplicateExamples)
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
