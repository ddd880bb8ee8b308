// Package identity owns the people who sign in: password hashing with
// argon2id and the bootstrap of the first administrator.
package identity

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/alexedwards/argon2id"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// passwordParams are OWASP's argon2id minimum (19 MiB, 2 passes), sized so a
// login costs tens of milliseconds on one core.
var passwordParams = &argon2id.Params{
	Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32,
}

// hashing admits one argon2id computation per core at a time. Each holds
// 19 MiB while it runs, and with more of them than cores they only wait for
// CPU while holding memory: a burst of sign-ins would grow the heap by
// 19 MiB per concurrent attempt (eight browsers took the server from about
// 60 to about 350 MiB), and a flood of them could exhaust memory.
// Waiting here instead keeps the throughput (the work is CPU-bound) and
// bounds the memory.
var hashing = make(chan struct{}, runtime.GOMAXPROCS(0))

func withHashSlot[T any](fn func() (T, error)) (T, error) {
	hashing <- struct{}{}
	defer func() { <-hashing }()
	return fn()
}

// HashPassword returns the PHC-formatted argon2id hash of password.
func HashPassword(password string) (string, error) {
	return withHashSlot(func() (string, error) { return argon2id.CreateHash(password, passwordParams) })
}

// CheckPassword reports whether password matches hash.
func CheckPassword(password, hash string) (bool, error) {
	return withHashSlot(func() (bool, error) { return argon2id.ComparePasswordAndHash(password, hash) })
}

// BootstrapStore is what the bootstrap needs.
type BootstrapStore interface {
	store.Users
	store.Roles
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// AdminUsername is the first administrator's name.
const AdminUsername = "admin"

// ErrAlreadyBootstrapped means users exist already; nothing was created.
var ErrAlreadyBootstrapped = errors.New("identity: users exist already")

// Bootstrap creates user "admin" in role Administration when the database
// has no user yet, in one transaction. With several replicas starting at
// once, the unique username lets exactly one win; the others get
// ErrAlreadyBootstrapped.
func Bootstrap(ctx context.Context, st BootstrapStore, password string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	err = st.InTx(ctx, func(ctx context.Context) error {
		n, err := st.CountUsers(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrAlreadyBootstrapped
		}
		if err := st.CreateUser(ctx, &store.User{
			ID: clients.NewID(), Username: AdminUsername, Name: "Administrator",
			PasswordHash: hash, Enabled: true,
		}); err != nil {
			return err
		}
		return st.AddRoleMember(ctx, store.AdministrationRole, AdminUsername)
	})
	if errors.Is(err, store.ErrConflict) {
		return ErrAlreadyBootstrapped
	}
	if err != nil && !errors.Is(err, ErrAlreadyBootstrapped) {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	return err
}
