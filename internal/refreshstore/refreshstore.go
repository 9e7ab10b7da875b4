// Package refreshstore keeps the OAuth 2.0 refresh token a server rotates
// in the receiver's storage extension, beside the cursors, so that a
// restart presents the live token rather than the configured one the server
// has retired.
//
// The record says which configured token it descends from (a SHA-256 of
// it): when the operator sets another refresh_token, the configured one
// wins; otherwise the stored one does. The token is encrypted at rest with
// AES-256-GCM under a key derived (HKDF-SHA256) from a secret the operator
// controls (token_encryption_key, else client_secret); a public client with
// neither stores it as plainly as the cursors, and the receiver warns so.
package refreshstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"go.uber.org/zap"
)

// Key is the storage key of the record: not a stream's ("cursor/...").
const Key = "oauth2/refresh_token"

// Encryption names, as stored.
const (
	EncryptionAESGCM = "aes-256-gcm"
	EncryptionNone   = "none"
)

const (
	recordVersion = 1
	// hkdfInfo separates this key from any other use of the same secret.
	hkdfInfo = "otelcol-api-logs oauth2 refresh token v1"
)

// Bytes is the storage: the receiver's cursor store.
type Bytes interface {
	Load(ctx context.Context, key string) ([]byte, error)
	Put(ctx context.Context, key string, value []byte) error
}

// Config builds a Store.
type Config struct {
	Storage Bytes
	// Configured is the receiver's refresh_token.
	Configured string
	// Secret keys the encryption (token_encryption_key, else
	// client_secret); "" stores the token unencrypted.
	Secret string
	// Logger is redacted by the caller; nothing here logs a token.
	Logger *zap.Logger
	// SaveFailed counts a failed write (a metric); may be nil.
	SaveFailed func()
}

// Store implements httpclient.RefreshTokenStore.
type Store struct {
	cfg        Config
	aead       cipher.AEAD // nil: unencrypted
	configured string      // hex SHA-256 of the configured token
}

// record is the stored JSON.
type record struct {
	Version          int    `json:"version"`
	ConfiguredSHA256 string `json:"configured_sha256"`
	Encryption       string `json:"encryption"`
	// Token is base64(nonce, sealed token) when encrypted, else the token.
	Token string `json:"token"`
}

// New builds a Store.
func New(cfg Config) (*Store, error) {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	sum := sha256.Sum256([]byte(cfg.Configured))
	s := &Store{cfg: cfg, configured: hex.EncodeToString(sum[:])}
	if cfg.Secret != "" {
		key, err := hkdf.Key(sha256.New, []byte(cfg.Secret), nil, hkdfInfo, 32)
		if err != nil {
			return nil, fmt.Errorf("refresh token encryption key: %w", err)
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("refresh token encryption key: %w", err)
		}
		if s.aead, err = cipher.NewGCM(block); err != nil {
			return nil, fmt.Errorf("refresh token encryption key: %w", err)
		}
	}
	return s, nil
}

// Encrypted tells whether tokens are stored encrypted.
func (s *Store) Encrypted() bool { return s.aead != nil }

// Load returns the stored token when it descends from the configured one
// and can be read; "" (the configured one is used) otherwise, with a log
// line saying why. Only a storage failure is an error.
func (s *Store) Load(ctx context.Context) (string, error) {
	raw, err := s.cfg.Storage.Load(ctx, Key)
	if err != nil || raw == nil {
		return "", err
	}
	log := s.cfg.Logger
	var rec record
	if json.Unmarshal(raw, &rec) != nil || rec.Version != recordVersion {
		log.Warn("The stored refresh token record is unreadable; using the configured refresh_token", zap.String("key", Key))
		return "", nil
	}
	if rec.ConfiguredSHA256 != s.configured {
		log.Info("refresh_token was changed in the configuration since a rotated token was stored; using the configured one")
		return "", nil
	}
	tok := rec.Token
	switch rec.Encryption {
	case EncryptionNone:
	case EncryptionAESGCM:
		if s.aead == nil {
			log.Warn("The stored refresh token is encrypted but neither token_encryption_key nor client_secret is set now; using the configured refresh_token, which the server may have retired")
			return "", nil
		}
		if tok, err = s.open(rec.Token); err != nil {
			log.Warn("The stored refresh token cannot be decrypted (token_encryption_key or client_secret changed since it was stored); using the configured refresh_token, which the server may have retired")
			return "", nil
		}
	default:
		log.Warn("The stored refresh token record has an unknown encryption; using the configured refresh_token", zap.String("encryption", rec.Encryption))
		return "", nil
	}
	if tok == "" {
		return "", nil
	}
	log.Info("Using the rotated refresh token from the storage extension", zap.Bool("encrypted", rec.Encryption == EncryptionAESGCM))
	return tok, nil
}

// Save stores a rotated token, encrypted when a secret is set. The error
// never quotes it.
func (s *Store) Save(ctx context.Context, token string) error {
	rec := record{Version: recordVersion, ConfiguredSHA256: s.configured, Encryption: EncryptionNone, Token: token}
	if s.aead != nil {
		sealed, err := s.seal(token)
		if err != nil {
			return err
		}
		rec.Encryption, rec.Token = EncryptionAESGCM, sealed
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return errors.New("encoding the refresh token record")
	}
	if err := s.cfg.Storage.Put(ctx, Key, b); err != nil {
		return fmt.Errorf("writing the rotated refresh token to the storage extension: %w", err)
	}
	return nil
}

// SaveFailed warns and counts; httpclient keeps the token in memory and
// retries the write.
func (s *Store) SaveFailed(err error) {
	s.cfg.Logger.Warn("Could not store the rotated refresh token: it is kept in memory and the write is retried; "+
		"a restart before a write succeeds presents a token the server has retired", zap.Error(err))
	if s.cfg.SaveFailed != nil {
		s.cfg.SaveFailed()
	}
}

// seal encrypts with a random nonce; the configured token's hash is the
// additional data, binding the ciphertext to its record.
func (s *Store) seal(token string) (string, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("refresh token encryption: %w", err)
	}
	out := s.aead.Seal(nonce, nonce, []byte(token), []byte(s.configured))
	return base64.StdEncoding.EncodeToString(out), nil
}

func (s *Store) open(sealed string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("malformed ciphertext")
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, b[:n], b[n:], []byte(s.configured))
	if err != nil {
		return "", err
	}
	return string(plain), nil
}
