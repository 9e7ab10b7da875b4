package cursor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Store reads and writes stream states in a storage client. Keys are
// "cursor/<api>/<hash of the identity>": stable, short, and never derived
// from config text that users edit for other reasons.
type Store struct {
	client storage.Client
}

// NewStore wraps a storage client; nil means in-memory state.
func NewStore(client storage.Client) *Store {
	if client == nil {
		client = newMemoryClient()
	}
	return &Store{client: client}
}

// Key is the storage key of a stream.
func Key(api, identity string) string {
	sum := sha256.Sum256([]byte(identity))
	return "cursor/" + api + "/" + hex.EncodeToString(sum[:12])
}

// Load returns the stored bytes for key, or nil.
func (s *Store) Load(ctx context.Context, key string) ([]byte, error) {
	return s.client.Get(ctx, key)
}

// Save writes a state.
func (s *Store) Save(ctx context.Context, key string, st *State) error {
	b, err := Marshal(st)
	if err != nil {
		return err
	}
	return s.client.Set(ctx, key, b)
}

// Close closes the storage client.
func (s *Store) Close(ctx context.Context) error {
	return s.client.Close(ctx)
}

// memoryClient keeps state for the life of the process when no storage
// extension is configured.
type memoryClient struct {
	mu   sync.Mutex
	data map[string][]byte
}

func newMemoryClient() *memoryClient { return &memoryClient{data: map[string][]byte{}} }

func (m *memoryClient) Get(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data[key], nil
}

func (m *memoryClient) Set(_ context.Context, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.data[key] = append([]byte(nil), value...)
	return nil
}

func (m *memoryClient) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.data, key)
	return nil
}

func (m *memoryClient) Batch(ctx context.Context, ops ...*storage.Operation) error {
	for _, op := range ops {
		var err error
		switch op.Type {
		case storage.Get:
			op.Value, err = m.Get(ctx, op.Key)
		case storage.Set:
			err = m.Set(ctx, op.Key, op.Value)
		case storage.Delete:
			err = m.Delete(ctx, op.Key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (m *memoryClient) Close(context.Context) error { return nil }
