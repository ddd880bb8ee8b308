// Package clients holds the rules for registering clients (SPEC §4):
// identifiers, secrets, defaults and field validation. The CLI, the
// management API and the console all create clients through it, so a rule
// is written once.
package clients
