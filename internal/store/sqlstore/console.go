package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

var _ store.Console = (*Store)(nil)

type consoleSessionRow struct {
	ID        string    `gorm:"column:id;primaryKey"`
	UserID    string    `gorm:"column:user_id"`
	IDToken   string    `gorm:"column:id_token"`
	Flash     string    `gorm:"column:flash"`
	CreatedAt time.Time `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (consoleSessionRow) TableName() string { return "console_sessions" }

type consoleSignInRow struct {
	ID           string    `gorm:"column:id;primaryKey"`
	State        string    `gorm:"column:state"`
	Nonce        string    `gorm:"column:nonce"`
	CodeVerifier string    `gorm:"column:code_verifier"`
	ReturnTo     string    `gorm:"column:return_to"`
	CreatedAt    time.Time `gorm:"column:created_at;autoCreateTime:false"`
	ExpiresAt    time.Time `gorm:"column:expires_at"`
}

func (consoleSignInRow) TableName() string { return "console_sign_ins" }

// CreateConsoleSession stores a new session and sweeps expired ones, so the
// table stays as small as the number of signed-in browsers.
func (s *Store) CreateConsoleSession(ctx context.Context, cs *store.ConsoleSession) error {
	if err := s.conn(ctx).Where("expires_at <= ?", s.now()).Delete(&consoleSessionRow{}).Error; err != nil {
		return fmt.Errorf("sweep console sessions: %w", mapErr(err))
	}
	row := consoleSessionRow{ID: cs.ID, UserID: cs.UserID, IDToken: cs.IDToken, Flash: cs.Flash,
		CreatedAt: cs.CreatedAt.UTC(), ExpiresAt: cs.ExpiresAt.UTC()}
	if err := s.conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("create console session: %w", mapErr(err))
	}
	return nil
}

// FindConsoleSession loads a live session.
func (s *Store) FindConsoleSession(ctx context.Context, id string) (*store.ConsoleSession, error) {
	var r consoleSessionRow
	if err := s.conn(ctx).Where("id = ? AND expires_at > ?", id, s.now()).Take(&r).Error; err != nil {
		return nil, fmt.Errorf("find console session: %w", mapErr(err))
	}
	return &store.ConsoleSession{ID: r.ID, UserID: r.UserID, IDToken: r.IDToken, Flash: r.Flash,
		CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}, nil
}

// SetConsoleFlash replaces the session's one-time message.
func (s *Store) SetConsoleFlash(ctx context.Context, id, flash string) error {
	res := s.conn(ctx).Model(&consoleSessionRow{}).Where("id = ?", id).Update("flash", flash)
	if res.Error != nil {
		return fmt.Errorf("set console flash: %w", mapErr(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("set console flash: %w", store.ErrNotFound)
	}
	return nil
}

// TakeConsoleFlash reads and clears the one-time message in one transaction.
func (s *Store) TakeConsoleFlash(ctx context.Context, id string) (string, error) {
	var flash string
	err := s.InTx(ctx, func(ctx context.Context) error {
		var r consoleSessionRow
		q := s.conn(ctx).Select("id", "flash").Where("id = ?", id)
		if s.dialect == Postgres {
			q = q.Clauses(forUpdate)
		}
		if err := q.Take(&r).Error; err != nil {
			return mapErr(err)
		}
		if r.Flash == "" {
			return nil
		}
		flash = r.Flash
		return mapErr(s.conn(ctx).Model(&consoleSessionRow{}).Where("id = ?", id).Update("flash", "").Error)
	})
	if err != nil {
		return "", fmt.Errorf("take console flash: %w", err)
	}
	return flash, nil
}

// DeleteConsoleSession ends a session; a missing one is not an error.
func (s *Store) DeleteConsoleSession(ctx context.Context, id string) error {
	if err := s.conn(ctx).Where("id = ?", id).Delete(&consoleSessionRow{}).Error; err != nil {
		return fmt.Errorf("delete console session: %w", mapErr(err))
	}
	return nil
}

// CreateConsoleSignIn stores a sign-in in progress and sweeps abandoned ones.
func (s *Store) CreateConsoleSignIn(ctx context.Context, si *store.ConsoleSignIn) error {
	if err := s.conn(ctx).Where("expires_at <= ?", s.now()).Delete(&consoleSignInRow{}).Error; err != nil {
		return fmt.Errorf("sweep console sign-ins: %w", mapErr(err))
	}
	row := consoleSignInRow{ID: si.ID, State: si.State, Nonce: si.Nonce, CodeVerifier: si.CodeVerifier,
		ReturnTo: si.ReturnTo, CreatedAt: si.CreatedAt.UTC(), ExpiresAt: si.ExpiresAt.UTC()}
	if err := s.conn(ctx).Create(&row).Error; err != nil {
		return fmt.Errorf("create console sign-in: %w", mapErr(err))
	}
	return nil
}

// TakeConsoleSignIn loads and deletes a live sign-in in progress. The delete
// decides: of two concurrent callbacks only one gets the row.
func (s *Store) TakeConsoleSignIn(ctx context.Context, id string) (*store.ConsoleSignIn, error) {
	var out *store.ConsoleSignIn
	err := s.InTx(ctx, func(ctx context.Context) error {
		var r consoleSignInRow
		if err := s.conn(ctx).Where("id = ? AND expires_at > ?", id, s.now()).Take(&r).Error; err != nil {
			return mapErr(err)
		}
		res := s.conn(ctx).Where("id = ?", id).Delete(&consoleSignInRow{})
		if res.Error != nil {
			return mapErr(res.Error)
		}
		if res.RowsAffected == 0 {
			return store.ErrNotFound
		}
		out = &store.ConsoleSignIn{ID: r.ID, State: r.State, Nonce: r.Nonce, CodeVerifier: r.CodeVerifier,
			ReturnTo: r.ReturnTo, CreatedAt: r.CreatedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC()}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("take console sign-in: %w", err)
	}
	return out, nil
}
