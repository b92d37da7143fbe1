package app_test

import (
	"context"
	"io"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/app/apptest"
)

func with(base map[string]string, kv ...string) map[string]string {
	out := maps.Clone(base)
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// The configurations server runs on its own, and a second process started
// against it picks up a changed value without a restart, on the embedded
// stores and on MariaDB with NATS JetStream.
func TestRemoteConfigurationAppliesLive(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			server := apptest.Start(t, with(b.Prepare(t), "target", "config"))
			res := server.Do("PUT", "/api/v1/config/cdlc/default", map[string]any{
				"values":  map[string]any{"log": map[string]any{"level": "warn"}, "features": map[string]any{"new_player": "off"}, "http": map[string]any{"read_timeout": "15s"}},
				"message": "baseline",
			})
			require.Equal(t, 200, res.Status, string(res.Body))
			res = server.Do("PUT", "/api/v1/config/cdlc/prod", map[string]any{"values": map[string]any{"features": map[string]any{"region": "eu"}}})
			require.Equal(t, 200, res.Status, string(res.Body))

			follower := apptest.StartRemote(t, server.URL, "cdlc", "prod", with(b.Prepare(t), "target", "config"))
			cfg := follower.App.Config()
			require.Equal(t, "off", cfg.Features["new_player"], "fetched at start")
			require.Equal(t, "eu", cfg.Features["region"], "profile layer over default")
			require.Equal(t, "warn", cfg.Log.Level)

			res = server.Do("PATCH", "/api/v1/config/cdlc/default", map[string]any{
				"values": map[string]any{"log": map[string]any{"level": "debug"}, "features": map[string]any{"new_player": "on"}, "http": map[string]any{"read_timeout": "20s"}},
			})
			require.Equal(t, 200, res.Status, string(res.Body))

			require.Eventually(t, func() bool {
				c := follower.App.Config()
				return c.Features["new_player"] == "on" && c.Log.Level == "debug"
			}, 10*time.Second, 20*time.Millisecond, "reloadable settings apply without a restart")
			cfg = follower.App.Config()
			require.Equal(t, 15*time.Second, cfg.HTTP.ReadTimeout, "a setting that needs a restart is left as it is")
			require.Equal(t, "eu", cfg.Features["region"])

			var admin struct {
				Values         map[string]any `json:"values"`
				RemoteRevision int64          `json:"remote_revision"`
				Reloads        int64          `json:"reloads"`
			}
			follower.Do("GET", "/admin/config", nil).JSON(t, &admin)
			require.Equal(t, "debug", admin.Values["log.level"])
			require.Equal(t, "******", admin.Values["auth.admin_token"])
			require.EqualValues(t, 1, admin.Reloads)
			require.Greater(t, admin.RemoteRevision, int64(2))

			// Removing the key on the server removes it here too.
			res = server.Do("PATCH", "/api/v1/config/cdlc/prod", map[string]any{"values": map[string]any{"features": map[string]any{"region": nil}}})
			require.Equal(t, 200, res.Status, string(res.Body))
			require.Eventually(t, func() bool {
				_, ok := follower.App.Config().Features["region"]
				return !ok
			}, 10*time.Second, 20*time.Millisecond)
		})
	}
}

// SIGTERM drains: a request in flight (here a long poll) is answered, not
// cut, and the process stops well within the shutdown timeout.
func TestShutdownDrainsInFlightRequests(t *testing.T) {
	cfg, src := apptest.Config(t, map[string]string{"target": "config"})
	a := app.New(cfg, app.Options{Sources: src, LogOutput: io.Discard})
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(ctx) }()
	var base string
	require.Eventually(t, func() bool {
		base = "http://" + a.Addr()
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	}, 10*time.Second, 20*time.Millisecond)

	req, _ := http.NewRequest("PUT", base+"/api/v1/config/shop/default", strings.NewReader(`{"values":{"a":1}}`))
	req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)

	answered := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", base+"/api/v1/config/shop/default/changes?since=1&wait=50s", nil)
		req.Header.Set("Authorization", "Bearer "+apptest.AdminToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- -1
			return
		}
		res.Body.Close()
		answered <- res.StatusCode
	}()
	// Let the poll reach the server before the signal.
	require.Eventually(t, func() bool {
		return inflight(t, a) >= 1
	}, 5*time.Second, 10*time.Millisecond)
	cancel()
	require.Equal(t, 200, <-answered, "the request in flight was answered")
	select {
	case err := <-runErr:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after shutdown")
	}
	_, err = http.Get(base + "/healthz")
	require.Error(t, err, "nothing listens after shutdown")
}

// inflight reads the server's in-flight request gauge.
func inflight(t *testing.T, a *app.App) float64 {
	mfs, err := a.Registry.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() == "cdlc_http_requests_in_flight" {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	return 0
}

// Every service in one process: the module table, the shared API and its
// OpenAPI document hold together (no clashing routes or schema names).
func TestTargetAllServesEveryService(t *testing.T) {
	in := apptest.Start(t, map[string]string{"target": "all"})
	var spec struct {
		Paths map[string]any `json:"paths"`
	}
	res := in.Do("GET", "/openapi.json", nil)
	require.Equal(t, 200, res.Status)
	res.JSON(t, &spec)
	for _, p := range []string{"/api/v1/config/{app}/{profile}/effective", "/api/v1/titles/{id}", "/api/v1/people/{id}", "/api/v1/discover/titles"} {
		require.Contains(t, spec.Paths, p)
	}
	var ready struct{ Checks map[string]string }
	in.Do("GET", "/readyz", nil).JSON(t, &ready)
	for _, c := range []string{"db:config", "db:inventory", "db:actor", "bus", "cache"} {
		require.Equal(t, "ok", ready.Checks[c], c)
	}
}

// The web app answers every GET no service claims (its client-side routes);
// the platform's own prefixes stay problem+json 404s.
func TestWebAppAtRoot(t *testing.T) {
	in := apptest.Start(t, map[string]string{"target": "all"})
	for _, path := range []string{"/", "/title/tt0068646", "/auth/callback?code=x&state=y"} {
		res := in.Do("GET", path, nil, "Authorization", "")
		require.Equal(t, 200, res.Status, path)
		require.Contains(t, res.Header.Get("Content-Type"), "text/html", path)
		require.Equal(t, "no-cache", res.Header.Get("Cache-Control"), path)
	}
	for _, path := range []string{"/api/v1/nope", "/oauth2/nope", "/.well-known/nope"} {
		res := in.Do("GET", path, nil, "Authorization", "")
		require.Equal(t, 404, res.Status, path)
		require.Contains(t, res.Header.Get("Content-Type"), "application/problem+json", path)
	}
	// The API's own answers are untouched.
	require.Equal(t, 200, in.Do("GET", "/api/v1/discover/titles", nil).Status)
}
