// Package web holds Gatehouse's HTML templates and static files, embedded in
// the binary so it serves its pages with no files beside it and no network.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
)

//go:embed templates static
var files embed.FS

// Template names; Templates fails if one is missing.
const (
	ErrorPage   = "error.html"
	LoginPage   = "login.html"
	ConsentPage = "consent.html"
	LogoutPage  = "logout.html"
)

// Static is the static file tree (stylesheets, images), served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Templates parses every page once, with layout.html as their shared frame.
func Templates() (*template.Template, error) {
	t, err := template.New("").ParseFS(files, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse templates: %w", err)
	}
	for _, name := range []string{ErrorPage, LoginPage, ConsentPage, LogoutPage} {
		if t.Lookup(name) == nil {
			return nil, fmt.Errorf("web: template %s missing", name)
		}
	}
	return t, nil
}

// Brand is what an operator may restyle by configuration.
type Brand struct {
	ProductName string
	LogoURL     string
	AccentColor string
}
