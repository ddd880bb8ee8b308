package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// --- users ---

type userView struct {
	ID, Username, Name, Email, URL, Created, Updated string
	Enabled, Self                                    bool
	Roles                                            []string
}

func (c *Console) userView(g *gin.Context, u *store.User) (userView, error) {
	roles, err := c.opts.Store.RolesOf(g.Request.Context(), u.Username)
	if err != nil {
		return userView{}, err
	}
	v := userView{ID: u.ID, Username: u.Username, Name: u.Name, Email: u.Email, URL: "/console/users/" + url.PathEscape(u.ID),
		Created: when(u.CreatedAt), Updated: when(u.UpdatedAt), Enabled: u.Enabled, Self: u.ID == viewerOf(g).UserID,
		Roles: []string{}}
	for _, r := range roles {
		v.Roles = append(v.Roles, r.Name)
	}
	return v, nil
}

func (c *Console) users(g *gin.Context) {
	page := pageParam(g)
	list, total, err := c.opts.Store.ListUsers(g.Request.Context(), store.Page{Offset: (page - 1) * pageSize, Limit: pageSize})
	if err != nil {
		c.serverError(g, err)
		return
	}
	rows := make([]userView, len(list))
	for i := range list {
		if rows[i], err = c.userView(g, &list[i]); err != nil {
			c.serverError(g, err)
			return
		}
	}
	c.render(g, http.StatusOK, pageUsers, map[string]any{
		"Title": "Users", "Section": "users", "Rows": rows,
		"Paging": newPaging(page, total, len(rows), func(n int) string { return "/console/users?page=" + strconv.Itoa(n) }),
	})
}

type userForm struct{ Username, Name, Email string }

func (c *Console) showUserForm(g *gin.Context, status int, f userForm, bad map[string]string) {
	d := map[string]any{"Title": "Create user", "Section": "users", "Form": f, "Errors": bad,
		"MinPassword": identity.MinPasswordLength}
	if len(bad) > 0 {
		d["Problem"] = "Please correct the fields marked below."
	}
	c.render(g, status, pageUserForm, d)
}

func (c *Console) newUser(g *gin.Context) {
	c.showUserForm(g, http.StatusOK, userForm{}, nil)
}

func (c *Console) createUser(g *gin.Context) {
	f := userForm{Username: strings.TrimSpace(g.PostForm("username")), Name: g.PostForm("name"), Email: strings.TrimSpace(g.PostForm("email"))}
	password := g.PostForm("password")
	u, err := c.opts.Identity.CreateUser(g.Request.Context(), identity.UserPatch{
		Username: &f.Username, Name: &f.Name, Email: &f.Email, Password: &password,
	})
	if bad := fieldErrors(err); bad != nil {
		c.showUserForm(g, http.StatusBadRequest, f, bad)
		return
	}
	if errors.Is(err, store.ErrConflict) {
		c.showUserForm(g, http.StatusConflict, f, map[string]string{"username": "is already taken"})
		return
	}
	if err != nil {
		c.serverError(g, err)
		return
	}
	c.notice(g, "/console/users/"+url.PathEscape(u.ID), "User "+u.Username+" created.")
}

func (c *Console) loadUser(g *gin.Context) (*store.User, bool) {
	u, err := c.opts.Store.FindUser(g.Request.Context(), g.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		c.notFound(g, "user")
		return nil, false
	}
	if err != nil {
		c.serverError(g, err)
		return nil, false
	}
	return u, true
}

func (c *Console) showUser(g *gin.Context, status int, u *store.User, f userForm, bad map[string]string) {
	v, err := c.userView(g, u)
	if err != nil {
		c.serverError(g, err)
		return
	}
	if f == (userForm{}) {
		f = userForm{Username: u.Username, Name: u.Name, Email: u.Email}
	}
	d := map[string]any{"Title": u.Username, "Section": "users", "User": v, "Form": f, "Errors": bad,
		"MinPassword": identity.MinPasswordLength}
	if len(bad) > 0 {
		d["Problem"] = "Please correct the fields marked below."
	}
	c.render(g, status, pageUser, d)
}

func (c *Console) user(g *gin.Context) {
	if u, ok := c.loadUser(g); ok {
		c.showUser(g, http.StatusOK, u, userForm{}, nil)
	}
}

