package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/keys"
)

func newKeysCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "keys", Short: "List and rotate signing keys"}
	var listOut output
	list := &cobra.Command{
		Use:   "list",
		Short: "List signing keys and their state (next, active, retired, expired)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := listOut.validate(); err != nil {
				return err
			}
			km, closeStore, err := keyManager(cmd, env)
			if err != nil {
				return err
			}
			defer closeStore()
			all, err := km.All(cmd.Context())
			if err != nil {
				return err
			}
			return printKeys(env, &listOut, km, all)
		},
	}
	listOut.register(list)

	var alg string
	var rotOut output
	rotate := &cobra.Command{
		Use:   "rotate",
		Short: "Add a new signing key: published now, signing after keys.publish_ahead",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := rotOut.validate(); err != nil {
				return err
			}
			km, closeStore, err := keyManager(cmd, env)
			if err != nil {
				return err
			}
			defer closeStore()
			algs := []string{keys.ES256, keys.RS256}
			if alg != "" {
				algs = []string{alg}
			}
			var made []*keys.Key
			for _, a := range algs {
				k, err := km.Rotate(cmd.Context(), a)
				if err != nil {
					return err
				}
				made = append(made, k)
			}
			return printKeys(env, &rotOut, km, made)
		},
	}
	rotate.Flags().StringVar(&alg, "alg", "", "rotate only this algorithm: ES256 or RS256 (default: both)")
	rotOut.register(rotate)
	cmd.AddCommand(list, rotate)
	return cmd
}

func keyManager(cmd *cobra.Command, env *Env) (*keys.Manager, func(), error) {
	cfg, err := loadConfig(cmd, env)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(cmd.Context(), cfg, newLogger(cfg, env.Stderr), true)
	if err != nil {
		return nil, nil, err
	}
	km, err := app.NewKeyManager(cfg, st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	return km, func() { st.Close() }, nil
}

type keyView struct {
	KID         string    `json:"kid"`
	Algorithm   string    `json:"alg"`
	State       string    `json:"state"`
	CreatedAt   time.Time `json:"created_at"`
	ActivatesAt time.Time `json:"activates_at"`
	RetiresAt   time.Time `json:"retires_at,omitzero"`
}

func printKeys(env *Env, out *output, km *keys.Manager, ks []*keys.Key) error {
	now := time.Now()
	views := make([]keyView, len(ks))
	for i, k := range ks {
		views[i] = keyView{KID: k.KID, Algorithm: k.Algorithm, State: k.State(now, km.Retention),
			CreatedAt: k.CreatedAt, ActivatesAt: k.ActivatesAt, RetiresAt: k.RetiresAt}
	}
	if out.json() {
		return writeJSON(env.Stdout, views)
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KID\tALG\tSTATE\tACTIVATES\tRETIRES")
	for _, v := range views {
		retires := "-"
		if !v.RetiresAt.IsZero() {
			retires = v.RetiresAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.KID, v.Algorithm, v.State, v.ActivatesAt.Format(time.RFC3339), retires)
	}
	return tw.Flush()
}
