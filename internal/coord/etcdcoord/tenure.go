package etcdcoord

import (
	"context"
	"sync/atomic"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/otelcol-api-logs/otelcol-api-logs/internal/coord"
)

// tenure is one ownership of a unit: the owner key's create revision fences
// every cursor write.
type tenure struct {
	m        *Member
	unit     string
	ownerKey string
	rev      int64
	ended    atomic.Bool
	client   *fencedClient
}

func (t *tenure) Client() storage.Client { return t.client }

func (t *tenure) Valid() bool { return !t.ended.Load() && t.m.valid() }

// fencedClient is a storage.Client over etcd whose writes are transactions
// conditioned on the tenure's owner key: a former owner's write is refused
// by etcd (ErrNotOwner), counted, and ends the tenure at once.
type fencedClient struct{ t *tenure }

func (c *fencedClient) cursorKey(key string) string { return c.t.m.key("cursors", key) }

func (c *fencedClient) Get(ctx context.Context, key string) ([]byte, error) {
	resp, err := c.t.m.cli.Get(ctx, c.cursorKey(key))
	if err != nil {
		return nil, err
	}
	if len(resp.Kvs) == 0 {
		return nil, nil
	}
	return resp.Kvs[0].Value, nil
}

func (c *fencedClient) Set(ctx context.Context, key string, value []byte) error {
	return c.Batch(ctx, storage.SetOperation(key, value))
}

func (c *fencedClient) Delete(ctx context.Context, key string) error {
	return c.Batch(ctx, storage.DeleteOperation(key))
}

// Batch runs every operation in one transaction, if the tenure still holds.
func (c *fencedClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	t := c.t
	if t.ended.Load() {
		t.m.obs.WriteRefused()
		return coord.ErrNotOwner
	}
	then := make([]clientv3.Op, len(ops))
	for i, op := range ops {
		switch op.Type {
		case storage.Get:
			then[i] = clientv3.OpGet(c.cursorKey(op.Key))
		case storage.Set:
			then[i] = clientv3.OpPut(c.cursorKey(op.Key), string(op.Value))
		case storage.Delete:
			then[i] = clientv3.OpDelete(c.cursorKey(op.Key))
		}
	}
	resp, err := t.m.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(t.ownerKey), "=", t.rev)).
		Then(then...).
		Commit()
	if err != nil {
		return err
	}
	if !resp.Succeeded {
		t.m.obs.WriteRefused()
		if !t.ended.Swap(true) {
			t.m.wake()
		}
		return coord.ErrNotOwner
	}
	for i, op := range ops {
		if op.Type == storage.Get {
			op.Value = nil
			if kvs := resp.Responses[i].GetResponseRange().Kvs; len(kvs) > 0 {
				op.Value = kvs[0].Value
			}
		}
	}
	return nil
}

// Close does not end the tenure: the handler's store closes it on Lost.
func (c *fencedClient) Close(context.Context) error { return nil }
