package etcdcoord

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/coord"
)

// watch pokes the reconcile loop on every change of a member or owner key,
// so that a released or expired unit is taken at once.
func (m *Member) watch(ctx context.Context) {
	for ctx.Err() == nil {
		wch := m.cli.Watch(clientv3.WithRequireLeader(ctx), m.cfg.Prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
		for range wch {
			m.wake()
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// membership is the value of a member key.
type membership struct {
	Units []string `json:"units"`
}

func (m *Member) localUnits() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	hs := make([]string, 0, len(m.units))
	for h := range m.units {
		hs = append(hs, h)
	}
	slices.Sort(hs)
	return hs
}

// putMember writes the member key with the units served now.
func (m *Member) putMember(ctx context.Context) {
	lease := clientv3.LeaseID(m.lease.Load())
	if lease == 0 {
		return
	}
	b, _ := json.Marshal(membership{Units: m.localUnits()})
	opCtx, cancel := context.WithTimeout(ctx, m.cfg.LeaseTTL/2)
	defer cancel()
	if _, err := m.cli.Put(opCtx, m.key("members", m.cfg.MemberID), string(b), clientv3.WithLease(lease)); err != nil {
		m.log.Debug("Cannot write the member key", zap.Error(err))
	}
}

type owner struct {
	member string
	rev    int64
}

// reconcile makes the local tenures match the preferred owners: it writes
// the member key, reads every member and owner, ends tenures etcd no longer
// holds, releases units another member is now preferred for and takes the
// unowned ones this member is preferred for.
func (m *Member) reconcile(ctx context.Context, lease clientv3.LeaseID) {
	m.putMember(ctx)
	opCtx, cancel := context.WithTimeout(ctx, m.cfg.LeaseTTL/2)
	defer cancel()
	resp, err := m.cli.Txn(opCtx).Then(
		clientv3.OpGet(m.key("members")+"/", clientv3.WithPrefix()),
		clientv3.OpGet(m.key("owners")+"/", clientv3.WithPrefix()),
	).Commit()
	if err != nil {
		m.log.Debug("Cannot read the members and owners", zap.Error(err))
		return
	}
	serving := map[string][]string{} // unit hash → members
	for _, kv := range resp.Responses[0].GetResponseRange().Kvs {
		id := strings.TrimPrefix(string(kv.Key), m.key("members")+"/")
		var ms membership
		if json.Unmarshal(kv.Value, &ms) != nil {
			continue
		}
		for _, h := range ms.Units {
			serving[h] = append(serving[h], id)
		}
	}
	owners := map[string]owner{}
	for _, kv := range resp.Responses[1].GetResponseRange().Kvs {
		owners[strings.TrimPrefix(string(kv.Key), m.key("owners")+"/")] = owner{member: string(kv.Value), rev: kv.CreateRevision}
	}
	m.mu.Lock()
	us := make([]*unit, 0, len(m.units))
	for _, u := range m.units {
		us = append(us, u)
	}
	m.mu.Unlock()
	for _, u := range us {
		m.reconcileUnit(ctx, lease, u, serving[u.hash], owners)
	}
}

func (m *Member) reconcileUnit(ctx context.Context, lease clientv3.LeaseID, u *unit, serving []string, owners map[string]owner) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.parts) == 0 {
		return
	}
	cur, owned := owners[u.hash]
	if t := u.tenure; t != nil && (t.ended.Load() || !owned || cur.rev != t.rev) {
		m.lose(ctx, u, "etcd no longer holds this collector's owner key (its lease expired or a write was refused)")
	}
	preferred := coord.Preferred(u.hash, serving) == m.cfg.MemberID
	switch {
	case u.tenure != nil && !preferred && len(serving) > 0 && slices.Contains(serving, m.cfg.MemberID):
		m.releaseLocked(ctx, u, "another member is preferred for the unit now")
	case u.tenure == nil && preferred && !owned:
		m.acquire(ctx, lease, u)
	}
}

// acquire creates the unit's owner key under the lease if no one holds it.
func (m *Member) acquire(ctx context.Context, lease clientv3.LeaseID, u *unit) {
	key := m.key("owners", u.hash)
	opCtx, cancel := context.WithTimeout(ctx, m.cfg.LeaseTTL/2)
	defer cancel()
	resp, err := m.cli.Txn(opCtx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
		Then(clientv3.OpPut(key, m.cfg.MemberID, clientv3.WithLease(lease))).
		Commit()
	if err != nil || !resp.Succeeded {
		return
	}
	t := &tenure{m: m, unit: u.name, ownerKey: key, rev: resp.Header.Revision}
	t.client = &fencedClient{t: t}
	u.tenure = t
	m.changeOwned(+1)
	m.obs.OwnershipChanged(true)
	m.log.Info("Owns a unit now: its streams are polled here", zap.String("unit", u.hash), zap.Int("receivers", len(u.parts)))
	for _, p := range u.parts {
		p.h.Acquired(t)
	}
}
