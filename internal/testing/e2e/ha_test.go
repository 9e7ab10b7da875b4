package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/chaosrun"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/etcdtest"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/simulator"
)

// The cluster's timing: lease_ttl 4s and a collection_interval of 1s (a
// lease long enough that a takeover by release, after SIGTERM, is told
// apart from one by expiry).
const (
	haLeaseTTL = 4 * time.Second
	haInterval = time.Second
	haPageSize = 20
)

// haCluster is three collectors with the same receivers (every built-in
// API) and an api_logs_coordinator on one etcd.
type haCluster struct {
	t         *testing.T
	sim       *simulator.Simulator
	sink      chaosrun.Sink
	receivers []chaosrun.Receiver
	members   []*harness
	created   map[string]int
}

func startHACluster(t *testing.T, etcd *etcdtest.Cluster, n int) *haCluster {
	t.Helper()
	return startHAClusterWith(t, etcd, n, simulator.Options{Mode: simulator.ModeDemo, Paused: true, InitialRecords: initialRecords, Seed: 19}, 0)
}

// startHAClusterWith starts the simulator and n collectors; makePerMinute > 0
// is the budget of the Make receivers (the others run at 6000 a minute).
func startHAClusterWith(t *testing.T, etcd *etcdtest.Cluster, n int, opts simulator.Options, makePerMinute int) *haCluster {
	t.Helper()
	collectorBinary(t)
	sim := startSimulator(t, opts)
	sink := startSink(t)
	c := &haCluster{t: t, sim: sim, sink: sink, receivers: chaosrun.BuiltinReceivers(sim.URL()), created: map[string]int{}}
	for i, r := range c.receivers {
		c.created[r.ID] = r.Streams * initialRecords
		if makePerMinute > 0 && slices.Contains([]string{chaosrun.MakeScenarios, chaosrun.MakeModules, chaosrun.MakeAudit}, r.ID) {
			c.receivers[i].RequestsPerMinute = makePerMinute
		}
	}
	for i := range n {
		h := newHarness(t, chaosrun.Config{
			Receivers: c.receivers, SinkURL: sink.Endpoint(),
			CollectionInterval: haInterval.String(), StartAt: "-24h", PageSize: haPageSize,
			RequestsPerMinute: 6000,
			Coordinator: &chaosrun.Coordinator{
				Endpoints: etcd.Endpoints(), MemberID: fmt.Sprintf("c%d", i), LeaseTTL: haLeaseTTL.String(),
			},
		})
		h.start()
		c.members = append(c.members, h)
	}
	return c
}

// add creates n records at now in every stream and waits until every record
// arrived.
func (c *haCluster) addAndDeliver(n int, within time.Duration) {
	c.t.Helper()
	for id, k := range addToEveryStream(c.sim, c.receivers, n, time.Now()) {
		c.created[id] += k
	}
	waitFor(c.t, within, allDelivered(c.sim, c.sink, c.receivers, c.created))
}

// duplicates are the extra arrivals so far, by receiver; nothing may be
// lost or unexpected.
func (c *haCluster) duplicates() map[string]int {
	c.t.Helper()
	dups := map[string]int{}
	for _, tally := range chaosrun.CountAll(c.sim, c.sink, c.receivers) {
		require.Zero(c.t, tally.Lost, "%s", tally)
		require.Zero(c.t, tally.Unexpected, "%s", tally)
		dups[tally.Receiver] = tally.Duplicated
	}
	return dups
}

// streams are the simulator streams the cluster lists, as api|stream.
func (c *haCluster) streams() [][2]string {
	var out [][2]string
	seen := map[string]bool{}
	for _, r := range c.receivers {
		for _, s := range r.SimStreams {
			if !seen[r.SimAPI+"|"+s] {
				seen[r.SimAPI+"|"+s] = true
				out = append(out, [2]string{r.SimAPI, s})
			}
		}
	}
	return out
}

