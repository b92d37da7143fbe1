package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	_ "modernc.org/sqlite"
)

func runCmd(t *testing.T, ctx context.Context, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(ctx, args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestBadInputExitsWithCodeTwoAndOneLine(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown target", []string{"serve", "--data-dir", dir, "--target", "inventroy"}, `unknown target "inventroy"; valid targets: actor, all, auth, config, inventory`},
		{"bad duration", []string{"serve", "--data-dir", dir, "--set", "http.read_timeout=soon"}, "http.read_timeout"},
		{"unknown key", []string{"serve", "--data-dir", dir, "--set", "htp.addr=:1"}, "htp.addr: unknown setting"},
		{"unreadable config", []string{"serve", "--config", filepath.Join(dir, "missing.yaml")}, "cannot read the configuration file"},
		{"bad driver", []string{"serve", "--data-dir", dir, "--set", "db.driver=oracle"}, "db.driver: must be sqlite or mysql"},
		{"bad log level", []string{"config", "print", "--log-level", "loud"}, "log.level"},
		{"bad address", []string{"serve", "--http-addr", "nowhere"}, "http.addr"},
		{"unknown flag", []string{"serve", "--frobnicate"}, "unknown flag"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, context.Background(), c.args...)
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, c.want)
			require.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
		})
	}
}

func TestConfigPrintRedactsSecrets(t *testing.T) {
	t.Setenv("CDLC_AUTH_ADMIN_TOKEN", "very-secret-token")
	t.Setenv("CDLC_HTTP_ADDR", ":9999")
	code, out, stderr := runCmd(t, context.Background(), "config", "print", "--log-level", "debug")
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, out, "very-secret-token")
	require.Contains(t, out, "admin_token: '******'")
	require.Contains(t, out, "addr: :9999")
	require.Contains(t, out, "level: debug")
}

func TestPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	code, _, stderr := runCmd(t, context.Background(), "serve", "--data-dir", t.TempDir(), "--target", "config", "--http-addr", ln.Addr().String())
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "the port is in use")
}

func TestDirtyMigrationRefusesToStart(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, func() error {
		code, _, stderr := runCmd(t, context.Background(), "migrate", "--data-dir", dir)
		if code != 0 {
			return fmt.Errorf("migrate: %s", stderr)
		}
		return nil
	}())
	db, err := sql.Open("sqlite", filepath.Join(dir, "db", "config.db"))
	require.NoError(t, err)
	_, err = db.Exec("UPDATE schema_migrations_config SET dirty = 1")
	require.NoError(t, err)
	db.Close()

	code, _, stderr := runCmd(t, context.Background(), "serve", "--data-dir", dir, "--target", "config", "--http-addr", freeAddr(t))
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "version 1 is dirty")
	require.Contains(t, stderr, "cdlc migrate force --service config --migrations config --version 0")

	code, out, stderr := runCmd(t, context.Background(), "migrate", "force", "--data-dir", dir, "--service", "config", "--migrations", "config", "--version", "1")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, out, "marked at version 1")
}

// An unreachable database does not crash the process: it serves /healthz,
// reports not ready with the reason, answers the API with 503, and stops
// cleanly on SIGTERM.
func TestUnreachableDatabaseIsRetriedNotFatal(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		code, _, _ := runCmd(t, ctx, "serve", "--data-dir", t.TempDir(), "--target", "config", "--http-addr", addr,
			"--set", "db.driver=mysql", "--set", "db.dsn=root@tcp(127.0.0.1:1)/cdlc_{service}")
		done <- code
	}()
	base := "http://" + addr
	require.Eventually(t, func() bool {
		res, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	}, 10*time.Second, 50*time.Millisecond)

	require.Eventually(t, func() bool {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var rep struct{ Checks map[string]string }
		_ = json.NewDecoder(res.Body).Decode(&rep)
		return res.StatusCode == 503 && strings.Contains(rep.Checks["startup"], "waiting for the database of config")
	}, 10*time.Second, 50*time.Millisecond)

	res, err := http.Get(base + "/api/v1/config")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 503, res.StatusCode)
	require.NotEmpty(t, res.Header.Get("Retry-After"))

	cancel()
	select {
	case code := <-done:
		require.Equal(t, 0, code)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}
}
