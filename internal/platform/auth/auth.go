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
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/httpx"
)

// Principal is an authenticated caller.
type Principal struct {
	Subject string
	Scopes  []string
	Roles   []string
}

// Has reports whether the principal holds scope.
func (p Principal) Has(scope string) bool { return slices.Contains(p.Scopes, scope) }

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

// Verifier checks a bearer token. It returns an Unauthorized error for a
// token it does not accept, and must not reveal why beyond that.
type Verifier interface {
	Verify(ctx context.Context, token string) (Principal, error)
}

// Middleware attaches the principal of a valid bearer token to the request.
// A request without Authorization goes on anonymous (each operation decides
// what it needs); a bad token is refused with 401 at once.
func Middleware(v Verifier) httpx.Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := r.Header.Get("Authorization")
			if h == "" {
				next.ServeHTTP(w, r)
				return
			}
			scheme, token, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_request"`)
				httpx.WriteProblem(w, r, errs.Unauthorized("the Authorization header must be \"Bearer <token>\""))
				return
			}
			p, err := v.Verify(r.Context(), strings.TrimSpace(token))
			if err != nil {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				httpx.WriteProblem(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
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
