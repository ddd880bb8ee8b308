package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/admin"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// clientPages serves one client type's pages: the list, create, details,
// edit, permissions, regenerate, duplicate, enable/disable and delete.
type clientPages struct {
	c   *Console
	typ string
}

func (p *clientPages) register(r gin.IRouter) {
	r.GET("", p.list)
	r.GET("/new", p.newForm)
	r.POST("", p.create)
	r.GET("/:id", p.details)
	r.GET("/:id/secret", p.secret)
	r.GET("/:id/edit", p.editForm)
	r.POST("/:id/edit", p.edit)
	if p.typ == store.ClientTypeAPI {
		r.GET("/:id/permissions", p.permissionsForm)
		r.POST("/:id/permissions", p.permissions)
	}
	r.GET("/:id/regenerate", p.regenerateForm)
	r.POST("/:id/regenerate", p.regenerate)
	r.POST("/:id/enable", p.setEnabled(true))
	r.POST("/:id/disable", p.setEnabled(false))
	r.GET("/:id/delete", p.confirmDelete)
	r.POST("/:id/delete", p.delete)
}

func (p *clientPages) base() string {
	if p.typ == store.ClientTypeAPI {
		return "/console/api-clients"
	}
	return "/console/web-clients"
}

func (p *clientPages) url(id string, suffix ...string) string {
	return p.base() + "/" + url.PathEscape(id) + strings.Join(suffix, "")
}

func (p *clientPages) label() string {
	if p.typ == store.ClientTypeAPI {
		return "API client"
	}
	return "Web App client"
}

// data starts a page's data with what every client page shows.
func (p *clientPages) data(title string) map[string]any {
	return map[string]any{
		"Title": title, "Kind": p.typ, "API": p.typ == store.ClientTypeAPI, "KindLabel": p.label(),
		"Base": p.base(), "Section": p.typ,
	}
}

// --- views ---

// statusLabels name SPEC §4's statuses for people.
var statusLabels = map[string]string{
	"active": "Active", "needs_attention": "Needs attention", "secret_expired": "Secret expired", "disabled": "Disabled",
}

type clientView struct {
	ID, Name, Description, URL                 string
	Status, StatusLabel                        string
	Username                                   string
	Scopes, RoleScopes, Roles                  []string
	SecretExpiresOn, SecretExpiryNote          string
	SecretCreated, LastUsed, Created, Updated  string
	AccessTokenLifetime, PublicBaseURI         string
	Enabled, Public, RequireConsent, HasSecret bool
	RedirectURIs, CORSOrigins, PostLogoutURIs  []string
	Builtin, ExpiringSoon                      bool
	TypeLabel                                  string
}

func (p *clientPages) view(cl *store.Client) clientView {
	now := p.c.now()
	status := clients.Status(cl, now)
	v := clientView{
		ID: cl.ID, Name: cl.Name, Description: cl.Description, URL: p.url(cl.ID),
		Status: status, StatusLabel: statusLabels[status],
		Scopes: cl.Scopes, Roles: cl.Roles,
		SecretExpiresOn: clients.SecretExpiresOn(cl.SecretExpiresAt),
		SecretCreated:   when(cl.SecretCreatedAt), LastUsed: when(cl.LastUsedAt),
		Created: when(cl.CreatedAt), Updated: when(cl.UpdatedAt),
		PublicBaseURI: cl.PublicBaseURI, Enabled: cl.Enabled, Public: cl.Public, RequireConsent: cl.RequireConsent,
		HasSecret:    cl.Type == store.ClientTypeAPI || !cl.Public,
		RedirectURIs: cl.RedirectURIs, CORSOrigins: cl.AllowedCORSOrigins, PostLogoutURIs: cl.PostLogoutRedirectURIs,
		Builtin: cl.ID == ClientID,
	}
	if cl.Type == store.ClientTypeAPI {
		v.Username = store.ClientUsername(cl.ID, p.c.opts.Identity.ClientDomain)
		v.TypeLabel = "API"
	} else if cl.Public {
		v.TypeLabel = "Public"
	} else {
		v.TypeLabel = "Confidential"
	}
	for _, s := range cl.RoleScopes {
		if !slices.Contains(cl.Scopes, s) && !slices.Contains(v.RoleScopes, s) {
			v.RoleScopes = append(v.RoleScopes, s)
		}
	}
	if cl.AccessTokenLifetime > 0 {
		v.AccessTokenLifetime = strconv.Itoa(int(cl.AccessTokenLifetime/time.Second)) + " seconds"
	} else {
		v.AccessTokenLifetime = "server default"
	}
	if !cl.SecretExpiresAt.IsZero() {
		days := int(cl.SecretExpiresAt.Sub(now).Hours() / 24)
		switch {
		case !now.Before(cl.SecretExpiresAt):
			v.SecretExpiryNote = "expired"
		case days < 1:
			v.SecretExpiryNote = "last day"
			v.ExpiringSoon = true
		default:
			v.SecretExpiryNote = fmt.Sprintf("%d days left", days)
			v.ExpiringSoon = days <= 14
		}
	}
	return v
}

