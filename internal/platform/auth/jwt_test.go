package auth_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/auth/authtest"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

func newVerifier(t *testing.T, iss *authtest.Issuer, mod func(*auth.JWTOptions)) *auth.JWTVerifier {
	t.Helper()
	opts := auth.JWTOptions{Issuer: iss.URL, Keys: iss, Leeway: 5 * time.Second}
	if mod != nil {
		mod(&opts)
	}
	v, err := auth.NewJWTVerifier(opts)
	require.NoError(t, err)
	return v
}

// The access tokens of the contract verify, whichever of the accepted
// algorithms signed them, and map to the principal.
func TestJWTVerifierAcceptsContractTokens(t *testing.T) {
	iss := authtest.New("https://id.example")
	ec, ed := authtest.NewKey("ES256"), authtest.NewKey("EdDSA")
	iss.Publish(ec)
	iss.Publish(ed)
	v := newVerifier(t, iss, nil)
	for _, k := range []authtest.Key{iss.Key(), ec, ed} {
		tok := iss.MintWith(k, authtest.Claims{Subject: "u-42", ClientID: "cdlc-web", Scope: "openid account", Roles: []string{"customer"}})
		p, err := v.Verify(context.Background(), tok)
		require.NoError(t, err, k.Alg)
		require.NotEmpty(t, p.TokenID, "the jti, which revocations name")
		p.TokenID = ""
		require.Equal(t, auth.Principal{Subject: "u-42", ClientID: "cdlc-web", Scopes: []string{"openid", "account"}, Roles: []string{"customer"}}, p, k.Alg)
	}
	// A client-credentials token: no roles, subject is the client.
	p, err := v.Verify(context.Background(), iss.Mint(authtest.Claims{Subject: "svc", ClientID: "svc", Scope: "catalog:write"}))
	require.NoError(t, err)
	require.Equal(t, "svc", p.ClientID)
	require.Empty(t, p.Roles)
	require.True(t, p.Has("catalog:write"))
}

func b64(v string) string { return base64.RawURLEncoding.EncodeToString([]byte(v)) }

