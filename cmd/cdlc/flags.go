package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/platform/config"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

// settingFlags are the flags every command that loads the configuration
// takes: a file, a few common settings by name, and --set for any key.
type settingFlags struct {
	file  string
	set   []string
	named map[string]*string // flag name -> value
}

// named flags and the keys they set.
var namedFlags = []struct{ flag, key, usage string }{
	{"target", "target", "comma-separated targets to run (see --list-targets)"},
	{"data-dir", "data_dir", "directory of the embedded stores"},
	{"http-addr", "http.addr", "address to listen on, host:port"},
	{"log-level", "log.level", "debug, info, warn or error"},
	{"config-url", "remote.url", "configurations server to read this process's configuration from"},
	{"config-app", "remote.app", "application name to read from the configurations server"},
	{"config-profile", "remote.profile", "profile to read from the configurations server"},
	{"config-token", "remote.token", "bearer token for the configurations server"},
}

func addSettingFlags(cmd *cobra.Command) *settingFlags {
	f := &settingFlags{named: map[string]*string{}}
	cmd.Flags().StringVar(&f.file, "config", "", "YAML configuration file")
	cmd.Flags().StringArrayVar(&f.set, "set", nil, "set any configuration key, key=value (repeatable)")
	for _, n := range namedFlags {
		f.named[n.flag] = cmd.Flags().String(n.flag, "", n.usage+" ("+n.key+")")
	}
	return f
}

// sources gathers the layers above the defaults (the remote one comes later).
func (f *settingFlags) sources(cmd *cobra.Command) (config.Sources, error) {
	flags := map[string]string{}
	for _, kv := range f.set {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return config.Sources{}, errs.Invalid("--set", "must be key=value, got %q", kv)
		}
		flags[strings.TrimSpace(k)] = v
	}
	for _, n := range namedFlags {
		if cmd.Flags().Changed(n.flag) {
			flags[n.key] = *f.named[n.flag]
		}
	}
	return config.Sources{File: f.file, Env: os.Environ(), Flags: flags}, nil
}

// load builds the configuration from every local layer.
func (f *settingFlags) load(cmd *cobra.Command) (app.Config, config.Sources, error) {
	src, err := f.sources(cmd)
	if err != nil {
		return app.Config{}, src, configError(err)
	}
	cfg, err := config.Load(app.Defaults(), src)
	if err != nil {
		return app.Config{}, src, configError(err)
	}
	return cfg, src, nil
}

// printTargets lists the targets from the service table: what each owns,
// the modules it starts with, the services it calls, and what it consumes.
func printTargets(cmd *cobra.Command) {
	a := app.New(app.Defaults(), app.Options{LogOutput: nopWriter{}})
	w := cmd.OutOrStdout()
	for _, t := range a.Targets() {
		fmt.Fprintf(w, "%-10s needs %s\n", t, strings.Join(a.Graph().Deps(t), ", "))
		for _, s := range a.Services() {
			if s.Name != t {
				continue
			}
			if s.Doc != "" {
				fmt.Fprintf(w, "%-10s   %s\n", "", s.Doc)
			}
			if d := s.Describe(); d != "" {
				fmt.Fprintf(w, "%-10s   %s\n", "", d)
			}
		}
	}
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
