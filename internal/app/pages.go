package app

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/gatehouse-dev/gatehouse/internal/admin"
	"github.com/gatehouse-dev/gatehouse/web"
)

// pages renders the server's own HTML pages with the configured brand.
type pages struct {
	tmpl  *template.Template
	brand web.Brand
}

// render writes one page with the headers every HTML page carries
// (SPEC §3): no framing, no caching of possibly personal content.
func (p *pages) render(c *gin.Context, status int, name string, data map[string]any) {
	data["Brand"] = p.brand
	h := c.Writer.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	c.Status(status)
	if err := p.tmpl.ExecuteTemplate(c.Writer, name, data); err != nil {
		_ = c.Error(err)
	}
}

// wantsHTML reports a browser navigation rather than an API call.
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

func (p *pages) notFound(c *gin.Context) {
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		admin.NotFound(c)
		return
	}
	if wantsHTML(c.Request) {
		p.render(c, http.StatusNotFound, web.ErrorPage, map[string]any{
			"Title": "Page not found", "Message": "There is nothing at this address.",
		})
		return
	}
	c.JSON(http.StatusNotFound, gin.H{"error": "not_found", "message": "no such route", "details": gin.H{}})
}
