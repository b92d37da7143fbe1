package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/platform/config"
)

// openAPIPath is where every process serves its OpenAPI 3.1 document.
const openAPIPath = "/openapi.json"

func openAPICmd() *cobra.Command {
	return &cobra.Command{
		Use:   "openapi",
		Short: "Print the OpenAPI 3.1 document of the whole platform (target all)",
		Long: `Print the OpenAPI 3.1 document that "cdlc serve" (target all) serves at /openapi.json,
indented. The platform is started for the purpose with the built-in defaults and
embedded stores in a temporary directory on a loopback port, and stopped again; the
environment, configuration files and flags of serve are not read, so the document
depends on the code alone.

The web app's API types are generated from it: make openapi (or make web).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			doc, err := openAPIDocument(cmd.Context())
			if err != nil {
				return fmt.Errorf("openapi: %w", err)
			}
			_, err = cmd.OutOrStdout().Write(doc)
			return err
		},
	}
}

// openAPIDocument starts target all on a temporary data directory, fetches
// /openapi.json over HTTP, as a client would, and returns it indented with
// a final newline (a stable file to commit and diff).
func openAPIDocument(ctx context.Context) (doc []byte, err error) {
	dir, err := os.MkdirTemp("", "cdlc-openapi-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	cfg, err := config.Load(app.Defaults(), config.Sources{Flags: map[string]string{
		"target": "all", "data_dir": dir, "http.addr": "127.0.0.1:0", "log.level": "error",
	}})
	if err != nil {
		return nil, err
	}
	// The stores log through the default logger too; none of it belongs on
	// stdout or stderr here.
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.DiscardHandler))
	a := app.New(cfg, app.Options{LogOutput: io.Discard})
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := a.Start(startCtx); err != nil {
		return nil, err
	}
	defer func() {
		if stopErr := a.Stop(context.WithoutCancel(ctx)); err == nil {
			err = stopErr
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+a.Addr()+openAPIPath, nil)
	if err != nil {
		return nil, err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", openAPIPath, res.Status, bytes.TrimSpace(body))
	}
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return nil, fmt.Errorf("GET %s: %w", openAPIPath, err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
