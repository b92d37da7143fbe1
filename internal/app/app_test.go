package app_test

import (
	"maps"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
