package etcdcoord

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/goleak"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/coord"
	"github.com/otelcol-api-logs/otelcol-api-logs/internal/testing/etcdtest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// deadline is generous: CI is a loaded 2-core machine.
const deadline = 60 * time.Second

// handler records what a member tells one participant.
type handler struct {
	mu       sync.Mutex
	current  coord.Ownership
	acquired int
	lost     int
	events   *[]string
	name     string
}

func (h *handler) Acquired(o coord.Ownership) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.current = o
	h.acquired++
	if h.events != nil {
		*h.events = append(*h.events, h.name+" acquired")
	}
}

func (h *handler) Lost(context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.current = nil
	h.lost++
	if h.events != nil {
		*h.events = append(*h.events, h.name+" lost")
	}
}

func (h *handler) owns() coord.Ownership {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.current
}

func (h *handler) counts() (acquired, lost int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.acquired, h.lost
}

type counters struct {
	refused atomic.Int64
	changes atomic.Int64
	owned   atomic.Int64
	renewed atomic.Int64
}

func (c *counters) OwnedUnits(n int)           { c.owned.Store(int64(n)) }
func (c *counters) OwnershipChanged(bool)      { c.changes.Add(1) }
func (c *counters) WriteRefused()              { c.refused.Add(1) }
func (c *counters) LeaseRenewed(time.Duration) { c.renewed.Add(1) }

type testMember struct {
	*Member
	id       string
	obs      *counters
	handlers map[string]*handler
	leaves   map[string]coord.Leave
	status   atomic.Value
}

func connect(c *etcdtest.Cluster) (*clientv3.Client, error) {
	return clientv3.New(clientv3.Config{Endpoints: c.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
}

func newClient(t *testing.T, c *etcdtest.Cluster) *clientv3.Client {
	t.Helper()
	cli, err := connect(c)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cli.Close() })
	return cli
}

func startMember(t *testing.T, c *etcdtest.Cluster, id string, units []string) *testMember {
	const ttl = 2 * time.Second
	t.Helper()
	tm := &testMember{id: id, obs: &counters{}, handlers: map[string]*handler{}, leaves: map[string]coord.Leave{}}
	tm.status.Store("")
	m, err := New(Config{
		NewClient: func() (*clientv3.Client, error) { return connect(c) }, Prefix: "/test/", MemberID: id, LeaseTTL: ttl, Observer: tm.obs,
		Status: func(err error) {
			if err != nil {
				tm.status.Store(err.Error())
			} else {
				tm.status.Store("")
			}
		},
	})
	require.NoError(t, err)
	tm.Member = m
	m.Start()
	t.Cleanup(func() { tm.stop(t) })
	for _, u := range units {
		h := &handler{name: id + "/" + u}
		leave, err := m.Join(u, h)
		require.NoError(t, err)
		tm.handlers[u], tm.leaves[u] = h, leave
	}
	return tm
}

func (tm *testMember) stop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	for u, leave := range tm.leaves {
		require.NoError(t, leave(ctx))
		delete(tm.leaves, u)
	}
	require.NoError(t, tm.Stop(ctx))
}

func unitNames(n int) []string {
	us := make([]string, n)
	for i := range us {
		us[i] = fmt.Sprintf("unit-%d", i)
	}
	return us
}

// owners returns, per unit, the members whose participant holds a valid
// ownership.
func owners(members []*testMember, units []string) map[string][]string {
	got := map[string][]string{}
	for _, u := range units {
		for _, tm := range members {
			if o := tm.handlers[u].owns(); o != nil && o.Valid() {
				got[u] = append(got[u], tm.id)
			}
		}
	}
	return got
}

func preferredOwners(ids []string, units []string) map[string][]string {
	want := map[string][]string{}
	for _, u := range units {
		want[u] = []string{coord.Preferred(UnitKey(u), ids)}
	}
	return want
}

func waitOwners(t *testing.T, members []*testMember, ids, units []string) {
	t.Helper()
	want := preferredOwners(ids, units)
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		assert.Equal(c, want, owners(members, units))
	}, deadline, 50*time.Millisecond)
}

// TestUnitsSpreadWithOneOwnerEach: three members serving twelve units own
// them exactly as rendezvous hashing prefers, one owner each; a fourth
// member takes only the units it is now preferred for (no other unit
// changes hands); a member that leaves gives only its own units away.
func TestUnitsSpreadWithOneOwnerEach(t *testing.T) {
	c := etcdtest.Run(t, 1)
	units := unitNames(12)
	a := startMember(t, c, "a", units)
	b := startMember(t, c, "b", units)
	cc := startMember(t, c, "c", units)
	three := []*testMember{a, b, cc}
	waitOwners(t, three, []string{"a", "b", "c"}, units)
	acquiredBefore := map[string]int{}
	for _, tm := range three {
		for _, u := range units {
			n, _ := tm.handlers[u].counts()
			acquiredBefore[tm.id+u] = n
		}
	}

	d := startMember(t, c, "d", units)
	four := []*testMember{a, b, cc, d}
	waitOwners(t, four, []string{"a", "b", "c", "d"}, units)
	wantMoved := 0
	for _, u := range units {
		before := coord.Preferred(UnitKey(u), []string{"a", "b", "c"})
		after := coord.Preferred(UnitKey(u), []string{"a", "b", "c", "d"})
		if before != after {
			wantMoved++
		}
		for _, tm := range three {
			n, _ := tm.handlers[u].counts()
			assert.Equal(t, acquiredBefore[tm.id+u], n, "%s acquired %s again though it did not move", tm.id, u)
		}
	}
	moved := 0
	for _, u := range units {
		n, _ := d.handlers[u].counts()
		moved += n
	}
	assert.Equal(t, wantMoved, moved, "units moved to the new member")
	require.Positive(t, moved, "the test needs a unit that moves")

	a.stop(t)
	waitOwners(t, []*testMember{b, cc, d}, []string{"b", "c", "d"}, units)
	assert.Equal(t, int64(0), a.obs.owned.Load(), "the member that left owns nothing")
}

