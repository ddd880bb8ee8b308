package cli

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/admin"
	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/store"
	"github.com/gatehouse-dev/gatehouse/pkg/adminapi"
)

func newClientsCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "clients", Short: "Manage OAuth clients on this host's database"}
	cmd.AddCommand(
		newCreateAPICmd(env),
		newCreateWebCmd(env),
		newClientsListCmd(env),
		newClientsGetCmd(env),
		newRotateSecretCmd(env),
		newClientsDeleteCmd(env),
		newClientsEnableCmd(env, true),
		newClientsEnableCmd(env, false),
	)
	return cmd
}

// Flags of the create commands by the wire field they set, so a validation
// error can point at the flag to fix.
var (
	apiClientFlags = map[string]string{
		"client_id": "client-id", "name": "name", "description": "description", "scopes": "scopes",
		"secret_expires_on": "secret-expires-on", "access_token_lifetime": "access-token-lifetime",
		"public_base_uri": "public-base-uri",
	}
	webClientFlags = map[string]string{
		"client_id": "client-id", "name": "name", "description": "description", "scopes": "scopes",
		"secret_expires_on": "secret-expires-on", "access_token_lifetime": "access-token-lifetime",
		"redirect_uris": "redirect-uri", "allowed_cors_origins": "cors-origin",
		"post_logout_redirect_uris": "post-logout-redirect-uri",
	}
	secretFlags = map[string]string{"secret_expires_on": "secret-expires-on", "grace_period_seconds": "grace-period"}
)

