package chaosrun

import (
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

func TestParseRounds(t *testing.T) {
	rounds, err := ParseRounds("ties+pending, shuffled-ties+pending,cap+pending,plain")
	require.NoError(t, err)
	assert.Equal(t, []Round{{ModeTies, ModePending}, {ModeShuffledTies, ModePending}, {ModeCap, ModePending}, {}}, rounds)
	assert.Equal(t, "ties+pending", rounds[0].String())
	assert.Equal(t, "shuffled-ties+pending", rounds[1].String())
	assert.Equal(t, "plain", rounds[3].String())
	for in, want := range map[string]string{
		"ties,,cap":  "an empty round",
		"ties+bogus": `unknown mode "bogus"`,
		"cap+cap":    "mode cap twice",
	} {
		_, err := ParseRounds(in)
		assert.ErrorContains(t, err, want, in)
	}
}

func TestOptionsValidate(t *testing.T) {
	ok := Options{
		PageSize: 20, TieGroupMin: 101, TieGroupMax: 130, ShuffledTieGroupMin: 90, ShuffledTieGroupMax: 250, TieGroupEvery: 5 * time.Second,
		Cap: 13, MakePending: []int{0, 1, 2, 10},
		Rounds: []Round{{ModeTies, ModePending}, {ModeShuffledTies, ModePending}, {ModeCap, ModePending}},
	}
	require.NoError(t, ok.validate())
	for name, c := range map[string]struct {
		change func(*Options)
		want   string
	}{
		"ties and cap in one round":           {func(o *Options) { o.Rounds = []Round{{ModeTies, ModeCap}} }, "put them in separate rounds"},
		"shuffled ties and cap in one round":  {func(o *Options) { o.Rounds = []Round{{ModeShuffledTies, ModeCap}} }, "in pages of 13"},
		"both tie orders in one round":        {func(o *Options) { o.Rounds = []Round{{ModeTies, ModeShuffledTies}} }, "put ties and shuffled-ties in separate rounds"},
		"a group that fits a page":            {func(o *Options) { o.TieGroupMin = 100 }, "must exceed Logto's largest page (100)"},
		"shuffled groups within the page":     {func(o *Options) { o.ShuffledTieGroupMin = 20 }, "the smallest must exceed the page size (20)"},
		"shuffled groups that fit a tie read": {func(o *Options) { o.ShuffledTieGroupMax = 100 }, "the largest Logto's largest page (100)"},
		"no interval":                         {func(o *Options) { o.TieGroupEvery = 0 }, "want a positive interval"},
		"a cap at the page size":              {func(o *Options) { o.Cap = 20 }, "want 1 to 19"},
		"no run pending":                      {func(o *Options) { o.MakePending = []int{0} }, "at least one run pending"},
	} {
		o := ok
		c.change(&o)
		assert.ErrorContains(t, o.validate(), c.want, name)
	}
}

// fakeSink is a sink's arrivals and notes for one api.
type fakeSink struct {
	got   map[string]int
	notes map[string][]string
}

func (f fakeSink) Received(string) map[string]int   { return f.got }
func (f fakeSink) Notes(string) map[string][]string { return f.notes }
func (f fakeSink) add(key string, n int, notes ...string) {
	f.got[key] += n
	f.notes[key] = append(f.notes[key], notes...)
}

// A Make run that arrived with a status other than its final one, or
// marked unfinished, is counted once as in a wrong state.
func TestCountWrongState(t *testing.T) {
	sim, err := simulator.New(simulator.Options{Seed: 1, InitialRecords: -1, Paused: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sim.Close() })
	sim.AddRecords(simulator.APIMakeScenarioLogs, "7001", 3, time.Now().Add(-time.Minute))
	r := Select(BuiltinReceivers("http://127.0.0.1:1"), MakeScenarios)[0]
	refs := sim.Records(simulator.APIMakeScenarioLogs)
	require.Len(t, refs, 3)
	sink := fakeSink{got: map[string]int{}, notes: map[string][]string{}}
	final := func(i int) string { return finalNote(r.SimAPI, refs[i]) }
	sink.add("7001/"+refs[0].ID, 1, final(0))
	sink.add("7001/"+refs[1].ID, 2, "status=0", final(1))
	sink.add("7001/"+refs[2].ID, 1, noteUnfinished)
	tally := Count(sim, sink, r)
	assert.Equal(t, 3, tally.Delivered)
	assert.Equal(t, 1, tally.Duplicated)
	assert.Equal(t, 2, tally.WrongState)
	assert.False(t, tally.OK())
}

func TestStateNote(t *testing.T) {
	// body: message (the default): the run's fields are in the "make" attribute.
	lr := plog.NewLogRecord()
	lr.Body().SetStr("scenario 7001 auto run: error")
	lr.Attributes().PutEmptyMap(makeNamespace).PutInt("status", 2)
	assert.Equal(t, "status=2", StateNote(simulator.APIMakeScenarioLogs, lr))
	// A run without a status is a wrong state.
	lr = plog.NewLogRecord()
	lr.Body().SetStr("scenario 7001 auto run")
	assert.Equal(t, "status=none", StateNote(simulator.APIMakeScenarioLogs, lr))
	// body: record: the body is the run.
	lr = plog.NewLogRecord()
	lr.Body().SetEmptyMap().PutInt("status", 3)
	assert.Equal(t, "status=3", StateNote(simulator.APIMakeScenarioLogs, lr))
	assert.Empty(t, StateNote(simulator.APIMakeModuleLogs, lr), "only Make scenario runs have a final status to check")
	lr.Attributes().PutBool(attrUnfinished, true)
	assert.Equal(t, noteUnfinished, StateNote(simulator.APIMakeModuleLogs, lr))
}

// A SIGKILL during a Logto tie read may repeat that read's page (100) in
// a round with tie groups; elsewhere one page of page_size.
func TestVerdictPageBound(t *testing.T) {
	rs := Select(BuiltinReceivers("http://127.0.0.1:1"), Logto, MakeScenarios)
	tallies := []Tally{{Receiver: Logto, Duplicated: 150}, {Receiver: MakeScenarios, Duplicated: 60}}
	ties := &RoundResult{Modes: Round{ModeTies}, Receivers: rs, Kills: 2, Final: tallies, Phase1: make([]Tally, 2)}
	rows, ok := ties.Verdict(20)
	assert.True(t, ok)
	assert.Equal(t, []int{200, 120}, []int{rows[0].Allowed, rows[1].Allowed})
	capped := &RoundResult{Modes: Round{ModeCap}, Receivers: rs, Kills: 2, Final: tallies, Phase1: make([]Tally, 2)}
	rows, ok = capped.Verdict(20)
	assert.False(t, ok)
	assert.False(t, rows[0].OK, "150 duplicates against 2 kills × 20")
}

// ties makes Logto return its tie groups in a stable order, shuffled-ties
// in a new order on every request (the simulator's default), each with its
// own group sizes.
func TestSimOptionsTieOrders(t *testing.T) {
	o := Options{TieGroupMin: 101, TieGroupMax: 130, ShuffledTieGroupMin: 90, ShuffledTieGroupMax: 250, TieGroupEvery: 2 * time.Second}
	stable := o.simOptions(0, Round{ModeTies})
	assert.True(t, stable.LogtoStableTies)
	assert.Equal(t, simulator.TieGroups{APIs: []string{simulator.APILogtoLogs}, Every: 2 * time.Second, Min: 101, Max: 130}, stable.TieGroups)
	shuffled := o.simOptions(1, Round{ModeShuffledTies, ModePending})
	assert.False(t, shuffled.LogtoStableTies)
	assert.Equal(t, simulator.TieGroups{APIs: []string{simulator.APILogtoLogs}, Every: 2 * time.Second, Min: 90, Max: 250}, shuffled.TieGroups)
	plain := o.simOptions(2, Round{ModeCap})
	assert.Zero(t, plain.TieGroups.Every)
}

// A round of tie groups fails on a group reported short, and on no group
// at all: its groups are counted exactly, so a shortfall is the receiver's.
func TestCheckModesTies(t *testing.T) {
	for _, c := range []struct {
		name     string
		stats    simulator.ModeStats
		warnings map[string]int
		problems int
	}{
		{"groups read whole", simulator.ModeStats{TieGroups: 3}, nil, 0},
		{"a group short", simulator.ModeStats{TieGroups: 3}, map[string]int{"tie group missed": 1}, 1},
		{"no group", simulator.ModeStats{}, nil, 1},
	} {
		r := &runner{o: Options{Log: io.Discard}, res: &RoundResult{Modes: Round{ModeShuffledTies}, Stats: c.stats, Warnings: c.warnings}}
		r.checkModes()
		assert.Len(t, r.res.Problems, c.problems, c.name)
	}
}
