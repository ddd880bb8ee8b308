// Package store defines what Gatehouse persists — clients, signing keys and
// protocol sessions — as plain types, small interfaces and the sentinel errors
// every backend returns. It holds no database code: see package sqlstore.
package store
