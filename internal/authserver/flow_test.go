package authserver_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/cdlc/cdlc/internal/app/apptest"
)

// rig is a running auth target with a user and clients of its own.
type rig struct {
	t        *testing.T
	inst     *apptest.Instance
	issuer   string
	provider *oidc.Provider
	email    string
	password string
	userID   string
	// service is a confidential client (client credentials, introspection).
	serviceID, serviceSecret string
	// device is a public client with the device grant.
	deviceID string
}

func startRig(t *testing.T, b apptest.Backend, extra map[string]string) *rig {
	t.Helper()
	settings := b.Prepare(t)
	settings["target"] = "auth"
	settings["auth.argon2.memory_kib"] = "8192"
	settings["auth.argon2.iterations"] = "1"
	for k, v := range extra {
		settings[k] = v
	}
	inst := apptest.Start(t, settings)
	r := &rig{t: t, inst: inst, issuer: inst.URL, email: "viewer-" + strings.ToLower(randomString(6)) + "@example.com", password: "correct horse battery"}
	var err error
	r.provider, err = oidc.NewProvider(context.Background(), r.issuer)
	require.NoError(t, err)

	res := inst.Do("POST", "/api/v1/auth/users", map[string]any{"email": r.email, "password": r.password, "name": "Vera Viewer", "roles": []string{"customer"}})
	require.Equal(t, 201, res.Status, string(res.Body))
	var u struct{ ID string }
	res.JSON(t, &u)
	r.userID = u.ID

	res = inst.Do("POST", "/api/v1/auth/clients", map[string]any{"name": "catalog importer", "grant_types": []string{"client_credentials"}, "scopes": []string{"catalog:write", "config:read"}})
	require.Equal(t, 201, res.Status, string(res.Body))
	var cc struct {
		Client struct{ ID string }
		Secret string `json:"client_secret"`
	}
	res.JSON(t, &cc)
	r.serviceID, r.serviceSecret = cc.Client.ID, cc.Secret
	require.NotEmpty(t, r.serviceSecret)

	res = inst.Do("POST", "/api/v1/auth/clients", map[string]any{"name": "living-room TV", "public": true,
		"grant_types": []string{"urn:ietf:params:oauth:grant-type:device_code", "refresh_token"}, "scopes": []string{"openid", "profile", "offline_access", "account"}})
	require.Equal(t, 201, res.Status, string(res.Body))
	res.JSON(t, &cc)
	r.deviceID = cc.Client.ID
	return r
}

func randomString(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[time.Now().UnixNano()%36]
		time.Sleep(time.Microsecond)
	}
	return string(b)
}

// webConfig is the cdlc-web public client as the web app uses it.
func (r *rig) webConfig(scopes ...string) oauth2.Config {
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess, "account"}
	}
	return oauth2.Config{ClientID: "cdlc-web", Endpoint: r.provider.Endpoint(), RedirectURL: r.issuer + "/auth/callback", Scopes: scopes}
}

// browser is an HTTP client with cookies that stops at the web app's
// callback (where the code is handed over).
func browser(t testing.TB) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/auth/callback" || req.URL.Host == "evil.example" {
			return http.ErrUseLastResponse
		}
		return nil
	}}
}

var (
	csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	arRE   = regexp.MustCompile(`name="authRequestID" value="([^"]+)"`)
)

func body(t testing.TB, res *http.Response) string {
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	res.Body.Close()
	return string(b)
}

// formOf returns the hidden fields of the page's form.
func formOf(t testing.TB, page string) url.Values {
	m := csrfRE.FindStringSubmatch(page)
	require.NotNil(t, m, "no CSRF token on the page:\n%s", page)
	v := url.Values{"csrf": {m[1]}}
	if m := arRE.FindStringSubmatch(page); m != nil {
		v.Set("authRequestID", m[1])
	}
	return v
}

