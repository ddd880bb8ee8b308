package admin

import (
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/pkg/adminapi"
)

// The functions below are the one place a stored record becomes its wire
// view (pkg/adminapi), shared by the management API and the CLI so both
// show the same fields under the same names.

// APIClientView renders an API client. secret is non-empty only in the
// answer that created it; domain is the client-username domain
// (config.ClientDomain: "clients." + the issuer host).
func APIClientView(c *store.Client, secret, domain string, now time.Time) adminapi.APIClient {
	return adminapi.APIClient{
		ClientID: c.ID, ClientSecret: secret, Type: c.Type, Name: c.Name, Description: c.Description,
		Scopes: nonNil(c.Scopes), PublicBaseURI: c.PublicBaseURI,
		SecretExpiresOn:     clients.SecretExpiresOn(c.SecretExpiresAt),
		AccessTokenLifetime: int(c.AccessTokenLifetime / time.Second), Enabled: c.Enabled,
		Username: store.ClientUsername(c.ID, domain), Roles: nonNil(c.Roles),
		Status: clients.Status(c, now), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		SecretCreatedAt: timePtr(c.SecretCreatedAt), LastUsedAt: timePtr(c.LastUsedAt),
	}
}

// WebClientView renders a Web App client. secret is non-empty only in the
// answer that created a confidential one.
func WebClientView(c *store.Client, secret string, now time.Time) adminapi.WebClient {
	return adminapi.WebClient{
		ClientID: c.ID, ClientSecret: secret, Type: c.Type, Name: c.Name, Description: c.Description,
		Public: c.Public, RequireConsent: c.RequireConsent, RedirectURIs: nonNil(c.RedirectURIs),
		AllowedCORSOrigins: nonNil(c.AllowedCORSOrigins), PostLogoutRedirectURIs: nonNil(c.PostLogoutRedirectURIs),
		Scopes: nonNil(c.Scopes), SecretExpiresOn: clients.SecretExpiresOn(c.SecretExpiresAt),
		AccessTokenLifetime: int(c.AccessTokenLifetime / time.Second), Enabled: c.Enabled,
		Status: clients.Status(c, now), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		SecretCreatedAt: timePtr(c.SecretCreatedAt), LastUsedAt: timePtr(c.LastUsedAt),
	}
}

// ClientView renders c by its own type: an adminapi.APIClient or an
// adminapi.WebClient.
func ClientView(c *store.Client, secret, domain string, now time.Time) any {
	if c.Type == store.ClientTypeAPI {
		return APIClientView(c, secret, domain, now)
	}
	return WebClientView(c, secret, now)
}

// UserView renders a user with the roles it belongs to (store.RoleAdmin.RolesOf);
// the password hash never leaves.
func UserView(u *store.User, roles []store.Role) adminapi.User {
	names := []string{}
	for _, r := range roles {
		names = append(names, r.Name)
	}
	return adminapi.User{ID: u.ID, Username: u.Username, Email: u.Email, Name: u.Name, Enabled: u.Enabled,
		Roles: names, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

// RoleView renders a role with its members' usernames (store.Roles.RoleMembers).
func RoleView(r *store.Role, members []string) adminapi.Role {
	return adminapi.Role{Name: r.Name, Description: r.Description, Scopes: nonNil(r.Scopes), Builtin: r.Builtin,
		Members: nonNil(members), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}
