// Package authserver is the platform's OAuth 2.1 / OpenID Connect provider
// (target "auth"): discovery, JWKS with key rotation, authorization code
// with PKCE, refresh token rotation, device authorization, client
// credentials, revocation, introspection, userinfo and logout, plus the
// sign-in, registration, consent, device and recovery pages and the
// operator API.
//
// The protocol is github.com/zitadel/oidc/v3's op package: an OpenID
// Certified provider library, maintained, whose Storage interface leaves
// the state to us, and which covers every endpoint the platform needs out
// of the box (fosite would have meant writing discovery, JWKS, userinfo
// and the device flow's glue ourselves). This package is the domain: the
// Store its state lives in (store.go; adapter: sqlstore), op's Storage on
// it (storage.go), the key ring (keys.go), what discovery publishes and
// the authorization endpoint checks (protocol.go), accounts and sessions
// (accounts.go), and the rules op leaves to its user: PKCE policy,
// single-use codes, refresh reuse detection, scopes by role. Its HTTP
// adapters: pages (the sign-in pages under /id/) and httpapi (the
// operator API).
package authserver

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/cdlc/cdlc/internal/authserver/authevents"
	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/httpx"
)

// Options build a Service.
type Options struct {
	Store  Store
	Keys   *Keyring
	Config Config
	// Issuer is the provider's base URL (resolved once the server listens).
	Issuer string
	// Secret keys op's own encryption (opaque tokens; none are issued) and
	// the CSRF and session cookies' derivations.
	Secret []byte
	Log    *slog.Logger
	// Kick wakes the outbox relay after a commit that enqueued events.
	Kick func()
}

// Service is the running provider.
type Service struct {
	store    Store
	keys     *Keyring
	cfg      Config
	issuer   string
	log      *slog.Logger
	kick     func()
	provider *op.Provider

	dummyOnce sync.Once
	dummy     string
}

// New builds the provider.
func New(o Options) (*Service, error) {
	s := &Service{store: o.Store, keys: o.Keys, cfg: o.Config, issuer: strings.TrimRight(o.Issuer, "/"), log: o.Log, kick: o.Kick}
	if s.kick == nil {
		s.kick = func() {}
	}
	cryptoKey := sha256.Sum256(append([]byte("cdlc auth op crypto\x00"), o.Secret...))
	conf := &op.Config{
		CryptoKey:                cryptoKey,
		DefaultLogoutRedirectURI: "/id/logged-out",
		CodeMethodS256:           true,
		AuthMethodPost:           true,
		GrantTypeRefreshToken:    true,
		SupportedUILocales:       []language.Tag{language.English},
		SupportedScopes:          Scopes,
		SupportedClaims:          Claims,
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime: o.Config.DeviceCodeTTL, PollInterval: 5 * time.Second,
			UserFormPath: "/id/device", UserCode: op.UserCodeBase20,
		},
	}
	opts := []op.Option{
		op.WithCustomAuthEndpoint(op.NewEndpoint("oauth2/authorize")),
		op.WithCustomTokenEndpoint(op.NewEndpoint("oauth2/token")),
		op.WithCustomIntrospectionEndpoint(op.NewEndpoint("oauth2/introspect")),
		op.WithCustomUserinfoEndpoint(op.NewEndpoint("oauth2/userinfo")),
		op.WithCustomRevocationEndpoint(op.NewEndpoint("oauth2/revoke")),
		op.WithCustomEndSessionEndpoint(op.NewEndpoint("oauth2/end_session")),
		op.WithCustomKeysEndpoint(op.NewEndpoint("oauth2/keys")),
		op.WithCustomDeviceAuthorizationEndpoint(op.NewEndpoint("oauth2/device_authorization")),
		op.WithLogger(o.Log.With("component", "oidc")),
		// userinfo and introspection verify access tokens (ES256; RS256
		// ones signed before the access token key existed stay valid until
		// they expire).
		op.WithAccessTokenVerifierOpts(op.WithSupportedAccessTokenSigningAlgorithms(string(accessTokenAlg), string(idTokenAlg))),
	}
	if strings.HasPrefix(s.issuer, "http://") {
		opts = append(opts, op.WithAllowInsecure())
	}
	issuer := func(bool) (op.IssuerFromRequest, error) {
		return func(*http.Request) string { return s.issuer }, nil
	}
	p, err := op.NewProvider(conf, &opStorage{s: s}, issuer, opts...)
	if err != nil {
		return nil, fmt.Errorf("oidc provider: %w", err)
	}
	s.provider = p
	return s, nil
}

