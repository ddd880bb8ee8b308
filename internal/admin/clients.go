package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/pkg/adminapi"
)

// clientRoutes serves one client type's collection.
type clientRoutes struct {
	api *API
	typ string
}

func (h *clientRoutes) register(g gin.IRouter) {
	g.GET("", h.list)
	g.POST("", h.create)
	g.GET("/:client_id", h.get)
	g.PATCH("/:client_id", h.patch)
	g.DELETE("/:client_id", h.delete)
	g.POST("/:client_id/secret", h.regenerate)
	g.POST("/:client_id/duplicate", h.duplicate)
}

// clientWrite is every settable client field; the field sets decide which
// are allowed in which request.
type clientWrite struct {
	ClientID               *string   `json:"client_id"`
	ClientSecret           *string   `json:"client_secret"`
	Name                   *string   `json:"name"`
	Description            *string   `json:"description"`
	Scopes                 *[]string `json:"scopes"`
	PublicBaseURI          *string   `json:"public_base_uri"`
	SecretExpiresOn        *string   `json:"secret_expires_on"`
	AccessTokenLifetime    *int      `json:"access_token_lifetime"`
	Enabled                *bool     `json:"enabled"`
	Public                 *bool     `json:"public"`
	RequireConsent         *bool     `json:"require_consent"`
	RedirectURIs           *[]string `json:"redirect_uris"`
	AllowedCORSOrigins     *[]string `json:"allowed_cors_origins"`
	PostLogoutRedirectURIs *[]string `json:"post_logout_redirect_uris"`
}

func (w *clientWrite) patch() clients.Patch {
	return clients.Patch{
		ClientID: w.ClientID, ClientSecret: w.ClientSecret, Name: w.Name, Description: w.Description,
		Scopes: w.Scopes, PublicBaseURI: w.PublicBaseURI, SecretExpiresOn: w.SecretExpiresOn,
		AccessTokenLifetime: w.AccessTokenLifetime, Enabled: w.Enabled, Public: w.Public,
		RequireConsent: w.RequireConsent, RedirectURIs: w.RedirectURIs,
		AllowedCORSOrigins: w.AllowedCORSOrigins, PostLogoutRedirectURIs: w.PostLogoutRedirectURIs,
	}
}

var (
	commonClientFields = []string{"client_secret", "name", "description", "scopes", "secret_expires_on", "access_token_lifetime", "enabled"}
	clientReadOnly     = []string{"type", "username", "roles", "status", "created_at", "updated_at", "secret_created_at", "last_used_at"}

	apiCreateFields = fields(append([]string{"client_id", "public_base_uri"}, commonClientFields...), clientReadOnly)
	apiPatchFields  = fields(append([]string{"public_base_uri"}, commonClientFields...), append([]string{"client_id"}, clientReadOnly...))
	webOnly         = []string{"require_consent", "redirect_uris", "allowed_cors_origins", "post_logout_redirect_uris"}
	webCreateFields = fields(append(append([]string{"client_id", "public"}, webOnly...), commonClientFields...), clientReadOnly)
	webPatchFields  = fields(append(append([]string{}, webOnly...), commonClientFields...), append([]string{"client_id", "public"}, clientReadOnly...))
	secretFields    = fields([]string{"secret_expires_on", "grace_period_seconds"}, nil)
	duplicateFields = fields([]string{"name"}, nil)
)

func (h *clientRoutes) fieldsFor(create bool) fieldSet {
	switch {
	case h.typ == store.ClientTypeAPI && create:
		return apiCreateFields
	case h.typ == store.ClientTypeAPI:
		return apiPatchFields
	case create:
		return webCreateFields
	}
	return webPatchFields
}

func (h *clientRoutes) path(id string) string {
	if h.typ == store.ClientTypeAPI {
		return "/api/v1/configuration/api-clients/" + id
	}
	return "/api/v1/configuration/web-clients/" + id
}

// view renders a client; secret is non-empty only right after creation.
func (h *clientRoutes) view(c *store.Client, secret string) any {
	now := h.api.now()
	if h.typ == store.ClientTypeAPI {
		return APIClientView(c, secret, h.api.Auth.ClientDomain, now)
	}
	return WebClientView(c, secret, now)
}