// --- list ---

func (p *clientPages) list(g *gin.Context) {
	q := strings.TrimSpace(g.Query("q"))
	page := pageParam(g)
	list, total, err := p.c.opts.Store.ListClients(g.Request.Context(), store.ClientFilter{
		Type: p.typ, Search: q, Offset: (page - 1) * pageSize, Limit: pageSize,
	})
	if err != nil {
		p.c.serverError(g, err)
		return
	}
	rows := make([]clientView, len(list))
	for i := range list {
		rows[i] = p.view(&list[i])
	}
	d := p.data(p.label() + "s")
	d["Rows"], d["Query"] = rows, q
	d["Paging"] = newPaging(page, total, len(rows), func(n int) string {
		v := url.Values{"page": {strconv.Itoa(n)}}
		if q != "" {
			v.Set("q", q)
		}
		return p.base() + "?" + v.Encode()
	})
	p.c.render(g, http.StatusOK, pageClients, d)
}

// --- create and duplicate ---

// clientForm is what a client form shows and sends back, as typed.
type clientForm struct {
	Name, Description, Scopes, SecretExpiresOn, PublicBaseURI, AccessTokenLifetime string
	Public, RequireConsent                                                         bool
	RedirectURIs, CORSOrigins, PostLogoutURIs                                      string
}

func lines(list []string) string { return strings.Join(list, "\n") }

func (p *clientPages) formFor(cl *store.Client) clientForm {
	f := clientForm{
		Name: cl.Name, Description: cl.Description, Scopes: strings.Join(cl.Scopes, " "),
		PublicBaseURI: cl.PublicBaseURI, Public: cl.Public, RequireConsent: cl.RequireConsent,
		RedirectURIs: lines(cl.RedirectURIs), CORSOrigins: lines(cl.AllowedCORSOrigins),
		PostLogoutURIs: lines(cl.PostLogoutRedirectURIs),
	}
	if cl.AccessTokenLifetime > 0 {
		f.AccessTokenLifetime = strconv.Itoa(int(cl.AccessTokenLifetime / time.Second))
	}
	return f
}

// expiryLimits are the secret dates a form offers: today + 90 days by
// default, today + 24 months at most (SPEC §4).
func (p *clientPages) expiryLimits(d map[string]any) {
	now := p.c.now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	d["Today"] = today.Format(clients.DateLayout)
	d["DefaultExpiry"] = today.AddDate(0, 0, clients.DefaultSecretValidity).Format(clients.DateLayout)
	d["MaxExpiry"] = today.AddDate(0, clients.MaxSecretValidityMonths, 0).Format(clients.DateLayout)
	d["DefaultDays"] = clients.DefaultSecretValidity
	d["MaxMonths"] = clients.MaxSecretValidityMonths
}

func (p *clientPages) showForm(g *gin.Context, status int, mode string, cl *store.Client, f clientForm, bad map[string]string, extra map[string]any) {
	title := "Create " + p.label()
	action := p.base()
	switch mode {
	case "edit":
		title, action = "Edit "+cl.Name, p.url(cl.ID, "/edit")
	case "permissions":
		title, action = "Edit permissions of "+cl.Name, p.url(cl.ID, "/permissions")
	}
	d := p.data(title)
	d["Mode"], d["Create"], d["Action"], d["Form"], d["Errors"] = mode, mode == "create", action, f, bad
	if cl != nil {
		d["Client"] = p.view(cl)
	}
	if len(bad) > 0 {
		d["Problem"] = "Please correct the fields marked below."
	}
	p.expiryLimits(d)
	for k, v := range extra {
		d[k] = v
	}
	p.c.render(g, status, pageClientForm, d)
}