func (c *Console) editUser(g *gin.Context) {
	u, ok := c.loadUser(g)
	if !ok {
		return
	}
	f := userForm{Username: u.Username, Name: g.PostForm("name"), Email: strings.TrimSpace(g.PostForm("email"))}
	err := c.opts.Identity.UpdateUser(g.Request.Context(), u.ID, identity.UserPatch{Name: &f.Name, Email: &f.Email})
	if bad := fieldErrors(err); bad != nil {
		c.showUser(g, http.StatusBadRequest, u, f, bad)
		return
	}
	if err != nil {
		c.identityError(g, err, "user")
		return
	}
	c.notice(g, "/console/users/"+url.PathEscape(u.ID), "Changes saved.")
}

func (c *Console) resetPassword(g *gin.Context) {
	u, ok := c.loadUser(g)
	if !ok {
		return
	}
	password := g.PostForm("password")
	err := c.opts.Identity.UpdateUser(g.Request.Context(), u.ID, identity.UserPatch{Password: &password})
	if bad := fieldErrors(err); bad != nil {
		c.showUser(g, http.StatusBadRequest, u, userForm{}, bad)
		return
	}
	if err != nil {
		c.identityError(g, err, "user")
		return
	}
	c.notice(g, "/console/users/"+url.PathEscape(u.ID), "The password of "+u.Username+" was reset.")
}

func (c *Console) setUserEnabled(enabled bool) gin.HandlerFunc {
	return func(g *gin.Context) {
		u, ok := c.loadUser(g)
		if !ok {
			return
		}
		if !enabled && u.ID == viewerOf(g).UserID {
			c.message(g, http.StatusBadRequest, "Not possible", "You cannot disable your own account.")
			return
		}
		if err := c.opts.Identity.UpdateUser(g.Request.Context(), u.ID, identity.UserPatch{Enabled: &enabled}); err != nil {
			c.identityError(g, err, "user")
			return
		}
		msg := u.Username + " is disabled and can no longer sign in."
		if enabled {
			msg = u.Username + " is enabled."
		}
		c.notice(g, "/console/users/"+url.PathEscape(u.ID), msg)
	}
}

func (c *Console) confirmDeleteUser(g *gin.Context) {
	u, ok := c.loadUser(g)
	if !ok {
		return
	}
	c.render(g, http.StatusOK, pageConfirm, map[string]any{
		"Title": "Delete user " + u.Username + "?", "Section": "users",
		"Message": "Deleting " + u.Username + " cannot be undone. They leave every role and can no longer sign in.",
		"Action":  "/console/users/" + url.PathEscape(u.ID) + "/delete", "Button": "Delete user",
		"Cancel": "/console/users/" + url.PathEscape(u.ID),
	})
}

func (c *Console) deleteUser(g *gin.Context) {
	u, ok := c.loadUser(g)
	if !ok {
		return
	}
	if u.ID == viewerOf(g).UserID {
		c.message(g, http.StatusBadRequest, "Not possible", "You cannot delete your own account.")
		return
	}
	if err := c.opts.Identity.DeleteUser(g.Request.Context(), u.ID); err != nil {
		c.identityError(g, err, "user")
		return
	}
	c.notice(g, "/console/users", "User "+u.Username+" deleted.")
}

// --- roles ---

type roleView struct {
	Name, Description, URL, Created, Updated string
	Scopes, Members                          []string
	Builtin                                  bool
}

func (c *Console) roleView(g *gin.Context, r *store.Role) (roleView, error) {
	members, err := c.opts.Store.RoleMembers(g.Request.Context(), r.Name)
	if err != nil {
		return roleView{}, err
	}
	if members == nil {
		members = []string{}
	}
	return roleView{Name: r.Name, Description: r.Description, URL: roleURL(r.Name), Created: when(r.CreatedAt),
		Updated: when(r.UpdatedAt), Scopes: r.Scopes, Members: members, Builtin: r.Builtin}, nil
}

func roleURL(name string, suffix ...string) string {
	return "/console/roles/" + url.PathEscape(name) + strings.Join(suffix, "")
}

func (c *Console) roles(g *gin.Context) {
	page := pageParam(g)
	list, total, err := c.opts.Store.ListRoles(g.Request.Context(), store.Page{Offset: (page - 1) * pageSize, Limit: pageSize})
	if err != nil {
		c.serverError(g, err)
		return
	}
	rows := make([]roleView, len(list))
	for i := range list {
		if rows[i], err = c.roleView(g, &list[i]); err != nil {
			c.serverError(g, err)
			return
		}
	}
	c.render(g, http.StatusOK, pageRoles, map[string]any{
		"Title": "Roles", "Section": "roles", "Rows": rows,
		"Paging": newPaging(page, total, len(rows), func(n int) string { return "/console/roles?page=" + strconv.Itoa(n) }),
	})
}

