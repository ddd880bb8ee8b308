// Package app is the composition root: it takes a validated configuration,
// builds the store, keys, protocol provider and HTTP engine, and hands back
// an http.Handler with the things to close. Nothing else constructs these.
package app
