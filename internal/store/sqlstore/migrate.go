package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one versioned schema step for one dialect.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// migrations lists the dialect's steps in order, from files named
// NNNN_name.<dialect>.sql.
func migrations(dialect string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), "."+dialect+".sql")
		if !ok {
			continue
		}
		num, name, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: bad version: %w", e.Name(), err)
		}
		body, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			return nil, fmt.Errorf("migrations for %s: version %d where %d was expected", dialect, m.Version, i+1)
		}
	}
	return out, nil
}

// LatestVersion is the schema version this binary was built for.
func (s *Store) LatestVersion() int {
	ms, err := migrations(s.dialect)
	if err != nil {
		panic(err) // the embedded files are fixed at build time; tests cover them
	}
	return len(ms)
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TIMESTAMP NOT NULL
)`

// migrationLock is the PostgreSQL advisory lock that serializes schema changes.
const migrationLock = `SELECT pg_advisory_xact_lock(7241001)`

// createMigrationsTableOnce creates the bookkeeping table. On PostgreSQL two
// concurrent CREATE TABLE IF NOT EXISTS can both miss the table and one then
// fails on pg_type's unique index (23505), so replicas starting together on
// a fresh database crashed; the advisory lock makes them take turns.
func (s *Store) createMigrationsTableOnce(ctx context.Context) error {
	if s.dialect != Postgres {
		return s.db.WithContext(ctx).Exec(createMigrationsTable).Error
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(migrationLock).Error; err != nil {
			return err
		}
		return tx.Exec(createMigrationsTable).Error
	})
}

// SchemaVersion is the newest migration applied to the database (0: none).
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	if err := s.createMigrationsTableOnce(ctx); err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	var v *int
	if err := s.db.WithContext(ctx).Raw(`SELECT MAX(version) FROM schema_migrations`).Scan(&v).Error; err != nil {
		return 0, fmt.Errorf("schema version: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	return *v, nil
}

// CheckSchema refuses a database older than this binary. A newer schema is
// accepted: migrations are forward-compatible, so an older replica keeps
// serving while a newer one upgrades (docs/operations.md).
func (s *Store) CheckSchema(ctx context.Context) error {
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if want := s.LatestVersion(); have < want {
		return fmt.Errorf("database schema is at version %d, this build needs %d: run `gatehouse migrate up` (or `serve --migrate`)", have, want)
	}
	return nil
}

// MigrateUp applies every pending migration, each in its own transaction.
// On PostgreSQL an advisory lock keeps concurrent replicas from racing.
// It returns the versions applied.
func (s *Store) MigrateUp(ctx context.Context) ([]int, error) {
	ms, err := migrations(s.dialect)
	if err != nil {
		return nil, err
	}
	if _, err := s.SchemaVersion(ctx); err != nil { // creates the bookkeeping table
		return nil, err
	}
	var applied []int
	for _, m := range ms {
		done := false
		err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			if s.dialect == Postgres {
				if err := tx.Exec(migrationLock).Error; err != nil {
					return err
				}
			}
			var n int64
			if err := tx.Raw(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n).Error; err != nil {
				return err
			}
			if n > 0 {
				done = true
				return nil
			}
			if err := tx.Exec(m.SQL).Error; err != nil {
				return err
			}
			return tx.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, time.Now().UTC()).Error
		})
		if err != nil {
			return applied, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
		if !done {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}