// newForm is the create form; with ?from=ID it is pre-filled with that
// client's settings (duplicate), to be checked before it is created.
func (p *clientPages) newForm(g *gin.Context) {
	d := map[string]any{}
	p.expiryLimits(d)
	f := clientForm{SecretExpiresOn: d["DefaultExpiry"].(string)}
	if p.typ == store.ClientTypeWeb {
		f.Public, f.RequireConsent = true, true
		f.Scopes = strings.Join(clients.DefaultWebScopes, " ")
	}
	extra := map[string]any{}
	if from := g.Query("from"); from != "" {
		src, err := p.c.opts.Clients.Get(g.Request.Context(), p.typ, from)
		if errors.Is(err, store.ErrNotFound) {
			p.c.notFound(g, strings.ToLower(p.label()))
			return
		}
		if err != nil {
			p.c.serverError(g, err)
			return
		}
		expiry := f.SecretExpiresOn
		f = p.formFor(src)
		f.Name, f.SecretExpiresOn = copyName(src.Name), expiry
		extra["DuplicateOf"] = p.view(src)
		extra["Title"] = "Duplicate " + src.Name
	}
	p.showForm(g, http.StatusOK, "create", nil, f, nil, extra)
}

func copyName(name string) string {
	const suffix = " (copy)"
	r := []rune(name)
	if max := clients.MaxNameLength - utf8.RuneCountInString(suffix); len(r) > max {
		r = r[:max]
	}
	return string(r) + suffix
}

// readForm takes a client form as posted. fields names the inputs the
// form had; the patch sets exactly those.
func (p *clientPages) readForm(g *gin.Context, fields ...string) (clientForm, clients.Patch, map[string]string) {
	f := clientForm{
		Name: g.PostForm("name"), Description: g.PostForm("description"), Scopes: g.PostForm("scopes"),
		SecretExpiresOn: strings.TrimSpace(g.PostForm("secret_expires_on")), PublicBaseURI: strings.TrimSpace(g.PostForm("public_base_uri")),
		AccessTokenLifetime: strings.TrimSpace(g.PostForm("access_token_lifetime")),
		Public:              g.PostForm("public") != "false", RequireConsent: g.PostForm("require_consent") == "true",
		RedirectURIs: g.PostForm("redirect_uris"), CORSOrigins: g.PostForm("allowed_cors_origins"),
		PostLogoutURIs: g.PostForm("post_logout_redirect_uris"),
	}
	bad := map[string]string{}
	var patch clients.Patch
	for _, name := range fields {
		switch name {
		case "name":
			patch.Name = &f.Name
		case "description":
			patch.Description = &f.Description
		case "scopes":
			s := strings.Fields(f.Scopes)
			patch.Scopes = &s
		case "public_base_uri":
			patch.PublicBaseURI = &f.PublicBaseURI
		case "secret_expires_on":
			if f.SecretExpiresOn != "" {
				patch.SecretExpiresOn = &f.SecretExpiresOn
			}
		case "access_token_lifetime":
			if f.AccessTokenLifetime == "" {
				zero := 0 // the server default
				patch.AccessTokenLifetime = &zero
				break
			}
			n, err := strconv.Atoi(f.AccessTokenLifetime)
			if err != nil {
				bad["access_token_lifetime"] = "must be a whole number of seconds"
				break
			}
			patch.AccessTokenLifetime = &n
		case "public":
			patch.Public = &f.Public
		case "require_consent":
			patch.RequireConsent = &f.RequireConsent
		case "redirect_uris":
			l := strings.Fields(f.RedirectURIs)
			patch.RedirectURIs = &l
		case "allowed_cors_origins":
			l := strings.Fields(f.CORSOrigins)
			patch.AllowedCORSOrigins = &l
		case "post_logout_redirect_uris":
			l := strings.Fields(f.PostLogoutURIs)
			patch.PostLogoutRedirectURIs = &l
		}
	}
	return f, patch, bad
}

// guardAdminScope keeps gatehouse:clients users from granting
// gatehouse:admin — more than they hold themselves (admin/privilege.go).
func guardAdminScope(v *viewer, p clients.Patch, had []string, bad map[string]string) {
	if !v.Admin && admin.GrantsAdmin(p.Scopes, had) {
		bad["scopes"] = admin.AdminGrantMessage
	}
}

