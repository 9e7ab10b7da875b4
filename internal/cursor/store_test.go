package cursor

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// gatedClient is an in-memory client whose Set waits for the test, and which
// counts batches and writes after Close.
type gatedClient struct {
	*memoryClient
	mu         sync.Mutex
	inSet      chan struct{}
	releaseSet chan struct{}
	batches    [][]*storage.Operation
	closed     int
}

func (g *gatedClient) Set(ctx context.Context, key string, value []byte) error {
	if g.inSet != nil {
		g.inSet <- struct{}{}
		<-g.releaseSet
	}
	return g.memoryClient.Set(ctx, key, value)
}

func (g *gatedClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	g.mu.Lock()
	g.batches = append(g.batches, ops)
	g.mu.Unlock()
	return g.memoryClient.Batch(ctx, ops...)
}

func (g *gatedClient) Close(context.Context) error {
	g.mu.Lock()
	g.closed++
	g.mu.Unlock()
	return nil
}

func (g *gatedClient) closes() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.closed
}

// After Close began, no operation reaches the client; Close closes the
// client once, after the operation in flight ended.
func TestStoreCloseWaitsForTheWriteInFlightAndRefusesLaterOnes(t *testing.T) {
	g := &gatedClient{memoryClient: newMemoryClient(), inSet: make(chan struct{}), releaseSet: make(chan struct{})}
	s := NewStore(g)
	ctx := context.Background()
	saved := make(chan error, 1)
	go func() { saved <- s.Save(ctx, "cursor/a", &State{Identity: "a", Key: 1}) }()
	<-g.inSet

	closed := make(chan error, 1)
	go func() { closed <- s.Close(ctx) }()
	// Close has sealed the store (or is about to): a later operation never
	// reaches the client, whichever comes first.
	require.Eventually(t, func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.closed
	}, 30*time.Second, time.Millisecond)
	require.ErrorIs(t, s.Save(ctx, "cursor/b", &State{Identity: "b"}), ErrClosed)
	_, err := s.Load(ctx, "cursor/a")
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, s.SetAside(ctx, "cursor/a", "cursor/a.corrupt.1", []byte("x"), &State{}), ErrClosed)
	assert.Zero(t, g.closes(), "the client stays open while a write is in flight")

	close(g.releaseSet)
	require.NoError(t, <-saved)
	require.NoError(t, <-closed)
	assert.Equal(t, 1, g.closes())
	assert.NotNil(t, g.data["cursor/a"], "the write in flight completed")
	assert.Nil(t, g.data["cursor/b"])
	require.NoError(t, s.Close(ctx), "a second Close is a no-op")
	assert.Equal(t, 1, g.closes())
}

// Close gives up waiting when its context ends, and then leaves the client
// open: closing it under an operation is not safe.
func TestStoreCloseHonoursItsContext(t *testing.T) {
	g := &gatedClient{memoryClient: newMemoryClient(), inSet: make(chan struct{}), releaseSet: make(chan struct{})}
	s := NewStore(g)
	saved := make(chan error, 1)
	go func() { saved <- s.Save(context.Background(), "cursor/a", &State{Identity: "a"}) }()
	<-g.inSet
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, s.Close(ctx), context.Canceled)
	assert.Zero(t, g.closes())
	close(g.releaseSet)
	require.NoError(t, <-saved)
}

// SetAside keeps the bytes and writes the replacement in one Batch.
func TestStoreSetAsideIsOneBatch(t *testing.T) {
	g := &gatedClient{memoryClient: newMemoryClient()}
	s := NewStore(g)
	ctx := context.Background()
	require.NoError(t, g.memoryClient.Set(ctx, "cursor/x/k", []byte("{garbage")))
	at := time.Unix(1700000000, 0)
	aside := AsideKey("cursor/x/k", at)
	assert.Equal(t, "cursor/x/k.corrupt.1700000000", aside)
	require.NoError(t, s.SetAside(ctx, "cursor/x/k", aside, []byte("{garbage"), &State{Identity: "id", Key: 42}))
	require.Len(t, g.batches, 1)
	assert.Len(t, g.batches[0], 2)
	assert.Equal(t, []byte("{garbage"), g.data[aside])
	raw, err := s.Load(ctx, "cursor/x/k")
	require.NoError(t, err)
	st, err := Unmarshal(raw)
	require.NoError(t, err)
	assert.Equal(t, int64(42), st.Key)
	assert.Equal(t, Version, st.Version)
}

// Put writes the receiver's own records beside the cursors, and is sealed
// by Close like them.
func TestStorePutIsSealedByClose(t *testing.T) {
	s := NewStore(nil)
	ctx := context.Background()
	require.NoError(t, s.Put(ctx, "oauth2/refresh_token", []byte("v1")))
	got, err := s.Load(ctx, "oauth2/refresh_token")
	require.NoError(t, err)
	assert.Equal(t, []byte("v1"), got)
	require.NoError(t, s.Close(ctx))
	require.ErrorIs(t, s.Put(ctx, "oauth2/refresh_token", []byte("v2")), ErrClosed)
}
