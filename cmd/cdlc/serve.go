package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/configserver/client"
	"github.com/cdlc/cdlc/internal/platform/config"
	"github.com/cdlc/cdlc/internal/platform/resilience"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

func serveCmd() *cobra.Command {
	var list bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the platform (every target by default)",
		Long: `Run the platform. With no --target it runs "all": every service in one process,
with embedded stores under --data-dir. Name targets to run some services alone.

Configuration layers, lowest first: defaults < configurations server (--config-url)
< YAML file (--config) < environment (CDLC_...) < flags.`,
		Args: cobra.NoArgs,
	}
	flags := addSettingFlags(cmd)
	cmd.Flags().BoolVar(&list, "list-targets", false, "list the targets and what each needs, then exit")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if list {
			printTargets(cmd)
			return nil
		}
		cfg, src, err := flags.load(cmd)
		if err != nil {
			return err
		}
		// Log lines are written in batches: one write per request line
		// was the largest cost of the access log. Warnings and errors go
		// out at once, the rest within 100 ms, and all of it on the way
		// out.
		logs := telemetry.NewBufferedWriter(os.Stderr, 32<<10, 100*time.Millisecond)
		defer logs.Close()
		opts := app.Options{Sources: src, LogOutput: logs}
		if cfg.Remote.URL != "" {
			log := telemetry.NewLogger(logs, telemetry.LogOptions{})
			c, err := client.New(cfg.Remote.URL, cfg.Remote.App, cfg.Remote.Profile, cfg.Remote.Token, log)
			if err != nil {
				return configError(err)
			}
			// The server may start after us (all processes rolled out at
			// once): wait for it with backoff rather than crash-loop.
			var snap client.Snapshot
			err = resilience.Retry(cmd.Context(), resilience.RetryPolicy{MaxAttempts: 8, Max: 5 * time.Second}, func(ctx context.Context) error {
				var err error
				snap, err = c.Fetch(ctx)
				return err
			})
			if err != nil {
				return err
			}
			src.Remote = snap.Values
			src.OnUnknownRemote = func(key string) {
				log.Warn("the configurations server sets a key this build does not know; ignored", "key", key)
			}
			if cfg, err = config.Load(app.Defaults(), src); err != nil {
				return configError(err)
			}
			opts = app.Options{Sources: src, Remote: c, Snapshot: snap, LogOutput: logs}
		}
		a := app.New(cfg, opts)
		// Packages that log without a logger of their own use the app's.
		slog.SetDefault(a.Log)
		if _, err := a.Graph().Resolve(cfg.Target); err != nil {
			return configError(err)
		}
		return a.Run(cmd.Context())
	}
	return cmd
}