var (
	apiCreateFields = []string{"name", "description", "scopes", "secret_expires_on", "public_base_uri", "access_token_lifetime"}
	webCreateFields = []string{"name", "description", "scopes", "public", "require_consent", "redirect_uris",
		"allowed_cors_origins", "post_logout_redirect_uris", "access_token_lifetime"}
	apiEditFields  = []string{"name", "description", "public_base_uri", "access_token_lifetime"}
	webEditFields  = []string{"name", "description", "scopes", "require_consent", "redirect_uris", "allowed_cors_origins", "post_logout_redirect_uris", "access_token_lifetime"}
	permissionsSet = []string{"scopes"}
)

func (p *clientPages) create(g *gin.Context) {
	fields := apiCreateFields
	if p.typ == store.ClientTypeWeb {
		fields = webCreateFields
		if g.PostForm("public") == "false" {
			fields = append(fields, "secret_expires_on") // a confidential client has a secret
		}
	}
	f, patch, bad := p.readForm(g, fields...)
	if patch.AccessTokenLifetime != nil && *patch.AccessTokenLifetime == 0 {
		patch.AccessTokenLifetime = nil
	}
	guardAdminScope(viewerOf(g), patch, nil, bad)
	if len(bad) > 0 {
		p.showForm(g, http.StatusBadRequest, "create", nil, f, bad, nil)
		return
	}
	created, err := p.c.opts.Clients.Create(g.Request.Context(), p.typ, patch)
	if bad := fieldErrors(err); bad != nil {
		p.showForm(g, http.StatusBadRequest, "create", nil, f, bad, nil)
		return
	}
	if err != nil {
		p.c.serverError(g, err)
		return
	}
	id := created.Client.ID
	if created.Secret == "" {
		p.c.notice(g, p.url(id), p.label()+" "+created.Client.Name+" created.")
		return
	}
	err = p.c.setFlash(g, flash{ClientID: id, Secret: created.Secret,
		ExpiresOn: clients.SecretExpiresOn(created.Client.SecretExpiresAt)})
	if err != nil {
		p.c.serverError(g, err)
		return
	}
	g.Redirect(http.StatusSeeOther, p.url(id, "/secret"))
}

// secret shows a client's new secret once: the flash that carried it is
// gone after this page, and a reload shows only that it was shown.
func (p *clientPages) secret(g *gin.Context) {
	cl, ok := p.load(g)
	if !ok {
		return
	}
	d := p.data("Client credentials")
	d["Client"] = p.view(cl)
	if f := viewerOf(g).flash; f.Secret != "" && f.ClientID == cl.ID {
		d["Secret"], d["ExpiresOn"], d["Regenerated"] = f.Secret, f.ExpiresOn, f.Regenerated
		if f.Regenerated {
			d["Title"] = "New client secret"
		}
	}
	p.c.render(g, http.StatusOK, pageSecret, d)
}

// --- details ---

// load finds the client named in the path, or answers 404.
func (p *clientPages) load(g *gin.Context) (*store.Client, bool) {
	cl, err := p.c.opts.Clients.Get(g.Request.Context(), p.typ, g.Param("id"))
	if errors.Is(err, store.ErrNotFound) {
		p.c.notFound(g, strings.ToLower(p.label()))
		return nil, false
	}
	if err != nil {
		p.c.serverError(g, err)
		return nil, false
	}
	return cl, true
}

// loadChangeable is load, refusing the console's own client (changing it
// here could lock everyone out of the console) and, to anyone but an
// administrator, a client holding gatehouse:admin (admin/privilege.go).
func (p *clientPages) loadChangeable(g *gin.Context) (*store.Client, bool) {
	cl, ok := p.load(g)
	if ok && cl.ID == ClientID {
		p.c.message(g, http.StatusBadRequest, "Built-in client",
			"The console signs in with this client; it cannot be changed here. Gatehouse keeps its settings in line with the issuer on every start.")
		return nil, false
	}
	if ok && !viewerOf(g).Admin && admin.HoldsAdmin(cl) {
		p.c.noAccess(g, "This client holds "+identity.ScopeAdmin+", so only an administrator can change it, copy it or give it a new secret.")
		return nil, false
	}
	return cl, ok
}