func newCreateAPICmd(env *Env) *cobra.Command {
	var (
		in     clients.NewAPIClient
		scopes string
		out    output
	)
	cmd := &cobra.Command{
		Use:   "create-api",
		Short: "Register an API client (client credentials); prints its id and secret once",
		Args:  cobra.NoArgs,
		RunE: hostCommand(env, &out, func(_ *cobra.Command, h *host, _ []string) error {
			in.Scopes = splitList(scopes)
			created, err := h.clients.CreateAPI(h.ctx, in)
			if err != nil {
				return explain(err, "client", apiClientFlags, fmt.Sprintf("client_id %q", in.ID))
			}
			return printClient(env.Stdout, &out, admin.APIClientView(created.Client, created.Secret, h.domain, time.Now()))
		}),
	}
	f := cmd.Flags()
	f.StringVar(&in.Name, "name", "", "display name (required)")
	f.StringVar(&in.Description, "description", "", "description")
	f.StringVar(&scopes, "scopes", "", "comma- or space-separated scopes the client may request")
	f.StringVar(&in.ID, "client-id", "", "client id (default: generated)")
	f.StringVar(&in.SecretExpiresOn, "secret-expires-on", "", "last day the secret works, YYYY-MM-DD (default: today + 90 days)")
	f.IntVar(&in.AccessTokenLifetime, "access-token-lifetime", 0, "access token lifetime in seconds, 60…259200 (default: server setting)")
	f.StringVar(&in.PublicBaseURI, "public-base-uri", "", "the client's public base URI")
	out.register(cmd)
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newCreateWebCmd(env *Env) *cobra.Command {
	var (
		name, description, clientID, scopes, expiresOn string
		redirectURIs, corsOrigins, logoutURIs          []string
		confidential, noConsent                        bool
		lifetime                                       int
		out                                            output
	)
	cmd := &cobra.Command{
		Use:   "create-web",
		Short: "Register a Web App client (OIDC sign-in); a confidential one's secret is printed once",
		Long: "Register a Web App client that signs users in with the authorization code flow and PKCE.\n" +
			"Public by default (a SPA or mobile app: no secret); --confidential makes a server-side\n" +
			"app's client, whose secret is generated and printed once.",
		Args: cobra.NoArgs,
		RunE: hostCommand(env, &out, func(cmd *cobra.Command, h *host, _ []string) error {
			f := cmd.Flags()
			public, consent := !confidential, !noConsent
			p := clients.Patch{
				Public: &public, RequireConsent: &consent,
				RedirectURIs: &redirectURIs, AllowedCORSOrigins: &corsOrigins, PostLogoutRedirectURIs: &logoutURIs,
			}
			if f.Changed("name") {
				p.Name = &name
			}
			if f.Changed("description") {
				p.Description = &description
			}
			if f.Changed("client-id") {
				p.ClientID = &clientID
			}
			if f.Changed("scopes") {
				list := splitList(scopes)
				p.Scopes = &list
			}
			if f.Changed("secret-expires-on") {
				p.SecretExpiresOn = &expiresOn
			}
			if f.Changed("access-token-lifetime") {
				p.AccessTokenLifetime = &lifetime
			}
			created, err := h.clients.Create(h.ctx, store.ClientTypeWeb, p)
			if err != nil {
				return explain(err, "client", webClientFlags, fmt.Sprintf("client_id %q", clientID))
			}
			return printClient(env.Stdout, &out, admin.WebClientView(created.Client, created.Secret, time.Now()))
		}),
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "display name (required)")
	f.StringArrayVar(&redirectURIs, "redirect-uri", nil, "a redirect URI (at least one; repeat the flag for more)")
	f.BoolVar(&confidential, "confidential", false, "a server-side app: generate a secret (default: public client, PKCE only)")
	f.StringArrayVar(&corsOrigins, "cors-origin", nil, "an allowed CORS origin scheme://host[:port] (repeatable)")
	f.StringArrayVar(&logoutURIs, "post-logout-redirect-uri", nil, "a post-logout redirect URI (repeatable)")
	f.StringVar(&scopes, "scopes", "", "comma- or space-separated allowed scopes (default: "+strings.Join(clients.DefaultWebScopes, ",")+")")
	f.BoolVar(&noConsent, "no-consent", false, "skip the consent screen (default: users consent)")
	f.StringVar(&description, "description", "", "description")
	f.StringVar(&clientID, "client-id", "", "client id (default: generated)")
	f.StringVar(&expiresOn, "secret-expires-on", "", "confidential only: last day the secret works, YYYY-MM-DD (default: today + 90 days)")
	f.IntVar(&lifetime, "access-token-lifetime", 0, "access token lifetime in seconds, 60…259200 (default: server setting)")
	out.register(cmd)
	return cmd
}

func newClientsListCmd(env *Env) *cobra.Command {
	var (
		typ string
		now time.Time // of this listing: every row's status as of one instant
	)
	return listing[store.Client, any]{
		short: "List clients, a page at a time (never a secret)", noun: "clients",
		header: "CLIENT_ID\tTYPE\tNAME\tSTATUS\tSECRET_EXPIRES_ON\tSCOPES",
		flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&typ, "type", "", "only this type: api or web (default: both)")
		},
		check: func() error {
			if typ != "" && typ != store.ClientTypeAPI && typ != store.ClientTypeWeb {
				return errors.New("--type must be api or web")
			}
			return nil
		},
		load: func(h *host, p store.Page) ([]store.Client, int, error) {
			now = time.Now()
			return h.store.ListClients(h.ctx, store.ClientFilter{Type: typ, Offset: p.Offset, Limit: p.Limit})
		},
		view: func(h *host, c *store.Client) (any, error) { return admin.ClientView(c, "", h.domain, now), nil },
		row: func(c *store.Client, _ any) string {
			return fmt.Sprintf("%s\t%s\t%s\t%s\t%s\t%s", c.ID, c.Type, c.Name, clients.Status(c, now),
				orDash(clients.SecretExpiresOn(c.SecretExpiresAt)), joinList(c.Scopes))
		},
	}.command(env)
}

func newClientsGetCmd(env *Env) *cobra.Command {
	var out output
	cmd := &cobra.Command{
		Use:   "get CLIENT_ID",
		Short: "Show one client (never its secret)",
		Args:  cobra.ExactArgs(1),
		RunE: clientCommand(env, &out, func(h *host, c *store.Client) error {
			return printClient(env.Stdout, &out, admin.ClientView(c, "", h.domain, time.Now()))
		}),
	}
	out.register(cmd)
	return cmd
}

