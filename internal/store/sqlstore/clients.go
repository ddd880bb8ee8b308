package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// clientRow is the clients table; lists are JSON text in both dialects.
type clientRow struct {
	ID                     string                `gorm:"column:id;primaryKey"`
	Type                   string                `gorm:"column:type"`
	Name                   string                `gorm:"column:name"`
	Description            string                `gorm:"column:description"`
	SecretHash             string                `gorm:"column:secret_hash"`
	RotatedSecrets         []store.RotatedSecret `gorm:"column:rotated_secrets;serializer:json"`
	SecretExpiresAt        *time.Time            `gorm:"column:secret_expires_at"`
	Scopes                 []string              `gorm:"column:scopes;serializer:json"`
	PublicBaseURI          string                `gorm:"column:public_base_uri"`
	AccessTokenLifetime    int64                 `gorm:"column:access_token_lifetime"`
	Enabled                bool                  `gorm:"column:enabled"`
	Public                 bool                  `gorm:"column:public"`
	RequireConsent         bool                  `gorm:"column:require_consent"`
	RedirectURIs           []string              `gorm:"column:redirect_uris;serializer:json"`
	AllowedCORSOrigins     []string              `gorm:"column:allowed_cors_origins;serializer:json"`
	PostLogoutRedirectURIs []string              `gorm:"column:post_logout_redirect_uris;serializer:json"`
	CreatedAt              time.Time             `gorm:"column:created_at;autoCreateTime:false"`
	UpdatedAt              time.Time             `gorm:"column:updated_at;autoUpdateTime:false"`
	SecretCreatedAt        *time.Time            `gorm:"column:secret_created_at"`
	LastUsedAt             *time.Time            `gorm:"column:last_used_at"`
}

func (clientRow) TableName() string { return "clients" }

func toClientRow(c *store.Client) clientRow {
	return clientRow{
		ID: c.ID, Type: c.Type, Name: c.Name, Description: c.Description,
		SecretHash: c.SecretHash, RotatedSecrets: nonNil(c.RotatedSecrets),
		SecretExpiresAt: timePtr(c.SecretExpiresAt), Scopes: nonNil(c.Scopes),
		PublicBaseURI: c.PublicBaseURI, AccessTokenLifetime: int64(c.AccessTokenLifetime / time.Second),
		Enabled: c.Enabled, Public: c.Public, RequireConsent: c.RequireConsent,
		RedirectURIs: nonNil(c.RedirectURIs), AllowedCORSOrigins: nonNil(c.AllowedCORSOrigins),
		PostLogoutRedirectURIs: nonNil(c.PostLogoutRedirectURIs),
		CreatedAt:              c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(),
		SecretCreatedAt: timePtr(c.SecretCreatedAt), LastUsedAt: timePtr(c.LastUsedAt),
	}
}

func (r *clientRow) toClient() *store.Client {
	return &store.Client{
		ID: r.ID, Type: r.Type, Name: r.Name, Description: r.Description,
		SecretHash: r.SecretHash, RotatedSecrets: r.RotatedSecrets,
		SecretExpiresAt: timeVal(r.SecretExpiresAt), Scopes: r.Scopes,
		PublicBaseURI: r.PublicBaseURI, AccessTokenLifetime: time.Duration(r.AccessTokenLifetime) * time.Second,
		Enabled: r.Enabled, Public: r.Public, RequireConsent: r.RequireConsent,
		RedirectURIs: r.RedirectURIs, AllowedCORSOrigins: r.AllowedCORSOrigins,
		PostLogoutRedirectURIs: r.PostLogoutRedirectURIs,
		CreatedAt:              r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		SecretCreatedAt: timeVal(r.SecretCreatedAt), LastUsedAt: timeVal(r.LastUsedAt),
	}
}

// CreateClient inserts c; its timestamps default to now.
func (s *Store) CreateClient(ctx context.Context, c *store.Client) error {
	now := s.now()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	if c.SecretHash != "" && c.SecretCreatedAt.IsZero() {
		c.SecretCreatedAt = c.CreatedAt
	}
	row := toClientRow(c)
	if err := mapErr(s.conn(ctx).Create(&row).Error); err != nil {
		return fmt.Errorf("create client %q: %w", c.ID, err)
	}
	return nil
}

