package identity

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-dev/gatehouse/internal/audit"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Scopes that govern Gatehouse itself.
const (
	ScopeAdmin   = "gatehouse:admin"
	ScopeClients = "gatehouse:clients"
)

// Limits on user and role fields.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 1024
	MaxUsernameLength = 100
	MaxRoleNameLength = 100
)

// ValidationError names every field that broke a rule; the same type as
// the client rules', so callers handle one.
type ValidationError = clients.ValidationError

type fieldErrors map[string]string

func (f fieldErrors) err() error {
	if len(f) == 0 {
		return nil
	}
	return &ValidationError{Fields: f}
}

// ErrBuiltinRole refuses changes that would break the built-in role.
var ErrBuiltinRole = errors.New("the built-in role Administration cannot be deleted and keeps gatehouse:admin")

// AdminStore is what the user and role services need.
type AdminStore interface {
	store.UserAdmin
	store.RoleAdmin
	store.Clients
	store.Audit
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Service manages users, roles and memberships.
type Service struct {
	Store AdminStore
	// ClientDomain is the domain part of API client usernames.
	ClientDomain string
}

// UserPatch holds the user fields a caller sets; nil means not sent.
type UserPatch struct {
	Username *string
	Email    *string
	Name     *string
	Password *string
	Enabled  *bool
}

func (p *UserPatch) fields() []string {
	var out []string
	for _, f := range []struct {
		set  bool
		name string
	}{{p.Username != nil, "username"}, {p.Email != nil, "email"}, {p.Name != nil, "name"},
		{p.Password != nil, "password"}, {p.Enabled != nil, "enabled"}} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9._@+-]+$`)

func (s *Service) applyUser(u *store.User, p UserPatch, bad fieldErrors) error {
	if p.Username != nil {
		u.Username = *p.Username
		switch {
		case u.Username == "" || utf8.RuneCountInString(u.Username) > MaxUsernameLength || !usernamePattern.MatchString(u.Username):
			bad["username"] = fmt.Sprintf("must be 1–%d characters of letters, digits and . _ @ + -", MaxUsernameLength)
		case strings.HasSuffix(u.Username, "@"+s.ClientDomain):
			bad["username"] = "is reserved for API clients"
		}
	}
	if p.Email != nil {
		u.Email = *p.Email
		if u.Email != "" {
			if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
				bad["email"] = "must be an e-mail address"
			}
		}
	}
	if p.Name != nil {
		u.Name = *p.Name
		if utf8.RuneCountInString(u.Name) > clients.MaxNameLength {
			bad["name"] = fmt.Sprintf("must be at most %d characters", clients.MaxNameLength)
		}
	}
	if p.Enabled != nil {
		u.Enabled = *p.Enabled
	}
	if p.Password != nil {
		if n := utf8.RuneCountInString(*p.Password); n < MinPasswordLength || len(*p.Password) > MaxPasswordLength {
			bad["password"] = fmt.Sprintf("must be %d to %d characters", MinPasswordLength, MaxPasswordLength)
		} else if len(bad) == 0 {
			hash, err := HashPassword(*p.Password)
			if err != nil {
				return err
			}
			u.PasswordHash = hash
		}
	}
	return nil
}

// CheckUser reports the rule problems of the fields p sets, changing nothing.
func (s *Service) CheckUser(p UserPatch, creating bool) map[string]string {
	bad := fieldErrors{}
	if creating && p.Username == nil {
		bad["username"] = "is required"
	}
	p.Password = checkOnlyPassword(p.Password, bad)
	_ = s.applyUser(&store.User{}, p, bad)
	return bad
}

// checkOnlyPassword validates a password without paying for its hash.
func checkOnlyPassword(pw *string, bad fieldErrors) *string {
	if pw == nil {
		return nil
	}
	if n := utf8.RuneCountInString(*pw); n < MinPasswordLength || len(*pw) > MaxPasswordLength {
		bad["password"] = fmt.Sprintf("must be %d to %d characters", MinPasswordLength, MaxPasswordLength)
	}
	return nil
}

// CheckRole reports the rule problems of the fields p sets, changing nothing.
func (s *Service) CheckRole(p RolePatch, creating bool) map[string]string {
	bad := fieldErrors{}
	if creating && p.Name == nil {
		bad["name"] = "is required"
	}
	if !creating && p.Name != nil {
		bad["name"] = "is read-only"
	}
	applyRole(&store.Role{}, p, bad)
	return bad
}

// CreateUser adds a user; username is required.
func (s *Service) CreateUser(ctx context.Context, p UserPatch) (*store.User, error) {
	u := &store.User{ID: clients.NewID(), Enabled: true}
	bad := fieldErrors{}
	if p.Username == nil {
		bad["username"] = "is required"
	}
	if err := s.applyUser(u, p, bad); err != nil {
		return nil, err
	}
	if err := bad.err(); err != nil {
		return nil, err
	}
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.CreateUser(ctx, u); err != nil {
			return err
		}
		return audit.Record(ctx, s.Store, "user.create", "user", u.ID, p.fields())
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// UpdateUser changes only the fields p sets.
func (s *Service) UpdateUser(ctx context.Context, id string, p UserPatch) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		err := s.Store.UpdateUser(ctx, id, func(u *store.User) error {
			bad := fieldErrors{}
			if err := s.applyUser(u, p, bad); err != nil {
				return err
			}
			return bad.err()
		})
		if err != nil {
			return err
		}
		return audit.Record(ctx, s.Store, "user.update", "user", id, p.fields())
	})
}

// DeleteUser removes a user and their memberships.
func (s *Service) DeleteUser(ctx context.Context, id string) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.DeleteUser(ctx, id); err != nil {
			return err
		}
		return audit.Record(ctx, s.Store, "user.delete", "user", id, nil)
	})
}

// RolePatch holds the role fields a caller sets.
type RolePatch struct {
	Name        *string
	Description *string
	Scopes      *[]string
}

func (p *RolePatch) fields() []string {
	var out []string
	if p.Name != nil {
		out = append(out, "name")
	}
	if p.Description != nil {
		out = append(out, "description")
	}
	if p.Scopes != nil {
		out = append(out, "scopes")
	}
	return out
}

var roleNamePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9 ._:-]*$`)

