package configserver_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/configserver"
	"github.com/cdlc/cdlc/internal/configserver/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/secrets"
)

func newService(t *testing.T, d *db.DB) *configserver.Service {
	t.Helper()
	require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
	sealer, err := secrets.NewSealer(make([]byte, 32))
	require.NoError(t, err)
	mem, err := cache.NewMemory(cache.MemoryOptions{MaxBytes: 1 << 20})
	require.NoError(t, err)
	return configserver.New(configserver.Options{Store: sqlstore.New(d), Sealer: sealer, Cache: cache.NewLoader(mem, cache.LoaderOptions{})})
}

func put(t *testing.T, s *configserver.Service, app, profile string, v configserver.Values) configserver.Document {
	t.Helper()
	d, err := s.Put(context.Background(), configserver.Write{App: app, Profile: profile, Values: v, Author: "tester"})
	require.NoError(t, err)
	return d
}

func TestService(t *testing.T) {
	dbtest.Each(t, "config", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := newService(t, d)

		t.Run("versions, authors and secrets at rest", func(t *testing.T) {
			v1 := put(t, s, "billing", "default", configserver.Values{"db": map[string]any{"password": map[string]any{"$secret": "hunter2"}, "pool": 5.0}})
			require.EqualValues(t, 1, v1.Version)
			require.Equal(t, "tester", v1.Author)
			require.Equal(t, []string{"db.password"}, v1.Secrets)

			var raw string
			require.NoError(t, d.Reader().QueryRowContext(ctx, "SELECT doc FROM config_versions WHERE app = 'billing'").Scan(&raw))
			require.NotContains(t, raw, "hunter2", "secrets are encrypted at rest")

			hidden, err := s.Get(ctx, "billing", "default", 0, false)
			require.NoError(t, err)
			require.Equal(t, configserver.Redacted, hidden.Values["db"].(map[string]any)["password"])
			shown, err := s.Get(ctx, "billing", "default", 0, true)
			require.NoError(t, err)
			require.Equal(t, "hunter2", shown.Values["db"].(map[string]any)["password"])

			v2, err := s.Patch(ctx, configserver.Write{App: "billing", Profile: "default", Values: configserver.Values{"db": map[string]any{"pool": 9.0}}, Author: "ops"})
			require.NoError(t, err)
			require.EqualValues(t, 2, v2.Version)
			shown, err = s.Get(ctx, "billing", "default", 2, true)
			require.NoError(t, err)
			require.Equal(t, "hunter2", shown.Values["db"].(map[string]any)["password"], "a patch keeps the secret")
			require.Equal(t, 9.0, shown.Values["db"].(map[string]any)["pool"])
		})

		t.Run("optimistic concurrency", func(t *testing.T) {
			stale := int64(1)
			_, err := s.Put(ctx, configserver.Write{App: "billing", Profile: "default", Values: configserver.Values{}, Author: "x", IfVersion: &stale})
			require.True(t, errs.Is(err, errs.KindPrecondition), "%v", err)
			doc, err := s.Get(ctx, "billing", "default", 0, false)
			require.NoError(t, err)
			require.EqualValues(t, 2, doc.Version, "the failed write changed nothing")
		})

		t.Run("bad input changes nothing", func(t *testing.T) {
			bad := []configserver.Write{
				{App: "Bad App", Profile: "default", Values: configserver.Values{}},
				{App: "ok", Profile: "default", Values: nil},
				{App: "ok", Profile: "default", Values: configserver.Values{"a.b": 1.0}},
				{App: "ok", Profile: "default", Values: configserver.Values{"s": map[string]any{"$secret": 5.0}}},
				{App: "ok", Profile: "default", Values: configserver.Values{"s": map[string]any{"$enc": "forged"}}},
			}
			for _, w := range bad {
				_, err := s.Put(ctx, w)
				require.True(t, errs.Is(err, errs.KindInvalid), "%+v: %v", w, err)
			}
			_, err := s.Get(ctx, "ok", "default", 0, false)
			require.True(t, errs.Is(err, errs.KindNotFound))
		})

		t.Run("effective merges four layers", func(t *testing.T) {
			put(t, s, "application", "default", configserver.Values{"log": map[string]any{"level": "info", "format": "json"}, "region": "eu"})
			put(t, s, "application", "prod", configserver.Values{"log": map[string]any{"level": "warn"}})
			put(t, s, "shop", "default", configserver.Values{"pool": 4.0, "log": map[string]any{"format": "text"}})
			put(t, s, "shop", "prod", configserver.Values{"pool": 32.0})
			e, err := s.Effective(ctx, "shop", "prod", false)
			require.NoError(t, err)
			require.Equal(t, configserver.Values{"log": map[string]any{"level": "warn", "format": "text"}, "region": "eu", "pool": 32.0}, e.Values)
			require.Len(t, e.Sources, 4)
			dev, err := s.Effective(ctx, "shop", "dev", false)
			require.NoError(t, err)
			require.Equal(t, 4.0, dev.Values["pool"], "a profile with no document falls back to default")

			r1, err := s.EffectiveJSON(ctx, "shop", "prod", false)
			require.NoError(t, err)
			require.Contains(t, string(r1.Body), `"pool":32`)
			put(t, s, "shop", "prod", configserver.Values{"pool": 64.0})
			r2, err := s.EffectiveJSON(ctx, "shop", "prod", false)
			require.NoError(t, err)
			require.Contains(t, string(r2.Body), `"pool":64`, "a write on this instance is read back at once")
			require.NotEqual(t, r1.ETag, r2.ETag)
		})

		t.Run("changes since a revision hold only what changed", func(t *testing.T) {
			e, err := s.Effective(ctx, "shop", "prod", false)
			require.NoError(t, err)
			put(t, s, "application", "default", configserver.Values{"log": map[string]any{"level": "info", "format": "json"}, "region": "us"})
			cs, err := s.Changes(ctx, "shop", "prod", e.Revision, false)
			require.NoError(t, err)
			require.Equal(t, []configserver.Change{{Op: "set", Key: "region", Value: "us"}}, cs.Changes)
			require.Greater(t, cs.Revision, e.Revision)

			none, err := s.Changes(ctx, "shop", "prod", cs.Revision, false)
			require.NoError(t, err)
			require.Empty(t, none.Changes)

			all, err := s.Changes(ctx, "shop", "prod", 0, false)
			require.NoError(t, err)
			require.Len(t, all.Changes, 4, "since 0 is the whole document")
		})

		t.Run("history, diff and rollback", func(t *testing.T) {
			hist, err := s.History(ctx, "shop", "prod", 0, 10)
			require.NoError(t, err)
			require.Len(t, hist, 2)
			require.EqualValues(t, 2, hist[0].Version, "newest first")
			diff, err := s.DiffVersions(ctx, "shop", "prod", 1, 2, false)
			require.NoError(t, err)
			require.Equal(t, []configserver.Change{{Op: "set", Key: "pool", Value: 64.0}}, diff)

			rb, err := s.Rollback(ctx, configserver.Write{App: "shop", Profile: "prod", Author: "ops"}, 1)
			require.NoError(t, err)
			require.EqualValues(t, 3, rb.Version)
			require.EqualValues(t, 1, rb.RollbackOf)
			require.Equal(t, 32.0, rb.Values["pool"])

			_, err = s.Rollback(ctx, configserver.Write{App: "shop", Profile: "prod", Author: "ops"}, 99)
			require.True(t, errs.Is(err, errs.KindNotFound))

			// Secrets survive a rollback: same document, same sealing.
			rb, err = s.Rollback(ctx, configserver.Write{App: "billing", Profile: "default", Author: "ops", Reveal: true}, 1)
			require.NoError(t, err)
			require.Equal(t, "hunter2", rb.Values["db"].(map[string]any)["password"])
		})

		t.Run("watchers are woken by change events", func(t *testing.T) {
			ch, cancel := s.Watch("shop")
			defer cancel()
			require.NoError(t, s.HandleChanged(ctx, events.Message{Payload: []byte(`{"app":"application"}`)}))
			select {
			case <-ch:
			case <-time.After(time.Second):
				t.Fatal("a change to the shared application wakes every watcher")
			}
			require.NoError(t, s.HandleChanged(ctx, events.Message{Payload: []byte(`{"app":"other"}`)}))
			select {
			case <-ch:
				t.Fatal("a change to another application does not")
			case <-time.After(50 * time.Millisecond):
			}
		})
	})
}
