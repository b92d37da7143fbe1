// Package auth carries who is calling through a request: the Principal, its
// scopes and roles, and the middleware that turns a bearer token into one.
// Token checking is a Verifier so that the static bootstrap token of the
// foundation and the OpenID Connect access tokens of the auth service are
// interchangeable.
package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/httpx"
)

// Principal is an authenticated caller.
type Principal struct {
	// Subject is the user id, or the client id of a client-credentials token.
	Subject string
	// ClientID is the OAuth client the token was issued to ("" for static tokens).
	ClientID string
	Scopes   []string
	// Roles are customer, operator, admin; none for service clients.
	Roles []string
	// TokenID is the access token's id (its jti; "" for static tokens),
	// which revocations name.
	TokenID string
}

// Has reports whether the principal holds scope.
func (p Principal) Has(scope string) bool { return slices.Contains(p.Scopes, scope) }

// HasRole reports whether the principal holds role.
func (p Principal) HasRole(role string) bool { return slices.Contains(p.Roles, role) }

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller, if the request carried valid credentials.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Require returns the caller if it holds every scope: Unauthorized when
// there is no caller, Forbidden when a scope is missing.
func Require(ctx context.Context, scopes ...string) (Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return Principal{}, errs.Unauthorized("this operation needs a bearer token with scope %s", strings.Join(scopes, " "))
	}
	for _, s := range scopes {
		if !p.Has(s) {
			return Principal{}, errs.Forbidden("the token lacks scope %s", s)
		}
	}
	return p, nil
}

// RequireRole returns the caller if it holds at least one of roles:
// Unauthorized when there is no caller, Forbidden when it holds none.
func RequireRole(ctx context.Context, roles ...string) (Principal, error) {
	p, ok := FromContext(ctx)
	if !ok {
		return Principal{}, errs.Unauthorized("this operation needs a bearer token with role %s", strings.Join(roles, " or "))
	}
	for _, r := range roles {
		if p.HasRole(r) {
			return p, nil
		}
	}
	return Principal{}, errs.Forbidden("this operation needs role %s", strings.Join(roles, " or "))
}

// Verifier checks a bearer token. It returns an Unauthorized error for a
// token it does not accept, and must not reveal why beyond that.
type Verifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// Middleware attaches the principal of a valid bearer token to the request.
// A request without Authorization goes on anonymous (each operation decides
// what it needs); a bad token is refused with 401 at once. A request whose
// context already carries a principal (the in-process gateway verified the
// token) is not verified again.
func Middleware(v Verifier) httpx.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := FromContext(r.Context()); ok {
				next.ServeHTTP(w, r)
				return
			}
			p, ok, err := Authenticate(r, v)
			if err != nil {
				WriteChallenge(w, r, err)
				return
			}
			if !ok {
				next.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}

// Authenticate verifies the bearer token of r: ok is false when r carries
// no Authorization header; err is Unauthorized for a malformed header or a
// token v refuses (or what v returned, such as Unavailable).
func Authenticate(r *http.Request, v Verifier) (p Principal, ok bool, err error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return Principal{}, false, nil
	}
	scheme, token, found := strings.Cut(h, " ")
	token = strings.TrimSpace(token)
	if !found || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return Principal{}, false, errMalformed
	}
	p, err = v.Verify(r.Context(), token)
	if err != nil {
		return Principal{}, false, err
	}
	return p, true, nil
}

var errMalformed = errs.Unauthorized("the Authorization header must be \"Bearer <token>\"")

// WriteChallenge answers an authentication failure: 401 with the
// WWW-Authenticate challenge of RFC 6750 (invalid_request for a malformed
// header, invalid_token for a refused token), or the problem of err when it
// is not Unauthorized (an unreachable issuer answers 503).
func WriteChallenge(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, errMalformed):
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request"`)
	case errs.Is(err, errs.KindUnauthorized):
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	}
	httpx.WriteProblem(w, r, err)
}

// Chain is the process's verifier: the static tokens first (the bootstrap
// admin token), then each verifier added with Use (the JWT verifier), the
// first that accepts the token winning. Use must happen before the chain
// serves requests.
type Chain struct {
	StaticTokens
	more []Verifier
	deny *DenyList
}

// Deny makes the chain refuse what d denies (revoked tokens, revoked
// families, deleted subjects), whichever verifier accepted the token.
func (c *Chain) Deny(d *DenyList) { c.deny = d }

// errRevoked answers a token that is signed and valid but revoked.
var errRevoked = errs.Unauthorized("the bearer token has been revoked")

var _ Verifier = (*Chain)(nil)

// Use appends v to the chain.
func (c *Chain) Use(v Verifier) { c.more = append(c.more, v) }

// Verify implements Verifier. When every verifier refuses, the last error
// comes back (Unavailable when the issuer's keys cannot be loaded).
func (c *Chain) Verify(ctx context.Context, token string) (Principal, error) {
	p, err := c.StaticTokens.Verify(ctx, token)
	if err != nil {
		for _, v := range c.more {
			if p, err = v.Verify(ctx, token); err == nil {
				break
			}
		}
	}
	if err != nil {
		return Principal{}, err
	}
	if c.deny != nil && c.deny.Denied(p) {
		return Principal{}, errRevoked
	}
	return p, nil
}

// StaticTokens accepts a fixed set of tokens, compared in constant time by
// their SHA-256. It serves the bootstrap admin token until the auth service
// issues real ones. Tokens may be added while requests are verified.
type StaticTokens struct {
	mu      sync.RWMutex
	entries []staticEntry
}

type staticEntry struct {
	sum [32]byte
	p   Principal
}

// Add accepts token as principal p. Empty tokens are ignored.
func (s *StaticTokens) Add(token string, p Principal) {
	if token == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = append(s.entries, staticEntry{sum: sha256.Sum256([]byte(token)), p: p})
}

// Verify implements Verifier.
func (s *StaticTokens) Verify(_ context.Context, token string) (Principal, error) {
	sum := sha256.Sum256([]byte(token))
	s.mu.RLock()
	defer s.mu.RUnlock()
	found := -1
	for i, e := range s.entries {
		if subtle.ConstantTimeCompare(sum[:], e.sum[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Principal{}, errs.Unauthorized("the bearer token is not valid")
	}
	return s.entries[found].p, nil
}
