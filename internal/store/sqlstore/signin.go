package sqlstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

var _ store.SignIn = (*Store)(nil)

type loginSessionRow struct {
	ID        string    `gorm:"column:id;primaryKey"`
	UserID    string    `gorm:"column:user_id"`
	AuthTime  time.Time `gorm:"column:auth_time"`
	CreatedAt time.Time `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (loginSessionRow) TableName() string { return "login_sessions" }

type consentRow struct {
	UserID    string    `gorm:"column:user_id;primaryKey"`
	ClientID  string    `gorm:"column:client_id;primaryKey"`
	Scopes    []string  `gorm:"column:scopes;serializer:json"`
	GrantedAt time.Time `gorm:"column:granted_at"`
}

func (consentRow) TableName() string { return "consents" }

// CreateLoginSession stores a new session.
func (s *Store) CreateLoginSession(ctx context.Context, ls *store.LoginSession) error {
	row := loginSessionRow{ID: ls.ID, UserID: ls.UserID, AuthTime: ls.AuthTime.UTC(),
		CreatedAt: ls.CreatedAt.UTC(), ExpiresAt: ls.ExpiresAt.UTC()}
	return mapErr(s.conn(ctx).Create(&row).Error)
}

// FindLoginSession loads a live session.
func (s *Store) FindLoginSession(ctx context.Context, id string) (*store.LoginSession, error) {
	var r loginSessionRow
	if err := s.conn(ctx).Where("id = ? AND expires_at > ?", id, s.now()).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("find login session: %w", mapErr(err))
	}
	return &store.LoginSession{ID: r.ID, UserID: r.UserID, AuthTime: r.AuthTime.UTC(),
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// DeleteLoginSession ends a session; a missing one is not an error.
func (s *Store) DeleteLoginSession(ctx context.Context, id string) error {
	return mapErr(s.conn(ctx).Where("id = ?", id).Delete(&loginSessionRow{}).Error)
}

// FindConsent loads what userID granted clientID.
func (s *Store) FindConsent(ctx context.Context, userID, clientID string) (*store.Consent, error) {
	var r consentRow
	if err := s.conn(ctx).Where("user_id = ? AND client_id = ?", userID, clientID).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("find consent: %w", mapErr(err))
	}
	return &store.Consent{UserID: r.UserID, ClientID: r.ClientID, Scopes: nonNil(r.Scopes), GrantedAt: r.GrantedAt.UTC()}, nil
}

// SaveConsent merges c.Scopes into the stored grant, in one transaction.
func (s *Store) SaveConsent(ctx context.Context, c *store.Consent) error {
	return s.InTx(ctx, func(ctx context.Context) error {
		scopes := append([]string{}, c.Scopes...)
		var r consentRow
		q := s.conn(ctx).Where("user_id = ? AND client_id = ?", c.UserID, c.ClientID)
		if s.dialect == Postgres {
			q = q.Clauses(forUpdate)
		}
		if err := q.Take(&r).Error; err == nil {
			for _, old := range r.Scopes {
				if !contains(scopes, old) {
					scopes = append(scopes, old)
				}
			}
		}
		row := consentRow{UserID: c.UserID, ClientID: c.ClientID, Scopes: scopes, GrantedAt: s.now()}
		return mapErr(s.conn(ctx).Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "user_id"}, {Name: "client_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"scopes", "granted_at"}),
		}).Create(&row).Error)
	})
}

// AllowedOrigins is the union of every enabled Web App client's CORS origins.
func (s *Store) AllowedOrigins(ctx context.Context) ([]string, error) {
	var lists []clientRow
	if err := s.conn(ctx).Select("allowed_cors_origins").
		Where("type = ? AND enabled = ?", store.ClientTypeWeb, true).Find(&lists).Error; err != nil {
		return nil, fmt.Errorf("allowed origins: %w", mapErr(err))
	}
	var out []string
	for _, r := range lists {
		for _, o := range r.AllowedCORSOrigins {
			if !contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out, nil
}
