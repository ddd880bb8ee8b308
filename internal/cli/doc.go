// Package cli is the gatehouse command: serve, migrate, version, and the
// host-side administration commands (clients, users, roles, keys). Every command reads the
// same configuration (file, GATEHOUSE_* environment, flags).
package cli
