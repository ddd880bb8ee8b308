// Package admin is the management API (/api/v1, SPEC §5): API and Web App
// clients, users, roles and their members, the audit log and notifications.
// Handlers parse, validate, call the client and identity services, and
// answer; every failure goes through one renderer with SPEC §5's error shape.
package admin
