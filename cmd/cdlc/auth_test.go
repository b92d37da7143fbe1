package main

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/cdlc/cdlc/internal/app/apptest"
)

// TestAuthCommands: the operator commands write the auth database
// directly, and a server started on it honours what they wrote.
func TestAuthCommands(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	set := []string{"--set", "data_dir=" + dir, "--set", "auth.argon2.memory_kib=8192", "--set", "auth.argon2.iterations=1"}
	cmd := func(args ...string) (int, string, string) { return runCmd(t, ctx, append(args, set...)...) }

	code, out, errOut := cmd("user", "create", "--email", "Ops@Example.com", "--password", "an operator password", "--role", "operator,admin")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "ops@example.com (operator,admin)")
	code, _, errOut = cmd("user", "create", "--email", "ops@example.com", "--password", "an operator password")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "already exists")
	code, _, errOut = cmd("user", "create", "--email", "x@example.com", "--password", "short")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--password")
	code, _, errOut = cmd("user", "create", "--email", "x@example.com", "--password", "long enough password", "--role", "root")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "role")

	code, out, errOut = cmd("auth", "client", "create", "--id", "importer", "--name", "importer", "--grant-type", "client_credentials", "--scope", "catalog:write")
	require.Equal(t, 0, code, errOut)
	secret := regexp.MustCompile(`client_secret: (\S+)`).FindStringSubmatch(out)
	require.NotNil(t, secret, out)
	code, _, errOut = cmd("auth", "client", "create", "--name", "bad", "--grant-type", "implicit")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--grant-type")
	// Codes go over https, or over http to the loopback interface only.
	code, _, errOut = cmd("auth", "client", "create", "--name", "plain", "--grant-type", "authorization_code", "--redirect-uri", "http://partner.example/callback")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--redirect-uri")
	code, _, errOut = cmd("auth", "client", "create", "--name", "cli", "--public", "--grant-type", "authorization_code", "--redirect-uri", "http://127.0.0.1:8400/callback")
	require.Equal(t, 0, code, errOut)
	code, _, _ = cmd("auth", "client", "create", "--id", "importer", "--name", "again", "--grant-type", "client_credentials")
	require.NotEqual(t, 0, code)
	code, out, _ = cmd("auth", "client", "list")
	require.Equal(t, 0, code)
	require.Contains(t, out, "importer")
	code, _, _ = cmd("auth", "client", "delete", "no-such-client")
	require.Equal(t, 2, code)

	inst := apptest.Start(t, map[string]string{"data_dir": dir, "target": "auth"})
	cc := clientcredentials.Config{ClientID: "importer", ClientSecret: secret[1], TokenURL: inst.URL + "/oauth2/token"}
	tok, err := cc.Token(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, tok.AccessToken)
	res := inst.Do("GET", "/api/v1/auth/users", nil)
	require.Equal(t, 200, res.Status)
	require.Contains(t, string(res.Body), "ops@example.com")
	require.True(t, strings.Contains(string(res.Body), `"email_verified":true`))

	code, out, _ = cmd("auth", "client", "delete", "importer")
	require.Equal(t, 0, code, out)
	_, err = cc.Token(ctx)
	require.Error(t, err, "a deleted client gets no token")
}
