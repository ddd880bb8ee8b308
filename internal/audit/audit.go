// Package audit records who changed what. The actor rides in the context,
// set once where a request is authenticated (API, console, CLI), and every
// change is recorded in the transaction that makes it, with the names of the
// fields it changed — never their values.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sort"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

type actorKey struct{}

// WithActor names who acts in ctx.
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// Actor is who acts in ctx; "system" when nobody was named.
func Actor(ctx context.Context) string {
	if a, ok := ctx.Value(actorKey{}).(string); ok && a != "" {
		return a
	}
	return "system"
}

// Record appends one event; call it inside the change's transaction.
func Record(ctx context.Context, log store.Audit, action, targetType, targetID string, fields []string) error {
	fields = append([]string{}, fields...)
	sort.Strings(fields)
	var b [12]byte
	_, _ = rand.Read(b[:])
	return log.RecordAudit(ctx, &store.AuditEvent{
		ID: hex.EncodeToString(b[:]), Actor: Actor(ctx), Action: action,
		TargetType: targetType, TargetID: targetID, Fields: fields,
	})
}
