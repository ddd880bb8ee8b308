package keys_test

import (
	"bytes"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/keys"
)

var (
	secretA = []byte("first-server-secret-0123456789ab") // 32 bytes
	secretB = []byte("second-server-secret-0123456789a") // 32 bytes
)

func newSealer(t *testing.T, secret []byte) *keys.Sealer {
	t.Helper()
	s, err := keys.NewSealer(secret)
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

func TestSealRoundTrip(t *testing.T) {
	s := newSealer(t, secretA)
	for _, plain := range [][]byte{[]byte("private key material, PKCS#8 DER in real life"), {}, bytes.Repeat([]byte{0}, 4096)} {
		sealed, err := s.Seal("kid-1", plain)
		if err != nil {
			t.Fatalf("Seal: %v", err)
		}
		if len(plain) > 8 && bytes.Contains(sealed, plain[:8]) {
			t.Error("sealed blob contains the plaintext")
		}
		got, err := s.Open("kid-1", sealed)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		if !bytes.Equal(got, plain) {
			t.Errorf("Open(Seal(%q)) = %q", plain, got)
		}
		// A fresh Sealer from the same secret (another replica, a restart) opens it too.
		if got, err := newSealer(t, secretA).Open("kid-1", sealed); err != nil || !bytes.Equal(got, plain) {
			t.Errorf("another Sealer with the same secret: %q, %v", got, err)
		}
	}
}

func TestSealIsRandomized(t *testing.T) {
	s := newSealer(t, secretA)
	a, err := s.Seal("k", []byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Seal("k", []byte("same"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, b) {
		t.Error("two seals of the same plaintext are identical: nonce reused")
	}
}

func TestOpenRefuses(t *testing.T) {
	s := newSealer(t, secretA)
	plain := []byte("-----PRIVATE-----")
	sealed, err := s.Seal("kid-1", plain)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name   string
		sealer *keys.Sealer
		kid    string
		blob   []byte
	}{
		{name: "wrong kid", sealer: s, kid: "kid-2", blob: sealed},
		{name: "wrong secret", sealer: newSealer(t, secretB), kid: "kid-1", blob: sealed},
		{name: "tampered version byte", sealer: s, kid: "kid-1", blob: flip(0)},
		{name: "tampered nonce", sealer: s, kid: "kid-1", blob: flip(1)},
		{name: "tampered ciphertext", sealer: s, kid: "kid-1", blob: flip(1 + 12 + 2)},
		{name: "tampered tag", sealer: s, kid: "kid-1", blob: flip(len(sealed) - 1)},
		{name: "truncated", sealer: s, kid: "kid-1", blob: sealed[:len(sealed)-1]},
		{name: "shorter than a nonce", sealer: s, kid: "kid-1", blob: sealed[:5]},
		{name: "empty", sealer: s, kid: "kid-1", blob: nil},
		{name: "appended byte", sealer: s, kid: "kid-1", blob: append(bytes.Clone(sealed), 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.Open(tt.kid, tt.blob)
			if err == nil {
				t.Fatalf("Open succeeded with %q", got)
			}
			if !bytes.Contains([]byte(err.Error()), []byte(tt.kid)) {
				t.Errorf("error %q does not name the key %s", err, tt.kid)
			}
		})
	}
}

func TestNewSealerRefusesShortSecret(t *testing.T) {
	for _, n := range []int{0, 16, 31} {
		if _, err := keys.NewSealer(bytes.Repeat([]byte("x"), n)); err == nil {
			t.Errorf("NewSealer accepted a %d-byte secret", n)
		}
	}
}