type roleForm struct{ Name, Description, Scopes string }

func (c *Console) showRoleForm(g *gin.Context, status int, f roleForm, bad map[string]string) {
	d := map[string]any{"Title": "Create role", "Section": "roles", "Form": f, "Errors": bad}
	if len(bad) > 0 {
		d["Problem"] = "Please correct the fields marked below."
	}
	c.render(g, status, pageRoleForm, d)
}

func (c *Console) newRole(g *gin.Context) {
	c.showRoleForm(g, http.StatusOK, roleForm{}, nil)
}

func (c *Console) createRole(g *gin.Context) {
	f := roleForm{Name: strings.TrimSpace(g.PostForm("name")), Description: g.PostForm("description"), Scopes: g.PostForm("scopes")}
	scopes := strings.Fields(f.Scopes)
	r, err := c.opts.Identity.CreateRole(g.Request.Context(), identity.RolePatch{Name: &f.Name, Description: &f.Description, Scopes: &scopes})
	if bad := fieldErrors(err); bad != nil {
		c.showRoleForm(g, http.StatusBadRequest, f, bad)
		return
	}
	if errors.Is(err, store.ErrConflict) {
		c.showRoleForm(g, http.StatusConflict, f, map[string]string{"name": "is already taken"})
		return
	}
	if err != nil {
		c.serverError(g, err)
		return
	}
	c.notice(g, roleURL(r.Name), "Role "+r.Name+" created.")
}

func (c *Console) loadRole(g *gin.Context) (*store.Role, bool) {
	r, err := c.opts.Store.FindRole(g.Request.Context(), g.Param("name"))
	if errors.Is(err, store.ErrNotFound) {
		c.notFound(g, "role")
		return nil, false
	}
	if err != nil {
		c.serverError(g, err)
		return nil, false
	}
	return r, true
}

// showRole renders a role's page; f and bad belong to the form that was
// sent ("edit" or "member"), so each shows its own messages.
func (c *Console) showRole(g *gin.Context, status int, r *store.Role, form string, f roleForm, member string, bad map[string]string) {
	v, err := c.roleView(g, r)
	if err != nil {
		c.serverError(g, err)
		return
	}
	if form != "edit" {
		f = roleForm{Name: r.Name, Description: r.Description, Scopes: strings.Join(r.Scopes, " ")}
	}
	d := map[string]any{"Title": "Role " + r.Name, "Section": "roles", "Role": v, "Form": f, "Member": member,
		"ClientDomain": c.opts.Identity.ClientDomain}
	if form == "edit" {
		d["Errors"] = bad
	} else {
		d["MemberErrors"] = bad
	}
	if len(bad) > 0 {
		d["Problem"] = "Please correct the fields marked below."
	}
	c.render(g, status, pageRole, d)
}

func (c *Console) role(g *gin.Context) {
	if r, ok := c.loadRole(g); ok {
		c.showRole(g, http.StatusOK, r, "", roleForm{}, "", nil)
	}
}

func (c *Console) editRole(g *gin.Context) {
	r, ok := c.loadRole(g)
	if !ok {
		return
	}
	f := roleForm{Name: r.Name, Description: g.PostForm("description"), Scopes: g.PostForm("scopes")}
	scopes := strings.Fields(f.Scopes)
	err := c.opts.Identity.UpdateRole(g.Request.Context(), r.Name, identity.RolePatch{Description: &f.Description, Scopes: &scopes})
	if bad := fieldErrors(err); bad != nil {
		c.showRole(g, http.StatusBadRequest, r, "edit", f, "", bad)
		return
	}
	if errors.Is(err, identity.ErrBuiltinRole) {
		c.showRole(g, http.StatusBadRequest, r, "edit", f, "", map[string]string{"scopes": "the built-in role must keep " + identity.ScopeAdmin})
		return
	}
	if err != nil {
		c.identityError(g, err, "role")
		return
	}
	c.notice(g, roleURL(r.Name), "Changes saved.")
}

func (c *Console) addMember(g *gin.Context) {
	r, ok := c.loadRole(g)
	if !ok {
		return
	}
	username := strings.TrimSpace(g.PostForm("username"))
	var problem string
	var err error
	if username == "" {
		problem = "is required"
	} else {
		err = c.opts.Identity.AddMember(g.Request.Context(), r.Name, username)
		switch {
		case errors.Is(err, identity.ErrUnknownMember):
			problem = "no user or API client has this username"
		case errors.Is(err, store.ErrConflict):
			problem = "is already a member"
		}
	}
	if problem != "" {
		c.showRole(g, http.StatusBadRequest, r, "member", roleForm{}, username, map[string]string{"username": problem})
		return
	}
	if err != nil {
		c.identityError(g, err, "role")
		return
	}
	c.notice(g, roleURL(r.Name), username+" added to "+r.Name+".")
}

