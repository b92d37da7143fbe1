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
		Long: `Load the demo catalog bundled in the binary: some sixty well-known films and four
series (with seasons and episodes) from the 1930s to today, with their cast and
crew, release dates, runtimes, genres, overviews, approximate IMDb ratings and a
popularity, so that a fresh platform has something to show. Running it again
changes nothing; it fills in an overview or a release date that an earlier
demo left empty, but overwrites nothing an operator wrote. A later IMDb import
updates the same titles and people by id.`,
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
		start := time.Now()
		c, err := imdb.LoadDemo(cmd.Context(), sink)
		if err != nil {
			return fmt.Errorf("seed demo: %w", err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "demo catalog loaded: %d titles (%d episodes), %d people, %d credits in %s\n",
			len(c.Titles), len(c.Episodes), len(c.People), len(c.Credits), time.Since(start).Round(time.Millisecond))
		return nil
	}
	cmd.AddCommand(demo)
	return cmd
}