// TestReleaseAfterLastCheckpoint: the owner's Leave stops its participant
// before the owner key goes, and the other member takes the unit then.
func TestReleaseAfterLastCheckpoint(t *testing.T) {
	c := etcdtest.Run(t, 1)
	var mu sync.Mutex
	var events []string
	a := startMember(t, c, "a", nil)
	b := startMember(t, c, "b", nil)
	for _, tm := range []*testMember{a, b} {
		h := &handler{name: tm.id, events: &events}
		leave, err := tm.Join("unit", &lockedHandler{h: h, mu: &mu})
		require.NoError(t, err)
		tm.handlers["unit"], tm.leaves["unit"] = h, leave
	}
	waitOwners(t, []*testMember{a, b}, []string{"a", "b"}, []string{"unit"})
	first, second := a, b
	if b.handlers["unit"].owns() != nil {
		first, second = b, a
	}
	// The member that joined first may have held the unit until the other
	// one appeared: only what follows the settled ownership counts here.
	mu.Lock()
	events = []string{first.id + " acquired"}
	mu.Unlock()
	first.stop(t)
	require.Eventually(t, func() bool { return second.handlers["unit"].owns() != nil }, deadline, 50*time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{first.id + " acquired", first.id + " lost", second.id + " acquired"}, events)
}

type lockedHandler struct {
	h  *handler
	mu *sync.Mutex
}

func (l *lockedHandler) Acquired(o coord.Ownership) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.h.Acquired(o)
}

func (l *lockedHandler) Lost(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.h.Lost(ctx)
}

// TestFormerOwnerWriteRefused: the owner's lease ends (revoked from outside,
// as when it expires while the owner is paused); the other member takes the
// unit and writes; the former owner's writes through its old tenure are
// refused by etcd, counted, and the cursor keeps the new owner's bytes.
func TestFormerOwnerWriteRefused(t *testing.T) {
	c := etcdtest.Run(t, 1)
	a := startMember(t, c, "a", []string{"unit"})
	waitOwners(t, []*testMember{a}, []string{"a"}, []string{"unit"})
	old := a.handlers["unit"].owns()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	require.NoError(t, old.Client().Set(ctx, "cursor/x", []byte("a1")))

	b := startMember(t, c, "b", []string{"unit"})
	// a's lease ends behind its back: b may take the unit (if a is
	// preferred, a takes it back with a new tenure; either way the old
	// tenure is over).
	cli := newClient(t, c)
	_, err := cli.Revoke(ctx, clientv3.LeaseID(a.lease.Load()))
	require.NoError(t, err)
	var next coord.Ownership
	require.Eventually(t, func() bool {
		for _, tm := range []*testMember{a, b} {
			if o := tm.handlers["unit"].owns(); o != nil && o != old && o.Valid() {
				next = o
				return true
			}
		}
		return false
	}, deadline, 20*time.Millisecond)
	require.NoError(t, next.Client().Set(ctx, "cursor/x", []byte("next")))

	refusedBefore := a.obs.refused.Load()
	err = old.Client().Set(ctx, "cursor/x", []byte("stale"))
	require.ErrorIs(t, err, coord.ErrNotOwner)
	err = old.Client().Batch(ctx, storageSet("cursor/x", "stale2"), storageSet("cursor/y", "stale2"))
	require.ErrorIs(t, err, coord.ErrNotOwner)
	assert.Equal(t, refusedBefore+2, a.obs.refused.Load(), "refused writes counted")
	assert.False(t, old.Valid())

	got, err := next.Client().Get(ctx, "cursor/x")
	require.NoError(t, err)
	assert.Equal(t, "next", string(got))
	got, err = next.Client().Get(ctx, "cursor/y")
	require.NoError(t, err)
	assert.Nil(t, got, "no part of a refused batch is written")
}

// TestQuorumLossStopsOwner: with two of three etcd members down the owner
// can no longer renew its lease: it stops (Lost, not Valid) and says why;
// with quorum back it owns the unit again.
func TestQuorumLossStopsOwner(t *testing.T) {
	c := etcdtest.Run(t, 3)
	a := startMember(t, c, "a", []string{"unit"})
	waitOwners(t, []*testMember{a}, []string{"a"}, []string{"unit"})
	h := a.handlers["unit"]
	c.Member(1).Stop()
	c.Member(2).Stop()
	stopped := time.Now()
	require.Eventually(t, func() bool {
		_, lost := h.counts()
		return lost == 1 && h.owns() == nil
	}, deadline, 20*time.Millisecond)
	t.Logf("quorum lost: the owner stopped after %s", time.Since(stopped).Round(10*time.Millisecond))
	assert.Contains(t, a.status.Load(), "etcd")

	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	require.NoError(t, c.Restart(1))
	require.NoError(t, c.WaitHealthy(ctx))
	require.Eventually(t, func() bool { return h.owns() != nil && h.owns().Valid() }, deadline, 50*time.Millisecond)
	assert.Empty(t, a.status.Load(), "status clears with quorum back")
	acquired, lost := h.counts()
	assert.Equal(t, 2, acquired)
	assert.Equal(t, 1, lost)
}
