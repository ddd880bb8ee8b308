// Package sqlstore is the one storage backend: GORM over PostgreSQL in
// production and an embedded, pure-Go SQLite by default. It owns the schema
// (versioned SQL migrations, embedded), implements the store interfaces and
// the fosite storage interfaces, and carries transactions in the context so
// that fosite's flows and our own multi-row changes commit as one.
package sqlstore
