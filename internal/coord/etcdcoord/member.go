// Package etcdcoord is the etcd backend of coord: members hold a lease,
// units go to the member that rendezvous hashing prefers among the live
// members serving them, one owner key per unit (created under the owner's
// lease) says who owns it, and every cursor write is a transaction
// conditioned on that key's create revision, so etcd itself refuses the
// writes of a former owner.
//
// Keys under the prefix:
//
//	members/<member id>  the unit hashes the member serves (its lease)
//	owners/<unit hash>   the owning member's id (its lease)
//	cursors/<key>        the cursor bytes (no lease)
//
// Own lease and owner keys rather than concurrency.Session and Mutex:
// Session's keep-alive sets the lease's local deadline when a response
// arrives, while a member must stop emitting at a deadline counted from when
// the keep-alive was sent; and the owner key with its create revision fences
// exactly as Mutex.IsOwner does, without a queue of waiting contenders that
// rendezvous hashing makes unnecessary.
//
// Files: member.go (the member: config, start, stop, join and leave, the
// run loop, losing and releasing units), lease.go (the lease, its
// keep-alives counted from when they were sent, expiry), assign.go (the
// membership watch and the reconcile loop that acquires the units
// rendezvous hashing gives this member), tenure.go (one ownership and its
// fenced cursor store).
package etcdcoord

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/coord"
)

// Observer receives the member's measurements (the extension's metrics).
type Observer interface {
	OwnedUnits(n int)
	OwnershipChanged(acquired bool)
	WriteRefused()
	LeaseRenewed(latency time.Duration)
}

// Config of a member.
type Config struct {
	// NewClient connects to etcd; the member calls it in the background
	// (with credentials it authenticates, which blocks) and closes the
	// client when it stops.
	NewClient func() (*clientv3.Client, error)
	Prefix    string
	MemberID  string
	LeaseTTL  time.Duration
	Logger    *zap.Logger
	Observer  Observer
	// Status learns, on change, why the member owns nothing (nil once it
	// holds a lease again).
	Status func(err error)
}

// Member is one collector of the cluster.
type Member struct {
	cfg Config
	// cli is set by run before any session, and read after it.
	cli *clientv3.Client
	log *zap.Logger
	obs Observer

	mu    sync.Mutex
	units map[string]*unit // by hash
	// validUntil (unix nanoseconds) is when the member stops emitting: the
	// send time of the last acknowledged keep-alive plus the lease's TTL,
	// minus margin.
	validUntil atomic.Int64
	lease      atomic.Int64
	statusErr  string
	owned      int

	poke   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type unit struct {
	name, hash string
	// mu orders the unit's transitions: acquire, lose, join and leave.
	mu     sync.Mutex
	parts  []*participant
	tenure *tenure
}

type participant struct{ h coord.Handler }

// New prepares a member; Start runs it.
func New(cfg Config) (*Member, error) {
	if cfg.NewClient == nil || cfg.MemberID == "" || cfg.LeaseTTL <= 0 {
		return nil, errors.New("etcdcoord: client, member id and lease TTL are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Status == nil {
		cfg.Status = func(error) {}
	}
	return &Member{
		cfg: cfg, log: cfg.Logger, obs: cfg.Observer,
		units: map[string]*unit{}, poke: make(chan struct{}, 1),
	}, nil
}

// margin is how long before the lease could expire (counted from the send
// of the last acknowledged keep-alive) the member stops emitting: a fifth of
// the TTL covers a clock that runs slower than etcd's and the time between
// the check and the delivery.
func margin(ttl time.Duration) time.Duration { return ttl / 5 }

// UnitKey is the hash under which a unit's owner key is stored.
func UnitKey(name string) string {
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:12])
}

// Start runs the member in the background; it does no blocking I/O.
func (m *Member) Start() {
	// Owning nothing is printed too (a member of a cluster with more members
	// than units), so that alerts can tell it from a member not running.
	m.obs.OwnedUnits(0)
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		m.run(ctx)
	}()
}