// login drives the authorization request through the real sign-in form
// and returns the callback's query (code, state or error).
func (r *rig) login(t testing.TB, c *http.Client, authURL, email, password string) url.Values {
	t.Helper()
	res, err := c.Get(authURL)
	require.NoError(t, err)
	page := body(t, res)
	if res.StatusCode == http.StatusSeeOther || res.StatusCode == http.StatusFound {
		u, err := url.Parse(res.Header.Get("Location"))
		require.NoError(t, err)
		return u.Query()
	}
	require.Equal(t, 200, res.StatusCode, page)
	require.Contains(t, page, "Sign in")
	f := formOf(t, page)
	f.Set("email", email)
	f.Set("password", password)
	res, err = c.PostForm(r.issuer+"/id/login", f)
	require.NoError(t, err)
	page = body(t, res)
	require.Contains(t, []int{302, 303}, res.StatusCode, page)
	u, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "/auth/callback", u.Path)
	return u.Query()
}

// claims decodes a JWT's payload without checking it.
func claims(t testing.TB, jwt string) map[string]any {
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

func header(t testing.TB, jwt string) map[string]any {
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

// introspect asks the introspection endpoint as the service client.
func (r *rig) introspect(t testing.TB, token string) map[string]any {
	req, _ := http.NewRequest("POST", r.issuer+"/oauth2/introspect", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(r.serviceID), url.QueryEscape(r.serviceSecret))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b := body(t, res)
	require.Equal(t, 200, res.StatusCode, b)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(b), &m), b)
	return m
}