// FindClient loads one client by id.
func (s *Store) FindClient(ctx context.Context, id string) (*store.Client, error) {
	var row clientRow
	if err := s.conn(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, fmt.Errorf("find client %q: %w", id, mapErr(err))
	}
	c := row.toClient()
	if err := s.fillRoles(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// fillRoles sets the read-only Roles and RoleScopes of c.
func (s *Store) fillRoles(ctx context.Context, c *store.Client) error {
	roles, err := s.RolesOf(ctx, store.ClientUsername(c.ID, s.ClientDomain))
	if err != nil {
		return err
	}
	c.Roles, c.RoleScopes = []string{}, []string{}
	for _, r := range roles {
		c.Roles = append(c.Roles, r.Name)
		c.RoleScopes = append(c.RoleScopes, r.Scopes...)
	}
	return nil
}

// UpdateClient is read-modify-write in one transaction; update must not
// change the id.
func (s *Store) UpdateClient(ctx context.Context, id string, update func(*store.Client) error) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		var row clientRow
		q := s.conn(ctx).Where("id = ?", id)
		if s.dialect == Postgres {
			q = q.Clauses(forUpdate)
		}
		if err := q.Take(&row).Error; err != nil {
			return fmt.Errorf("update client %q: %w", id, mapErr(err))
		}
		c := row.toClient()
		if err := update(c); err != nil {
			return err
		}
		if c.ID != id {
			return fmt.Errorf("update client %q: the id cannot change", id)
		}
		c.UpdatedAt = s.now()
		row = toClientRow(c)
		if err := mapErr(s.conn(ctx).Select("*").Save(&row).Error); err != nil {
			return err
		}
		return s.clientChanged(ctx, id)
	})
}

// DeleteClient removes the client and every token issued to it, so nothing
// it was given keeps working.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		res := s.conn(ctx).Where("id = ?", id).Delete(&clientRow{})
		if res.Error != nil {
			return fmt.Errorf("delete client %q: %w", id, mapErr(res.Error))
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("delete client %q: %w", id, store.ErrNotFound)
		}
		if err := s.RemoveMemberships(ctx, store.ClientUsername(id, s.ClientDomain)); err != nil {
			return fmt.Errorf("delete client %q memberships: %w", id, err)
		}
		if err := mapErr(s.conn(ctx).Where("client_id = ?", id).Delete(&consentRow{}).Error); err != nil {
			return fmt.Errorf("delete client %q consents: %w", id, err)
		}
		for _, t := range []string{tableAccessTokens, tableRefreshTokens} {
			if err := s.conn(ctx).Table(t).Where("client_id = ?", id).Delete(&requestRow{}).Error; err != nil {
				return fmt.Errorf("delete client %q tokens: %w", id, mapErr(err))
			}
		}
		return s.clientChanged(ctx, id)
	})
}

// TouchClient records that the client obtained a token at t.
func (s *Store) TouchClient(ctx context.Context, id string, t time.Time) error {
	return mapErr(s.conn(ctx).Model(&clientRow{}).Where("id = ?", id).Update("last_used_at", t.UTC()).Error)
}

// ListClients pages clients by creation time.
func (s *Store) ListClients(ctx context.Context, f store.ClientFilter) ([]store.Client, int, error) {
	q := s.conn(ctx).Model(&clientRow{})
	if f.Type != "" {
		q = q.Where("type = ?", f.Type)
	}
	if f.Search != "" {
		like := "%" + likeEscaper.Replace(strings.ToLower(f.Search)) + "%"
		q = q.Where(`(LOWER(name) LIKE ? ESCAPE '\' OR LOWER(id) LIKE ? ESCAPE '\')`, like, like)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count clients: %w", mapErr(err))
	}
	var rows []clientRow
	q = q.Order("created_at, id").Offset(f.Offset)
	if f.Limit > 0 {
		q = q.Limit(f.Limit)
	}
	if err := q.Find(&rows).Error; err != nil {
		return nil, 0, fmt.Errorf("list clients: %w", mapErr(err))
	}
	out := make([]store.Client, len(rows))
	for i := range rows {
		out[i] = *rows[i].toClient()
		if err := s.fillRoles(ctx, &out[i]); err != nil {
			return nil, 0, err
		}
	}
	return out, int(total), nil
}

// likeEscaper quotes LIKE's wildcards so a search matches them literally.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// forUpdate makes concurrent read-modify-writes queue on PostgreSQL;
// SQLite's BEGIN IMMEDIATE already serializes writers.
var forUpdate = clause.Locking{Strength: clause.LockingStrengthUpdate}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func timeVal(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}