func (c *Console) removeMember(g *gin.Context) {
	r, ok := c.loadRole(g)
	if !ok {
		return
	}
	username := g.PostForm("username")
	if err := c.opts.Identity.RemoveMember(g.Request.Context(), r.Name, username); err != nil {
		c.identityError(g, err, "member")
		return
	}
	c.notice(g, roleURL(r.Name), username+" removed from "+r.Name+".")
}

func (c *Console) confirmDeleteRole(g *gin.Context) {
	r, ok := c.loadRole(g)
	if !ok {
		return
	}
	if r.Builtin {
		c.message(g, http.StatusBadRequest, "Built-in role", identity.ErrBuiltinRole.Error()+".")
		return
	}
	c.render(g, http.StatusOK, pageConfirm, map[string]any{
		"Title": "Delete role " + r.Name + "?", "Section": "roles",
		"Message": "Deleting " + r.Name + " cannot be undone. Its members lose the scopes it grants.",
		"Action":  roleURL(r.Name, "/delete"), "Button": "Delete role", "Cancel": roleURL(r.Name),
	})
}

func (c *Console) deleteRole(g *gin.Context) {
	r, ok := c.loadRole(g)
	if !ok {
		return
	}
	if err := c.opts.Identity.DeleteRole(g.Request.Context(), r.Name); err != nil {
		c.identityError(g, err, "role")
		return
	}
	c.notice(g, "/console/roles", "Role "+r.Name+" deleted.")
}

func (c *Console) identityError(g *gin.Context, err error, what string) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.notFound(g, what)
	case errors.Is(err, identity.ErrBuiltinRole):
		c.message(g, http.StatusBadRequest, "Built-in role", identity.ErrBuiltinRole.Error()+".")
	default:
		c.serverError(g, err)
	}
}

// --- audit log and notifications ---

type auditRow struct {
	When, Actor, Action, Target, Fields string
}

func (c *Console) auditLog(g *gin.Context) {
	page := pageParam(g)
	events, total, err := c.opts.Store.ListAudit(g.Request.Context(), store.Page{Offset: (page - 1) * pageSize, Limit: pageSize})
	if err != nil {
		c.serverError(g, err)
		return
	}
	rows := make([]auditRow, len(events))
	for i, e := range events {
		rows[i] = auditRow{When: when(e.OccurredAt), Actor: e.Actor, Action: e.Action,
			Target: e.TargetType + " " + e.TargetID, Fields: strings.Join(e.Fields, ", ")}
	}
	c.render(g, http.StatusOK, pageAudit, map[string]any{
		"Title": "Audit log", "Section": "audit", "Rows": rows,
		"Paging": newPaging(page, total, len(rows), func(n int) string { return "/console/audit?page=" + strconv.Itoa(n) }),
	})
}

type notificationRow struct {
	When, Kind, ClientID, ClientURL, Recipients, Subject, Body string
	Delivered                                                  bool
}

func (c *Console) notifications(g *gin.Context) {
	page := pageParam(g)
	list, total, err := c.opts.Store.ListNotifications(g.Request.Context(), store.Page{Offset: (page - 1) * pageSize, Limit: pageSize})
	if err != nil {
		c.serverError(g, err)
		return
	}
	rows := make([]notificationRow, len(list))
	for i, n := range list {
		rows[i] = notificationRow{When: when(n.CreatedAt), Kind: n.Kind, ClientID: n.ClientID,
			Recipients: strings.Join(n.Recipients, ", "), Subject: n.Subject, Body: n.Body, Delivered: n.Delivered}
		if n.ClientID != "" {
			if cl, err := c.opts.Store.FindClient(g.Request.Context(), n.ClientID); err == nil {
				base := "/console/api-clients/"
				if cl.Type == store.ClientTypeWeb {
					base = "/console/web-clients/"
				}
				rows[i].ClientURL = base + url.PathEscape(cl.ID)
			}
		}
	}
	c.render(g, http.StatusOK, pageNotifications, map[string]any{
		"Title": "Notifications", "Section": "notifications", "Rows": rows,
		"Paging": newPaging(page, total, len(rows), func(n int) string { return "/console/notifications?page=" + strconv.Itoa(n) }),
	})
}
