package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdlc/cdlc/internal/imdb"
)

func seedCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Load bundled sample data",
		Args:  cobra.NoArgs,
	}
	demo := &cobra.Command{
		Use:   "demo",
		Short: "Load the demo catalog (well-known films and series, their cast and crew) into the inventory and actor databases",
		Long: `Load the demo catalog bundled in the binary: about seventy titles, two series with
their first seasons, their main cast and crew, so that a fresh platform has
something to show. Its facts are public ones; it has no ratings. Running it again
changes nothing; a later IMDb import updates the same titles and people by id.`,
		Args: cobra.NoArgs,
	}
	demo.SetFlagErrorFunc(flagError)
	flags := addSettingFlags(demo)
	demo.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, _, err := flags.load(cmd)
		if err != nil {
			return err
		}
		sink, closer, err := openCatalogSink(cmd.Context(), cfg)
		if err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		defer closer.Close()
		sum, err := imdb.Import(cmd.Context(), imdb.Demo(), sink, imdb.Options{ProgressEvery: -1})
		if err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		read, _, _ := sum.Totals()
		fmt.Fprintf(cmd.OutOrStdout(), "demo catalog loaded: %d rows in %s\n", read, sum.Elapsed.Round(time.Millisecond))
		return nil
	}
	cmd.AddCommand(demo)
	return cmd
}
