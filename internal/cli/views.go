package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/audit"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/clientsecret"
	"github.com/gatehouse-dev/gatehouse/internal/config"
	"github.com/gatehouse-dev/gatehouse/internal/identity"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/internal/store/sqlstore"
	"github.com/gatehouse-dev/gatehouse/pkg/adminapi"
)

// cliActor is the audit actor of every change made from the command line.
const cliActor = "cli"

// host is what a host-side administration command works with: the
// configured database and the same services the management API uses, so
// the CLI applies the same rules and writes the same audit events.
type host struct {
	ctx      context.Context
	cfg      *config.Config
	store    *sqlstore.Store
	clients  *clients.Service
	identity *identity.Service
	// domain is the client-username domain ("clients." + issuer host).
	domain string
}

// openHost loads the configuration and opens a current-schema store; the
// caller closes it. The context names the CLI as the audit actor.
func openHost(cmd *cobra.Command, env *Env) (*host, error) {
	cfg, err := loadConfig(cmd, env)
	if err != nil {
		return nil, err
	}
	st, err := openStore(cmd.Context(), cfg, newLogger(cfg, env.Stderr), true)
	if err != nil {
		return nil, err
	}
	hasher, err := clientsecret.NewHasher([]byte(cfg.Secret))
	if err != nil {
		st.Close()
		return nil, err
	}
	return &host{
		ctx:      audit.WithActor(cmd.Context(), cliActor),
		cfg:      cfg,
		store:    st,
		clients:  &clients.Service{Store: st, Hasher: hasher},
		identity: &identity.Service{Store: st, ClientDomain: cfg.ClientDomain()},
		domain:   cfg.ClientDomain(),
	}, nil
}

func (h *host) Close() { h.store.Close() }

// findClient loads a client of any type, or explains that there is none.
func (h *host) findClient(id string) (*store.Client, error) {
	c, err := h.store.FindClient(h.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &message{text: fmt.Sprintf("no client with id %q", id), err: err}
	}
	return c, err
}

// badFields is a validation failure as the CLI prints it: one line per
// field, with the flag that sets it when there is one.
type badFields struct {
	what   string
	fields map[string]string
	flags  map[string]string // field name → flag
	err    error
}

func (e *badFields) Error() string {
	names := make([]string, 0, len(e.fields))
	for k := range e.fields {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "invalid %s:", e.what)
	for _, n := range names {
		label := n
		if f := e.flags[n]; f != "" {
			label += " (--" + f + ")"
		}
		fmt.Fprintf(&b, "\n  %s: %s", label, e.fields[n])
	}
	return b.String()
}

func (e *badFields) Unwrap() error { return e.err }

// explain turns the services' errors into messages for a shell user: every
// bad field, and a plain sentence for a taken name. what names the thing
// the command changes ("client", "user", "role"); flags maps wire field
// names to the command's flags; taken names what a conflict is about, as
// in `username "alice"`.
func explain(err error, what string, flags map[string]string, taken string) error {
	var cv *clients.ValidationError // identity.ValidationError is the same type
	switch {
	case err == nil:
		return nil
	case errors.As(err, &cv):
		return &badFields{what: what, fields: cv.Fields, flags: flags, err: err}
	case errors.Is(err, store.ErrConflict) && taken != "":
		return &message{text: taken + " is already taken", err: err}
	}
	return err
}

// message replaces an error's text for the shell and keeps it for errors.Is.
type message struct {
	text string
	err  error
}

func (m *message) Error() string { return m.text }
func (m *message) Unwrap() error { return m.err }

// pageFlag is the --page flag of list commands.
type pageFlag struct{ n int }

func (p *pageFlag) register(cmd *cobra.Command) {
	cmd.Flags().IntVar(&p.n, "page", 0, fmt.Sprintf("page to show, 0 first (%d per page)", adminapi.PageSize))
}

func (p *pageFlag) validate() error {
	if p.n < 0 {
		return errors.New("--page must be 0 or more")
	}
	return nil
}

func (p *pageFlag) page() store.Page {
	return store.Page{Offset: p.n * adminapi.PageSize, Limit: adminapi.PageSize}
}

// pageOf is a page as the management API answers it.
func pageOf[T any](items []T, page, total int) adminapi.Page[T] {
	if items == nil {
		items = []T{}
	}
	return adminapi.Page[T]{Result: items, Page: page, PageSize: adminapi.PageSize, Total: total}
}

// pageFooter says where a text listing sits in the whole list, when it is
// not all of it.
func pageFooter(w io.Writer, shown, page, total int, noun string) {
	if total == 0 {
		fmt.Fprintf(w, "no %s\n", noun)
		return
	}
	if shown == total {
		return
	}
	first := page*adminapi.PageSize + 1
	if shown == 0 {
		fmt.Fprintf(w, "page %d is past the end: %d %s in all\n", page, total, noun)
		return
	}
	fmt.Fprintf(w, "%s %d–%d of %d (page %d; --page %d for more)\n", noun, first, first+shown-1, total, page, page+1)
}

// kv writes "key:<tab>value" lines; a detail view in text.
type kv struct{ tw *tabwriter.Writer }

func newKV(w io.Writer) kv { return kv{tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)} }

func (k kv) line(key, value string) { fmt.Fprintf(k.tw, "%s:\t%s\n", key, value) }

// optional writes the line only when value is set.
func (k kv) optional(key, value string) {
	if value != "" {
		k.line(key, value)
	}
}

func (k kv) secret(secret string) {
	if secret != "" {
		fmt.Fprintf(k.tw, "client_secret:\t%s\t(shown once: store it now)\n", secret)
	}
}

