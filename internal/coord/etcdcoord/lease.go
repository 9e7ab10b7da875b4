package etcdcoord

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// session keeps lease alive and reconciles until it expires or ctx ends.
// Expiry cancels the session's context, so that an etcd request under way
// (etcd without quorum answers none) does not hold the member past it.
func (m *Member) session(ctx context.Context, lease clientv3.LeaseID, ttl time.Duration) {
	var expired atomic.Bool
	var wg sync.WaitGroup
	defer wg.Wait()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel() // before wg.Wait
	wg.Add(2)
	go func() {
		defer wg.Done()
		if m.keepAlive(sctx, lease, ttl) {
			expired.Store(true)
			cancel()
		}
	}()
	go func() {
		defer wg.Done()
		m.watch(sctx)
	}()
	tick := time.NewTicker(ttl / 3)
	defer tick.Stop()
	for {
		m.reconcile(sctx, lease)
		select {
		case <-sctx.Done():
			if expired.Load() {
				m.log.Warn("The lease may have expired: this collector stopped polling its units and joins again",
					zap.String("member_id", m.cfg.MemberID))
			}
			return
		case <-m.poke:
		case <-tick.C:
		}
	}
}

// keepAlive renews the lease every third of its TTL and moves validUntil
// to the send time of each acknowledged renewal plus the TTL minus margin;
// it returns true once validUntil passes without a renewal (or etcd no
// longer knows the lease), false when ctx ends.
func (m *Member) keepAlive(ctx context.Context, lease clientv3.LeaseID, ttl time.Duration) bool {
	every := ttl / 3
	timer := time.NewTimer(every)
	defer timer.Stop()
	for {
		deadline := time.Unix(0, m.validUntil.Load())
		wait := min(every, time.Until(deadline))
		if wait <= 0 {
			return true
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		}
		if !time.Now().Before(time.Unix(0, m.validUntil.Load())) {
			return true
		}
		sent := time.Now()
		kaCtx, cancel := context.WithDeadline(ctx, time.Unix(0, m.validUntil.Load()))
		resp, err := m.cli.KeepAliveOnce(kaCtx, lease)
		cancel()
		switch {
		case err == nil:
			m.validUntil.Store(sent.Add(time.Duration(resp.TTL)*time.Second - margin(ttl)).UnixNano())
			m.obs.LeaseRenewed(time.Since(sent))
			m.setStatus(nil)
		case errors.Is(err, rpctypes.ErrLeaseNotFound):
			return true
		case ctx.Err() == nil:
			m.setStatus(fmt.Errorf("cannot renew the lease in etcd; stops polling at its expiry: %w", err))
		}
	}
}
