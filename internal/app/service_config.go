package app

import (
	"context"
	"errors"

	"github.com/cdlc/cdlc/internal/configserver"
	"github.com/cdlc/cdlc/internal/configserver/httpapi"
	"github.com/cdlc/cdlc/internal/configserver/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/module"
	"github.com/cdlc/cdlc/internal/platform/secrets"
)

func init() {
	register(ServiceModule{
		Name:       "config",
		Deps:       []string{"bus", "cache"},
		Migrations: []db.Migrations{sqlstore.Migrations},
		Init:       initConfigServer,
	})
}

// initConfigServer wires the configurations server: its database (with
// the outbox), its relay, the change consumer that keeps every instance's
// cache and watchers current, and its API.
func initConfigServer(ctx context.Context, a *App) (module.Service, error) {
	cfg := a.Config().ConfigServer
	sealer, err := a.configSealer(cfg)
	if err != nil {
		return nil, err
	}
	d, err := a.OpenDB(ctx, "config", sqlstore.Migrations)
	if err != nil {
		return nil, err
	}
	relay := a.StartRelay(d)
	svc := configserver.New(configserver.Options{
		Store: sqlstore.New(d), Sealer: sealer, Cache: a.Cache(), CacheTTL: cfg.CacheTTL, Kick: relay.Notify,
	})
	// Every instance hears every change (its own group), to drop its cached
	// renderings and wake its watchers.
	sub, err := a.Bus().Subscribe(ctx, configserver.TopicChanged, "config-watchers", svc.HandleChanged, events.Ephemeral())
	if err != nil {
		relay.Stop(ctx)
		d.Close()
		return nil, err
	}
	httpapi.Register(a.API, a.Mux, svc, a.Done())
	return module.Funcs{OnStop: func(ctx context.Context) error {
		return errors.Join(sub.Close(), relay.Stop(ctx), d.Close())
	}}, nil
}

func (a *App) configSealer(cfg ConfigServerConfig) (*secrets.Sealer, error) {
	return a.sealer("config_server", "config-encryption.key", cfg.EncryptionKey, cfg.PreviousEncryptionKeys)
}

// configuredSecret is raw, the secret set in the configuration, or when it
// is unset a 32-byte secret generated into <data_dir>/<file>.
func (a *App) configuredSecret(file, raw string) (string, error) {
	if raw != "" {
		return raw, nil
	}
	return a.secretFile(file, 32)
}

// sealer builds the AES-256-GCM sealer of a section's secrets at rest:
// from <section>.encryption_key, or a key generated into <data_dir>/<file>
// when it is unset; <section>.previous_encryption_keys still open what
// they sealed.
func (a *App) sealer(section, file, raw string, previousRaw []string) (*secrets.Sealer, error) {
	raw, err := a.configuredSecret(file, raw)
	if err != nil {
		return nil, err
	}
	key, err := secrets.ParseKey(raw)
	if err != nil {
		return nil, errs.Invalid(section+".encryption_key", "%v", err)
	}
	var previous [][]byte
	for _, p := range previousRaw {
		k, err := secrets.ParseKey(p)
		if err != nil {
			return nil, errs.Invalid(section+".previous_encryption_keys", "%v", err)
		}
		previous = append(previous, k)
	}
	return secrets.NewSealer(key, previous...)
}
