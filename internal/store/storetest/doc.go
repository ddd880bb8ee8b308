// Package storetest is the storage conformance suite: Run exercises every
// behaviour Gatehouse and fosite rely on — the store interfaces, the fosite
// storage interfaces with their error contracts (used authorization codes
// and rotated-out refresh tokens come back with their request,
// FOSITE-NOTES §2–§3), single-use under concurrency, and transactions
// carried in the context (FOSITE-NOTES §4).
//
// A backend's tests call Run with a constructor that returns a fresh,
// migrated, empty store for each sub-test (see package sqlstore's tests,
// which run it on SQLite and PostgreSQL). The suite only uses the store's
// methods; checks on raw rows belong to the backend's own tests.
package storetest
