// Package wiring starts the configurations server on the platform's kit:
// its store, the secret sealer, the change consumer that keeps every
// instance's cache and watchers current, and its API. Its table entry is
// in internal/app.
package wiring

import (
	"context"

	"github.com/cdlc/cdlc/internal/configserver"
	"github.com/cdlc/cdlc/internal/configserver/httpapi"
	"github.com/cdlc/cdlc/internal/configserver/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/kit"
	"github.com/cdlc/cdlc/internal/platform/secrets"
)

// GroupWatchers is the per-instance consumer of config.changed: every
// instance drops its cached renderings and wakes its watchers.
const GroupWatchers = "config-watchers"

// SectionKey is the key of the service's configuration section.
const SectionKey = "config_server"

// Start builds the configurations server in env.
func Start(_ context.Context, env *kit.Env) (any, error) {
	cfg := kit.Section[configserver.Config](env)
	sealer, err := secrets.FromConfig(env.Secret, SectionKey, "config-encryption.key", cfg.EncryptionKey, cfg.PreviousEncryptionKeys)
	if err != nil {
		return nil, err
	}
	svc := configserver.New(configserver.Options{
		Store: sqlstore.New(env.DB), Sealer: sealer, Cache: env.Cache, CacheTTL: cfg.CacheTTL, Kick: env.Kick,
	})
	env.Handle(GroupWatchers, svc.HandleChanged)
	httpapi.Register(env.API, env.Mux, svc, env.Done).MaxStream = cfg.WatchMaxDuration
	return nil, nil
}