func newRotateSecretCmd(env *Env) *cobra.Command {
	var (
		expiresOn string
		grace     int
		out       output
	)
	cmd := &cobra.Command{
		Use:   "rotate-secret CLIENT_ID",
		Short: "Replace a client's secret; prints the new one once",
		Long: "Replace a client's secret and print the new one once. With --grace-period the old\n" +
			"secret keeps working that many seconds (at most 7 days) while callers switch over.",
		Args: cobra.ExactArgs(1),
		RunE: clientCommand(env, &out, func(h *host, c *store.Client) error {
			res, err := h.clients.RegenerateSecret(h.ctx, c.Type, c.ID, expiresOn, time.Duration(grace)*time.Second)
			if errors.Is(err, clients.ErrPublicClient) {
				return &message{text: fmt.Sprintf("client %q is public: it has no secret to rotate", c.ID), err: err}
			}
			if err != nil {
				return explain(err, "secret rotation", secretFlags, "")
			}
			v := adminapi.SecretResponse{ClientSecret: res.Secret, SecretExpiresOn: clients.SecretExpiresOn(res.SecretExpiresAt)}
			if out.json() {
				return writeJSON(env.Stdout, v)
			}
			k := newKV(env.Stdout)
			k.line("client_id", c.ID)
			k.secret(v.ClientSecret)
			k.line("secret_expires_on", v.SecretExpiresOn)
			if grace > 0 {
				k.line("previous secret works until", time.Now().UTC().Add(time.Duration(grace)*time.Second).Format(time.RFC3339))
			} else {
				k.line("previous secret", "no longer works")
			}
			return k.flush()
		}),
	}
	cmd.Flags().StringVar(&expiresOn, "secret-expires-on", "", "last day the new secret works, YYYY-MM-DD (default: today + 90 days)")
	cmd.Flags().IntVar(&grace, "grace-period", 0, "seconds the old secret keeps working, at most 604800 (default: 0, it stops now)")
	out.register(cmd)
	return cmd
}

// hostCommand is the RunE of a command that works on the host's database:
// it checks --output, opens the store, runs, and closes the store.
func hostCommand(env *Env, out *output, run func(cmd *cobra.Command, h *host, args []string) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		if err := out.validate(); err != nil {
			return err
		}
		h, err := openHost(cmd, env)
		if err != nil {
			return err
		}
		defer h.Close()
		return run(cmd, h, args)
	}
}

// clientCommand runs a command on one existing client (its one argument),
// found before run is called.
func clientCommand(env *Env, out *output, run func(h *host, c *store.Client) error) func(*cobra.Command, []string) error {
	return hostCommand(env, out, func(_ *cobra.Command, h *host, args []string) error {
		c, err := h.findClient(args[0])
		if err != nil {
			return err
		}
		return run(h, c)
	})
}

// deleted is what `clients delete -o json` prints.
type deleted struct {
	ClientID string `json:"client_id"`
	Deleted  bool   `json:"deleted"`
}

func newClientsDeleteCmd(env *Env) *cobra.Command {
	var out output
	cmd := &cobra.Command{
		Use:   "delete CLIENT_ID",
		Short: "Delete a client; its tokens become inactive",
		Args:  cobra.ExactArgs(1),
		RunE: clientCommand(env, &out, func(h *host, c *store.Client) error {
			if err := h.clients.Delete(h.ctx, c.Type, c.ID); err != nil {
				return err
			}
			if out.json() {
				return writeJSON(env.Stdout, deleted{ClientID: c.ID, Deleted: true})
			}
			fmt.Fprintf(env.Stdout, "deleted client %s (%s)\n", c.ID, c.Name)
			return nil
		}),
	}
	out.register(cmd)
	return cmd
}

// newClientsEnableCmd builds `clients enable` (on) or `clients disable`.
func newClientsEnableCmd(env *Env, on bool) *cobra.Command {
	use, short := "enable", "Let a disabled client get tokens again; prints the client"
	if !on {
		use, short = "disable", "Stop a client: the token endpoint refuses it and its tokens introspect inactive"
	}
	var out output
	cmd := &cobra.Command{
		Use:   use + " CLIENT_ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: clientCommand(env, &out, func(h *host, c *store.Client) error {
			if err := h.clients.Update(h.ctx, c.Type, c.ID, clients.Patch{Enabled: &on}); err != nil {
				return explain(err, "client", nil, "")
			}
			c, err := h.findClient(c.ID)
			if err != nil {
				return err
			}
			return printClient(env.Stdout, &out, admin.ClientView(c, "", h.domain, time.Now()))
		}),
	}
	out.register(cmd)
	return cmd
}

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