func applyRole(r *store.Role, p RolePatch, bad fieldErrors) {
	if p.Name != nil {
		r.Name = *p.Name
		if utf8.RuneCountInString(r.Name) > MaxRoleNameLength || !roleNamePattern.MatchString(r.Name) {
			bad["name"] = fmt.Sprintf("must be 1–%d characters of letters, digits, space and . _ : -, starting with a letter or digit", MaxRoleNameLength)
		}
	}
	if p.Description != nil {
		r.Description = *p.Description
		if utf8.RuneCountInString(r.Description) > clients.MaxDescriptionLength {
			bad["description"] = fmt.Sprintf("must be at most %d characters", clients.MaxDescriptionLength)
		}
	}
	if p.Scopes != nil {
		out := []string{}
		for _, sc := range *p.Scopes {
			if !clients.ValidScope(sc) {
				bad["scopes"] = fmt.Sprintf("%q is not a valid scope", sc)
				continue
			}
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
		r.Scopes = out
	}
}

// CreateRole adds a role; name is required.
func (s *Service) CreateRole(ctx context.Context, p RolePatch) (*store.Role, error) {
	r := &store.Role{Scopes: []string{}}
	bad := fieldErrors{}
	if p.Name == nil {
		bad["name"] = "is required"
	}
	applyRole(r, p, bad)
	if err := bad.err(); err != nil {
		return nil, err
	}
	err := s.Store.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.CreateRole(ctx, r); err != nil {
			return err
		}
		return audit.Record(ctx, s.Store, "role.create", "role", r.Name, p.fields())
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateRole changes description and scopes; the name is the role's key.
func (s *Service) UpdateRole(ctx context.Context, name string, p RolePatch) error {
	if p.Name != nil {
		return &ValidationError{Fields: map[string]string{"name": "is read-only"}}
	}
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		err := s.Store.UpdateRole(ctx, name, func(r *store.Role) error {
			bad := fieldErrors{}
			applyRole(r, p, bad)
			if r.Builtin && !slices.Contains(r.Scopes, ScopeAdmin) {
				return ErrBuiltinRole
			}
			return bad.err()
		})
		if err != nil {
			return err
		}
		return audit.Record(ctx, s.Store, "role.update", "role", name, p.fields())
	})
}

// DeleteRole removes a role (never the built-in one).
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		r, err := s.Store.FindRole(ctx, name)
		if err != nil {
			return err
		}
		if r.Builtin {
			return ErrBuiltinRole
		}
		if err := s.Store.DeleteRole(ctx, name); err != nil {
			return err
		}
		return audit.Record(ctx, s.Store, "role.delete", "role", name, nil)
	})
}

// ErrUnknownMember means the username is neither a user nor an API client.
var ErrUnknownMember = errors.New("no user or API client has this username")

// AddMember adds a user or an API client (by username) to a role.
func (s *Service) AddMember(ctx context.Context, role, username string) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Store.FindRole(ctx, role); err != nil {
			return err
		}
		if err := s.memberExists(ctx, username); err != nil {
			return err
		}
		if err := s.Store.AddRoleMember(ctx, role, username); err != nil {
			return err
		}
		return audit.Record(ctx, s.Store, "role.member.add", "role", role, []string{"members"})
	})
}

func (s *Service) memberExists(ctx context.Context, username string) error {
	if id, ok := strings.CutSuffix(username, "@"+s.ClientDomain); ok {
		c, err := s.Store.FindClient(ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && c.Type != store.ClientTypeAPI) {
			return fmt.Errorf("%q: %w", username, ErrUnknownMember)
		}
		return err
	}
	_, err := s.Store.FindUserByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%q: %w", username, ErrUnknownMember)
	}
	return err
}

// RemoveMember drops a member from a role.
func (s *Service) RemoveMember(ctx context.Context, role, username string) error {
	return s.Store.InTx(ctx, func(ctx context.Context) error {
		if _, err := s.Store.FindRole(ctx, role); err != nil {
			return err
		}
		if err := s.Store.RemoveRoleMember(ctx, role, username); err != nil {
			return err
		}
		return audit.Record(ctx, s.Store, "role.member.remove", "role", role, []string{"members"})
	})
}

// ScopesOf is what username holds through its roles.
func (s *Service) ScopesOf(ctx context.Context, username string) ([]string, error) {
	roles, err := s.Store.RolesOf(ctx, username)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range roles {
		for _, sc := range r.Scopes {
			if !slices.Contains(out, sc) {
				out = append(out, sc)
			}
		}
	}
	return out, nil
}
