package sqlstore

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

type jobLeaseRow struct {
	Name      string    `gorm:"column:name;primaryKey"`
	Holder    string    `gorm:"column:holder"`
	ExpiresAt time.Time `gorm:"column:expires_at"`
}

func (jobLeaseRow) TableName() string { return "job_leases" }

// AcquireLease takes the named lease for d unless another holder has it
// unexpired. One statement, so two replicas cannot both win.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, d time.Duration) (bool, error) {
	now := s.now()
	res := s.conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"holder", "expires_at"}),
		Where: clause.Where{Exprs: []clause.Expression{
			clause.Expr{SQL: "job_leases.expires_at <= ? OR job_leases.holder = ?", Vars: []any{now, holder}},
		}},
	}).Create(&jobLeaseRow{Name: name, Holder: holder, ExpiresAt: now.Add(d)})
	if res.Error != nil {
		return false, fmt.Errorf("acquire lease %q: %w", name, mapErr(res.Error))
	}
	return res.RowsAffected == 1, nil
}

// prunedTables hold rows with an expires_at that cleanup deletes.
var prunedTables = []string{tableAccessTokens, tableRefreshTokens, tableCodes, tableOIDC, tablePKCE, tableRevoked,
	"login_sessions", "login_failures", "console_sessions", "console_sign_ins"}

// PruneExpired deletes protocol rows, sign-in and console sessions and consumed refresh
// tokens whose lifetime ended before cutoff. Used codes and rotated refresh
// tokens stay until then, so replays and reuse are still recognised while
// they could matter. It returns the number of rows deleted.
func (s *Store) PruneExpired(ctx context.Context, cutoff time.Time) (int64, error) {
	var total int64
	for _, table := range prunedTables {
		res := s.conn(ctx).Table(table).Where("expires_at < ?", cutoff.UTC()).Delete(&requestRow{})
		if res.Error != nil {
			return total, fmt.Errorf("prune %s: %w", table, mapErr(res.Error))
		}
		total += res.RowsAffected
	}
	return total, nil
}

// TableRows counts the rows of the tables cleanup keeps bounded, for tests
// and operators.
func (s *Store) TableRows(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, table := range prunedTables {
		var n int64
		if err := s.conn(ctx).Table(table).Count(&n).Error; err != nil {
			return nil, fmt.Errorf("count %s: %w", table, mapErr(err))
		}
		out[table] = n
	}
	return out, nil
}
