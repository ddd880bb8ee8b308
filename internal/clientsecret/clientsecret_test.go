package clientsecret_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/clientsecret"
)

var serverSecret = []byte("0123456789abcdef0123456789abcdef") // 32 bytes

func newHasher(t testing.TB, secret []byte) *clientsecret.Hasher {
	t.Helper()
	h, err := clientsecret.NewHasher(secret)
	if err != nil {
		t.Fatalf("NewHasher: %v", err)
	}
	return h
}

func TestGenerate(t *testing.T) {
	const n = 2000
	seen := make(map[string]bool, n)
	var ones, bits int
	for range n {
		s, err := clientsecret.Generate()
		if err != nil {
			t.Fatalf("Generate: %v", err)
		}
		if len(s) != 43 {
			t.Fatalf("Generate() = %q: %d chars, want 43 (32 bytes, unpadded base64url)", s, len(s))
		}
		if strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
			t.Fatalf("Generate() = %q: not URL-safe", s)
		}
		raw, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil || len(raw) != clientsecret.GeneratedBytes {
			t.Fatalf("Generate() = %q decodes to %d bytes (err %v), want 32", s, len(raw), err)
		}
		if seen[s] {
			t.Fatalf("Generate() repeated %q", s)
		}
		seen[s] = true
		for _, b := range raw {
			for i := range 8 {
				ones += int(b >> i & 1)
			}
			bits += 8
		}
	}
	// 512,000 fair bits: the share of ones is 0.5 ± 0.0007 (1σ); 0.49…0.51 is
	// ~14σ, so only a broken generator fails.
	if share := float64(ones) / float64(bits); share < 0.49 || share > 0.51 {
		t.Errorf("share of one bits %.4f, want about 0.5", share)
	}
}

func TestHashString(t *testing.T) {
	h := newHasher(t, serverSecret)
	hash := h.HashString("s3cret-s3cret-s3cret-s3cret-s3cret")
	mac, ok := strings.CutPrefix(hash, "hmac-sha256$")
	if !ok {
		t.Fatalf("HashString = %q, want prefix hmac-sha256$", hash)
	}
	raw, err := base64.RawStdEncoding.DecodeString(mac)
	if err != nil || len(raw) != 32 {
		t.Errorf("HashString MAC %q decodes to %d bytes (err %v), want 32", mac, len(raw), err)
	}
	if strings.Contains(hash, "s3cret") {
		t.Error("hash contains the secret")
	}
	if again := h.HashString("s3cret-s3cret-s3cret-s3cret-s3cret"); again != hash {
		t.Errorf("HashString not deterministic: %q then %q", hash, again)
	}
	if other := h.HashString("s3cret-s3cret-s3cret-s3cret-s3creT"); other == hash {
		t.Error("two secrets hash alike")
	}
	fh, err := h.Hash(context.Background(), []byte("s3cret-s3cret-s3cret-s3cret-s3cret"))
	if err != nil || string(fh) != hash {
		t.Errorf("Hash = %q, %v; want HashString's %q", fh, err, hash)
	}
}

func TestServerSecretKeysTheHash(t *testing.T) {
	a := newHasher(t, serverSecret)
	other := bytes.Clone(serverSecret)
	other[0] ^= 1
	b := newHasher(t, other)
	const s = "the-same-client-secret-in-both-places"
	if a.HashString(s) == b.HashString(s) {
		t.Fatal("different server secrets give the same hash")
	}
	if err := b.Compare(context.Background(), []byte(a.HashString(s)), []byte(s)); err == nil {
		t.Error("a hash made under one server secret verifies under another")
	}
	if newHasher(t, serverSecret).HashString(s) != a.HashString(s) {
		t.Error("the same server secret gives different hashes")
	}
}

func TestCompare(t *testing.T) {
	h := newHasher(t, serverSecret)
	const secret = "correct-client-secret-0123456789ab"
	good := h.HashString(secret)
	mac := strings.TrimPrefix(good, "hmac-sha256$")
	tests := []struct {
		name    string
		hash    string
		data    string
		wantErr string // empty: ok
	}{
		{name: "match", hash: good, data: secret},
		{name: "mismatch", hash: good, data: secret + "x", wantErr: "mismatch"},
		{name: "empty secret", hash: good, data: "", wantErr: "mismatch"},
		{name: "prefix of secret", hash: good, data: secret[:len(secret)-1], wantErr: "mismatch"},
		{name: "bcrypt hash", hash: "$2a$10$abcdefghijklmnopqrstuuGdkqvnRyJ4b0vQZyq4OPxW6AkmlgNdW", data: secret, wantErr: "unknown hash format"},
		{name: "plain secret as hash", hash: secret, data: secret, wantErr: "unknown hash format"},
		{name: "empty hash", hash: "", data: "", wantErr: "unknown hash format"},
		{name: "prefix in other case", hash: "HMAC-SHA256$" + mac, data: secret, wantErr: "unknown hash format"},
		{name: "malformed base64", hash: "hmac-sha256$!!!not-base64!!!", data: secret, wantErr: "malformed"},
		{name: "padded base64", hash: good + "=", data: secret, wantErr: "malformed"},
		{name: "truncated MAC", hash: good[:len(good)-4], data: secret, wantErr: "mismatch"},
		{name: "empty MAC", hash: "hmac-sha256$", data: "", wantErr: "mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.Compare(context.Background(), []byte(tt.hash), []byte(tt.data))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Compare: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Compare = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestNewHasher(t *testing.T) {
	tests := []struct {
		name   string
		secret []byte
		ok     bool
	}{
		{name: "nil", secret: nil},
		{name: "31 bytes", secret: serverSecret[:31]},
		{name: "32 bytes", secret: serverSecret, ok: true},
		{name: "64 bytes", secret: append(bytes.Clone(serverSecret), serverSecret...), ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := clientsecret.NewHasher(tt.secret)
			if tt.ok != (err == nil) || tt.ok != (h != nil) {
				t.Errorf("NewHasher(%d bytes) = %v, %v; want ok=%v", len(tt.secret), h, err, tt.ok)
			}
		})
	}
}

func BenchmarkCompare(b *testing.B) {
	h := newHasher(b, serverSecret)
	secret, err := clientsecret.Generate()
	if err != nil {
		b.Fatal(err)
	}
	hash, data := []byte(h.HashString(secret)), []byte(secret)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := h.Compare(ctx, hash, data); err != nil {
			b.Fatal(err)
		}
	}
}
