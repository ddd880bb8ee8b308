package keys

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Algorithms Gatehouse signs with.
const (
	RS256 = "RS256" // ID tokens (OIDC requires it to be available)
	ES256 = "ES256" // access tokens by default: 13× cheaper to sign than RS256
)

// ErrNoKey means no usable key exists for the algorithm or kid.
var ErrNoKey = errors.New("keys: no such signing key")

// Key is one parsed signing key.
type Key struct {
	KID         string
	Algorithm   string
	Private     crypto.Signer
	Public      jose.JSONWebKey
	CreatedAt   time.Time
	ActivatesAt time.Time
	// RetiresAt is when its successor took over (zero while it is newest);
	// the key stays published until RetiresAt + retention.
	RetiresAt time.Time
}

// State names where a key is in its life at an instant.
func (k *Key) State(now time.Time, retention time.Duration) string {
	switch {
	case now.Before(k.ActivatesAt):
		return "next"
	case k.RetiresAt.IsZero() || now.Before(k.RetiresAt):
		return "active"
	case now.Before(k.RetiresAt.Add(retention)):
		return "retired"
	default:
		return "expired"
	}
}

// Manager generates, loads and rotates keys. Its in-memory view is reloaded
// from the database every Refresh, which is how a rotation on one replica
// reaches the others.
type Manager struct {
	Store  store.SigningKeys
	Sealer *Sealer
	Now    func() time.Time
	// PublishAhead is how long a rotated-in key is published before it signs.
	PublishAhead time.Duration
	// Retention keeps a retired key published; it must cover the longest
	// lifetime of anything the key signed.
	Retention time.Duration
	// Refresh bounds how stale this replica's view of the keys may be.
	Refresh time.Duration

	reloading sync.Mutex
	set       atomic.Pointer[keySet]
}

type keySet struct {
	loadedAt time.Time
	keys     []*Key // ordered by ActivatesAt
	byKID    map[string]*Key
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// Ensure creates an immediately active key for every algorithm that has none
// (first start), then loads the set.
func (m *Manager) Ensure(ctx context.Context, algs ...string) error {
	stored, err := m.Store.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, k := range stored {
		have[k.Algorithm] = true
	}
	for _, alg := range algs {
		if have[alg] {
			continue
		}
		if _, err := m.create(ctx, alg, m.now()); err != nil {
			return err
		}
	}
	return m.reload(ctx)
}

// Rotate adds a key for alg that is published now and signs after
// PublishAhead; the current key retires then.
func (m *Manager) Rotate(ctx context.Context, alg string) (*Key, error) {
	k, err := m.create(ctx, alg, m.now().Add(m.PublishAhead))
	if err != nil {
		return nil, err
	}
	return k, m.reload(ctx)
}

func (m *Manager) create(ctx context.Context, alg string, activates time.Time) (*Key, error) {
	priv, err := generate(alg)
	if err != nil {
		return nil, err
	}
	pub := jose.JSONWebKey{Key: priv.Public(), Algorithm: alg, Use: "sig"}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, err
	}
	pub.KeyID = base64.RawURLEncoding.EncodeToString(thumb)
	pubJSON, err := pub.MarshalJSON()
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	sealed, err := m.Sealer.Seal(pub.KeyID, der)
	if err != nil {
		return nil, err
	}
	now := m.now()
	if err := m.Store.CreateSigningKey(ctx, &store.SigningKey{
		KID: pub.KeyID, Algorithm: alg, PublicJWK: pubJSON, PrivateSeal: sealed,
		CreatedAt: now, ActivatesAt: activates.UTC(),
	}); err != nil {
		return nil, err
	}
	return &Key{KID: pub.KeyID, Algorithm: alg, Private: priv, Public: pub, CreatedAt: now, ActivatesAt: activates.UTC()}, nil
}

func generate(alg string) (crypto.Signer, error) {
	switch alg {
	case RS256:
		return rsa.GenerateKey(rand.Reader, 2048)
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	return nil, fmt.Errorf("keys: unsupported algorithm %q", alg)
}

// reload reads every key, reusing already parsed ones.
func (m *Manager) reload(ctx context.Context) error {
	m.reloading.Lock()
	defer m.reloading.Unlock()
	return m.reloadLocked(ctx)
}

func (m *Manager) reloadLocked(ctx context.Context) error {
	stored, err := m.Store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("load signing keys: %w", err)
	}
	old := m.set.Load()
	next := &keySet{loadedAt: m.now(), byKID: make(map[string]*Key, len(stored))}
	for _, sk := range stored {
		var k *Key
		if old != nil && old.byKID[sk.KID] != nil {
			cp := *old.byKID[sk.KID]
			k = &cp
		} else if k, err = m.parse(sk); err != nil {
			return err
		}
		k.RetiresAt = time.Time{}
		next.keys = append(next.keys, k)
		next.byKID[k.KID] = k
	}
	sort.SliceStable(next.keys, func(i, j int) bool { return next.keys[i].ActivatesAt.Before(next.keys[j].ActivatesAt) })
	// A key retires when the next key of its algorithm activates.
	for i, k := range next.keys {
		for _, later := range next.keys[i+1:] {
			if later.Algorithm == k.Algorithm {
				k.RetiresAt = later.ActivatesAt
				break
			}
		}
	}
	m.set.Store(next)
	return nil
}

