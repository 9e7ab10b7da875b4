package cursor

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
)

// Store reads and writes stream states in a storage client. Keys are
// "cursor/<api>/<hash of the identity>": stable, short, and never derived
// from config text that users edit for other reasons.
//
// Close seals the store before it closes the client: no operation starts
// after Close has begun (ErrClosed), and the client is closed only once the
// operations in flight have ended. A poll stuck in a pipeline that ignores
// its context past the receiver's Shutdown therefore writes nothing when it
// comes back: its page is read again after the restart.
type Store struct {
	client storage.Client

	mu       sync.Mutex
	closed   bool
	inFlight sync.WaitGroup
}

// ErrClosed is returned by the operations of a Store after Close began.
var ErrClosed = errors.New("the cursor store is closed (the receiver is shutting down)")

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

// AsideKey is where the bytes of an unusable cursor stored under key are
// kept, found at unix time at: "<key>.corrupt.<unix seconds>".
func AsideKey(key string, at time.Time) string {
	return key + ".corrupt." + strconv.FormatInt(at.Unix(), 10)
}

// begin registers an operation; false once the store is closed.
func (s *Store) begin() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.inFlight.Add(1)
	return true
}

// Load returns the stored bytes for key, or nil.
func (s *Store) Load(ctx context.Context, key string) ([]byte, error) {
	if !s.begin() {
		return nil, ErrClosed
	}
	defer s.inFlight.Done()
	return s.client.Get(ctx, key)
}

// Save writes a state.
func (s *Store) Save(ctx context.Context, key string, st *State) error {
	b, err := Marshal(st)
	if err != nil {
		return err
	}
	if !s.begin() {
		return ErrClosed
	}
	defer s.inFlight.Done()
	return s.client.Set(ctx, key, b)
}

// Put writes raw bytes under a key of the caller's (the receiver's own
// records beside the cursors: a rotated OAuth refresh token), sealed by
// Close like the cursors' writes.
func (s *Store) Put(ctx context.Context, key string, value []byte) error {
	if !s.begin() {
		return ErrClosed
	}
	defer s.inFlight.Done()
	return s.client.Set(ctx, key, value)
}

// SetAside keeps the unusable bytes raw of key under aside and stores
// replacement under key, in one Batch: either both happen or neither, so
// the bytes are never overwritten before they were kept.
func (s *Store) SetAside(ctx context.Context, key, aside string, raw []byte, replacement *State) error {
	b, err := Marshal(replacement)
	if err != nil {
		return err
	}
	if !s.begin() {
		return ErrClosed
	}
	defer s.inFlight.Done()
	return s.client.Batch(ctx, storage.SetOperation(aside, raw), storage.SetOperation(key, b))
}

// Close seals the store, waits for the operations in flight (at most until
// ctx ends) and closes the storage client. When ctx ends first, the client
// is left open (closing it under an operation is not safe) and the error
// says so.
func (s *Store) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	idle := make(chan struct{})
	go func() {
		s.inFlight.Wait()
		close(idle)
	}()
	select {
	case <-idle:
	case <-ctx.Done():
		return fmt.Errorf("closing the storage client: an operation is still in flight: %w", ctx.Err())
	}
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
