// Package apptest runs cdlc processes inside a test: each Instance is a
// whole App (its modules, HTTP server, stores) on a free port, so a test can
// run several targets side by side as separate processes would.
package apptest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/configserver/client"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/config"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/testenv"
)

// AdminToken is the operator token of every test instance.
const AdminToken = "test-admin-token"

// Backend names a set of engines an instance runs on.
type Backend struct {
	Name string
	// Settings are --set pairs; Prepare may add to them (a fresh schema).
	Prepare func(t testing.TB) map[string]string
}

// Backends are the engine sets a cross-cutting test runs on: everything
// embedded, and MariaDB with NATS JetStream.
func Backends() []Backend {
	return []Backend{
		{Name: "embedded", Prepare: func(testing.TB) map[string]string { return map[string]string{} }},
		{Name: "mysql-nats", Prepare: func(t testing.TB) map[string]string {
			dbc := dbtest.MySQLConfig(t)
			url := testenv.Get("CDLC_TEST_NATS_URL", "nats://127.0.0.1:4222")
			prefix := streamPrefix()
			t.Cleanup(func() { deleteStreams(url, prefix) })
			return map[string]string{"db.driver": "mysql", "db.dsn": dbc.DSN, "events.driver": "nats", "events.nats.url": url,
				// A stream prefix per test keeps parallel runs apart.
				"events.nats.stream_prefix": prefix}
		}},
	}
}

// Config is the configuration of a test instance: data in a temporary
// directory, a free port on loopback, quiet logs, and settings on top.
func Config(t testing.TB, settings map[string]string) (app.Config, config.Sources) {
	t.Helper()
	flags := map[string]string{
		"data_dir": t.TempDir(), "http.addr": "127.0.0.1:0", "auth.admin_token": AdminToken,
		"log.level": "warn", "outbox.interval": "100ms", "http.shutdown_timeout": "5s",
	}
	for k, v := range settings {
		flags[k] = v
	}
	src := config.Sources{Flags: flags}
	cfg, err := config.Load(app.Defaults(), src)
	require.NoError(t, err)
	return cfg, src
}

// Instance is a running App.
type Instance struct {
	App *app.App
	URL string
	t   testing.TB
}

// Start runs an App with settings until the test ends.
func Start(t testing.TB, settings map[string]string) *Instance {
	t.Helper()
	cfg, src := Config(t, settings)
	return StartWith(t, cfg, app.Options{Sources: src})
}

// StartRemote runs an App that takes its configuration from the
// configurations server at url, as `cdlc serve --config-url` does.
func StartRemote(t testing.TB, url, appName, profile string, settings map[string]string) *Instance {
	t.Helper()
	_, src := Config(t, settings)
	// Leave the reloadable settings to the server: a flag would win over it.
	delete(src.Flags, "log.level")
	c, err := client.New(url, appName, profile, AdminToken, slog.New(slog.NewTextHandler(newTestWriter(t), nil)))
	require.NoError(t, err)
	snap, err := c.Fetch(context.Background())
	require.NoError(t, err)
	src.Remote = snap.Values
	cfg, err := config.Load(app.Defaults(), src)
	require.NoError(t, err)
	return StartWith(t, cfg, app.Options{Sources: src, Remote: c, Snapshot: snap})
}

// StartWith runs an App built from cfg and opts.
func StartWith(t testing.TB, cfg app.Config, opts app.Options) *Instance {
	t.Helper()
	if opts.LogOutput == nil {
		opts.LogOutput = newTestWriter(t)
	}
	a := app.New(cfg, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, a.Start(ctx))
	t.Cleanup(func() {
		// Concurrent requests can leave connections the client dialled
		// but never used; the server counts them as in flight for 5s
		// (net/http), longer than a test's shutdown timeout. Close them.
		http.DefaultClient.CloseIdleConnections()
		require.NoError(t, a.Stop(context.Background()))
	})
	return &Instance{App: a, URL: "http://" + a.Addr(), t: t}
}

// UserToken makes a bearer token the instance accepts as a user with
// subject and scopes (role customer), as the auth service's tokens would
// be; use it in headers: i.Do(..., "Authorization", "Bearer "+tok).
func (i *Instance) UserToken(subject string, scopes ...string) string {
	i.t.Helper()
	var b [12]byte
	_, _ = rand.Read(b[:])
	tok := "test-user-" + hex.EncodeToString(b[:])
	i.App.Verifier.Add(tok, auth.Principal{Subject: subject, Scopes: scopes, Roles: []string{"customer"}})
	return tok
}

// Response is a finished request.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.Body, v), string(r.Body))
}

// Do sends a request with the admin token unless headers set
// Authorization ("" to send none); body is JSON-encoded unless a string.
func (i *Instance) Do(method, path string, body any, headers ...string) Response {
	i.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(i.t, err)
		r = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, i.URL+path, r)
	require.NoError(i.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	for k := 0; k+1 < len(headers); k += 2 {
		if headers[k+1] == "" {
			req.Header.Del(headers[k])
			continue
		}
		req.Header.Set(headers[k], headers[k+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(i.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(i.t, err)
	return Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// testWriter sends logs to t.Log until the test ends, and drops what
// background goroutines write after that.
type testWriter struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func newTestWriter(t testing.TB) *testWriter {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return w
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// streamPrefix makes a NATS stream prefix unique to a test.
func streamPrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "t" + hex.EncodeToString(b[:])
}

// deleteStreams removes the JetStream streams a test made.
func deleteStreams(url, prefix string) {
	nc, err := nats.Connect(url)
	if err != nil {
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	names := js.StreamNames(ctx)
	var doomed []string
	for n := range names.Name() {
		if strings.HasPrefix(n, prefix) {
			doomed = append(doomed, n)
		}
	}
	for _, n := range doomed {
		_ = js.DeleteStream(ctx, n)
	}
}