// revoke revokes a token as a public client (client_id in the form) or
// the service client (Basic).
func (r *rig) revoke(t testing.TB, clientID, secret, token, hint string) int {
	f := url.Values{"token": {token}}
	if hint != "" {
		f.Set("token_type_hint", hint)
	}
	if secret == "" {
		f.Set("client_id", clientID)
	}
	req, _ := http.NewRequest("POST", r.issuer+"/oauth2/revoke", strings.NewReader(f.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if secret != "" {
		req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b := body(t, res)
	require.NotContains(t, b, r.serviceSecret)
	return res.StatusCode
}

func (r *rig) userinfoStatus(t testing.TB, token string) int {
	req, _ := http.NewRequest("GET", r.issuer+"/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body(t, res)
	return res.StatusCode
}

// TestRealClients runs the flows with unmodified standard clients:
// golang.org/x/oauth2 and coreos/go-oidc.
func TestRealClients(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := startRig(t, b, nil)
			ctx := context.Background()

			// Discovery names the contract's endpoints.
			var disc map[string]any
			require.NoError(t, r.provider.Claims(&disc))
			require.Equal(t, r.issuer, disc["issuer"])
			require.Equal(t, r.issuer+"/oauth2/keys", disc["jwks_uri"])
			for k, p := range map[string]string{"authorization_endpoint": "authorize", "token_endpoint": "token", "userinfo_endpoint": "userinfo",
				"revocation_endpoint": "revoke", "introspection_endpoint": "introspect", "end_session_endpoint": "end_session", "device_authorization_endpoint": "device_authorization"} {
				require.Equal(t, r.issuer+"/oauth2/"+p, disc[k], k)
			}

			// Authorization code + PKCE through the sign-in form.
			conf := r.webConfig()
			verifier := oauth2.GenerateVerifier()
			state, nonce := "st-"+randomString(8), "n-"+randomString(8)
			c := browser(t)
			q := r.login(t, c, conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), r.email, r.password)
			require.Equal(t, state, q.Get("state"))
			require.NotEmpty(t, q.Get("code"))
			tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			require.NoError(t, err)
			require.NotEmpty(t, tok.RefreshToken)

			rawID, _ := tok.Extra("id_token").(string)
			idt, err := r.provider.Verifier(&oidc.Config{ClientID: "cdlc-web"}).Verify(ctx, rawID)
			require.NoError(t, err)
			require.Equal(t, nonce, idt.Nonce)
			require.Equal(t, r.userID, idt.Subject)
			var idc struct {
				Email         string `json:"email"`
				EmailVerified *bool  `json:"email_verified"`
			}
			require.NoError(t, idt.Claims(&idc))
			require.Equal(t, r.email, idc.Email)
			require.NotNil(t, idc.EmailVerified)
			require.False(t, *idc.EmailVerified, "an unverified address does not block sign-in; the ID token says so")

			// The ID token is RS256 (OpenID Connect's default), the access
			// token ES256, each with its own key.
			require.Equal(t, "RS256", header(t, rawID)["alg"])
			require.NotEmpty(t, header(t, rawID)["kid"])

			// The access token keeps the contract.
			h, at := header(t, tok.AccessToken), claims(t, tok.AccessToken)
			require.Equal(t, "ES256", h["alg"])
			require.NotEmpty(t, h["kid"])
			require.NotEqual(t, header(t, rawID)["kid"], h["kid"])
			require.Equal(t, r.issuer, at["iss"])
			require.Equal(t, r.userID, at["sub"])
			require.Equal(t, []any{"cdlc", "cdlc-web"}, at["aud"])
			require.Equal(t, "cdlc-web", at["client_id"])
			require.Equal(t, "openid profile email offline_access account", at["scope"])
			require.Equal(t, []any{"customer"}, at["roles"])
			for _, k := range []string{"exp", "iat", "nbf", "jti"} {
				require.NotEmpty(t, at[k], k)
			}

			// Userinfo, through go-oidc.
			ui, err := r.provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			require.NoError(t, err)
			require.Equal(t, r.userID, ui.Subject)
			require.Equal(t, r.email, ui.Email)

			// Introspection.
			in := r.introspect(t, tok.AccessToken)
			require.Equal(t, true, in["active"])
			require.Equal(t, r.userID, in["sub"])
			require.Equal(t, "cdlc-web", in["client_id"])

			// Refresh: a new pair; the old access token stays valid until revoked.
			old := *tok
			tok.Expiry = time.Now().Add(-time.Minute)
			tok2, err := conf.TokenSource(ctx, tok).Token()
			require.NoError(t, err)
			require.NotEqual(t, old.RefreshToken, tok2.RefreshToken)
			require.NotEqual(t, old.AccessToken, tok2.AccessToken)
			require.Equal(t, "ES256", header(t, tok2.AccessToken)["alg"])
			if rawID2, _ := tok2.Extra("id_token").(string); rawID2 != "" {
				require.Equal(t, "RS256", header(t, rawID2)["alg"])
			}
			require.Equal(t, true, r.introspect(t, tok2.AccessToken)["active"])

			// Revocation: the access token, then the refresh token (its family).
			require.Equal(t, 200, r.revoke(t, "cdlc-web", "", tok2.AccessToken, "access_token"))
			require.Equal(t, false, r.introspect(t, tok2.AccessToken)["active"])
			require.Equal(t, 200, r.revoke(t, "cdlc-web", "", tok2.RefreshToken, "refresh_token"))
			_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok2.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
			require.Error(t, err)
			require.Equal(t, false, r.introspect(t, old.AccessToken)["active"], "revoking the refresh token revokes its family's access tokens")

			// A second authorization reuses the session: no form.
			q = r.login(t, c, conf.AuthCodeURL("again", oauth2.S256ChallengeOption(verifier)), "", "")
			require.NotEmpty(t, q.Get("code"))

			// Client credentials.
			cc := clientcredentials.Config{ClientID: r.serviceID, ClientSecret: r.serviceSecret, TokenURL: r.provider.Endpoint().TokenURL, Scopes: []string{"catalog:write", "admin"}}
			st, err := cc.Token(ctx)
			require.NoError(t, err)
			sc := claims(t, st.AccessToken)
			require.Equal(t, "ES256", header(t, st.AccessToken)["alg"])
			require.Equal(t, r.serviceID, sc["sub"])
			require.Equal(t, "catalog:write", sc["scope"], "admin is not the client's to have")
			require.Equal(t, []any{}, sc["roles"])
			require.Equal(t, []any{"cdlc", r.serviceID}, sc["aud"])
			require.Equal(t, true, r.introspect(t, st.AccessToken)["active"])
			require.Equal(t, 200, r.revoke(t, r.serviceID, r.serviceSecret, st.AccessToken, ""))
			require.Equal(t, false, r.introspect(t, st.AccessToken)["active"])
			_, err = (&clientcredentials.Config{ClientID: r.serviceID, ClientSecret: "wrong", TokenURL: cc.TokenURL}).Token(ctx)
			require.Error(t, err)

			// Device authorization grant (RFC 8628).
			dconf := oauth2.Config{ClientID: r.deviceID, Endpoint: r.provider.Endpoint(), Scopes: []string{"openid", "profile", "offline_access", "account"}}
			da, err := dconf.DeviceAuth(ctx)
			require.NoError(t, err)
			require.Equal(t, r.issuer+"/id/device", da.VerificationURI)
			r.approveDevice(t, c, da.UserCode)
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			dtok, err := dconf.DeviceAccessToken(dctx, da)
			require.NoError(t, err)
			dc := claims(t, dtok.AccessToken)
			require.Equal(t, "ES256", header(t, dtok.AccessToken)["alg"])
			require.Equal(t, r.userID, dc["sub"])
			require.Equal(t, r.deviceID, dc["client_id"])
			require.NotEmpty(t, dtok.RefreshToken)
			_, err = dconf.DeviceAccessToken(dctx, da)
			require.Error(t, err, "a device code is spent once")

			// RP-initiated logout ends the session: the next authorization asks again.
			res, err := c.Get(r.issuer + "/oauth2/end_session?client_id=cdlc-web&post_logout_redirect_uri=" + url.QueryEscape(r.issuer+"/"))
			require.NoError(t, err)
			body(t, res)
			res, err = c.Get(conf.AuthCodeURL("after-logout", oauth2.S256ChallengeOption(verifier)))
			require.NoError(t, err)
			require.Contains(t, body(t, res), `name="password"`)
		})
	}
}

