package app

import (
	"context"
	"errors"
	"time"

	"github.com/cdlc/cdlc/internal/authserver"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/module"
	"github.com/cdlc/cdlc/internal/platform/secrets"
)

func init() {
	register(ServiceModule{
		Name:       "auth",
		Deps:       []string{"bus", "cache"},
		Migrations: []db.Migrations{authserver.Migrations},
		Init:       initAuth,
	})
}

func defaultAuthConfig() AuthConfig {
	d := authserver.DefaultConfig()
	return AuthConfig{
		Audience: auth.DefaultAudience, Leeway: 30 * time.Second,
		JWKSRefreshInterval: auth.DefaultKeysMaxAge, JWKSMinRefreshGap: auth.DefaultRefreshMinGap,
		AccessTokenTTL: d.AccessTokenTTL, IDTokenTTL: d.IDTokenTTL, RefreshTokenTTL: d.RefreshTokenTTL, RefreshGrace: d.RefreshGrace,
		CodeTTL: d.CodeTTL, DeviceCodeTTL: d.DeviceCodeTTL, SessionTTL: d.SessionTTL, VerifyEmailTTL: d.VerifyEmailTTL, ResetTTL: d.ResetPasswordTTL,
		KeyRotation: d.KeyRotation,
		Argon2:      Argon2Config{MemoryKiB: d.Argon2.MemoryKiB, Iterations: d.Argon2.Iterations, Parallelism: d.Argon2.Parallelism},
		Throttle:    ThrottleConfig{AccountFailures: d.Throttle.AccountFailures, IPFailures: d.Throttle.IPFailures, Window: d.Throttle.Window},
	}
}

// Server is the authorization server's part of the auth section.
func (c AuthConfig) Server() authserver.Config {
	return authserver.Config{
		Issuer: c.Issuer, AccessTokenTTL: c.AccessTokenTTL, IDTokenTTL: c.IDTokenTTL, RefreshTokenTTL: c.RefreshTokenTTL,
		CodeTTL: c.CodeTTL, DeviceCodeTTL: c.DeviceCodeTTL, SessionTTL: c.SessionTTL, RefreshGrace: c.RefreshGrace,
		KeyRotation: c.KeyRotation, VerifyEmailTTL: c.VerifyEmailTTL, ResetPasswordTTL: c.ResetTTL,
		Argon2:   authserver.Argon2Params{MemoryKiB: c.Argon2.MemoryKiB, Iterations: c.Argon2.Iterations, Parallelism: c.Argon2.Parallelism},
		Throttle: authserver.ThrottleConfig{AccountFailures: c.Throttle.AccountFailures, IPFailures: c.Throttle.IPFailures, Window: c.Throttle.Window},
	}
}

// initAuth wires the authorization server: its database (with the
// outbox), the signing keys, the cdlc-web client, the protocol endpoints,
// pages and operator API, the account.deleted consumer and the e-mail log
// sink.
func initAuth(ctx context.Context, a *App) (module.Service, error) {
	cfg := a.Config().Auth.Server()
	issuer := a.Issuer()
	sealer, err := a.AuthSealer()
	if err != nil {
		return nil, err
	}
	d, err := a.OpenDB(ctx, "auth", authserver.Migrations)
	if err != nil {
		return nil, err
	}
	relay := a.StartRelay(d)
	bg, cancel := context.WithCancel(context.Background())
	var subs []events.Subscription
	stop := func(ctx context.Context) error {
		cancel()
		err := relay.Stop(ctx)
		for _, s := range subs {
			err = errors.Join(err, s.Close())
		}
		return errors.Join(err, d.Close())
	}
	store := authserver.NewStore(d)
	keys := authserver.NewKeyring(store, sealer, cfg.KeyRotation, max(cfg.AccessTokenTTL, cfg.IDTokenTTL))
	if err := keys.Refresh(ctx); err != nil {
		return nil, errors.Join(err, stop(ctx))
	}
	if err := store.EnsureWebClient(ctx, issuer); err != nil {
		return nil, errors.Join(err, stop(ctx))
	}
	secret, err := a.configuredSecret("auth-encryption.key", a.Config().Auth.EncryptionKey)
	if err != nil {
		return nil, errors.Join(err, stop(ctx))
	}
	svc, err := authserver.New(authserver.Options{Store: store, Keys: keys, Config: cfg, Issuer: issuer, Secret: []byte(secret),
		Log: a.Log.With("service", "auth"), Kick: relay.Notify})
	if err != nil {
		return nil, errors.Join(err, stop(ctx))
	}
	for _, sub := range []struct {
		topic, group string
		h            events.Handler
	}{
		{authserver.TopicAccountDeleted, "auth-account-deleted", svc.HandleAccountDeleted(d)},
		{authserver.TopicEmail, "auth-email-log", svc.LogEmail},
	} {
		s, err := a.Bus().Subscribe(ctx, sub.topic, sub.group, sub.h)
		if err != nil {
			return nil, errors.Join(err, stop(ctx))
		}
		subs = append(subs, s)
	}
	go svc.Maintain(bg, time.Minute)
	svc.Register(a.Mux)
	// Verifiers in this process read the signing keys here, not over HTTP.
	a.SetKeySource(keys)
	svc.RegisterAPI(a.API)
	a.Auth = svc
	return module.Funcs{OnStop: stop}, nil
}

// AuthSealer seals the signing keys: auth.encryption_key, or a key
// generated into <data_dir>/auth-encryption.key.
func (a *App) AuthSealer() (*secrets.Sealer, error) {
	cfg := a.Config().Auth
	return a.sealer("auth", "auth-encryption.key", cfg.EncryptionKey, cfg.PreviousEncryptionKeys)
}
