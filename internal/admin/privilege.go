package admin

import (
	"slices"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// A client holding gatehouse:admin can do anything, so only an
// administrator may change it (edit, take a new secret, copy, disable,
// delete) or give a client gatehouse:admin. Otherwise gatehouse:clients
// would be gatehouse:admin in two steps: grant it to a client, or
// regenerate the secret of one that has it. The console applies the same
// rules.

// HoldsAdmin reports whether c holds gatehouse:admin, itself or through a role.
func HoldsAdmin(c *store.Client) bool {
	return slices.Contains(c.EffectiveScopes(), identity.ScopeAdmin)
}

// GrantsAdmin reports whether setting scopes gives gatehouse:admin to a
// client whose own scopes were had (nil when creating it).
func GrantsAdmin(scopes *[]string, had []string) bool {
	return scopes != nil && slices.Contains(*scopes, identity.ScopeAdmin) && !slices.Contains(had, identity.ScopeAdmin)
}

// AdminGrantMessage is the field error for a scope list that GrantsAdmin.
const AdminGrantMessage = "only an administrator (" + identity.ScopeAdmin + ") can grant " + identity.ScopeAdmin

// IsAdmin reports whether the request's caller holds gatehouse:admin.
func IsAdmin(c *gin.Context) bool {
	caller, _ := c.Get("caller")
	cl, ok := caller.(*Caller)
	return ok && slices.Contains(cl.Scopes, identity.ScopeAdmin)
}
