package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/admin"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/pkg/adminapi"
)

var userFlags = map[string]string{"username": "username", "email": "email", "name": "name", "password": "password-stdin or --password"}

func newUsersCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Manage the people who sign in"}
	cmd.AddCommand(newUsersCreateCmd(env), newUsersListCmd(env))
	return cmd
}

func newUsersCreateCmd(env *Env) *cobra.Command {
	var (
		username, email, name, password string
		passwordStdin                   bool
		out                             output
	)
	cmd := &cobra.Command{
		Use:     "create",
		Short:   "Add a user; the password is best given on standard input",
		Example: "  printf '%s' \"$PASSWORD\" | gatehouse users create --username alice --email alice@example.com --password-stdin",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			f := cmd.Flags()
			p := identity.UserPatch{Username: &username}
			if f.Changed("email") {
				p.Email = &email
			}
			if f.Changed("name") {
				p.Name = &name
			}
			switch {
			case passwordStdin && f.Changed("password"):
				return errors.New("give the password with --password-stdin or --password, not both")
			case passwordStdin:
				pw, err := readPassword(env.Stdin)
				if err != nil {
					return err
				}
				p.Password = &pw
			case f.Changed("password"):
				fmt.Fprintln(env.Stderr, "gatehouse: warning: --password is visible to other users of this host; prefer --password-stdin")
				p.Password = &password
			}
			h, err := openHost(cmd, env)
			if err != nil {
				return err
			}
			defer h.Close()
			u, err := h.identity.CreateUser(h.ctx, p)
			if err != nil {
				return explain(err, "user", userFlags, fmt.Sprintf("username %q", username))
			}
			v, err := h.userView(u)
			if err != nil {
				return err
			}
			return printUser(env.Stdout, &out, v)
		},
	}
	f := cmd.Flags()
	f.StringVar(&username, "username", "", "the name the user signs in with (required)")
	f.StringVar(&email, "email", "", "e-mail address (needed for secret expiry reminders)")
	f.StringVar(&name, "name", "", "display name")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input (one trailing newline is dropped)")
	f.StringVar(&password, "password", "", "the password (visible in the process list: prefer --password-stdin)")
	out.register(cmd)
	_ = cmd.MarkFlagRequired("username")
	return cmd
}

// readPassword reads all of r, as `docker login --password-stdin` does, and
// drops one trailing line ending, which echo and here-strings add.
func readPassword(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("--password-stdin: nothing on standard input")
	}
	// The limit only bounds memory; the service checks the real maximum.
	b, err := io.ReadAll(io.LimitReader(r, identity.MaxPasswordLength+3))
	if err != nil {
		return "", fmt.Errorf("--password-stdin: %w", err)
	}
	pw := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	if pw == "" {
		return "", errors.New("--password-stdin: nothing on standard input")
	}
	return pw, nil
}

func (h *host) userView(u *store.User) (adminapi.User, error) {
	roles, err := h.store.RolesOf(h.ctx, u.Username)
	if err != nil {
		return adminapi.User{}, err
	}
	return admin.UserView(u, roles), nil
}

func newUsersListCmd(env *Env) *cobra.Command {
	return listing[store.User, adminapi.User]{
		short: "List users, a page at a time", noun: "users",
		header: "ID\tUSERNAME\tEMAIL\tNAME\tENABLED\tROLES\tCREATED_AT",
		load:   func(h *host, p store.Page) ([]store.User, int, error) { return h.store.ListUsers(h.ctx, p) },
		view:   (*host).userView,
		row: func(_ *store.User, v adminapi.User) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%t\t%s\t%s", v.ID, v.Username, orDash(v.Email), orDash(v.Name),
				v.Enabled, orDash(strings.Join(v.Roles, ",")), v.CreatedAt.UTC().Format(time.RFC3339))
		},
	}.command(env)
}
