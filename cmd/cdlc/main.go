// Command cdlc is the whole cdlc platform in one binary: `cdlc serve` runs
// every service (or the targets named with --target), and the other
// commands are the operator's tools.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/platform/config"
)

// exitError carries a process exit code through cobra.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit code: 0 done, 1
// failed, 2 bad configuration or usage (nothing was started).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := root()
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		err = ee.err
	} else if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") ||
		strings.HasPrefix(err.Error(), "unknown shorthand flag") || strings.Contains(err.Error(), "flag needs an argument") {
		code = 2
	}
	fmt.Fprintln(stderr, "cdlc: "+oneLine(err))
	return code
}

func root() *cobra.Command {
	cmd := &cobra.Command{
		Use:           "cdlc",
		Short:         "cdlc (Creme de la Creme): the film platform in one binary",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       app.Version,
	}
	cmd.AddCommand(serveCmd(), migrateCmd(), configCmd(), importCmd(), seedCmd(), authCmd(), userCmd(), openAPICmd())
	return cmd
}

// oneLine keeps the operator's message to one line.
func oneLine(err error) string {
	s := err.Error()
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}

// configError marks a configuration error: exit code 2, before anything starts.
func configError(err error) error {
	if config.IsInvalid(err) {
		return &exitError{code: 2, err: errors.New(config.Describe(err))}
	}
	return err
}