// Stop loses every unit (their handlers stop), revokes the lease (its keys
// go with it, so others take over at once) and returns within ctx.
func (m *Member) Stop(ctx context.Context) error {
	if m.cancel == nil {
		return nil // not started, or stopped already
	}
	m.cancel()
	m.cancel = nil
	done := make(chan struct{})
	go func() {
		m.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("api_logs_coordinator: stopping: %w", ctx.Err())
	}
	m.loseAll(ctx)
	if m.cli == nil {
		return nil
	}
	if id := clientv3.LeaseID(m.lease.Swap(0)); id != 0 {
		if _, err := m.cli.Revoke(ctx, id); err != nil {
			m.log.Info("Could not revoke the lease; its keys expire with it", zap.Error(err))
		}
	}
	return m.cli.Close()
}

// Join implements coord.Coordinator.
func (m *Member) Join(name string, h coord.Handler) (coord.Leave, error) {
	hash := UnitKey(name)
	m.mu.Lock()
	u := m.units[hash]
	if u == nil {
		u = &unit{name: name, hash: hash}
		m.units[hash] = u
	}
	m.mu.Unlock()
	p := &participant{h: h}
	u.mu.Lock()
	u.parts = append(u.parts, p)
	if t := u.tenure; t != nil && t.Valid() {
		h.Acquired(t)
	}
	u.mu.Unlock()
	m.wake()
	return func(ctx context.Context) error { return m.leave(ctx, u, p) }, nil
}

// leave stops p; the last participant releases the unit: the member key
// first stops listing it (so that the others prefer another member), then
// the owner key goes, after the last checkpoint.
func (m *Member) leave(ctx context.Context, u *unit, p *participant) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	i := slices.Index(u.parts, p)
	if i < 0 {
		return nil
	}
	u.parts = slices.Delete(u.parts, i, i+1)
	t := u.tenure
	if t != nil {
		p.h.Lost(ctx)
	}
	if len(u.parts) > 0 {
		return nil
	}
	m.mu.Lock()
	delete(m.units, u.hash)
	m.mu.Unlock()
	if t == nil {
		return nil
	}
	m.putMember(ctx)
	err := m.release(ctx, u)
	m.wake()
	return err
}

func (m *Member) wake() {
	select {
	case m.poke <- struct{}{}:
	default:
	}
}

func (m *Member) key(parts ...string) string {
	return m.cfg.Prefix + strings.Join(parts, "/")
}

// run holds a lease and reconciles the units until ctx ends; a lost or
// expired lease ends every tenure and a new lease starts over.
func (m *Member) run(ctx context.Context) {
	backoff := time.Second
	for m.cli == nil {
		cli, err := m.cfg.NewClient()
		if err == nil {
			m.cli = cli
			break
		}
		m.setStatus(fmt.Errorf("owns no unit: cannot connect to etcd: %w", err))
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, m.cfg.LeaseTTL)
	}
	backoff = time.Second
	for ctx.Err() == nil {
		sent := time.Now()
		grantCtx, cancel := context.WithTimeout(ctx, m.cfg.LeaseTTL)
		resp, err := m.cli.Grant(grantCtx, int64((m.cfg.LeaseTTL+time.Second-1)/time.Second))
		cancel()
		if err != nil {
			m.setStatus(fmt.Errorf("owns no unit: cannot reach etcd to obtain a lease: %w", err))
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, m.cfg.LeaseTTL)
			continue
		}
		backoff = time.Second
		m.lease.Store(int64(resp.ID))
		m.validUntil.Store(sent.Add(time.Duration(resp.TTL)*time.Second - margin(m.cfg.LeaseTTL)).UnixNano())
		m.setStatus(nil)
		m.log.Info("Joined the cluster", zap.String("member_id", m.cfg.MemberID), zap.Int64("lease_ttl_seconds", resp.TTL))
		m.session(ctx, resp.ID, time.Duration(resp.TTL)*time.Second)
		if ctx.Err() != nil {
			return
		}
		m.loseAll(ctx)
		if old := clientv3.LeaseID(m.lease.Swap(0)); old != 0 {
			// Best effort: a lease that may have expired is given up, so that
			// its keys go now if etcd still has it.
			revokeCtx, cancel := context.WithTimeout(ctx, m.cfg.LeaseTTL/3)
			_, _ = m.cli.Revoke(revokeCtx, old)
			cancel()
		}
	}
}