// listsBetween counts each stream's list requests in [from, to).
func (c *haCluster) listsBetween(from, to time.Time) map[string]int {
	out := map[string]int{}
	for _, s := range c.streams() {
		n := 0
		for _, at := range c.sim.ListRequestTimes(s[0], s[1]) {
			if !at.Before(from) && at.Before(to) {
				n++
			}
		}
		out[s[0]+"|"+s[1]] = n
	}
	return out
}

// longestGap is the longest time a stream went without a list request
// between from and to (to included as the end of the last gap).
func (c *haCluster) longestGap(from, to time.Time) (time.Duration, string) {
	var longest time.Duration
	var which string
	for _, s := range c.streams() {
		prev := from
		for _, at := range append(c.sim.ListRequestTimes(s[0], s[1]), to) {
			if at.Before(from) {
				continue
			}
			if at.After(to) {
				at = to
			}
			if d := at.Sub(prev); d > longest {
				longest, which = d, s[0]+"|"+s[1]
			}
			prev = at
		}
	}
	return longest, which
}

// idlePolls asserts one list request per stream per collection_interval
// across the cluster over a few idle seconds, and returns the ratio.
func (c *haCluster) idlePolls(window time.Duration) float64 {
	c.t.Helper()
	from := time.Now()
	time.Sleep(window) // the measurement window itself: idle polls are counted in it
	counts := c.listsBetween(from, time.Now())
	polls := int(window / haInterval)
	total := 0
	for stream, n := range counts {
		total += n
		assert.GreaterOrEqual(c.t, n, polls-2, "stream %s: list requests in %s (one poller at %s)", stream, window, haInterval)
		assert.LessOrEqual(c.t, n, polls+1, "stream %s: list requests in %s: more than one collector polls it", stream, window)
	}
	return float64(total) / float64(len(counts)*polls)
}

// TestHAOnEtcd: three collectors, every built-in API, one etcd member.
// Every record arrives; each stream is listed once per idle poll across the
// cluster; after kill -9 of a collector its streams are listed again within
// lease_ttl + collection_interval (plus slack for a loaded machine) with at
// most a page per stream delivered twice; SIGTERM duplicates nothing; a
// collector paused for twice lease_ttl writes and delivers nothing when it
// wakes and rejoins.
func TestHAOnEtcd(t *testing.T) {
	etcd := etcdtest.Run(t, 1)
	c := startHACluster(t, etcd, 3)
	waitFor(t, 2*time.Minute, allDelivered(c.sim, c.sink, c.receivers, c.created))
	require.Equal(t, map[string]int{}, nonZero(c.duplicates()), "three collectors deliver every record once")
	ratio := c.idlePolls(6 * time.Second)
	t.Logf("list requests per stream per idle poll across the cluster: %.2f", ratio)

	// kill -9 one collector while records arrive.
	before := c.duplicates()
	for id, k := range addToEveryStream(c.sim, c.receivers, 5, time.Now()) {
		c.created[id] += k
	}
	killedAt := time.Now()
	c.members[0].col.Kill()
	waitFor(t, time.Minute, allDelivered(c.sim, c.sink, c.receivers, c.created))
	c.addAndDeliver(2, time.Minute)
	gap, stream := c.longestGap(killedAt, time.Now())
	t.Logf("kill -9: the longest a stream went unlisted was %s (%s); lease_ttl %s + collection_interval %s", gap.Round(10*time.Millisecond), stream, haLeaseTTL, haInterval)
	assert.LessOrEqual(t, gap, haLeaseTTL+haInterval+1500*time.Millisecond, "takeover after kill -9 (%s)", stream)
	after := c.duplicates()
	for _, r := range c.receivers {
		d := after[r.ID] - before[r.ID]
		t.Logf("kill -9: %s delivered %d records twice (bound: one page of %d per stream, %d streams)", r.ID, d, haPageSize, r.Streams)
		assert.LessOrEqual(t, d, haPageSize*r.Streams, r.ID)
	}

	// The killed collector rejoins; then SIGTERM another: nothing twice.
	c.members[0].start()
	c.addAndDeliver(2, time.Minute)
	before = c.duplicates()
	for id, k := range addToEveryStream(c.sim, c.receivers, 3, time.Now()) {
		c.created[id] += k
	}
	stoppedAt := time.Now()
	c.members[1].stop()
	waitFor(t, time.Minute, allDelivered(c.sim, c.sink, c.receivers, c.created))
	c.addAndDeliver(2, time.Minute)
	gap, stream = c.longestGap(stoppedAt, time.Now())
	t.Logf("SIGTERM: the longest a stream went unlisted was %s (%s)", gap.Round(10*time.Millisecond), stream)
	// Released at once (within a second), not left to expire with the
	// lease (which would take 2.7 s at least).
	assert.Less(t, gap, haInterval+1500*time.Millisecond, "takeover after SIGTERM (%s)", stream)
	assert.Equal(t, before, c.duplicates(), "SIGTERM: the owner releases its units after its last checkpoint")

	// SIGSTOP a collector for twice lease_ttl: the others take its units;
	// when it wakes it writes and delivers nothing, and rejoins.
	paused := c.members[2]
	before = c.duplicates()
	require.NoError(t, syscall.Kill(paused.col.Pid(), syscall.SIGSTOP))
	for id, k := range addToEveryStream(c.sim, c.receivers, 3, time.Now()) {
		c.created[id] += k
	}
	time.Sleep(2 * haLeaseTTL) // the pause itself
	require.NoError(t, syscall.Kill(paused.col.Pid(), syscall.SIGCONT))
	waitFor(t, time.Minute, allDelivered(c.sim, c.sink, c.receivers, c.created))
	c.addAndDeliver(2, time.Minute)
	assert.Equal(t, before, c.duplicates(), "the paused collector delivered nothing when it woke")
	ratio = c.idlePolls(4 * time.Second)
	t.Logf("after the pause: list requests per stream per idle poll: %.2f", ratio)
	assert.Contains(t, paused.col.Log(), "The lease may have expired", "the paused collector noticed and rejoined")
	assert.NotContains(t, paused.col.Log(), "refused the cursor write", "it stopped before writing, so etcd had nothing to refuse")
	for _, h := range c.members {
		if h.col.Running() {
			h.stop()
		}
	}
}