// approveDevice enters the user code on /id/device as the signed-in
// browser and allows the device.
func (r *rig) approveDevice(t testing.TB, c *http.Client, userCode string) {
	t.Helper()
	res, err := c.Get(r.issuer + "/id/device?user_code=" + url.QueryEscape(userCode))
	require.NoError(t, err)
	page := body(t, res)
	require.Equal(t, 200, res.StatusCode, page)
	f := formOf(t, page)
	f.Set("user_code", strings.ToLower(userCode))
	res, err = c.PostForm(r.issuer+"/id/device", f)
	require.NoError(t, err)
	page = body(t, res)
	require.Equal(t, 200, res.StatusCode, page)
	require.Contains(t, page, "living-room TV")
	f = formOf(t, page)
	f.Set("user_code", userCode)
	f.Set("decision", "allow")
	res, err = c.PostForm(r.issuer+"/id/device", f)
	require.NoError(t, err)
	page = body(t, res)
	require.Contains(t, page, "Device connected")
}

// TestSignUpWithPromptCreate: the web app's "Sign up" sends prompt=create
// (OpenID Connect Prompt Create 1.0); the provider opens its registration
// page, and the registration finishes the same authorization request at
// the client's callback, as golang.org/x/oauth2 and go-oidc see it.
func TestSignUpWithPromptCreate(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := startRig(t, b, nil)
			ctx := context.Background()
			conf := r.webConfig()
			verifier := oauth2.GenerateVerifier()
			state, nonce := "st-"+randomString(8), "n-"+randomString(8)
			c := browser(t)

			res, err := c.Get(conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce), oauth2.SetAuthURLParam("prompt", "create")))
			require.NoError(t, err)
			page := body(t, res)
			require.Equal(t, 200, res.StatusCode, page)
			require.Equal(t, "/id/register", res.Request.URL.Path, "prompt=create opens the sign-up page")
			require.Contains(t, page, "Create your account")
			f := formOf(t, page)
			id := f.Get("authRequestID")
			require.NotEmpty(t, id, "the sign-up form carries the authorization request")

			// "Sign in instead" shows the sign-in form, not the sign-up page again;
			// its own "Create an account" link keeps the request too.
			signIn := `/id/login?authRequestID=` + id + `&amp;signin=1`
			require.Contains(t, page, `href="`+signIn+`"`)
			res, err = c.Get(r.issuer + strings.ReplaceAll(signIn, "&amp;", "&"))
			require.NoError(t, err)
			login := body(t, res)
			require.Equal(t, "/id/login", res.Request.URL.Path)
			require.Contains(t, login, `name="password"`)
			require.Contains(t, login, `href="/id/register?authRequestID=`+id+`"`)

			email := "signup-" + strings.ToLower(randomString(6)) + "@example.com"
			f.Set("email", email)
			f.Set("name", "Sam Signup")
			f.Set("password", "a long enough password")
			res, err = c.PostForm(r.issuer+"/id/register", f)
			require.NoError(t, err)
			page = body(t, res)
			loc, err := url.Parse(res.Header.Get("Location"))
			require.NoError(t, err, page)
			require.Equal(t, r.issuer+"/auth/callback", loc.Scheme+"://"+loc.Host+loc.Path, "the registration continues to the client's callback")
			require.Equal(t, state, loc.Query().Get("state"))

			tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
			require.NoError(t, err)
			require.NotEmpty(t, tok.RefreshToken)
			rawID, _ := tok.Extra("id_token").(string)
			idt, err := r.provider.Verifier(&oidc.Config{ClientID: "cdlc-web"}).Verify(ctx, rawID)
			require.NoError(t, err)
			require.Equal(t, nonce, idt.Nonce)
			require.NotEqual(t, r.userID, idt.Subject)
			var idc struct{ Email, Name string }
			require.NoError(t, idt.Claims(&idc))
			require.Equal(t, email, idc.Email)
			require.Equal(t, "Sam Signup", idc.Name)
			require.Equal(t, []any{"customer"}, claims(t, tok.AccessToken)["roles"])
		})
	}
}