func (p *clientPages) details(g *gin.Context) {
	cl, ok := p.load(g)
	if !ok {
		return
	}
	d := p.data(cl.Name)
	d["Client"] = p.view(cl)
	p.c.render(g, http.StatusOK, pageClient, d)
}

// --- edit ---

func (p *clientPages) editForm(g *gin.Context) {
	cl, ok := p.loadChangeable(g)
	if !ok {
		return
	}
	p.showForm(g, http.StatusOK, "edit", cl, p.formFor(cl), nil, nil)
}

func (p *clientPages) edit(g *gin.Context) {
	p.update(g, "edit")
}

func (p *clientPages) permissionsForm(g *gin.Context) {
	cl, ok := p.loadChangeable(g)
	if !ok {
		return
	}
	p.showForm(g, http.StatusOK, "permissions", cl, p.formFor(cl), nil, nil)
}

func (p *clientPages) permissions(g *gin.Context) {
	p.update(g, "permissions")
}

func (p *clientPages) update(g *gin.Context, mode string) {
	cl, ok := p.loadChangeable(g)
	if !ok {
		return
	}
	fields := permissionsSet
	switch {
	case mode == "edit" && p.typ == store.ClientTypeAPI:
		fields = apiEditFields
	case mode == "edit":
		fields = webEditFields
	}
	f, patch, bad := p.readForm(g, fields...)
	f.Public = cl.Public
	guardAdminScope(viewerOf(g), patch, cl.Scopes, bad)
	if len(bad) > 0 {
		p.showForm(g, http.StatusBadRequest, mode, cl, f, bad, nil)
		return
	}
	if !keepChanged(&patch, cl) {
		p.c.notice(g, p.url(cl.ID), "Nothing to save: no field was changed.")
		return
	}
	err := p.c.opts.Clients.Update(g.Request.Context(), p.typ, cl.ID, patch)
	if bad := fieldErrors(err); bad != nil {
		p.showForm(g, http.StatusBadRequest, mode, cl, f, bad, nil)
		return
	}
	if err != nil {
		p.c.clientError(g, p, err)
		return
	}
	msg := "Changes saved."
	if mode == "permissions" {
		msg = "Permissions saved."
	}
	p.c.notice(g, p.url(cl.ID), msg)
}

// keepChanged drops the fields a form sent unchanged, so the audit log
// names only what was changed; false when nothing is left.
func keepChanged(p *clients.Patch, cl *store.Client) bool {
	sameStr := func(v **string, old string) {
		if *v != nil && **v == old {
			*v = nil
		}
	}
	sameList := func(v **[]string, old []string) {
		if *v != nil && slices.Equal(**v, old) {
			*v = nil
		}
	}
	sameStr(&p.Name, cl.Name)
	sameStr(&p.Description, cl.Description)
	sameStr(&p.PublicBaseURI, cl.PublicBaseURI)
	sameList(&p.Scopes, cl.Scopes)
	sameList(&p.RedirectURIs, cl.RedirectURIs)
	sameList(&p.AllowedCORSOrigins, cl.AllowedCORSOrigins)
	sameList(&p.PostLogoutRedirectURIs, cl.PostLogoutRedirectURIs)
	if p.AccessTokenLifetime != nil && time.Duration(*p.AccessTokenLifetime)*time.Second == cl.AccessTokenLifetime {
		p.AccessTokenLifetime = nil
	}
	if p.RequireConsent != nil && *p.RequireConsent == cl.RequireConsent {
		p.RequireConsent = nil
	}
	return len(p.Fields()) > 0
}

// --- secret ---

var gracePeriods = []struct {
	Seconds int
	Label   string
}{
	{0, "None: the old secret stops working at once"},
	{3600, "1 hour"},
	{86400, "24 hours"},
	{3 * 86400, "3 days"},
	{7 * 86400, "7 days (the most allowed)"},
}

func (p *clientPages) showRegenerate(g *gin.Context, status int, cl *store.Client, expires, grace string, bad map[string]string) {
	d := p.data("Regenerate the secret of " + cl.Name)
	d["Client"], d["Errors"], d["Grace"], d["GracePeriods"] = p.view(cl), bad, grace, gracePeriods
	p.expiryLimits(d)
	if expires == "" {
		expires = d["DefaultExpiry"].(string)
	}
	d["Expires"] = expires
	if len(bad) > 0 {
		d["Problem"] = "Please correct the fields marked below."
	}
	p.c.render(g, status, pageRegenerate, d)
}

