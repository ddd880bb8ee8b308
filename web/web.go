// Package web holds Gatehouse's HTML templates and static files, embedded in
// the binary so it serves its pages with no files beside it and no network.
package web

import (
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
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

// Admin console pages (templates/console), named "console/<file>" so they
// never collide with the sign-in pages; console/layout.html defines their
// shared frame.
const (
	ConsoleClients       = "console/clients.html"
	ConsoleClient        = "console/client.html"
	ConsoleClientForm    = "console/client_form.html"
	ConsoleSecret        = "console/secret.html"
	ConsoleRegenerate    = "console/regenerate.html"
	ConsoleConfirm       = "console/confirm.html"
	ConsoleUsers         = "console/users.html"
	ConsoleUser          = "console/user.html"
	ConsoleUserForm      = "console/user_form.html"
	ConsoleRoles         = "console/roles.html"
	ConsoleRole          = "console/role.html"
	ConsoleRoleForm      = "console/role_form.html"
	ConsoleAudit         = "console/audit.html"
	ConsoleNotifications = "console/notifications.html"
	ConsoleMessage       = "console/message.html"
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
	consolePages, err := fs.Glob(files, "templates/console/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: console templates: %w", err)
	}
	for _, path := range consolePages {
		body, err := files.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("web: read %s: %w", path, err)
		}
		if _, err := t.New(strings.TrimPrefix(path, "templates/")).Parse(string(body)); err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", path, err)
		}
	}
	for _, name := range []string{ErrorPage, LoginPage, ConsentPage, LogoutPage,
		ConsoleClients, ConsoleClient, ConsoleClientForm, ConsoleSecret, ConsoleRegenerate, ConsoleConfirm,
		ConsoleUsers, ConsoleUser, ConsoleUserForm, ConsoleRoles, ConsoleRole, ConsoleRoleForm,
		ConsoleAudit, ConsoleNotifications, ConsoleMessage} {
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