func (k kv) flush() error { return k.tw.Flush() }

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

func joinList(items []string) string {
	if len(items) == 0 {
		return "-"
	}
	return strings.Join(items, " ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func timeText(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}

func lifetimeText(seconds int) string {
	if seconds == 0 {
		return "server default"
	}
	return (time.Duration(seconds) * time.Second).String()
}

// printAPIClient writes one API client in text.
func printAPIClient(w io.Writer, v adminapi.APIClient) error {
	k := newKV(w)
	k.line("client_id", v.ClientID)
	k.secret(v.ClientSecret)
	k.line("type", v.Type)
	k.line("name", v.Name)
	k.optional("description", v.Description)
	k.line("username", v.Username)
	k.line("scopes", joinList(v.Scopes))
	k.line("roles", joinList(v.Roles))
	k.optional("public_base_uri", v.PublicBaseURI)
	k.line("secret_expires_on", v.SecretExpiresOn)
	k.line("access_token_lifetime", lifetimeText(v.AccessTokenLifetime))
	k.line("enabled", fmt.Sprint(v.Enabled))
	k.line("status", v.Status)
	k.line("created_at", v.CreatedAt.UTC().Format(time.RFC3339))
	k.line("last_used_at", timeText(v.LastUsedAt))
	return k.flush()
}

// printWebClient writes one Web App client in text.
func printWebClient(w io.Writer, v adminapi.WebClient) error {
	k := newKV(w)
	k.line("client_id", v.ClientID)
	k.secret(v.ClientSecret)
	k.line("type", v.Type)
	k.line("name", v.Name)
	k.optional("description", v.Description)
	k.line("public", fmt.Sprint(v.Public))
	k.line("require_consent", fmt.Sprint(v.RequireConsent))
	k.line("redirect_uris", joinList(v.RedirectURIs))
	k.line("allowed_cors_origins", joinList(v.AllowedCORSOrigins))
	k.line("post_logout_redirect_uris", joinList(v.PostLogoutRedirectURIs))
	k.line("scopes", joinList(v.Scopes))
	k.optional("secret_expires_on", v.SecretExpiresOn)
	k.line("access_token_lifetime", lifetimeText(v.AccessTokenLifetime))
	k.line("enabled", fmt.Sprint(v.Enabled))
	k.line("status", v.Status)
	k.line("created_at", v.CreatedAt.UTC().Format(time.RFC3339))
	k.line("last_used_at", timeText(v.LastUsedAt))
	return k.flush()
}

// printClient writes either kind of client view, in text or JSON.
func printClient(w io.Writer, out *output, v any) error {
	if out.json() {
		return writeJSON(w, v)
	}
	switch v := v.(type) {
	case adminapi.APIClient:
		return printAPIClient(w, v)
	case adminapi.WebClient:
		return printWebClient(w, v)
	}
	return fmt.Errorf("cannot print %T", v)
}

func printUser(w io.Writer, out *output, v adminapi.User) error {
	if out.json() {
		return writeJSON(w, v)
	}
	k := newKV(w)
	k.line("id", v.ID)
	k.line("username", v.Username)
	k.line("email", orDash(v.Email))
	k.line("name", orDash(v.Name))
	k.line("enabled", fmt.Sprint(v.Enabled))
	k.line("roles", joinList(v.Roles))
	k.line("created_at", v.CreatedAt.UTC().Format(time.RFC3339))
	return k.flush()
}

func printRole(w io.Writer, out *output, v adminapi.Role) error {
	if out.json() {
		return writeJSON(w, v)
	}
	k := newKV(w)
	k.line("name", v.Name)
	k.optional("description", v.Description)
	k.line("scopes", joinList(v.Scopes))
	k.line("builtin", fmt.Sprint(v.Builtin))
	k.line("members", joinList(v.Members))
	return k.flush()
}

// listing is every `… list` command: check the flags, load one page, and
// print it as the management API's JSON page or as a table with a footer.
// T is the stored record, V its JSON view.
type listing[T, V any] struct {
	short, noun string
	header      string // the table's first line, tab-separated
	load        func(h *host, p store.Page) ([]T, int, error)
	view        func(h *host, t *T) (V, error)
	row         func(t *T, v V) string // one table line, tab-separated
	// flags registers and check validates flags of this list alone.
	flags func(cmd *cobra.Command)
	check func() error
}

func (l listing[T, V]) command(env *Env) *cobra.Command {
	var (
		page pageFlag
		out  output
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: l.short,
		Args:  cobra.NoArgs,
		RunE: hostCommand(env, &out, func(_ *cobra.Command, h *host, _ []string) error {
			records, total, err := l.load(h, page.page())
			if err != nil {
				return err
			}
			views := make([]V, len(records))
			for i := range records {
				if views[i], err = l.view(h, &records[i]); err != nil {
					return err
				}
			}
			if out.json() {
				return writeJSON(env.Stdout, pageOf(views, page.n, total))
			}
			tw := newTable(env.Stdout)
			if len(views) > 0 {
				fmt.Fprintln(tw, l.header)
			}
			for i := range records {
				fmt.Fprintln(tw, l.row(&records[i], views[i]))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			pageFooter(env.Stdout, len(views), page.n, total, l.noun)
			return nil
		}),
		// Flags are checked before the database is opened.
		PreRunE: func(*cobra.Command, []string) error {
			if l.check != nil {
				if err := l.check(); err != nil {
					return err
				}
			}
			return page.validate()
		},
	}
	if l.flags != nil {
		l.flags(cmd)
	}
	page.register(cmd)
	out.register(cmd)
	return cmd
}