// Every forged or out-of-date token is refused with Unauthorized, and the
// refusal does not say why.
func TestJWTVerifierAttackTable(t *testing.T) {
	iss := authtest.New("https://id.example")
	key := iss.Key()
	pubDER, err := x509.MarshalPKIXPublicKey(key.Private.Public())
	require.NoError(t, err)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	valid := iss.Mint(authtest.Claims{Scope: "account"})
	now := time.Now()

	hmacWith := func(secret []byte) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodHS256, iss.MapClaims(authtest.Claims{Scope: "admin"}))
		tok.Header["kid"] = key.KID
		s, err := tok.SignedString(secret)
		require.NoError(t, err)
		return s
	}
	parts := strings.Split(valid, ".")
	cases := []struct {
		name  string
		token string
	}{
		{"alg none", b64(`{"alg":"none","typ":"JWT","kid":"`+key.KID+`"}`) + "." + parts[1] + "."},
		{"alg none with signature", b64(`{"alg":"none","kid":"`+key.KID+`"}`) + "." + parts[1] + "." + parts[2]},
		{"HS256 signed with the public key (PEM)", hmacWith(pubPEM)},
		{"HS256 signed with the public key (DER)", hmacWith(pubDER)},
		{"HS512", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodHS512, iss.MapClaims(authtest.Claims{}))
			tok.Header["kid"] = key.KID
			s, _ := tok.SignedString(pubPEM)
			return s
		}()},
		{"expired", iss.Mint(authtest.Claims{IssuedAt: now.Add(-2 * time.Hour), Expires: now.Add(-time.Minute)})},
		{"not yet valid", iss.Mint(authtest.Claims{NotBefore: now.Add(10 * time.Minute)})},
		{"issued in the future", iss.Mint(authtest.Claims{IssuedAt: now.Add(10 * time.Minute), NotBefore: now, Expires: now.Add(time.Hour)})},
		{"wrong issuer", iss.Mint(authtest.Claims{Issuer: "https://evil.example"})},
		{"issuer with a trailing slash", iss.Mint(authtest.Claims{Issuer: "https://id.example/"})},
		{"wrong audience", iss.Mint(authtest.Claims{Audience: []string{"other-api"}})},
		{"no audience", iss.Mint(authtest.Claims{Audience: []string{}})},
		{"signed by an unpublished key", iss.MintWith(authtest.NewKey("RS256"), authtest.Claims{})},
		{"unpublished key reusing a published kid", func() string {
			k := authtest.NewKey("RS256")
			k.KID = key.KID
			return iss.MintWith(k, authtest.Claims{})
		}()},
		{"no kid", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, iss.MapClaims(authtest.Claims{}))
			s, _ := tok.SignedString(key.Private)
			return s
		}()},
		{"no exp", func() string {
			c := iss.MapClaims(authtest.Claims{})
			delete(c, "exp")
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
			tok.Header["kid"] = key.KID
			s, _ := tok.SignedString(key.Private)
			return s
		}()},
		{"no subject", func() string {
			c := iss.MapClaims(authtest.Claims{})
			delete(c, "sub")
			tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
			tok.Header["kid"] = key.KID
			s, _ := tok.SignedString(key.Private)
			return s
		}()},
		{"PS256 (not accepted)", func() string {
			tok := jwt.NewWithClaims(jwt.SigningMethodPS256, iss.MapClaims(authtest.Claims{}))
			tok.Header["kid"] = key.KID
			s, _ := tok.SignedString(key.Private)
			return s
		}()},
		{"payload tampered (scope raised)", parts[0] + "." + b64(strings.Replace(mustDecode(t, parts[1]), `"account"`, `"admin"`, 1)) + "." + parts[2]},
		{"signature stripped", parts[0] + "." + parts[1] + "."},
		{"two segments", parts[0] + "." + parts[1]},
		{"garbage", "not-a-jwt"},
		{"empty", ""},
	}
	v := newVerifier(t, iss, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), c.token)
			require.Error(t, err)
			require.True(t, errs.Is(err, errs.KindUnauthorized), "kind of %v", err)
			require.Equal(t, auth.Principal{}, p)
			require.NotContains(t, err.Error(), "kid")
			require.NotContains(t, err.Error(), "signature")
		})
	}
	// The valid token still passes after the attacks (none poisoned the cache).
	_, err = v.Verify(context.Background(), valid)
	require.NoError(t, err)
}

func mustDecode(t *testing.T, s string) string {
	b, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	return string(b)
}

// A key published after the verifier loaded the set is fetched on first
// use; unknown kids do not turn into a fetch each.
func TestJWTVerifierRefreshesOnUnknownKIDPaced(t *testing.T) {
	iss := authtest.New("https://id.example")
	v := newVerifier(t, iss, func(o *auth.JWTOptions) { o.RefreshMinGap = time.Hour })
	require.NoError(t, v.Refresh(context.Background()))
	require.Equal(t, 1, iss.Fetches())

	rotated := authtest.NewKey("RS256")
	iss.Publish(rotated)
	_, err := v.Verify(context.Background(), iss.MintWith(rotated, authtest.Claims{}))
	require.NoError(t, err, "the new key is fetched on its first use")
	require.Equal(t, 2, iss.Fetches())

	for range 20 {
		_, err := v.Verify(context.Background(), iss.MintWith(authtest.NewKey("RS256"), authtest.Claims{}))
		require.True(t, errs.Is(err, errs.KindUnauthorized))
	}
	require.Equal(t, 2, iss.Fetches(), "forged kids within the gap cause no fetch")

	// Known keys never cause a fetch.
	for range 20 {
		_, err := v.Verify(context.Background(), iss.Mint(authtest.Claims{}))
		require.NoError(t, err)
	}
	require.Equal(t, 2, iss.Fetches())
}

// The verifier follows the discovery document to the key set over HTTP.
func TestJWTVerifierDiscoversKeysOverHTTP(t *testing.T) {
	iss := authtest.New("")
	srv := httptest.NewServer(iss.Handler())
	defer srv.Close()
	iss.URL = srv.URL
	v := newVerifier(t, iss, func(o *auth.JWTOptions) { o.Keys = auth.HTTPKeySource(srv.Client(), srv.URL, "") })
	p, err := v.Verify(context.Background(), iss.Mint(authtest.Claims{Subject: "u-1"}))
	require.NoError(t, err)
	require.Equal(t, "u-1", p.Subject)

	// An unreachable issuer is Unavailable, not a bad token.
	down := newVerifier(t, iss, func(o *auth.JWTOptions) {
		o.Keys = auth.HTTPKeySource(srv.Client(), "http://127.0.0.1:1", "")
	})
	_, err = down.Verify(context.Background(), iss.Mint(authtest.Claims{}))
	require.True(t, errs.Is(err, errs.KindUnavailable), "%v", err)
}

