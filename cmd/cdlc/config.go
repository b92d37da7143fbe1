package main

import (
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/cdlc/cdlc/internal/configserver"
	"github.com/cdlc/cdlc/internal/platform/config"
)

func configCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect this process's configuration"}
	print := &cobra.Command{
		Use:   "print",
		Short: "Print the effective configuration, secrets redacted",
		Long: `Print the configuration that serve would run with, after every layer:
defaults < YAML file (--config) < environment (CDLC_...) < flags. Secrets are shown as ******.
Any key can be set with --set key=value or the environment variable CDLC_<KEY> (dots become underscores).`,
		Args: cobra.NoArgs,
	}
	flags := addSettingFlags(print)
	print.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, _, err := flags.load(cmd)
		if err != nil {
			return err
		}
		out, err := yaml.Marshal(configserver.Unflatten(config.Redacted(cfg)))
		if err != nil {
			return err
		}
		_, err = cmd.OutOrStdout().Write(out)
		return err
	}
	cmd.AddCommand(print)
	return cmd
}
