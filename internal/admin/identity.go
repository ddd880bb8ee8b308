package admin

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/pkg/adminapi"
)

var (
	userCreateFields = fields([]string{"username", "email", "name", "password", "enabled"}, []string{"id", "roles", "created_at", "updated_at"})
	userPatchFields  = userCreateFields
	roleCreateFields = fields([]string{"name", "description", "scopes"}, []string{"builtin", "members", "created_at", "updated_at"})
	rolePatchFields  = fields([]string{"description", "scopes"}, []string{"name", "builtin", "members", "created_at", "updated_at"})
	memberFields     = fields([]string{"username"}, nil)
)

type userWrite struct {
	Username *string `json:"username"`
	Email    *string `json:"email"`
	Name     *string `json:"name"`
	Password *string `json:"password"`
	Enabled  *bool   `json:"enabled"`
}

func (w *userWrite) patch() identity.UserPatch {
	return identity.UserPatch{Username: w.Username, Email: w.Email, Name: w.Name, Password: w.Password, Enabled: w.Enabled}
}

func (a *API) userView(c *gin.Context, u *store.User) (adminapi.User, error) {
	roles, err := a.Store.RolesOf(ctxOf(c), u.Username)
	if err != nil {
		return adminapi.User{}, err
	}
	return UserView(u, roles), nil
}

func (a *API) listUsers(c *gin.Context) {
	listed(c, a.Store.ListUsers, func(u *store.User) (adminapi.User, error) { return a.userView(c, u) })
}

func (a *API) createUser(c *gin.Context) {
	var w userWrite
	if err := decodeBody(c, userCreateFields, &w, func() map[string]string { return a.Identity.CheckUser(w.patch(), true) }); err != nil {
		fail(c, err)
		return
	}
	u, err := a.Identity.CreateUser(ctxOf(c), w.patch())
	if err != nil {
		fail(c, err)
		return
	}
	v, err := a.userView(c, u)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/users/"+u.ID)
	c.JSON(http.StatusCreated, v)
}

func (a *API) getUser(c *gin.Context) {
	u, err := a.Store.FindUser(ctxOf(c), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	v, err := a.userView(c, u)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (a *API) patchUser(c *gin.Context) {
	var w userWrite
	if err := decodeBody(c, userPatchFields, &w, func() map[string]string { return a.Identity.CheckUser(w.patch(), false) }); err != nil {
		fail(c, err)
		return
	}
	if err := a.Identity.UpdateUser(ctxOf(c), c.Param("id"), w.patch()); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) deleteUser(c *gin.Context) {
	if err := a.Identity.DeleteUser(ctxOf(c), c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type roleWrite struct {
	Name        *string   `json:"name"`
	Description *string   `json:"description"`
	Scopes      *[]string `json:"scopes"`
}

func (w *roleWrite) patch() identity.RolePatch {
	return identity.RolePatch{Name: w.Name, Description: w.Description, Scopes: w.Scopes}
}

func (a *API) roleView(c *gin.Context, r *store.Role) (adminapi.Role, error) {
	members, err := a.Store.RoleMembers(ctxOf(c), r.Name)
	if err != nil {
		return adminapi.Role{}, err
	}
	return RoleView(r, members), nil
}

func (a *API) listRoles(c *gin.Context) {
	listed(c, a.Store.ListRoles, func(r *store.Role) (adminapi.Role, error) { return a.roleView(c, r) })
}

func (a *API) createRole(c *gin.Context) {
	var w roleWrite
	if err := decodeBody(c, roleCreateFields, &w, func() map[string]string { return a.Identity.CheckRole(w.patch(), true) }); err != nil {
		fail(c, err)
		return
	}
	r, err := a.Identity.CreateRole(ctxOf(c), w.patch())
	if err != nil {
		fail(c, err)
		return
	}
	v, err := a.roleView(c, r)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/roles/"+r.Name)
	c.JSON(http.StatusCreated, v)
}

func (a *API) getRole(c *gin.Context) {
	r, err := a.Store.FindRole(ctxOf(c), c.Param("name"))
	if err != nil {
		fail(c, err)
		return
	}
	v, err := a.roleView(c, r)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (a *API) patchRole(c *gin.Context) {
	var w roleWrite
	if err := decodeBody(c, rolePatchFields, &w, func() map[string]string { return a.Identity.CheckRole(w.patch(), false) }); err != nil {
		fail(c, err)
		return
	}
	if err := a.Identity.UpdateRole(ctxOf(c), c.Param("name"), w.patch()); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) deleteRole(c *gin.Context) {
	if err := a.Identity.DeleteRole(ctxOf(c), c.Param("name")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) addMember(c *gin.Context) {
	var w struct {
		Username *string `json:"username"`
	}
	if err := decodeBody(c, memberFields, &w, nil); err != nil {
		fail(c, err)
		return
	}
	if w.Username == nil || *w.Username == "" {
		fail(c, badRequest("username is required", map[string]string{"username": "is required"}))
		return
	}
	if err := a.Identity.AddMember(ctxOf(c), c.Param("name"), *w.Username); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) removeMember(c *gin.Context) {
	if err := a.Identity.RemoveMember(ctxOf(c), c.Param("name"), c.Param("username")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) listAudit(c *gin.Context) {
	listed(c, a.Store.ListAudit, func(e *store.AuditEvent) (adminapi.AuditEvent, error) {
		return adminapi.AuditEvent{ID: e.ID, OccurredAt: e.OccurredAt, Actor: e.Actor, Action: e.Action,
			TargetType: e.TargetType, TargetID: e.TargetID, Fields: nonNil(e.Fields)}, nil
	})
}

func (a *API) listNotifications(c *gin.Context) {
	listed(c, a.Store.ListNotifications, func(n *store.Notification) (adminapi.Notification, error) {
		return adminapi.Notification{ID: n.ID, CreatedAt: n.CreatedAt, Kind: n.Kind, ClientID: n.ClientID,
			Recipients: nonNil(n.Recipients), Subject: n.Subject, Body: n.Body, Delivered: n.Delivered}, nil
	})
}
