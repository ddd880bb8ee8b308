// Package clientsecret generates client secrets and verifies them.
//
// Secrets are stored as HMAC-SHA256 under a key derived from
// GATEHOUSE_SECRET, never in clear and never with a slow password hash:
// a generated secret carries 256 bits of entropy, so no attacker can guess
// it whatever the hash speed, and the keyed hash means a stolen database
// alone does not even allow offline guessing of a weaker supplied secret.
// One verification costs about a microsecond, so it never limits the token
// endpoint (docs/security.md explains the trade-off against bcrypt).
package clientsecret

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/ory/fosite"
)

// GeneratedBytes is the entropy of a generated secret: 256 bits.
const GeneratedBytes = 32

// MinSuppliedLength is the shortest secret a caller may choose (SPEC §4).
const MinSuppliedLength = 32

const prefix = "hmac-sha256$"

// Hasher hashes and compares client secrets; it implements
// fosite.ClientSecretsHasher so fosite's client authentication uses it.
type Hasher struct {
	key []byte
}

var _ fosite.Hasher = (*Hasher)(nil)

// NewHasher derives the hashing key from the server secret.
func NewHasher(serverSecret []byte) (*Hasher, error) {
	if len(serverSecret) < 32 {
		return nil, errors.New("clientsecret: the server secret must be at least 32 bytes")
	}
	key, err := hkdf.Key(sha256.New, serverSecret, nil, "gatehouse client-secret hash v1", 32)
	if err != nil {
		return nil, err
	}
	return &Hasher{key: key}, nil
}

// Generate returns a new random secret, URL-safe so it survives Basic auth
// (whose credentials fosite URL-unescapes) unchanged.
func Generate() (string, error) {
	b := make([]byte, GeneratedBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (h *Hasher) mac(secret []byte) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write(secret)
	return m.Sum(nil)
}

// HashString returns the stored form of secret.
func (h *Hasher) HashString(secret string) string {
	return prefix + base64.RawStdEncoding.EncodeToString(h.mac([]byte(secret)))
}

// Hash implements fosite.Hasher.
func (h *Hasher) Hash(_ context.Context, data []byte) ([]byte, error) {
	return []byte(h.HashString(string(data))), nil
}

// Compare implements fosite.Hasher in constant time.
func (h *Hasher) Compare(_ context.Context, hash, data []byte) error {
	stored, ok := strings.CutPrefix(string(hash), prefix)
	if !ok {
		return errors.New("clientsecret: unknown hash format")
	}
	want, err := base64.RawStdEncoding.DecodeString(stored)
	if err != nil {
		return errors.New("clientsecret: malformed hash")
	}
	if !hmac.Equal(want, h.mac(data)) {
		return errors.New("clientsecret: mismatch")
	}
	return nil
}
