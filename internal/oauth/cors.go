package oauth

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/store"
)

// originCache holds the union of every Web App client's CORS origins for a
// short while, so a preflight costs no query.
type originCache struct {
	store interface {
		AllowedOrigins(ctx context.Context) ([]string, error)
	}
	ttl    time.Duration
	mu     sync.Mutex
	at     time.Time
	values []string
}

func (o *originCache) has(ctx context.Context, origin string) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if time.Since(o.at) > o.ttl {
		v, err := o.store.AllowedOrigins(ctx)
		if err != nil {
			return slices.Contains(o.values, origin) // stale beats failing closed on a blip
		}
		o.values, o.at = v, time.Now()
	}
	return slices.Contains(o.values, origin)
}

// preflight answers CORS preflights for token, userinfo and revocation: any
// origin listed by some Web App client may ask (SPEC §2).
func (p *Provider) preflight(c *gin.Context) {
	origin := c.GetHeader("Origin")
	if origin == "" || !p.origins.has(c.Request.Context(), origin) {
		c.Status(http.StatusNoContent)
		return
	}
	h := c.Writer.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
	h.Set("Access-Control-Max-Age", "600")
	h.Add("Vary", "Origin")
	c.Status(http.StatusNoContent)
}

// allowOrigin sets Access-Control-Allow-Origin on an actual response only
// when the origin is listed for the client in question.
func (p *Provider) allowOrigin(c *gin.Context, clientID string) {
	origin := c.GetHeader("Origin")
	c.Writer.Header().Add("Vary", "Origin")
	if origin == "" || clientID == "" {
		return
	}
	cl, err := p.store.GetClient(c.Request.Context(), clientID)
	if err != nil {
		return
	}
	if oc, ok := cl.(*store.OAuthClient); ok && slices.Contains(oc.AllowedCORSOrigins, origin) {
		c.Writer.Header().Set("Access-Control-Allow-Origin", origin)
	}
}

// allowClaimedOrigin is allowOrigin for the client a token or revocation
// request names; requests without Origin (servers, not browsers) skip the
// lookup altogether.
func (p *Provider) allowClaimedOrigin(c *gin.Context) {
	if c.GetHeader("Origin") == "" {
		c.Writer.Header().Add("Vary", "Origin")
		return
	}
	p.allowOrigin(c, claimedClientID(c.Request))
}

// claimedClientID is the client a token or revocation request names, before
// it is authenticated: from Basic credentials or the client_id field.
func claimedClientID(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(strings.ToLower(h), "basic ") {
		if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[6:])); err == nil {
			id, _, _ := strings.Cut(string(raw), ":")
			if id, err := url.QueryUnescape(id); err == nil {
				return id
			}
		}
	}
	if r.ParseForm() == nil {
		return r.PostForm.Get("client_id")
	}
	return ""
}
