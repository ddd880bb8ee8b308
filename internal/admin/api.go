package admin

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/pkg/adminapi"
)

// Store is what the handlers read directly; changes go through the services.
type Store interface {
	store.Clients
	store.UserAdmin
	store.RoleAdmin
	store.Audit
	store.Notifications
}

// API serves /api/v1.
type API struct {
	Clients  *clients.Service
	Identity *identity.Service
	Store    Store
	Auth     *Authenticator
	Log      *slog.Logger
	Now      func() time.Time
}

func (a *API) now() time.Time {
	if a.Now != nil {
		return a.Now().UTC()
	}
	return time.Now().UTC()
}

// Register mounts the management API on r under /api/v1.
func (a *API) Register(r gin.IRouter) {
	v1 := r.Group("/api/v1", noStore, renderErrors(a.Log), a.Auth.authenticate)

	conf := v1.Group("/configuration", require(identity.ScopeClients))
	(&clientRoutes{api: a, typ: store.ClientTypeAPI}).register(conf.Group("/api-clients"))
	(&clientRoutes{api: a, typ: store.ClientTypeWeb}).register(conf.Group("/web-clients"))

	admin := v1.Group("", require(identity.ScopeAdmin))
	users := admin.Group("/users")
	users.GET("", a.listUsers)
	users.POST("", a.createUser)
	users.GET("/:id", a.getUser)
	users.PATCH("/:id", a.patchUser)
	users.DELETE("/:id", a.deleteUser)

	roles := admin.Group("/roles")
	roles.GET("", a.listRoles)
	roles.POST("", a.createRole)
	roles.GET("/:name", a.getRole)
	roles.PATCH("/:name", a.patchRole)
	roles.DELETE("/:name", a.deleteRole)
	roles.POST("/:name/members", a.addMember)
	roles.DELETE("/:name/members/:username", a.removeMember)

	admin.GET("/audit-events", a.listAudit)
	admin.GET("/notifications", a.listNotifications)
}

// NotFound answers unknown routes under /api in the API's shape.
func NotFound(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
	c.JSON(http.StatusNotFound, apiError(http.StatusNotFound, adminapi.CodeNotFound, "no such route", nil))
}

// fail records err for renderErrors.
func fail(c *gin.Context, err error) { _ = c.Error(err) }

func ctxOf(c *gin.Context) context.Context { return c.Request.Context() }