// stopAll tells every participant of a unit to stop, side by side.
func stopAll(ctx context.Context, parts []*participant) {
	var wg sync.WaitGroup
	for _, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.h.Lost(ctx)
		}()
	}
	wg.Wait()
}

// lose ends the tenure without touching etcd (it is no longer ours).
func (m *Member) lose(ctx context.Context, u *unit, why string) {
	t := u.tenure
	t.ended.Store(true)
	u.tenure = nil
	lostCtx, cancel := context.WithTimeout(ctx, m.cfg.LeaseTTL)
	defer cancel()
	stopAll(lostCtx, u.parts)
	m.changeOwned(-1)
	m.obs.OwnershipChanged(false)
	m.log.Warn("Lost a unit: its streams stopped here", zap.String("unit", u.hash), zap.String("reason", why))
}

// releaseLocked stops the unit's handlers (after their last checkpoint) and
// deletes the owner key, so that the preferred member takes it at once.
func (m *Member) releaseLocked(ctx context.Context, u *unit, why string) {
	lostCtx, cancel := context.WithTimeout(ctx, m.cfg.LeaseTTL)
	stopAll(lostCtx, u.parts)
	cancel()
	_ = m.release(ctx, u)
	m.log.Info("Released a unit", zap.String("unit", u.hash), zap.String("reason", why))
}

// release deletes the owner key of the unit's tenure, if it still is ours.
func (m *Member) release(ctx context.Context, u *unit) error {
	t := u.tenure
	if t == nil {
		return nil
	}
	t.ended.Store(true)
	u.tenure = nil
	m.changeOwned(-1)
	m.obs.OwnershipChanged(false)
	opCtx, cancel := context.WithTimeout(ctx, m.cfg.LeaseTTL/2)
	defer cancel()
	_, err := m.cli.Txn(opCtx).
		If(clientv3.Compare(clientv3.CreateRevision(t.ownerKey), "=", t.rev)).
		Then(clientv3.OpDelete(t.ownerKey)).
		Commit()
	if err != nil {
		return fmt.Errorf("api_logs_coordinator: releasing a unit (its owner key expires with the lease): %w", err)
	}
	return nil
}

// loseAll ends every tenure (the lease is gone or the member stops); the
// units stop side by side, so that all of them stop within one lease TTL.
func (m *Member) loseAll(ctx context.Context) {
	m.mu.Lock()
	us := make([]*unit, 0, len(m.units))
	for _, u := range m.units {
		us = append(us, u)
	}
	m.mu.Unlock()
	var wg sync.WaitGroup
	for _, u := range us {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u.mu.Lock()
			defer u.mu.Unlock()
			if u.tenure != nil {
				m.lose(ctx, u, "the member's lease ended")
			}
		}()
	}
	wg.Wait()
}

func (m *Member) changeOwned(d int) {
	m.mu.Lock()
	m.owned += d
	n := m.owned
	m.mu.Unlock()
	m.obs.OwnedUnits(n)
}

func (m *Member) setStatus(err error) {
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	m.mu.Lock()
	changed := msg != m.statusErr
	m.statusErr = msg
	m.mu.Unlock()
	if !changed {
		return
	}
	if err != nil {
		m.log.Warn("Coordinator: etcd trouble", zap.Error(err))
	}
	m.cfg.Status(err)
}

// valid tells whether the lease cannot have expired yet.
func (m *Member) valid() bool {
	return time.Now().UnixNano() < m.validUntil.Load()
}

type nopObserver struct{}

func (nopObserver) OwnedUnits(int)             {}
func (nopObserver) OwnershipChanged(bool)      {}
func (nopObserver) WriteRefused()              {}
func (nopObserver) LeaseRenewed(time.Duration) {}
