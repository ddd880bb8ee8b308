package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/admin"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/pkg/adminapi"
)

var roleFlags = map[string]string{"scopes": "scopes", "description": "description"}

func newRolesCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "roles",
		Short: "Manage roles: named sets of scopes granted to users and API clients",
	}
	cmd.AddCommand(
		newRolesListCmd(env),
		newRolesCreateCmd(env),
		newRoleMemberCmd(env, true),
		newRoleMemberCmd(env, false),
	)
	return cmd
}

func (h *host) roleView(r *store.Role) (adminapi.Role, error) {
	members, err := h.store.RoleMembers(h.ctx, r.Name)
	if err != nil {
		return adminapi.Role{}, err
	}
	return admin.RoleView(r, members), nil
}

// findRole loads a role or explains that there is none.
func (h *host) findRole(name string) (*store.Role, error) {
	r, err := h.store.FindRole(h.ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &message{text: fmt.Sprintf("no role named %q", name), err: err}
	}
	return r, err
}

func newRolesListCmd(env *Env) *cobra.Command {
	return listing[store.Role, adminapi.Role]{
		short: "List roles with their scopes and members", noun: "roles",
		header: "NAME\tSCOPES\tMEMBERS\tBUILTIN\tDESCRIPTION",
		load:   func(h *host, p store.Page) ([]store.Role, int, error) { return h.store.ListRoles(h.ctx, p) },
		view:   (*host).roleView,
		row: func(_ *store.Role, v adminapi.Role) string {
			return fmt.Sprintf("%s\t%s\t%s\t%t\t%s", v.Name, joinList(v.Scopes), orDash(strings.Join(v.Members, ",")),
				v.Builtin, v.Description)
		},
	}.command(env)
}

func newRolesCreateCmd(env *Env) *cobra.Command {
	var (
		scopes, description string
		out                 output
	)
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Add a role",
		Args:  cobra.ExactArgs(1),
		RunE: hostCommand(env, &out, func(cmd *cobra.Command, h *host, args []string) error {
			list := splitList(scopes)
			p := identity.RolePatch{Name: &args[0], Scopes: &list}
			if cmd.Flags().Changed("description") {
				p.Description = &description
			}
			r, err := h.identity.CreateRole(h.ctx, p)
			if err != nil {
				return explain(err, "role", roleFlags, fmt.Sprintf("role name %q", args[0]))
			}
			v, err := h.roleView(r)
			if err != nil {
				return err
			}
			return printRole(env.Stdout, &out, v)
		}),
	}
	cmd.Flags().StringVar(&scopes, "scopes", "", "comma- or space-separated scopes the role grants")
	cmd.Flags().StringVar(&description, "description", "", "description")
	out.register(cmd)
	return cmd
}

// newRoleMemberCmd builds `roles add-member` (add) or `roles remove-member`.
// A member is a user's username or an API client's
// (<client_id>@clients.<issuer host>, as `clients get` shows it).
func newRoleMemberCmd(env *Env, add bool) *cobra.Command {
	use, short := "add-member", "Give a user or an API client (by username) the role's scopes; prints the role"
	if !add {
		use, short = "remove-member", "Take a user or an API client (by username) out of the role; prints the role"
	}
	var out output
	cmd := &cobra.Command{
		Use:   use + " ROLE USERNAME",
		Short: short,
		Args:  cobra.ExactArgs(2),
		RunE: hostCommand(env, &out, func(_ *cobra.Command, h *host, args []string) error {
			role, username := args[0], args[1]
			// Name the missing role before the service's generic not-found.
			if _, err := h.findRole(role); err != nil {
				return err
			}
			change := h.identity.RemoveMember
			if add {
				change = h.identity.AddMember
			}
			err := change(h.ctx, role, username)
			switch {
			case errors.Is(err, identity.ErrUnknownMember):
				return &message{text: fmt.Sprintf("no user or API client has the username %q (an API client's is <client_id>@%s)", username, h.domain), err: err}
			case errors.Is(err, store.ErrConflict) && add:
				return &message{text: fmt.Sprintf("%q is already a member of role %q", username, role), err: err}
			case errors.Is(err, store.ErrNotFound) && !add:
				return &message{text: fmt.Sprintf("%q is not a member of role %q", username, role), err: err}
			case err != nil:
				return err
			}
			r, err := h.findRole(role)
			if err != nil {
				return err
			}
			v, err := h.roleView(r)
			if err != nil {
				return err
			}
			return printRole(env.Stdout, &out, v)
		}),
	}
	out.register(cmd)
	return cmd
}
