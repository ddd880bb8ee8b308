package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// Dialects.
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Options tune the connection pool.
type Options struct {
	MaxOpenConns    int
	MaxIdleConns    int
	ConnMaxLifetime time.Duration
	// QueryTimeout bounds every PostgreSQL statement (statement_timeout)
	// and connection attempt, so a sick database yields errors, not hangs.
	QueryTimeout time.Duration
	// ClientCacheTTL keeps clients in memory for the token path (0: off).
	// On PostgreSQL the cache serves only while ListenForChanges runs.
	ClientCacheTTL time.Duration
	Logger         *slog.Logger
}

// Store is the GORM-backed implementation of every store interface.
type Store struct {
	db      *gorm.DB
	dialect string
	Now     func() time.Time
	// ClientDomain makes client usernames for role membership:
	// <client_id>@<ClientDomain> (SPEC §4: "clients." + the issuer's host).
	ClientDomain string

	dsn          string
	log          *slog.Logger
	cache        *clientCache // nil: off
	batchTimeout time.Duration
	accessWriter *group[*requestRow, struct{}]
	revokedCheck *group[string, bool]
}

var errClosed = errors.New("store closed")

var (
	_ store.Clients     = (*Store)(nil)
	_ store.SigningKeys = (*Store)(nil)
	_ store.Pinger      = (*Store)(nil)
)

// Open connects to the database named by dsn: "postgres://…" (or
// "postgresql://…") or "sqlite://PATH" (PATH may be ":memory:" for tests;
// a relative PATH is relative to the working directory).
func Open(dsn string, opts Options) (*Store, error) {
	dsn = withTimeouts(dsn, opts.QueryTimeout)
	dialect, dialector, err := dialectorFor(dsn)
	if err != nil {
		return nil, err
	}
	db, err := gorm.Open(dialector, &gorm.Config{
		Logger:                 logger.Discard,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return time.Now().UTC() },
	})
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if opts.MaxOpenConns > 0 {
		sqlDB.SetMaxOpenConns(opts.MaxOpenConns)
	}
	if opts.MaxIdleConns > 0 {
		sqlDB.SetMaxIdleConns(opts.MaxIdleConns)
	}
	if opts.ConnMaxLifetime > 0 {
		sqlDB.SetConnMaxLifetime(opts.ConnMaxLifetime)
	}
	if dialect == SQLite && strings.Contains(dsn, ":memory:") {
		// Every connection to ":memory:" is its own database: keep exactly one.
		sqlDB.SetMaxOpenConns(1)
	}
	st := &Store{db: db, dialect: dialect, Now: time.Now, ClientDomain: "clients.localhost", dsn: dsn, log: opts.Logger}
	st.batchTimeout = timeoutOr(opts.QueryTimeout, 10*time.Second)
	st.accessWriter = newGroup(200, st.writeAccessRows)
	st.revokedCheck = newGroup(500, st.checkRevoked)
	if opts.ClientCacheTTL > 0 {
		// On PostgreSQL the cache goes live once the change listener runs.
		st.cache = newClientCache(opts.ClientCacheTTL, dialect != Postgres)
	}
	return st, nil
}

func dialectorFor(dsn string) (string, gorm.Dialector, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, postgres.Open(dsn), nil
	case strings.HasPrefix(dsn, "sqlite://"):
		path := strings.TrimPrefix(dsn, "sqlite://")
		if path == "" {
			return "", nil, errors.New("sqlite DSN needs a path: sqlite://gatehouse.db")
		}
		path, query, _ := strings.Cut(path, "?")
		q, err := url.ParseQuery(query)
		if err != nil {
			return "", nil, fmt.Errorf("sqlite DSN options: %w", err)
		}
		// WAL lets readers run beside the one writer; BEGIN IMMEDIATE takes the
		// write lock up front so two writers queue on busy_timeout instead of
		// failing with SQLITE_BUSY half way through a transaction.
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		if path != ":memory:" {
			q.Add("_pragma", "journal_mode(WAL)")
			q.Add("_pragma", "synchronous(NORMAL)")
		}
		q.Set("_txlock", "immediate")
		// No _time_format: github.com/glebarez/go-sqlite v1.21 returns from
		// its DSN parsing right after _time_format, so _txlock was silently
		// ignored and every transaction began DEFERRED — concurrent
		// read-then-write transactions then failed with SQLITE_BUSY instead
		// of queueing. Its default write format already is the "sqlite" one
		// (YYYY-MM-DD HH:MM:SS.fffffffff+00:00); TestSQLiteTimeFormat and
		// TestSQLiteBeginTXTakesWriteLock guard both.
		q.Del("_time_format")
		return SQLite, sqlite.Open("file:" + path + "?" + q.Encode()), nil
	default:
		return "", nil, fmt.Errorf("unsupported DSN %q: want postgres://… or sqlite://PATH", redactDSN(dsn))
	}
}