// A verified token is remembered until exp: later checks of the same
// token do not verify the signature again, and the entry leaves at exp.
func TestJWTVerifierCachesUntilExp(t *testing.T) {
	iss := authtest.New("https://id.example")
	clock := time.Now()
	v := newVerifier(t, iss, func(o *auth.JWTOptions) { o.Now = func() time.Time { return clock }; o.Leeway = -1 })
	tok := iss.Mint(authtest.Claims{IssuedAt: clock, Expires: clock.Add(time.Minute)})
	_, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)
	clock = clock.Add(2 * time.Minute)
	_, err = v.Verify(context.Background(), tok)
	require.True(t, errs.Is(err, errs.KindUnauthorized), "the cached entry must not outlive exp")
}

// The chain accepts the static token, then JWTs; the middleware does not
// verify again a request whose context carries a principal.
func TestChainAndMiddlewareSkip(t *testing.T) {
	iss := authtest.New("https://id.example")
	var c auth.Chain
	c.Add("static", auth.Principal{Subject: "admin", Roles: []string{"admin"}})
	c.Use(newVerifier(t, iss, nil))
	p, err := c.Verify(context.Background(), "static")
	require.NoError(t, err)
	require.Equal(t, "admin", p.Subject)
	p, err = c.Verify(context.Background(), iss.Mint(authtest.Claims{Subject: "u"}))
	require.NoError(t, err)
	require.Equal(t, "u", p.Subject)
	_, err = c.Verify(context.Background(), "nope")
	require.True(t, errs.Is(err, errs.KindUnauthorized))

	var seen auth.Principal
	h := auth.Middleware(&c)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = auth.FromContext(r.Context())
	}))
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer not-checked")
	r = r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{Subject: "from-gateway"}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, 200, w.Code)
	require.Equal(t, "from-gateway", seen.Subject)

	r = httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer not-valid")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, 401, w.Code)
	require.Equal(t, `Bearer error="invalid_token"`, w.Header().Get("WWW-Authenticate"))
}

func TestRequireRole(t *testing.T) {
	_, err := auth.RequireRole(context.Background(), "admin")
	require.True(t, errs.Is(err, errs.KindUnauthorized))
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "u", Roles: []string{"customer"}})
	_, err = auth.RequireRole(ctx, "operator", "admin")
	require.True(t, errs.Is(err, errs.KindForbidden))
	p, err := auth.RequireRole(ctx, "admin", "customer")
	require.NoError(t, err)
	require.Equal(t, "u", p.Subject)
}

// A key withdrawn from the issuer's set stops vouching for its tokens at
// the next refresh, even for tokens verified (and cached) before.
func TestJWTVerifierForgetsWithdrawnKeys(t *testing.T) {
	old := authtest.NewKey("RS256")
	iss := authtest.New("https://id.example")
	iss.Publish(old)
	v := newVerifier(t, iss, nil)
	tok := iss.MintWith(old, authtest.Claims{})
	_, err := v.Verify(context.Background(), tok)
	require.NoError(t, err)

	iss.Withdraw(old.KID)
	require.NoError(t, v.Refresh(context.Background()))
	_, err = v.Verify(context.Background(), tok)
	require.True(t, errs.Is(err, errs.KindUnauthorized), "%v", err)
	_, err = v.Verify(context.Background(), iss.Mint(authtest.Claims{}))
	require.NoError(t, err, "the remaining key still verifies")
}

// A discovery document naming another issuer is not followed.
func TestHTTPKeySourceChecksTheIssuer(t *testing.T) {
	iss := authtest.New("https://someone-else.example")
	srv := httptest.NewServer(iss.Handler())
	defer srv.Close()
	_, err := auth.HTTPKeySource(srv.Client(), srv.URL, "").JWKS(context.Background())
	require.ErrorContains(t, err, "names issuer")
}
