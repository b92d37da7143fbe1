package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

func migrateCmd() *cobra.Command {
	var services []string
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations of every service (or --service)",
		Long: `Apply every pending migration, in order, to each service's database. serve does the same at start;
run it on its own to migrate before rolling out a new version.`,
		Args: cobra.NoArgs,
	}
	flags := addSettingFlags(cmd)
	cmd.Flags().StringSliceVar(&services, "service", nil, "services to migrate (default: all)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, _, err := flags.load(cmd)
		if err != nil {
			return err
		}
		mods, err := app.Migrations(services)
		if err != nil {
			return configError(err)
		}
		for _, m := range mods {
			d, err := db.Open(cmd.Context(), cfg.DB, m.Service)
			if err != nil {
				return fmt.Errorf("database of %s: %w", m.Service, err)
			}
			err = d.Migrate(m.Sets...)
			if err == nil {
				for _, s := range m.Sets {
					v, _, _ := d.MigrationVersion(s)
					fmt.Fprintf(cmd.OutOrStdout(), "%s/%s: at version %d\n", m.Service, s.Name, v)
				}
			}
			d.Close()
			if err != nil {
				return err
			}
		}
		return nil
	}

	var service, set string
	var version int
	force := &cobra.Command{
		Use:   "force",
		Short: "Mark a migration set as being at a version, clean, without running anything",
		Long: `After a migration failed half-way (the set is "dirty"), repair the schema by hand,
then mark the set as being at the last version that is fully applied.`,
		Args: cobra.NoArgs,
	}
	fflags := addSettingFlags(force)
	force.Flags().StringVar(&service, "service", "", "service whose database it is")
	force.Flags().StringVar(&set, "migrations", "", "migration set (the part before the slash in cdlc migrate output)")
	force.Flags().IntVar(&version, "version", -2, "version to record (-1: none applied)")
	force.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, _, err := fflags.load(cmd)
		if err != nil {
			return err
		}
		if version < -1 {
			return configError(errs.Invalid("--version", "is required (-1 or more)"))
		}
		mods, err := app.Migrations([]string{service})
		if err != nil {
			return configError(err)
		}
		var target *db.Migrations
		var names []string
		for _, s := range mods[0].Sets {
			names = append(names, s.Name)
			if s.Name == set {
				target = &s
			}
		}
		if target == nil {
			return configError(errs.Invalid("--migrations", "unknown migration set %q for %s; sets: %s", set, service, strings.Join(names, ", ")))
		}
		d, err := db.Open(cmd.Context(), cfg.DB, service)
		if err != nil {
			return err
		}
		defer d.Close()
		if err := d.ForceMigrationVersion(*target, version); err != nil {
			return err
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s/%s: marked at version %d, clean\n", service, set, version)
		return nil
	}
	cmd.AddCommand(force)
	return cmd
}