// withTimeouts adds statement_timeout and connect_timeout to a PostgreSQL
// DSN unless it sets them itself (pgx passes unknown parameters to the
// server as runtime settings).
func withTimeouts(dsn string, d time.Duration) string {
	if d <= 0 || !(strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	if q.Get("statement_timeout") == "" {
		q.Set("statement_timeout", fmt.Sprint(d.Milliseconds()))
	}
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", fmt.Sprint(max(1, int(d.Seconds()))))
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// redactDSN drops anything that could be a password.
func redactDSN(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		u.User = url.User(u.User.Username())
		return u.String()
	}
	if i := strings.Index(dsn, "://"); i >= 0 {
		return dsn[:i] + "://…"
	}
	return "…"
}

// Dialect is "postgres" or "sqlite".
func (s *Store) Dialect() string { return s.dialect }

// Close releases the connection pool.
func (s *Store) Close() error {
	s.accessWriter.close()
	s.revokedCheck.close()
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

// DB exposes the handle for tests that must look at raw rows.
func (s *Store) DB() *gorm.DB { return s.db }

func (s *Store) now() time.Time { return s.Now().UTC() }

// txKey carries the open transaction in a context.
type txKey struct{}

type txState struct {
	tx           *gorm.DB
	depth        int // nested BeginTX calls that reuse tx
	rollbackOnly bool
	afterCommit  []func()
}

// conn returns the transaction carried by ctx, or the pool.
func (s *Store) conn(ctx context.Context) *gorm.DB {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.tx.WithContext(ctx)
	}
	return s.db.WithContext(ctx)
}

// BeginTX starts a transaction, or joins the one ctx already carries, so
// fosite's flows and our callers can nest without committing early
// (fosite storage/transactional.go).
func (s *Store) BeginTX(ctx context.Context) (context.Context, error) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.depth++
		return ctx, nil
	}
	tx := s.db.WithContext(ctx).Begin()
	if tx.Error != nil {
		return ctx, mapErr(tx.Error)
	}
	return context.WithValue(ctx, txKey{}, &txState{tx: tx}), nil
}

// Commit commits the outermost transaction; a nested Commit only unwinds.
func (s *Store) Commit(ctx context.Context) error {
	st, ok := ctx.Value(txKey{}).(*txState)
	if !ok {
		return errors.New("commit: no transaction in context")
	}
	if st.depth > 0 {
		st.depth--
		return nil
	}
	if st.rollbackOnly {
		st.tx.Rollback()
		return errors.New("commit: an inner step rolled back")
	}
	if err := mapErr(st.tx.Commit().Error); err != nil {
		return err
	}
	for _, fn := range st.afterCommit {
		fn()
	}
	return nil
}

// Rollback aborts the transaction; a nested Rollback marks it for rollback.
func (s *Store) Rollback(ctx context.Context) error {
	st, ok := ctx.Value(txKey{}).(*txState)
	if !ok {
		return errors.New("rollback: no transaction in context")
	}
	if st.depth > 0 {
		st.depth--
		st.rollbackOnly = true
		return nil
	}
	return st.tx.Rollback().Error
}

// InTx runs fn in one transaction (joining one already in ctx).
func (s *Store) InTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	ctx, err = s.BeginTX(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			_ = s.Rollback(ctx)
			panic(p)
		}
	}()
	if err := fn(ctx); err != nil {
		_ = s.Rollback(ctx)
		return err
	}
	return s.Commit(ctx)
}

// mapErr turns driver errors into store sentinels.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return store.ErrNotFound
	case isUniqueViolation(err):
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	case IsUnavailable(err):
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	return strings.Contains(err.Error(), "UNIQUE constraint failed") ||
		strings.Contains(err.Error(), "constraint failed: PRIMARY KEY")
}

// IsUnavailable reports an error that means the database could not be
// reached or did not answer in time, as opposed to a refused statement.
func IsUnavailable(err error) bool {
	var netErr net.Error
	var connErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr):
		// Class 08: connection exception; 57P01–57P03: shutdown, cannot connect now.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
	case errors.As(err, &connErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "SQLITE_BUSY")
}

// isSerializationFailure reports a PostgreSQL 40001 / SQLite busy conflict.
func isSerializationFailure(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}
