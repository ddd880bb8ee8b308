package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Sealer encrypts private keys at rest with AES-256-GCM under a key derived
// (HKDF-SHA256) from the server secret, so a database dump alone reveals no
// private key.
type Sealer struct {
	aead cipher.AEAD
}

const sealVersion = 1

// NewSealer derives the sealing key from secret.
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) < 32 {
		return nil, errors.New("keys: the server secret must be at least 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "gatehouse signing-key seal v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext, binding it to kid so sealed blobs cannot be swapped between rows.
func (s *Sealer) Seal(kid string, plaintext []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte{sealVersion}, nonce...)
	return s.aead.Seal(out, nonce, plaintext, []byte(kid)), nil
}

// Open decrypts what Seal produced for kid.
func (s *Sealer) Open(kid string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n || sealed[0] != sealVersion {
		return nil, fmt.Errorf("key %s: unknown seal format", kid)
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], []byte(kid))
	if err != nil {
		return nil, fmt.Errorf("key %s: cannot unseal (was GATEHOUSE_SECRET changed?): %w", kid, err)
	}
	return plain, nil
}