// TestWebClientRedirects: the web app's client follows the issuer (a server
// on any port signs its own app in and out), and the vite dev server's
// origin is trusted only by a provider on a loopback address.
func TestWebClientRedirects(t *testing.T) {
	b := apptest.Backends()[0]
	r := startRig(t, b, nil) // issuer http://127.0.0.1:<random port>
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	logout := func(to string) string {
		res, err := noFollow.Get(r.issuer + "/oauth2/end_session?client_id=cdlc-web&post_logout_redirect_uri=" + url.QueryEscape(to))
		require.NoError(t, err)
		body(t, res)
		return res.Header.Get("Location")
	}
	require.Equal(t, r.issuer+"/", logout(r.issuer+"/"), "back to the app at the issuer's origin")
	require.Equal(t, "http://localhost:5173/", logout("http://localhost:5173/"), "back to the dev server on a loopback issuer")
	for _, evil := range []string{"http://localhost:5174/", "http://127.0.0.1:5173/", "https://evil.example/", r.issuer + "/x", strings.Replace(r.issuer, "http://", "https://", 1) + "/"} {
		require.False(t, strings.HasPrefix(logout(evil), evil), "%s is not the app's", evil)
	}

	// The sign-in form of a request from the dev server may be followed by
	// the redirect to it (CSP form-action covers redirects); other forms post
	// only here.
	conf := r.webConfig()
	conf.RedirectURL = "http://localhost:5173/auth/callback"
	res, err := browser(t).Get(conf.AuthCodeURL("dev", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	require.NoError(t, err)
	require.Contains(t, body(t, res), `name="password"`)
	require.Contains(t, res.Header.Get("Content-Security-Policy"), "form-action 'self' http://localhost:5173;")
	res, err = http.Get(r.issuer + "/id/reset-password")
	require.NoError(t, err)
	body(t, res)
	require.Contains(t, res.Header.Get("Content-Security-Policy"), "form-action 'self';")

	settings := b.Prepare(t)
	settings["target"] = "auth"
	settings["auth.issuer"] = "https://films.example"
	inst := apptest.Start(t, settings)
	c, err := inst.App.Auth.Store().ClientByID(context.Background(), "cdlc-web")
	require.NoError(t, err)
	require.Equal(t, []string{"https://films.example/auth/callback"}, c.RedirectURIs, "a deployed provider sends no code to the user's own machine")
	require.Equal(t, []string{"https://films.example/"}, c.PostLogoutRedirectURIs)
}
