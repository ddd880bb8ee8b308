// Package console is the admin console at /console (SPEC §7; docs/console.md):
// server-rendered pages for API and Web App clients, users, roles and their
// members, the audit log and notifications. It signs people in as a relying
// party of this very server — the built-in public client gatehouse-console,
// authorization code + PKCE over HTTP — checks their scopes through roles on
// every request, protects every form against CSRF, and changes things only
// through the client and identity services, with the person as audit actor.
package console
