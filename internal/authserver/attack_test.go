package authserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/cdlc/cdlc/internal/app/apptest"
)

func b64(v any) string {
	raw, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// signReal signs claims with one of the provider's real current keys (the
// access tokens' ES256 key or the ID tokens' RS256 one), under kid (the
// key's own when empty): a token only the provider could have made.
func (r *rig) signReal(t testing.TB, idTokenKey bool, kid string, claims map[string]any) string {
	keys := r.inst.App.Auth.Keys()
	k, err := keys.AccessSigning()
	if idTokenKey {
		k, err = keys.Signing()
	}
	require.NoError(t, err)
	if kid == "" {
		kid = k.ID()
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.SignatureAlgorithm(), Key: jose.JSONWebKey{Key: k.Key(), KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	require.NoError(t, err)
	raw, _ := json.Marshal(claims)
	jws, err := signer.Sign(raw)
	require.NoError(t, err)
	s, err := jws.CompactSerialize()
	require.NoError(t, err)
	return s
}

// TestAttacks runs a browser-less attack list: every attempt is refused,
// and no refusal carries a secret.
func TestAttacks(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := startRig(t, b, map[string]string{"auth.refresh_grace": "2s"})
			ctx := context.Background()
			conf := r.webConfig()
			c := browser(t)
			codeFlow := func() (*oauth2.Token, string) {
				v := oauth2.GenerateVerifier()
				q := r.login(t, c, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), r.email, r.password)
				require.NotEmpty(t, q.Get("code"), q.Encode())
				tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
				require.NoError(t, err)
				return tok, q.Get("code")
			}
			tok, _ := codeFlow()
			good := claims(t, tok.AccessToken)
			kid := header(t, tok.AccessToken)["kid"].(string)
			secrets := []string{r.serviceSecret, r.password, tok.RefreshToken}
			noLeak := func(s string) {
				t.Helper()
				for _, sec := range secrets {
					require.NotContains(t, s, sec)
				}
				require.NotContains(t, s, "PRIVATE KEY")
			}
			refusedEverywhere := func(name, token string) {
				t.Helper()
				require.Equal(t, 401, r.userinfoStatus(t, token), name+": userinfo")
				in := r.introspect(t, token)
				require.Equal(t, false, in["active"], name+": introspection")
				require.Len(t, in, 1, name+": an inactive token is described by active=false only")
				// The platform's bearer middleware in front of the operator API.
				res := r.inst.Do("GET", "/api/v1/auth/clients", nil, "Authorization", "Bearer "+token)
				require.Equal(t, 401, res.Status, name+": platform verifier")
				noLeak(string(res.Body))
			}
			with := func(change map[string]any) map[string]any {
				m := map[string]any{}
				for k, v := range good {
					m[k] = v
				}
				for k, v := range change {
					if v == nil {
						delete(m, k)
					} else {
						m[k] = v
					}
				}
				return m
			}
			now := time.Now().Unix()

			// The genuine token is accepted (so the refusals below mean something).
			require.Equal(t, 200, r.userinfoStatus(t, tok.AccessToken))

			t.Run("alg none", func(t *testing.T) {
				refusedEverywhere("alg none", b64(map[string]any{"alg": "none", "typ": "JWT", "kid": kid})+"."+b64(good)+".")
				refusedEverywhere("alg none, signature kept", b64(map[string]any{"alg": "none", "kid": kid})+"."+b64(good)+"."+strings.Split(tok.AccessToken, ".")[2])
			})
			t.Run("HS256 keyed with the public key", func(t *testing.T) {
				res, err := http.Get(r.issuer + "/oauth2/keys")
				require.NoError(t, err)
				var set jose.JSONWebKeySet
				require.NoError(t, json.NewDecoder(res.Body).Decode(&set))
				res.Body.Close()
				require.NotEmpty(t, set.Keys)
				for _, k := range set.Keys {
					require.True(t, k.IsPublic(), "the JWKS publishes public keys only")
				}
				algs := map[string]bool{}
				for _, k := range set.Keys {
					algs[k.Algorithm] = true
					der, err := x509.MarshalPKIXPublicKey(k.Key)
					require.NoError(t, err)
					secrets := [][]byte{pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), der}
					switch pub := k.Key.(type) {
					case *rsa.PublicKey:
						secrets = append(secrets, x509.MarshalPKCS1PublicKey(pub))
					case *ecdsa.PublicKey:
						point, err := pub.Bytes()
						require.NoError(t, err)
						secrets = append(secrets, point)
					}
					for _, secret := range secrets {
						signing := b64(map[string]any{"alg": "HS256", "typ": "JWT", "kid": k.KeyID}) + "." + b64(good)
						mac := hmac.New(sha256.New, secret)
						mac.Write([]byte(signing))
						refusedEverywhere("HS256 "+k.Algorithm, signing+"."+base64.RawURLEncoding.EncodeToString(mac.Sum(nil)))
					}
				}
				require.Equal(t, map[string]bool{"ES256": true, "RS256": true}, algs, "both kinds of keys are published")
			})
			t.Run("kid of one key, signed by the other", func(t *testing.T) {
				idKey, err := r.inst.App.Auth.Keys().Signing()
				require.NoError(t, err)
				refusedEverywhere("RS256 under the ES256 kid", r.signReal(t, true, kid, good))
				refusedEverywhere("ES256 under the RS256 kid", r.signReal(t, false, idKey.ID(), good))
			})
			t.Run("forged signature", func(t *testing.T) {
				parts := strings.Split(tok.AccessToken, ".")
				refusedEverywhere("payload swapped", parts[0]+"."+b64(with(map[string]any{"sub": "someone-else", "roles": []string{"admin"}, "scope": "admin"}))+"."+parts[2])
			})
			t.Run("claims signed by the real key but wrong", func(t *testing.T) {
				for name, ch := range map[string]map[string]any{
					"expired":           {"exp": now - 3600, "iat": now - 7200, "nbf": now - 7200},
					"not yet valid":     {"nbf": now + 3600, "iat": now},
					"issued in future":  {"iat": now + 3600},
					"wrong audience":    {"aud": []string{"someone-else"}},
					"audience a string": {"aud": "cdlc-web"},
					"wrong issuer":      {"iss": "https://evil.example"},
					"issuer look-alike": {"iss": r.issuer + "/"},
					"no expiry":         {"exp": nil},
				} {
					refusedEverywhere(name, r.signReal(t, false, "", with(ch)))
					refusedEverywhere(name+" (ID token key)", r.signReal(t, true, "", with(ch)))
				}
			})

			t.Run("replayed code revokes its tokens", func(t *testing.T) {
				v := oauth2.GenerateVerifier()
				q := r.login(t, c, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), r.email, r.password)
				first, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
				require.NoError(t, err)
				require.Equal(t, true, r.introspect(t, first.AccessToken)["active"])
				_, err = conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
				require.Error(t, err)
				noLeak(err.Error())
				require.Contains(t, err.Error(), "invalid_grant")
				require.Equal(t, false, r.introspect(t, first.AccessToken)["active"])
				_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: first.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
				require.Error(t, err)
			})

			t.Run("PKCE downgrade", func(t *testing.T) {
				// No challenge from a public client, and plain: refused at the authorization endpoint.
				for name, opts := range map[string][]oauth2.AuthCodeOption{
					"no challenge": nil,
					"plain":        {oauth2.SetAuthURLParam("code_challenge", "a-plain-challenge-that-is-long-enough-for-pkce-43"), oauth2.SetAuthURLParam("code_challenge_method", "plain")},
					"unknown":      {oauth2.SetAuthURLParam("code_challenge", "x"), oauth2.SetAuthURLParam("code_challenge_method", "S512")},
				} {
					q := r.login(t, c, conf.AuthCodeURL("s", opts...), r.email, r.password)
					require.Empty(t, q.Get("code"), name)
					require.Equal(t, "invalid_request", q.Get("error"), name)
				}
				// S256 at the start, then no verifier, or a wrong one.
				v := oauth2.GenerateVerifier()
				for name, opts := range map[string][]oauth2.AuthCodeOption{
					"no verifier":                nil,
					"wrong verifier":             {oauth2.VerifierOption(oauth2.GenerateVerifier())},
					"challenge sent as verifier": {oauth2.VerifierOption(oauth2.S256ChallengeFromVerifier(v))},
				} {
					q := r.login(t, c, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), r.email, r.password)
					require.NotEmpty(t, q.Get("code"))
					_, err := conf.Exchange(ctx, q.Get("code"), opts...)
					require.Error(t, err, name)
					noLeak(err.Error())
				}
			})

			t.Run("redirect URIs match exactly", func(t *testing.T) {
				noFollow := &http.Client{Jar: c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				v := oauth2.GenerateVerifier()
				for _, uri := range []string{
					"https://evil.example/auth/callback",
					r.issuer + "/auth/callbackx",
					r.issuer + "/auth/callback/",
					r.issuer + "/auth/callback/../../evil",
					r.issuer + "/auth/callback?next=https://evil.example",
					r.issuer + "/auth/callback#x",
					r.issuer + ".evil.example/auth/callback",
					strings.Replace(r.issuer, "http://", "http://evil.example@", 1) + "/auth/callback",
					strings.Replace(r.issuer, "http://", "https://", 1) + "/auth/callback",
					strings.ToUpper(r.issuer) + "/auth/callback",
					r.issuer + "/AUTH/callback",
					"http://localhost:5174/auth/callback",
					"http://127.0.0.1:5173/auth/callback",
					"http://LOCALHOST:5173/auth/callback",
					"",
				} {
					cc := conf
					cc.RedirectURL = uri
					res, err := noFollow.Get(cc.AuthCodeURL("s", oauth2.S256ChallengeOption(v)))
					require.NoError(t, err)
					page := body(t, res)
					loc := res.Header.Get("Location")
					require.False(t, uri != "" && strings.HasPrefix(loc, uri), "%s: redirected to %s", uri, loc)
					require.False(t, strings.Contains(loc, "evil.example"), "%s: redirected to %s", uri, loc)
					require.False(t, strings.HasPrefix(loc, "/id/login"), "%s: a sign-in was offered for an unregistered redirect URI", uri)
					noLeak(page)
				}
			})

			t.Run("refresh token reuse after the grace period", func(t *testing.T) {
				t1, _ := codeFlow()
				refresh := func(rt string) (*oauth2.Token, error) {
					return conf.TokenSource(ctx, &oauth2.Token{RefreshToken: rt, Expiry: time.Now().Add(-time.Minute)}).Token()
				}
				// Two refreshes at once with one token (two tabs): neither is logged out.
				var wg sync.WaitGroup
				var errA, errB error
				var ta, tb *oauth2.Token
				wg.Add(2)
				go func() { defer wg.Done(); ta, errA = refresh(t1.RefreshToken) }()
				go func() { defer wg.Done(); tb, errB = refresh(t1.RefreshToken) }()
				wg.Wait()
				require.NoError(t, errA)
				require.NoError(t, errB)
				require.Equal(t, true, r.introspect(t, ta.AccessToken)["active"])
				require.Equal(t, true, r.introspect(t, tb.AccessToken)["active"])
				t2 := ta
				var err error
				// Within the grace period (a lost response, two tabs): still a valid pair, no logout.
				t2b, err := refresh(t1.RefreshToken)
				require.NoError(t, err)
				require.Equal(t, true, r.introspect(t, t2b.AccessToken)["active"])
				require.Equal(t, true, r.introspect(t, t2.AccessToken)["active"])
				// After it: reuse, and the whole family goes.
				time.Sleep(2100 * time.Millisecond)
				_, err = refresh(t1.RefreshToken)
				require.Error(t, err)
				noLeak(err.Error())
				_, err = refresh(t2.RefreshToken)
				require.Error(t, err, "the family is revoked")
				require.Equal(t, false, r.introspect(t, t2.AccessToken)["active"])
				require.Equal(t, false, r.introspect(t, t2b.AccessToken)["active"])
			})

			t.Run("a token of another client cannot be revoked by it", func(t *testing.T) {
				t1, _ := codeFlow()
				require.NotEqual(t, 200, r.revoke(t, r.serviceID, r.serviceSecret, t1.RefreshToken, "refresh_token"))
				_, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: t1.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
				require.NoError(t, err)
			})

			t.Run("sign-in throttled per account", func(t *testing.T) {
				email := "victim-" + strings.ToLower(randomString(6)) + "@example.com"
				res := r.inst.Do("POST", "/api/v1/auth/users", map[string]any{"email": email, "password": "the right password"})
				require.Equal(t, 201, res.Status)
				try := func(pw string) int {
					res, err := c.Get(r.issuer + "/id/login")
					require.NoError(t, err)
					f := formOf(t, body(t, res))
					f.Set("email", email)
					f.Set("password", pw)
					res, err = (&http.Client{Jar: c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).PostForm(r.issuer+"/id/login", f)
					require.NoError(t, err)
					noLeak(body(t, res))
					return res.StatusCode
				}
				for range 5 {
					require.Equal(t, 401, try("a wrong guess"))
				}
				require.Equal(t, 429, try("the right password"), "the account is locked for the window, even for the right password")
			})

			t.Run("forms need their CSRF token", func(t *testing.T) {
				res, err := c.PostForm(r.issuer+"/id/login", url.Values{"email": {r.email}, "password": {r.password}})
				require.NoError(t, err)
				require.Equal(t, 403, res.StatusCode)
				noLeak(body(t, res))
				req, _ := http.NewRequest("POST", r.issuer+"/id/login", strings.NewReader("email=x"))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Sec-Fetch-Site", "cross-site")
				res, err = http.DefaultClient.Do(req)
				require.NoError(t, err)
				require.Equal(t, 403, res.StatusCode, "a cross-site form post is refused")
				body(t, res)
			})
		})
	}
}
