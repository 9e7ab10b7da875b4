package apilogsreceiver

import (
	"context"
	"sync/atomic"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// gatedStorage is a storage extension whose client counts every read and
// write and holds each until gate is closed (or its context ends).
type gatedStorage struct {
	component.StartFunc
	component.ShutdownFunc
	gate    chan struct{}
	clients atomic.Int32
	calls   atomic.Int32
}

func (s *gatedStorage) GetClient(_ context.Context, kind component.Kind, id component.ID, name string) (storage.Client, error) {
	s.clients.Add(1)
	inner := storagetest.NewInMemoryClient(kind, id, name)
	return &gatedClient{Client: inner, s: s}, nil
}

type gatedClient struct {
	storage.Client
	s *gatedStorage
}

func (c *gatedClient) wait(ctx context.Context) error {
	c.s.calls.Add(1)
	select {
	case <-c.s.gate:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *gatedClient) Get(ctx context.Context, key string) ([]byte, error) {
	if err := c.wait(ctx); err != nil {
		return nil, err
	}
	return c.Client.Get(ctx, key)
}

func (c *gatedClient) Set(ctx context.Context, key string, value []byte) error {
	if err := c.wait(ctx); err != nil {
		return err
	}
	return c.Client.Set(ctx, key, value)
}

func (c *gatedClient) Delete(ctx context.Context, key string) error {
	if err := c.wait(ctx); err != nil {
		return err
	}
	return c.Client.Delete(ctx, key)
}

func (c *gatedClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if err := c.wait(ctx); err != nil {
		return err
	}
	return c.Client.Batch(ctx, ops...)
}