func (m *Manager) parse(sk store.SigningKey) (*Key, error) {
	der, err := m.Sealer.Open(sk.KID, sk.PrivateSeal)
	if err != nil {
		return nil, err
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", sk.KID, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("key %s: not a signing key", sk.KID)
	}
	var pub jose.JSONWebKey
	if err := pub.UnmarshalJSON(sk.PublicJWK); err != nil {
		return nil, fmt.Errorf("key %s: public JWK: %w", sk.KID, err)
	}
	return &Key{
		KID: sk.KID, Algorithm: sk.Algorithm, Private: signer, Public: pub,
		CreatedAt: sk.CreatedAt, ActivatesAt: sk.ActivatesAt,
	}, nil
}

// current returns the loaded set, reloading it when older than Refresh. If
// another request is already reloading, the current set serves meanwhile.
func (m *Manager) current(ctx context.Context, force bool) (*keySet, error) {
	set := m.set.Load()
	maxAge := m.Refresh
	if force {
		maxAge = time.Second // a miss may mean a new key; bounded so a forged kid cannot hammer the DB
	}
	if set != nil && m.now().Sub(set.loadedAt) < maxAge {
		return set, nil
	}
	if set != nil && !m.reloading.TryLock() {
		return set, nil
	}
	if set == nil {
		m.reloading.Lock()
	}
	err := m.reloadLocked(ctx)
	m.reloading.Unlock()
	if err != nil && set == nil {
		return nil, err
	}
	if fresh := m.set.Load(); fresh != nil {
		return fresh, nil
	}
	return set, err
}

// Signing returns the key that signs for alg now.
func (m *Manager) Signing(ctx context.Context, alg string) (*Key, error) {
	set, err := m.current(ctx, false)
	if err != nil {
		return nil, err
	}
	now := m.now()
	for i := len(set.keys) - 1; i >= 0; i-- {
		if k := set.keys[i]; k.Algorithm == alg && !now.Before(k.ActivatesAt) {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w for %s", ErrNoKey, alg)
}

// Verification returns the published key with this kid.
func (m *Manager) Verification(ctx context.Context, kid string) (*Key, error) {
	for _, force := range []bool{false, true} {
		set, err := m.current(ctx, force)
		if err != nil {
			return nil, err
		}
		if k := set.byKID[kid]; k != nil && k.State(m.now(), m.Retention) != "expired" {
			return k, nil
		}
	}
	return nil, fmt.Errorf("%w: kid %q", ErrNoKey, kid)
}

// RotateDue rotates every algorithm of algs whose newest key (active or
// next) was created at least period ago, and returns how many it rotated.
// Reading the keys fresh from the database makes a second runner see the
// first one's rotation and do nothing.
func (m *Manager) RotateDue(ctx context.Context, period time.Duration, algs ...string) (int, error) {
	if err := m.reload(ctx); err != nil {
		return 0, err
	}
	newest := map[string]time.Time{}
	for _, k := range m.set.Load().keys {
		if k.CreatedAt.After(newest[k.Algorithm]) {
			newest[k.Algorithm] = k.CreatedAt
		}
	}
	n := 0
	for _, alg := range algs {
		if created, ok := newest[alg]; ok && m.now().Sub(created) < period {
			continue
		}
		if _, err := m.Rotate(ctx, alg); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// All returns every stored key with its state, for `gatehouse keys list`.
func (m *Manager) All(ctx context.Context) ([]*Key, error) {
	if err := m.reload(ctx); err != nil {
		return nil, err
	}
	return m.set.Load().keys, nil
}

// JWKS is the public key set: every key that is next, active or retired.
func (m *Manager) JWKS(ctx context.Context) (*jose.JSONWebKeySet, error) {
	set, err := m.current(ctx, false)
	if err != nil {
		return nil, err
	}
	now := m.now()
	out := &jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for i := len(set.keys) - 1; i >= 0; i-- { // newest first
		if k := set.keys[i]; k.State(now, m.Retention) != "expired" {
			out.Keys = append(out.Keys, k.Public)
		}
	}
	return out, nil
}
