package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gatehouse-dev/gatehouse/internal/clientsecret"
	"github.com/gatehouse-dev/gatehouse/internal/config"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
)

// Bootstrap creates the first administrator on an empty database (SPEC §1):
// with the configured password, or in --dev with a random one written once
// to w. Outside --dev without a password it creates nobody and says so.
func Bootstrap(ctx context.Context, a *App, cfg *config.Config, w io.Writer) error {
	n, err := a.Store.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	password := cfg.BootstrapAdminPassword
	generated := false
	if password == "" {
		if !cfg.Dev {
			a.Log.Warn("no users exist and no bootstrap password is set: set " +
				config.EnvName("bootstrap_admin_password") + " to create user admin")
			return nil
		}
		if password, err = clientsecret.Generate(); err != nil {
			return err
		}
		generated = true
	}
	err = identity.Bootstrap(ctx, a.Store, password)
	if errors.Is(err, identity.ErrAlreadyBootstrapped) {
		return nil
	}
	if err != nil {
		return err
	}
	a.Log.Info("bootstrap administrator created", "username", identity.AdminUsername)
	if generated {
		fmt.Fprintf(w, "\n  Bootstrap administrator (shown once):\n    username: %s\n    password: %s\n\n",
			identity.AdminUsername, password)
	}
	return nil
}