// Issuer is the provider's iss.
func (s *Service) Issuer() string { return s.issuer }

// Store is the service's store.
func (s *Service) Store() Store { return s.store }

// Config is the service's configuration.
func (s *Service) Config() Config { return s.cfg }

// Log is the service's logger.
func (s *Service) Log() *slog.Logger { return s.log }

// Kick wakes the outbox relay after a commit that enqueued events.
func (s *Service) Kick() { s.kick() }

// Register mounts the protocol endpoints on mux (the sign-in pages they
// send the browser to are package pages').
func (s *Service) Register(mux *http.ServeMux) {
	mux.Handle("/.well-known/openid-configuration", s.discovery())
	mux.Handle("/oauth2/authorize", s.authorize())
	for _, p := range []string{"authorize/callback", "revoke", "keys", "device_authorization"} {
		mux.Handle("/oauth2/"+p, s.provider)
	}
	mux.Handle("/oauth2/token", onlyGrantTypes(withTokenCall(s.provider)))
	// Anything else under the provider's prefixes is the platform's 404
	// (problem+json), not op's router's plain text.
	notFound := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, errs.NotFound("%s", r.URL.Path))
	})
	mux.Handle("/oauth2/", notFound)
	mux.Handle("/.well-known/", notFound)
	mux.Handle("/oauth2/userinfo", s.precheck(false, s.provider))
	mux.Handle("/oauth2/introspect", s.precheck(true, s.provider))
	mux.Handle("/oauth2/end_session", s.endSession(s.provider))
}

// endSession ends the browser's session at the provider, then lets op
// finish RP-initiated logout (id_token_hint, post_logout_redirect_uri).
func (s *Service) endSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.EndSession(r); err != nil {
			s.log.Error("end session", "err", err)
		}
		http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: strings.HasPrefix(s.issuer, "https://"), SameSite: http.SameSiteLaxMode, MaxAge: -1})
		next.ServeHTTP(w, r)
	})
}

// HandleAccountDeleted consumes account.deleted {subject}: the user goes,
// with every grant, session and token, and user.deleted is published;
// idempotent (a second delivery, or a subject that is not ours, changes
// nothing: the user is gone and nothing is published again).
func (s *Service) HandleAccountDeleted() events.Handler {
	return func(ctx context.Context, m events.Message) error {
		p, err := customer.AccountDeleted.Decode(m)
		if err != nil || p.Subject == "" {
			s.log.Warn("account.deleted without a subject; skipped", "message", m.ID)
			return nil
		}
		found, err := s.DeleteUser(ctx, p.Subject)
		if found {
			s.kick()
		}
		return err
	}
}

// DeleteUser removes a user, everything issued to them, and publishes
// user.deleted. It reports whether the user existed.
func (s *Service) DeleteUser(ctx context.Context, id string) (bool, error) {
	return s.store.DeleteUser(ctx, id, authevents.UserDeleted.MustMessage(id, authevents.User{Subject: id}))
}

// LogEmail is the log sink of notification.email until the dispatch
// service delivers mail: it writes the message to the log.
func (s *Service) LogEmail(_ context.Context, m events.Message) error {
	e, err := authevents.Email.Decode(m)
	if err != nil {
		return nil
	}
	s.log.Info("e-mail (log sink)", "to", e.To, "subject", e.Subject, "link", e.Link)
	return nil
}

// Email is the payload of notification.email (authevents.Message).
type Email = authevents.Message

// Maintain prunes expired rows and refreshes the keys until ctx ends.
func (s *Service) Maintain(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.keys.Refresh(ctx); err != nil && ctx.Err() == nil {
				s.log.Error("signing key refresh failed", "err", err)
			}
			if err := s.store.Prune(ctx, time.Now()); err != nil && ctx.Err() == nil {
				s.log.Error("auth prune failed", "err", err)
			}
		}
	}
}

// Keys is the signing key ring.
func (s *Service) Keys() *Keyring { return s.keys }
