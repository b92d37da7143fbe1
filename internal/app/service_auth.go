package app

import (
	"context"
	"time"

	"github.com/cdlc/cdlc/internal/authserver"
	authhttp "github.com/cdlc/cdlc/internal/authserver/httpapi"
	authpages "github.com/cdlc/cdlc/internal/authserver/pages"
	authsql "github.com/cdlc/cdlc/internal/authserver/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/kit"
	"github.com/cdlc/cdlc/internal/platform/secrets"
)

// The auth service's consumers: account.deleted deletes the user and
// revokes their tokens; notification.email goes to the log sink.
const (
	groupAuthAccountDeleted = "auth-account-deleted"
	groupAuthEmailLog       = "auth-email-log"
)

// authRoutes are the provider's public paths. Its protocol endpoints
// authenticate their callers themselves (client credentials, cookies,
// PKCE); the operator API needs the operator or admin role.
var authRoutes = kit.Routes(
	[]kit.Route{
		{Path: "/.well-known/openid-configuration", Read: kit.Public, Write: kit.Public},
		{Path: "/oauth2/", Read: kit.Public, Write: kit.Public, ClientAuth: true, NoRetry: true},
		{Path: "/oauth2/keys", Read: kit.Public, Write: kit.Public},
		{Path: "/oauth2/token", Read: kit.Public, Write: kit.Public, Class: kit.ClassToken, ClientAuth: true, NoRetry: true},
		{Path: "/oauth2/device_authorization", Read: kit.Public, Write: kit.Public, Class: kit.ClassToken, ClientAuth: true, NoRetry: true},
		{Path: "/id/", Read: kit.Public, Write: kit.Public, NoRetry: true},
		{Path: "/id/login", Read: kit.Public, Write: kit.Public, Class: kit.ClassLogin, NoRetry: true},
		{Path: "/id/register", Read: kit.Public, Write: kit.Public, Class: kit.ClassLogin, NoRetry: true},
		{Path: "/id/reset-password", Read: kit.Public, Write: kit.Public, Class: kit.ClassLogin, NoRetry: true},
		{Path: "/id/device", Read: kit.Public, Write: kit.Public, Class: kit.ClassLogin, NoRetry: true},
	},
	kit.Subtree("/api/v1/auth", kit.Operators, kit.Operators),
)

func defaultAuthConfig() AuthConfig {
	return AuthConfig{
		Audience: auth.DefaultAudience, Leeway: 30 * time.Second,
		JWKSRefreshInterval: auth.DefaultKeysMaxAge, JWKSMinRefreshGap: auth.DefaultRefreshMinGap,
		Config: authserver.DefaultConfig(),
	}
}

// Server is the authorization server's part of the auth section, with
// the issuer the process resolved.
func (c AuthConfig) Server() authserver.Config {
	s := c.Config
	s.Issuer = c.Issuer
	return s
}

// startAuth wires the authorization server: the signing keys, the
// cdlc-web client, the protocol endpoints, pages and operator API, the
// account.deleted consumer and the e-mail log sink. Verifiers in this
// process then read the signing keys in process, not over HTTP.
func (a *App) startAuth(ctx context.Context, env *kit.Env) (any, error) {
	cfg := a.Config().Auth.Server()
	issuer := a.Issuer()
	sealer, err := a.AuthSealer()
	if err != nil {
		return nil, err
	}
	store := authsql.New(env.DB)
	keys := authserver.NewKeyring(store, sealer, cfg.KeyRotation, max(cfg.AccessTokenTTL, cfg.IDTokenTTL))
	if err := keys.Refresh(ctx); err != nil {
		return nil, err
	}
	if err := authserver.EnsureWebClient(ctx, store, issuer); err != nil {
		return nil, err
	}
	secret, err := a.configuredSecret("auth-encryption.key", a.Config().Auth.EncryptionKey)
	if err != nil {
		return nil, err
	}
	svc, err := authserver.New(authserver.Options{Store: store, Keys: keys, Config: cfg, Issuer: issuer, Secret: []byte(secret),
		Log: env.Log, Kick: env.Kick})
	if err != nil {
		return nil, err
	}
	env.Handle(groupAuthAccountDeleted, svc.HandleAccountDeleted())
	env.Handle(groupAuthEmailLog, svc.LogEmail)
	env.Go(func(ctx context.Context) { svc.Maintain(ctx, time.Minute) })
	svc.Register(env.Mux)
	authpages.Register(env.Mux, svc)
	a.SetKeySource(keys)
	authhttp.Register(env.API, svc)
	a.Auth = svc
	return nil, nil
}

// AuthSealer seals the signing keys: auth.encryption_key, or a key
// generated into <data_dir>/auth-encryption.key.
func (a *App) AuthSealer() (*secrets.Sealer, error) {
	cfg := a.Config().Auth
	return secrets.FromConfig(a.configuredSecret, "auth", "auth-encryption.key", cfg.EncryptionKey, cfg.PreviousEncryptionKeys)
}

// configuredSecret is raw, the secret set in the configuration, or when it
// is unset a 32-byte secret generated into <data_dir>/<file>.
func (a *App) configuredSecret(file, raw string) (string, error) {
	if raw != "" {
		return raw, nil
	}
	return a.secretFile(file, 32)
}