// TestHAQuorumLoss: three etcd members and two collectors: losing one etcd
// member changes nothing; losing quorum stops every list request within
// lease_ttl (and a little); with quorum back, polling resumes and every
// record arrives once.
func TestHAQuorumLoss(t *testing.T) {
	etcd := etcdtest.Run(t, 3)
	c := startHACluster(t, etcd, 2)
	waitFor(t, 2*time.Minute, allDelivered(c.sim, c.sink, c.receivers, c.created))

	etcd.Member(2).Stop()
	c.addAndDeliver(2, time.Minute)
	c.idlePolls(3 * time.Second)

	etcd.Member(1).Stop()
	lostAt := time.Now()
	// lease_ttl, plus slack for requests already under way.
	time.Sleep(haLeaseTTL + haInterval)
	quiet := time.Now()
	time.Sleep(3 * time.Second) // the quiet window itself
	counts := c.listsBetween(quiet, time.Now())
	for stream, n := range counts {
		assert.Zero(t, n, "stream %s listed without quorum", stream)
	}
	last := time.Time{}
	for _, s := range c.streams() {
		for _, at := range c.sim.ListRequestTimes(s[0], s[1]) {
			if at.Before(quiet) && at.After(last) {
				last = at
			}
		}
	}
	t.Logf("quorum lost: the last list request came %s after", last.Sub(lostAt).Round(10*time.Millisecond))
	waitFor(t, 30*time.Second, func() string {
		for _, h := range c.members {
			if !strings.Contains(h.col.Log(), "The lease may have expired") {
				return "a collector has not yet said that its lease may have expired"
			}
		}
		return ""
	})

	require.NoError(t, etcd.Restart(1))
	c.addAndDeliver(3, 2*time.Minute)
	require.Equal(t, map[string]int{}, nonZero(c.duplicates()), "nothing twice across the quorum loss")
	for _, h := range c.members {
		h.stop()
	}
}

