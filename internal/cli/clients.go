package cli

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/clients"
	"github.com/gatehouse-dev/gatehouse/internal/clientsecret"
)

func newClientsCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "clients", Short: "Manage OAuth clients on this host's database"}
	cmd.AddCommand(newCreateAPICmd(env))
	return cmd
}

// apiClientView is how the CLI prints a client; the secret only on create.
type apiClientView struct {
	ClientID            string   `json:"client_id"`
	ClientSecret        string   `json:"client_secret,omitempty"`
	Name                string   `json:"name"`
	Description         string   `json:"description"`
	Scopes              []string `json:"scopes"`
	SecretExpiresOn     string   `json:"secret_expires_on"`
	AccessTokenLifetime int      `json:"access_token_lifetime,omitempty"`
	Status              string   `json:"status"`
}

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
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			cfg, err := loadConfig(cmd, env)
			if err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), cfg, newLogger(cfg, env.Stderr), true)
			if err != nil {
				return err
			}
			defer st.Close()
			hasher, err := clientsecret.NewHasher([]byte(cfg.Secret))
			if err != nil {
				return err
			}
			in.Scopes = splitList(scopes)
			svc := &clients.Service{Store: st, Hasher: hasher}
			created, err := svc.CreateAPI(cmd.Context(), in)
			if err != nil {
				return err
			}
			c := created.Client
			view := apiClientView{
				ClientID: c.ID, ClientSecret: created.Secret, Name: c.Name, Description: c.Description,
				Scopes: c.Scopes, SecretExpiresOn: clients.SecretExpiresOn(c.SecretExpiresAt),
				AccessTokenLifetime: int(c.AccessTokenLifetime / time.Second),
				Status:              clients.Status(c, time.Now()),
			}
			if out.json() {
				return writeJSON(env.Stdout, view)
			}
			tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintf(tw, "client_id:\t%s\n", view.ClientID)
			if view.ClientSecret != "" {
				fmt.Fprintf(tw, "client_secret:\t%s\t(shown once: store it now)\n", view.ClientSecret)
			}
			fmt.Fprintf(tw, "name:\t%s\n", view.Name)
			fmt.Fprintf(tw, "scopes:\t%s\n", strings.Join(view.Scopes, " "))
			fmt.Fprintf(tw, "secret_expires_on:\t%s\n", view.SecretExpiresOn)
			fmt.Fprintf(tw, "status:\t%s\n", view.Status)
			return tw.Flush()
		},
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

func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