func (h *clientRoutes) list(c *gin.Context) {
	listed(c, func(ctx context.Context, p store.Page) ([]store.Client, int, error) {
		return h.api.Store.ListClients(ctx, store.ClientFilter{Type: h.typ, Offset: p.Offset, Limit: p.Limit})
	}, func(cl *store.Client) (any, error) { return h.view(cl, ""), nil })
}

// decodeWrite decodes and checks a write; had is the client's own scopes
// (nil: creating). The service checks its rules again when it saves; the
// scope guard of privilege.go is checked only here.
func (h *clientRoutes) decodeWrite(c *gin.Context, w *clientWrite, create bool, had []string) error {
	check := func() map[string]string {
		bad := h.api.Clients.Check(h.typ, w.patch(), create)
		if !IsAdmin(c) && GrantsAdmin(w.Scopes, had) {
			if bad == nil {
				bad = map[string]string{}
			}
			bad["scopes"] = AdminGrantMessage
		}
		return bad
	}
	if err := decodeBody(c, h.fieldsFor(create), w, check); err != nil {
		return err
	}
	if bad := check(); len(bad) > 0 {
		return &clients.ValidationError{Fields: bad}
	}
	return nil
}

// changeable loads the client named in the path for a change, refusing a
// caller without gatehouse:admin when the client holds it (privilege.go).
func (h *clientRoutes) changeable(c *gin.Context) (*store.Client, bool) {
	cl, err := h.api.Clients.Get(ctxOf(c), h.typ, c.Param("client_id"))
	if err != nil {
		fail(c, err)
		return nil, false
	}
	if !IsAdmin(c) && HoldsAdmin(cl) {
		fail(c, apiError(http.StatusForbidden, adminapi.CodeForbidden,
			"this client holds "+identity.ScopeAdmin+": only an administrator can change it", nil))
		return nil, false
	}
	return cl, true
}

func (h *clientRoutes) create(c *gin.Context) {
	var w clientWrite
	if err := h.decodeWrite(c, &w, true, nil); err != nil {
		fail(c, err)
		return
	}
	created, err := h.api.Clients.Create(ctxOf(c), h.typ, w.patch())
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", h.path(created.Client.ID))
	c.JSON(http.StatusCreated, h.view(created.Client, created.Secret))
}

func (h *clientRoutes) get(c *gin.Context) {
	cl, err := h.api.Clients.Get(ctxOf(c), h.typ, c.Param("client_id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, h.view(cl, ""))
}

func (h *clientRoutes) patch(c *gin.Context) {
	cl, ok := h.changeable(c)
	if !ok {
		return
	}
	var w clientWrite
	if err := h.decodeWrite(c, &w, false, cl.Scopes); err != nil {
		fail(c, err)
		return
	}
	if err := h.api.Clients.Update(ctxOf(c), h.typ, cl.ID, w.patch()); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *clientRoutes) delete(c *gin.Context) {
	cl, ok := h.changeable(c)
	if !ok {
		return
	}
	if err := h.api.Clients.Delete(ctxOf(c), h.typ, cl.ID); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (h *clientRoutes) regenerate(c *gin.Context) {
	var w struct {
		SecretExpiresOn    *string `json:"secret_expires_on"`
		GracePeriodSeconds *int    `json:"grace_period_seconds"`
	}
	cl, ok := h.changeable(c)
	if !ok {
		return
	}
	if err := decodeBody(c, secretFields, &w, nil); err != nil {
		fail(c, err)
		return
	}
	var expires string
	if w.SecretExpiresOn != nil {
		expires = *w.SecretExpiresOn
	}
	var grace time.Duration
	if w.GracePeriodSeconds != nil {
		grace = time.Duration(*w.GracePeriodSeconds) * time.Second
	}
	res, err := h.api.Clients.RegenerateSecret(ctxOf(c), h.typ, cl.ID, expires, grace)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, adminapi.SecretResponse{
		ClientSecret: res.Secret, SecretExpiresOn: clients.SecretExpiresOn(res.SecretExpiresAt),
	})
}

func (h *clientRoutes) duplicate(c *gin.Context) {
	var w struct {
		Name *string `json:"name"`
	}
	cl, ok := h.changeable(c)
	if !ok {
		return
	}
	if err := decodeBody(c, duplicateFields, &w, nil); err != nil {
		fail(c, err)
		return
	}
	created, err := h.api.Clients.Duplicate(ctxOf(c), h.typ, cl.ID, w.Name)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", h.path(created.Client.ID))
	c.JSON(http.StatusCreated, h.view(created.Client, created.Secret))
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