func nonZero(m map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range m {
		if v != 0 {
			out[k] = v
		}
	}
	return out
}

// TestHAKubernetesExample: the recipe's collector configuration is valid for
// the built collector, and its manifests say what the recipe promises: three
// collector replicas with a disruption budget leaving two, member_id from
// the pod name, and a three-member etcd with auto-compaction that is never
// drained below quorum.
func TestHAKubernetesExample(t *testing.T) {
	bin := collectorBinary(t)
	dir := "../../../examples/ha-kubernetes/"
	cmd := exec.Command(bin, "validate", "--config", dir+"config.yaml")
	cmd.Env = append(exampleEnv(t), "POD_NAME=otelcol-api-logs-0")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "collector validate:\n%s", out)

	kinds := map[string]map[string]any{}
	for _, f := range []string{"collector.yaml", "etcd.yaml"} {
		raw, rerr := os.ReadFile(dir + f)
		require.NoError(t, rerr)
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		for {
			var doc map[string]any
			derr := dec.Decode(&doc)
			if errors.Is(derr, io.EOF) {
				break
			}
			require.NoError(t, derr, f)
			name := doc["metadata"].(map[string]any)["name"].(string)
			kinds[doc["kind"].(string)+"/"+name] = doc
		}
	}
	spec := func(key string) map[string]any {
		require.Contains(t, kinds, key)
		return kinds[key]["spec"].(map[string]any)
	}
	assert.Equal(t, 3, spec("Deployment/otelcol-api-logs")["replicas"], "replicas")
	assert.Equal(t, 2, spec("PodDisruptionBudget/otelcol-api-logs")["minAvailable"])
	assert.Equal(t, 3, spec("StatefulSet/etcd")["replicas"])
	assert.Equal(t, 1, spec("PodDisruptionBudget/etcd")["maxUnavailable"])
	etcd, err := os.ReadFile(dir + "etcd.yaml")
	require.NoError(t, err)
	assert.Contains(t, string(etcd), "--auto-compaction-retention=1h")
	collector, err := os.ReadFile(dir + "collector.yaml")
	require.NoError(t, err)
	assert.Contains(t, string(collector), "fieldPath: metadata.name")
}

// haMakePerMinute is the Make budget of the chaos round (all three make_*
// receivers spend it: one unit, one owner). It is set well below what the
// round asks of Make, so that the budget binds all the time: six Make
// streams polled every second (360 list requests a minute idle) and 60 new
// records a second across them (three pages a second more) want over 500
// requests a minute, and a second owner, a budget counted twice or an owner
// that keeps polling after it lost the unit would show as more than this in
// some 60 s window. The round lasts over a minute, so 60 s windows slide
// across the kills, pauses and takeovers.
const haMakePerMinute = 300

// assertMakeBudget asserts from the simulator's side that the cluster never
// sent more than perMinute Make requests in any 60 s, and that none was
// answered 429 (the simulator counts the same budget).
func (c *haCluster) assertMakeBudget(perMinute int, start time.Time) {
	c.t.Helper()
	times := chaosrun.VendorRequestTimes(c.sim, chaosrun.MakeAPIs...)
	most, at := chaosrun.MaxInWindow(times, time.Minute)
	var throttled int64
	for _, api := range chaosrun.MakeAPIs {
		for _, rc := range c.sim.StreamRequests(api) {
			throttled += rc.Throttled
		}
	}
	span := time.Duration(0)
	if len(times) > 0 {
		span = times[len(times)-1].Sub(times[0])
	}
	c.t.Logf("Make budget %d/min across the cluster: %d Make requests over %s, the most in one 60 s window %d (from %s), %d answered 429",
		perMinute, len(times), span.Round(time.Second), most, at.Sub(start).Round(time.Millisecond), throttled)
	assert.LessOrEqual(c.t, most, perMinute, "expected at most %d Make requests in any 60 s across the cluster, got %d in the one from %s",
		perMinute, most, at.Sub(start).Round(time.Millisecond))
	assert.Zero(c.t, throttled, "expected 0 Make requests answered 429")
}

