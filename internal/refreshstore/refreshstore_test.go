package refreshstore

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

const (
	configured = "rt-configured-6f2a9c41"
	rotated    = "rt-rotated-1d7e5b38"
	secret     = "client-secret-0a9b8c7d"
)

type memBytes struct {
	mu      sync.Mutex
	data    map[string][]byte
	failPut error
	failGet error
}

func (m *memBytes) Load(_ context.Context, key string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.data[key], m.failGet
}

func (m *memBytes) Put(_ context.Context, key string, value []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failPut != nil {
		return m.failPut
	}
	m.data[key] = append([]byte(nil), value...)
	return nil
}

func newStore(t *testing.T, b *memBytes, conf, key string) (*Store, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	s, err := New(Config{Storage: b, Configured: conf, Secret: key, Logger: zap.New(core)})
	require.NoError(t, err)
	return s, logs
}

// Encrypted at rest: the stored bytes hold neither the token nor the
// configured one, only the configured one's SHA-256; the same secret reads
// it back, another does not (the configured token is used, with a warning).
func TestEncryptedRoundTrip(t *testing.T) {
	b := &memBytes{data: map[string][]byte{}}
	s, _ := newStore(t, b, configured, secret)
	require.True(t, s.Encrypted())
	require.NoError(t, s.Save(context.Background(), rotated))
	raw := string(b.data[Key])
	assert.NotContains(t, raw, rotated)
	assert.NotContains(t, raw, configured)
	assert.Contains(t, raw, `"encryption":"aes-256-gcm"`)
	assert.Contains(t, raw, `"configured_sha256":"`)

	again, logs := newStore(t, b, configured, secret)
	got, err := again.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, rotated, got)
	assert.Equal(t, 1, logs.FilterMessage("Using the rotated refresh token from the storage extension").Len())

	other, logs := newStore(t, b, configured, "another-secret-55aa")
	got, err = other.Load(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, 1, logs.FilterMessageSnippet("cannot be decrypted").Len())

	none, logs := newStore(t, b, configured, "")
	got, err = none.Load(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, 1, logs.FilterMessageSnippet("is encrypted but neither token_encryption_key nor client_secret").Len())
}

// Without a secret the token is stored as is, and says so.
func TestPlainRoundTrip(t *testing.T) {
	b := &memBytes{data: map[string][]byte{}}
	s, _ := newStore(t, b, configured, "")
	require.False(t, s.Encrypted())
	require.NoError(t, s.Save(context.Background(), rotated))
	var rec record
	require.NoError(t, json.Unmarshal(b.data[Key], &rec))
	assert.Equal(t, EncryptionNone, rec.Encryption)
	assert.Equal(t, rotated, rec.Token)
	got, err := s.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, rotated, got)
	// A plain record stays readable once a secret is set (the next write encrypts).
	enc, _ := newStore(t, b, configured, secret)
	got, err = enc.Load(context.Background())
	require.NoError(t, err)
	assert.Equal(t, rotated, got)
}

// The operator pasted a new refresh_token: it wins over the stored one,
// which descends from the old configured one.
func TestChangedConfiguredTokenWins(t *testing.T) {
	b := &memBytes{data: map[string][]byte{}}
	s, _ := newStore(t, b, configured, secret)
	require.NoError(t, s.Save(context.Background(), rotated))
	pasted, logs := newStore(t, b, "rt-pasted-by-operator-3c3c", secret)
	got, err := pasted.Load(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, 1, logs.FilterMessageSnippet("refresh_token was changed in the configuration").Len())

	// Unencrypted, where no additional data binds the record: the hash alone decides.
	plain, _ := newStore(t, b, configured, "")
	require.NoError(t, plain.Save(context.Background(), rotated))
	pastedPlain, _ := newStore(t, b, "rt-pasted-by-operator-3c3c", "")
	got, err = pastedPlain.Load(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)
}

// Nothing stored, an unreadable record, a storage error: the configured
// token (""), and an error only for the storage.
func TestLoadEdgeCases(t *testing.T) {
	b := &memBytes{data: map[string][]byte{}}
	s, logs := newStore(t, b, configured, secret)
	got, err := s.Load(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Zero(t, logs.Len())

	b.data[Key] = []byte("{not json")
	got, err = s.Load(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, 1, logs.FilterMessageSnippet("unreadable").Len())

	b.data[Key] = []byte(`{"version":2,"token":"x"}`)
	got, err = s.Load(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, 2, logs.FilterMessageSnippet("unreadable").Len())

	b.failGet = errors.New("disk gone")
	_, err = s.Load(context.Background())
	require.EqualError(t, err, "disk gone")
}

// A failed write: an error without the token, then SaveFailed warns (no
// token) and counts.
func TestSaveFailure(t *testing.T) {
	b := &memBytes{data: map[string][]byte{}, failPut: errors.New("disk full")}
	core, logs := observer.New(zapcore.DebugLevel)
	count := 0
	s, err := New(Config{Storage: b, Configured: configured, Secret: secret, Logger: zap.New(core), SaveFailed: func() { count++ }})
	require.NoError(t, err)
	err = s.Save(context.Background(), rotated)
	require.EqualError(t, err, "writing the rotated refresh token to the storage extension: disk full")
	s.SaveFailed(err)
	assert.Equal(t, 1, count)
	require.Equal(t, 1, logs.Len())
	entry := logs.All()[0]
	assert.Equal(t, zapcore.WarnLevel, entry.Level)
	for _, text := range []string{entry.Message, err.Error()} {
		assert.False(t, strings.Contains(text, rotated) || strings.Contains(text, configured), text)
	}
}
