package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newMigrateCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Manage the database schema"}
	cmd.AddCommand(&cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration (forward only)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, env)
			if err != nil {
				return err
			}
			st, err := openStore(cmd.Context(), cfg, newLogger(cfg, env.Stderr), false)
			if err != nil {
				return err
			}
			defer st.Close()
			applied, err := st.MigrateUp(cmd.Context())
			if err != nil {
				return err
			}
			v, err := st.SchemaVersion(cmd.Context())
			if err != nil {
				return err
			}
			if len(applied) == 0 {
				fmt.Fprintf(env.Stdout, "schema is up to date (version %d)\n", v)
				return nil
			}
			fmt.Fprintf(env.Stdout, "applied migrations %v; schema is at version %d\n", applied, v)
			return nil
		},
	})
	return cmd
}

func newVersionCmd(env *Env) *cobra.Command {
	var out output
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if err := out.validate(); err != nil {
				return err
			}
			if out.json() {
				return writeJSON(env.Stdout, map[string]string{"version": Version})
			}
			fmt.Fprintln(env.Stdout, "gatehouse", Version)
			return nil
		},
	}
	out.register(cmd)
	return cmd
}