func (p *clientPages) regenerateForm(g *gin.Context) {
	cl, ok := p.loadChangeable(g)
	if !ok {
		return
	}
	if cl.Type == store.ClientTypeWeb && cl.Public {
		p.c.message(g, http.StatusBadRequest, "No secret", "A public client has no secret to regenerate.")
		return
	}
	p.showRegenerate(g, http.StatusOK, cl, "", "0", nil)
}

func (p *clientPages) regenerate(g *gin.Context) {
	cl, ok := p.loadChangeable(g)
	if !ok {
		return
	}
	expires := strings.TrimSpace(g.PostForm("secret_expires_on"))
	graceText := g.PostForm("grace_period_seconds")
	grace, err := strconv.Atoi(graceText)
	if err != nil && graceText != "" {
		p.showRegenerate(g, http.StatusBadRequest, cl, expires, graceText,
			map[string]string{"grace_period_seconds": "must be a whole number of seconds"})
		return
	}
	res, err := p.c.opts.Clients.RegenerateSecret(g.Request.Context(), p.typ, cl.ID, expires, time.Duration(grace)*time.Second)
	if bad := fieldErrors(err); bad != nil {
		p.showRegenerate(g, http.StatusBadRequest, cl, expires, graceText, bad)
		return
	}
	if err != nil {
		p.c.clientError(g, p, err)
		return
	}
	err = p.c.setFlash(g, flash{ClientID: cl.ID, Secret: res.Secret,
		ExpiresOn: clients.SecretExpiresOn(res.SecretExpiresAt), Regenerated: true})
	if err != nil {
		p.c.serverError(g, err)
		return
	}
	g.Redirect(http.StatusSeeOther, p.url(cl.ID, "/secret"))
}

// --- enable, disable, delete ---

func (p *clientPages) setEnabled(enabled bool) gin.HandlerFunc {
	return func(g *gin.Context) {
		cl, ok := p.loadChangeable(g)
		if !ok {
			return
		}
		if err := p.c.opts.Clients.Update(g.Request.Context(), p.typ, cl.ID, clients.Patch{Enabled: &enabled}); err != nil {
			p.c.clientError(g, p, err)
			return
		}
		msg := cl.Name + " is disabled: it gets no tokens, and the ones it has are no longer accepted."
		if enabled {
			msg = cl.Name + " is enabled."
		}
		p.c.notice(g, p.url(cl.ID), msg)
	}
}

func (p *clientPages) confirmDelete(g *gin.Context) {
	cl, ok := p.loadChangeable(g)
	if !ok {
		return
	}
	msg := "Deleting " + cl.Name + " (" + cl.ID + ") cannot be undone. Its tokens stop working at once"
	if p.typ == store.ClientTypeAPI {
		msg += ", and it leaves every role it belongs to."
	} else {
		msg += ", and its users will no longer be able to sign in to it."
	}
	p.c.render(g, http.StatusOK, pageConfirm, map[string]any{
		"Title": "Delete " + cl.Name + "?", "Message": msg, "Action": p.url(cl.ID, "/delete"),
		"Button": "Delete client", "Cancel": p.url(cl.ID), "Section": p.typ,
	})
}

func (p *clientPages) delete(g *gin.Context) {
	cl, ok := p.loadChangeable(g)
	if !ok {
		return
	}
	if err := p.c.opts.Clients.Delete(g.Request.Context(), p.typ, cl.ID); err != nil {
		p.c.clientError(g, p, err)
		return
	}
	p.c.notice(g, p.base(), p.label()+" "+cl.Name+" ("+cl.ID+") deleted.")
}

// clientError answers the errors a client change can meet besides field
// validation.
func (c *Console) clientError(g *gin.Context, p *clientPages, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.notFound(g, strings.ToLower(p.label()))
	case errors.Is(err, clients.ErrPublicClient):
		c.message(g, http.StatusBadRequest, "No secret", "A public client has no secret.")
	default:
		c.serverError(g, err)
	}
}

// fieldErrors returns the per-field messages of a validation error — the
// same rules and words as the management API — or nil.
func fieldErrors(err error) map[string]string {
	// identity.ValidationError is the same type.
	var cv *clients.ValidationError
	if errors.As(err, &cv) {
		return cv.Fields
	}
	return nil
}