// haSeed is the chaos round's seed: APILOGS_HA_SEED, or the clock. It is
// logged, so that a failing sequence can be run again.
func haSeed(t *testing.T) uint64 {
	t.Helper()
	if v := os.Getenv("APILOGS_HA_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "APILOGS_HA_SEED")
		return seed
	}
	return uint64(time.Now().UnixNano())
}

// TestHAChaosRound: records arrive all the time (every 100 ms per stream)
// while the cluster goes through six events drawn at random from a logged
// seed (APILOGS_HA_SEED runs a sequence again): each 2-5 s after the
// previous one, a random collector (every one owns units) gets kill -9
// (restarted a second later), SIGSTOP for twice lease_ttl then SIGCONT, or
// SIGTERM (restarted a second later). Afterwards nothing is lost, the
// duplicates stay within one page per stream per kill or pause, and the
// Make budget shared by three receivers (haMakePerMinute) was never
// exceeded across the cluster in any 60 s.
func TestHAChaosRound(t *testing.T) {
	seed := haSeed(t)
	t.Logf("chaos round seed %d (APILOGS_HA_SEED=%d runs this sequence again)", seed, seed)
	events := chaosrun.HAEvents(seed, 6, 3)
	etcd := etcdtest.Run(t, 1)
	start := time.Now()
	c := startHAClusterWith(t, etcd, 3, simulator.Options{
		Mode: simulator.ModeDemo, InitialRecords: initialRecords, Seed: 23, NewRecordEvery: 100 * time.Millisecond,
		RatePerMinute: map[string]int{"make": haMakePerMinute},
	}, haMakePerMinute)
	for _, e := range events {
		time.Sleep(e.After) // the records keep coming between events
		h := c.members[e.Member]
		switch e.What {
		case chaosrun.HAKill:
			h.col.Kill()
			time.Sleep(time.Second) // down for a second
			h.start()
		case chaosrun.HAPause:
			require.NoError(t, syscall.Kill(h.col.Pid(), syscall.SIGSTOP))
			time.Sleep(2 * haLeaseTTL) // paused for twice lease_ttl
			require.NoError(t, syscall.Kill(h.col.Pid(), syscall.SIGCONT))
		case chaosrun.HATerm:
			h.stop()
			time.Sleep(time.Second) // down for a second
			h.start()
		}
		t.Logf("%s", e)
	}
	interrupts := chaosrun.Interruptions(events)
	c.sim.Pause()
	created := map[string]int{}
	for _, tally := range chaosrun.CountAll(c.sim, c.sink, c.receivers) {
		created[tally.Receiver] = tally.Created
	}
	waitFor(t, 3*time.Minute, allDelivered(c.sim, c.sink, c.receivers, created))
	total, dups := 0, 0
	for _, tally := range chaosrun.CountAll(c.sim, c.sink, c.receivers) {
		r := receiverByID(c.receivers, tally.Receiver)
		t.Logf("%s", tally)
		total += tally.Created
		dups += tally.Duplicated
		assert.Zero(t, tally.Lost, "%s", tally)
		assert.Zero(t, tally.Unexpected, "%s", tally)
		assert.LessOrEqual(t, tally.Duplicated, haPageSize*r.Streams*interrupts, "%s: more than one page per stream per kill or pause", tally)
	}
	t.Logf("%d records created and delivered, %d delivered twice over %d kills and pauses (%.1f per interruption)",
		total, dups, interrupts, float64(dups)/float64(max(1, interrupts)))
	for _, h := range c.members {
		h.stop()
	}
	c.assertMakeBudget(haMakePerMinute, start)
}

func receiverByID(rs []chaosrun.Receiver, id string) chaosrun.Receiver {
	for _, r := range rs {
		if r.ID == id {
			return r
		}
	}
	return chaosrun.Receiver{}
}
