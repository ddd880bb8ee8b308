package console

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/web"
)

// Page templates (web/templates/console).
const (
	pageClients       = web.ConsoleClients
	pageClient        = web.ConsoleClient
	pageClientForm    = web.ConsoleClientForm
	pageSecret        = web.ConsoleSecret
	pageRegenerate    = web.ConsoleRegenerate
	pageConfirm       = web.ConsoleConfirm
	pageUsers         = web.ConsoleUsers
	pageUser          = web.ConsoleUser
	pageUserForm      = web.ConsoleUserForm
	pageRoles         = web.ConsoleRoles
	pageRole          = web.ConsoleRole
	pageRoleForm      = web.ConsoleRoleForm
	pageAudit         = web.ConsoleAudit
	pageNotifications = web.ConsoleNotifications
	pageMessage       = web.ConsoleMessage
)

var pageNames = []string{pageClients, pageClient, pageClientForm, pageSecret, pageRegenerate, pageConfirm,
	pageUsers, pageUser, pageUserForm, pageRoles, pageRole, pageRoleForm, pageAudit, pageNotifications, pageMessage}

// render writes one console page. Every page carries the headers of SPEC
// §3 plus a Content-Security-Policy that allows no inline script or style.
func (c *Console) render(g *gin.Context, status int, name string, data map[string]any) {
	data["Brand"] = c.opts.Brand
	data["CSRF"] = c.csrfToken(g)
	for _, k := range []string{"Errors", "MemberErrors"} {
		if _, ok := data[k]; !ok {
			data[k] = map[string]string{}
		}
	}
	if _, ok := data["Section"]; !ok {
		data["Section"] = ""
	}
	if v := viewerOf(g); v != nil {
		data["Viewer"] = v
		data["APICSRF"] = apiCSRFToken(v.token)
		if v.flash.Notice != "" {
			data["Notice"] = v.flash.Notice
		}
	}
	h := g.Writer.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", c.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	h.Set("Referrer-Policy", "no-referrer")
	g.Status(status)
	if err := c.opts.Templates.ExecuteTemplate(g.Writer, name, data); err != nil {
		c.opts.Log.ErrorContext(g.Request.Context(), "render console page", "page", name, "error", err)
	}
}

// message renders a page with a title and one paragraph.
func (c *Console) message(g *gin.Context, status int, title, msg string) {
	c.render(g, status, pageMessage, map[string]any{"Title": title, "Message": msg})
}

// noAccess is the 403 page: who you are, why not, and a way to sign out.
func (c *Console) noAccess(g *gin.Context, why string) {
	c.render(g, http.StatusForbidden, pageMessage, map[string]any{
		"Title": "No access", "Message": why, "NoAccess": true,
	})
}

func (c *Console) notFound(g *gin.Context, what string) {
	c.message(g, http.StatusNotFound, "Not found", "There is no such "+what+". It may have been deleted.")
}

// serverError logs err with the request and shows a page without internals.
func (c *Console) serverError(g *gin.Context, err error) {
	if sqlstore.IsUnavailable(err) {
		c.message(g, http.StatusServiceUnavailable, "Database unavailable", "The database did not answer. Try again in a moment.")
		return
	}
	c.opts.Log.ErrorContext(g.Request.Context(), "console", "path", g.Request.URL.Path, "error", err)
	c.message(g, http.StatusInternalServerError, "Something went wrong", "The change could not be made. The error was logged; try again.")
}

// paging is one page of a list, 100 rows each, numbered from 1 for people.
type paging struct {
	Page, Pages, Total, From, To int
	PrevURL, NextURL             string
}

const pageSize = 100

// pageParam reads ?page=N (1-based); anything else is page 1.
func pageParam(g *gin.Context) int {
	n, err := strconv.Atoi(g.Query("page"))
	if err != nil || n < 1 {
		return 1
	}
	return n
}

func newPaging(page, total, shown int, base func(page int) string) paging {
	p := paging{Page: page, Total: total, Pages: (total + pageSize - 1) / pageSize}
	if p.Pages == 0 {
		p.Pages = 1
	}
	if shown > 0 {
		p.From = (page-1)*pageSize + 1
		p.To = p.From + shown - 1
	}
	if page > 1 {
		p.PrevURL = base(page - 1)
	}
	if page*pageSize < total {
		p.NextURL = base(page + 1)
	}
	return p
}

// when renders an instant for people: UTC, to the minute; "" for never.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
