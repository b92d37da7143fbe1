package authserver_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/cdlc/cdlc/internal/app/apptest"
)

// discovery reads the provider's discovery document as JSON.
func (r *rig) discovery(t testing.TB) map[string]any {
	res, err := http.Get(r.issuer + "/.well-known/openid-configuration")
	require.NoError(t, err)
	b := body(t, res)
	require.Equal(t, 200, res.StatusCode, b)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(b), &m), b)
	return m
}

// list is a discovery member as strings (nil when absent).
func list(m map[string]any, key string) []string {
	raw, _ := m[key].([]any)
	var out []string
	for _, v := range raw {
		out = append(out, v.(string))
	}
	return out
}

// noFollow is a client with the browser's cookies that stops at the first
// redirect.
func noFollow(c *http.Client) *http.Client {
	return &http.Client{Jar: c.Jar, Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// authorize sends an authorization request for cdlc-web with extra
// parameters (an empty value removes a default) and follows the provider's
// redirects through its own pages: it returns the URL the browser leaves
// for, or the URL of the page the provider shows.
func (r *rig) authorize(t testing.TB, c *http.Client, params url.Values) *url.URL {
	t.Helper()
	q := url.Values{"client_id": {"cdlc-web"}, "redirect_uri": {r.issuer + "/auth/callback"}, "scope": {"openid profile"},
		"state": {"st"}, "code_challenge": {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())}, "code_challenge_method": {"S256"}, "response_type": {"code"}}
	for k, v := range params {
		if v[0] == "" {
			q.Del(k)
		} else {
			q[k] = v
		}
	}
	return r.follow(t, c, r.issuer+"/oauth2/authorize?"+q.Encode())
}

// follow gets u and the provider's redirects to its own pages; it returns
// where the browser leaves the provider for, or the page it stops on.
func (r *rig) follow(t testing.TB, c *http.Client, u string) *url.URL {
	t.Helper()
	for {
		res, err := noFollow(c).Get(u)
		require.NoError(t, err)
		page := body(t, res)
		if res.StatusCode == 200 {
			return res.Request.URL
		}
		require.Contains(t, []int{302, 303}, res.StatusCode, page)
		loc, err := res.Request.URL.Parse(res.Header.Get("Location"))
		require.NoError(t, err)
		own := loc.Scheme+"://"+loc.Host == r.issuer && (strings.HasPrefix(loc.Path, "/id/") || strings.HasPrefix(loc.Path, "/oauth2/"))
		if !own {
			return loc
		}
		u = loc.String()
	}
}

// tokenError posts form to the token endpoint (Basic credentials when
// user is set) and returns the OAuth error ("" on success).
func (r *rig) tokenError(t testing.TB, form url.Values, user, pass string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", r.issuer+"/oauth2/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	b := body(t, res)
	var e struct {
		Error       string `json:"error"`
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.Unmarshal([]byte(b), &e), b)
	if res.StatusCode == 200 {
		require.NotEmpty(t, e.AccessToken, b)
		return ""
	}
	require.NotEmpty(t, e.Error, b)
	return e.Error
}

// formStatus posts form to an endpoint, with Basic credentials when user
// is set, and returns the status.
func formStatus(t testing.TB, endpoint string, form url.Values, user, pass string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", endpoint, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body(t, res)
	return res.StatusCode
}

// TestDiscoveryIsHonest holds discovery to what the endpoints do: every
// grant type, response type, response mode, prompt, client
// authentication method and claim it names is exercised and works, and
// every one it does not name is refused (the provider does everything it
// advertises, and advertises everything it does).
func TestDiscoveryIsHonest(t *testing.T) {
	b := apptest.Backends()[0]
	r := startRig(t, b, nil)
	ctx := context.Background()
	d := r.discovery(t)
	for k, v := range d {
		if vs, ok := v.([]any); ok {
			seen := map[any]bool{}
			for _, x := range vs {
				require.False(t, seen[x], "%s lists %v twice", k, x)
				seen[x] = true
			}
		}
	}
	c := browser(t)
	conf := r.webConfig()

	// A confidential code-flow client (redirect URI on the loopback issuer).
	res := r.inst.Do("POST", "/api/v1/auth/clients", map[string]any{"name": "partner", "grant_types": []string{"authorization_code", "refresh_token"},
		"redirect_uris": []string{r.issuer + "/partner/callback"}, "scopes": []string{"openid", "email", "offline_access"}, "trusted": true})
	require.Equal(t, 201, res.Status, string(res.Body))
	var partner struct {
		Client struct{ ID string }
		Secret string `json:"client_secret"`
	}
	res.JSON(t, &partner)
	partnerCode := func() string {
		loc := r.authorize(t, c, url.Values{"client_id": {partner.Client.ID}, "redirect_uri": {r.issuer + "/partner/callback"}, "code_challenge": {""}, "code_challenge_method": {""}, "scope": {"openid email offline_access"}})
		if loc.Path == "/id/login" {
			loc = r.loginAt(t, c, loc)
		}
		require.Equal(t, "/partner/callback", loc.Path, loc.String())
		require.NotEmpty(t, loc.Query().Get("code"), loc.String())
		return loc.Query().Get("code")
	}
	partnerExchange := func(code string) url.Values {
		return url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {r.issuer + "/partner/callback"}}
	}

	// Grant types: each advertised one runs with a real client.
	var tok *oauth2.Token
	grants := map[string]func(t *testing.T){
		"authorization_code": func(t *testing.T) {
			v := oauth2.GenerateVerifier()
			q := r.login(t, c, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v), oidc.Nonce("n")), r.email, r.password)
			var err error
			tok, err = conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
			require.NoError(t, err)
		},
		"refresh_token": func(t *testing.T) {
			v := oauth2.GenerateVerifier()
			q := r.login(t, c, conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), r.email, r.password)
			t1, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
			require.NoError(t, err)
			t1.Expiry = time.Now().Add(-time.Minute)
			t2, err := conf.TokenSource(ctx, t1).Token()
			require.NoError(t, err)
			require.NotEqual(t, t1.AccessToken, t2.AccessToken)
		},
		"client_credentials": func(t *testing.T) {
			cc := clientcredentialsConfig(r)
			_, err := cc.Token(ctx)
			require.NoError(t, err)
		},
		"urn:ietf:params:oauth:grant-type:device_code": func(t *testing.T) {
			dconf := oauth2.Config{ClientID: r.deviceID, Endpoint: r.provider.Endpoint(), Scopes: []string{"openid", "account"}}
			da, err := dconf.DeviceAuth(ctx)
			require.NoError(t, err)
			r.approveDevice(t, c, da.UserCode)
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			_, err = dconf.DeviceAccessToken(dctx, da)
			require.NoError(t, err)
		},
	}
	advertised := list(d, "grant_types_supported")
	require.NotEmpty(t, advertised)
	for _, g := range advertised {
		run, ok := grants[g]
		require.True(t, ok, "discovery advertises the grant %s, which the provider does not run", g)
		t.Run("grant "+g, run)
	}
	for g := range grants {
		require.Contains(t, advertised, g, "the grant %s works but is not advertised", g)
	}
	for _, g := range []string{"implicit", "password", "urn:ietf:params:oauth:grant-type:jwt-bearer", "urn:ietf:params:oauth:grant-type:token-exchange", "urn:ietf:params:oauth:grant-type:saml2-bearer"} {
		require.Equal(t, "unsupported_grant_type", r.tokenError(t, url.Values{"grant_type": {g}, "assertion": {"x"}, "client_id": {"cdlc-web"}}, "", ""), g)
		require.Equal(t, "unsupported_grant_type", r.tokenError(t, url.Values{"grant_type": {g}, "assertion": {"x"}}, r.serviceID, r.serviceSecret), g)
	}

	// Response types: code, and nothing else (no implicit, no hybrid).
	require.Equal(t, []string{"code"}, list(d, "response_types_supported"))
	for _, rt := range []string{"token", "id_token", "id_token token", "code id_token", "code token", "code id_token token", "none", "magic"} {
		loc := r.authorize(t, c, url.Values{"response_type": {rt}, "nonce": {"n"}})
		params := loc.Query()
		if strings.Contains(rt, "token") {
			// RFC 6749 §4.2.2.1, OAuth 2.0 Multiple Response Type Encoding
			// Practices §5: a response type that issues tokens answers in the fragment.
			require.Empty(t, loc.RawQuery, rt)
			params, _ = url.ParseQuery(loc.Fragment)
		}
		require.Equal(t, "unsupported_response_type", params.Get("error"), "%s: %s", rt, loc)
		require.Equal(t, "st", params.Get("state"), rt)
		require.Equal(t, r.issuer+"/auth/callback", loc.Scheme+"://"+loc.Host+loc.Path, rt)
	}

	// Response modes: each advertised one carries the code and the errors.
	modes := list(d, "response_modes_supported")
	require.ElementsMatch(t, []string{"query", "fragment"}, modes)
	for _, mode := range modes {
		pick := func(loc *url.URL) url.Values {
			if mode == "fragment" {
				require.Empty(t, loc.RawQuery, loc.String())
				v, _ := url.ParseQuery(loc.Fragment)
				return v
			}
			require.Empty(t, loc.Fragment, loc.String())
			return loc.Query()
		}
		fresh := browser(t)
		loc := r.authorize(t, fresh, url.Values{"response_mode": {mode}})
		require.Equal(t, "/id/login", loc.Path)
		require.NotEmpty(t, pick(r.loginAt(t, fresh, loc)).Get("code"), mode)
		require.NotEmpty(t, pick(r.authorize(t, c, url.Values{"response_mode": {mode}})).Get("code"), mode+", signed in")
		loc = r.authorize(t, browser(t), url.Values{"response_mode": {mode}, "prompt": {"none"}})
		require.Equal(t, "login_required", pick(loc).Get("error"), mode)
		loc = r.authorize(t, c, url.Values{"response_mode": {mode}, "code_challenge": {"short"}})
		require.Equal(t, "invalid_request", pick(loc).Get("error"), mode)
	}
	loc := r.authorize(t, c, url.Values{"response_mode": {"form_post"}})
	require.Equal(t, "invalid_request", loc.Query().Get("error"), "form_post is not advertised, and refused")

	// Prompts: each advertised one does what it says.
	require.ElementsMatch(t, []string{"none", "login", "consent", "create"}, list(d, "prompt_values_supported"))
	require.NotEmpty(t, r.authorize(t, c, url.Values{"prompt": {"none"}}).Query().Get("code"), "prompt=none with a session")
	require.Equal(t, "/id/login", r.authorize(t, c, url.Values{"prompt": {"login"}}).Path)
	require.Equal(t, "/id/consent", r.authorize(t, c, url.Values{"prompt": {"consent"}}).Path)
	require.Equal(t, "/id/register", r.authorize(t, c, url.Values{"prompt": {"create"}}).Path)

	// PKCE: S256 only.
	require.Equal(t, []string{"S256"}, list(d, "code_challenge_methods_supported"))

	// Token endpoint client authentication.
	require.ElementsMatch(t, []string{"none", "client_secret_basic", "client_secret_post"}, list(d, "token_endpoint_auth_methods_supported"))
	require.Nil(t, d["token_endpoint_auth_signing_alg_values_supported"])
	ccForm := url.Values{"grant_type": {"client_credentials"}, "scope": {"catalog:write"}}
	require.Empty(t, r.tokenError(t, ccForm, r.serviceID, r.serviceSecret), "client_secret_basic")
	post := url.Values{"client_id": {r.serviceID}, "client_secret": {r.serviceSecret}}
	for k, v := range ccForm {
		post[k] = v
	}
	require.Empty(t, r.tokenError(t, post, "", ""), "client_secret_post")
	f := partnerExchange(partnerCode())
	require.Empty(t, r.tokenError(t, f, partner.Client.ID, partner.Secret), "client_secret_basic, code")
	f = partnerExchange(partnerCode())
	f.Set("client_id", partner.Client.ID)
	f.Set("client_secret", partner.Secret)
	require.Empty(t, r.tokenError(t, f, "", ""), "client_secret_post, code")
	// none: the public web client above. private_key_jwt is refused.
	jwtAuth := url.Values{"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {r.signReal(t, true, "", map[string]any{"iss": r.serviceID, "sub": r.serviceID, "aud": r.issuer, "exp": time.Now().Add(time.Minute).Unix()})}}
	for k, v := range ccForm {
		jwtAuth[k] = v
	}
	require.Equal(t, "invalid_client", r.tokenError(t, jwtAuth, "", ""), "private_key_jwt")

	// Revocation and introspection client authentication.
	require.ElementsMatch(t, []string{"none", "client_secret_basic", "client_secret_post"}, list(d, "revocation_endpoint_auth_methods_supported"))
	require.Nil(t, d["revocation_endpoint_auth_signing_alg_values_supported"])
	revoke := r.issuer + "/oauth2/revoke"
	require.Equal(t, 200, formStatus(t, revoke, url.Values{"token": {"unknown"}, "client_id": {"cdlc-web"}}, "", ""), "none")
	require.Equal(t, 200, formStatus(t, revoke, url.Values{"token": {"unknown"}}, r.serviceID, r.serviceSecret), "client_secret_basic")
	require.Equal(t, 200, formStatus(t, revoke, url.Values{"token": {"unknown"}, "client_id": {r.serviceID}, "client_secret": {r.serviceSecret}}, "", ""), "client_secret_post")
	jwtRevoke := url.Values{"token": {"unknown"}, "client_assertion_type": jwtAuth["client_assertion_type"], "client_assertion": jwtAuth["client_assertion"]}
	require.NotEqual(t, 200, formStatus(t, revoke, jwtRevoke, "", ""), "private_key_jwt")

	require.Equal(t, []string{"client_secret_basic"}, list(d, "introspection_endpoint_auth_methods_supported"))
	require.Nil(t, d["introspection_endpoint_auth_signing_alg_values_supported"])
	introspect := r.issuer + "/oauth2/introspect"
	require.Equal(t, 200, formStatus(t, introspect, url.Values{"token": {"x"}}, r.serviceID, r.serviceSecret), "client_secret_basic")
	require.NotEqual(t, 200, formStatus(t, introspect, url.Values{"token": {"x"}, "client_id": {r.serviceID}, "client_secret": {r.serviceSecret}}, "", ""), "client_secret_post")
	require.NotEqual(t, 200, formStatus(t, introspect, url.Values{"token": {"x"}, "client_id": {"cdlc-web"}}, "", ""), "none")
	jwtRevoke.Del("client_id")
	require.NotEqual(t, 200, formStatus(t, introspect, jwtRevoke, "", ""), "private_key_jwt")

	// Claims: exactly those the tokens and userinfo carry.
	require.NotNil(t, tok)
	seen := map[string]bool{}
	rawID, _ := tok.Extra("id_token").(string)
	for _, m := range []map[string]any{claims(t, rawID), claims(t, tok.AccessToken)} {
		for k := range m {
			seen[k] = true
		}
	}
	req, _ := http.NewRequest("GET", r.issuer+"/oauth2/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	res3, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var ui map[string]any
	require.NoError(t, json.Unmarshal([]byte(body(t, res3)), &ui))
	for k := range ui {
		seen[k] = true
	}
	var got []string
	for k := range seen {
		got = append(got, k)
	}
	sort.Strings(got)
	want := slices.Sorted(slices.Values(list(d, "claims_supported")))
	require.Equal(t, want, got)

	// Signing: ID tokens RS256; no request objects.
	require.Equal(t, []string{"RS256"}, list(d, "id_token_signing_alg_values_supported"))
	require.Equal(t, "RS256", header(t, rawID)["alg"])
	require.Nil(t, d["request_object_signing_alg_values_supported"])
	require.Equal(t, false, d["request_uri_parameter_supported"])

	// Scopes: the platform's, each grantable to someone.
	require.ElementsMatch(t, []string{"openid", "profile", "email", "offline_access", "account", "catalog:write", "admin", "config:read", "config:write", "config:secrets"}, list(d, "scopes_supported"))

	// go-oidc and x/oauth2 still find everything from it.
	_, err = (&clientcredentials.Config{ClientID: r.serviceID, ClientSecret: r.serviceSecret, TokenURL: r.provider.Endpoint().TokenURL}).Token(ctx)
	require.NoError(t, err)
}

// loginAt signs in on the sign-in page at loc and returns where the
// provider sends the browser after it.
func (r *rig) loginAt(t testing.TB, c *http.Client, loc *url.URL) *url.URL {
	t.Helper()
	require.Equal(t, "/id/login", loc.Path, loc.String())
	res, err := c.Get(loc.String())
	require.NoError(t, err)
	f := formOf(t, body(t, res))
	f.Set("email", r.email)
	f.Set("password", r.password)
	res, err = noFollow(c).PostForm(r.issuer+"/id/login", f)
	require.NoError(t, err)
	body(t, res)
	next, err := res.Request.URL.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	return r.follow(t, c, next.String())
}

// TestAuthorizationErrors: the authorization endpoint answers what the
// specifications say, where they say.
func TestAuthorizationErrors(t *testing.T) {
	b := apptest.Backends()[0]
	r := startRig(t, b, nil)

	t.Run("prompt=none without a session", func(t *testing.T) {
		// OpenID Connect Core §3.1.2.6: login_required at the redirect URI,
		// never the sign-in page.
		loc := r.authorize(t, browser(t), url.Values{"prompt": {"none"}})
		require.Equal(t, r.issuer+"/auth/callback", loc.Scheme+"://"+loc.Host+loc.Path, loc.String())
		// Straight from the authorization endpoint: not through the sign-in page.
		u := r.issuer + "/oauth2/authorize?" + url.Values{"client_id": {"cdlc-web"}, "redirect_uri": {r.issuer + "/auth/callback"}, "scope": {"openid"},
			"response_type": {"code"}, "prompt": {"none"}, "code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}.Encode()
		res, err := noFollow(browser(t)).Get(u)
		require.NoError(t, err)
		body(t, res)
		first, err := url.Parse(res.Header.Get("Location"))
		require.NoError(t, err)
		require.Equal(t, "login_required", first.Query().Get("error"), "the first redirect is %s", first)
		require.Equal(t, "login_required", loc.Query().Get("error"))
		require.Equal(t, "st", loc.Query().Get("state"))
		// With response_mode=fragment, in the fragment.
		loc = r.authorize(t, browser(t), url.Values{"prompt": {"none"}, "response_mode": {"fragment"}})
		require.Empty(t, loc.RawQuery)
		frag, _ := url.ParseQuery(loc.Fragment)
		require.Equal(t, "login_required", frag.Get("error"))
		require.Equal(t, "st", frag.Get("state"))
	})

	t.Run("PKCE challenge of RFC 7636's shape", func(t *testing.T) {
		for name, ch := range map[string]string{
			"3 characters":        "abc",
			"42 characters":       strings.Repeat("a", 42),
			"129 characters":      strings.Repeat("a", 129),
			"outside the set":     strings.Repeat("a", 42) + "+",
			"base64 with padding": strings.Repeat("a", 42) + "=",
		} {
			loc := r.authorize(t, browser(t), url.Values{"code_challenge": {ch}})
			require.Equal(t, "invalid_request", loc.Query().Get("error"), name)
			require.Equal(t, r.issuer+"/auth/callback", loc.Scheme+"://"+loc.Host+loc.Path, name)
		}
		for name, ch := range map[string]string{"43 characters": strings.Repeat("a", 43), "128 characters": strings.Repeat("-._~", 32)} {
			loc := r.authorize(t, browser(t), url.Values{"code_challenge": {ch}})
			require.Equal(t, "/id/login", loc.Path, name)
		}
	})

	t.Run("unknown response type", func(t *testing.T) {
		loc := r.authorize(t, browser(t), url.Values{"response_type": {"magic"}})
		require.Equal(t, "unsupported_response_type", loc.Query().Get("error"))
		// An unregistered redirect URI is never redirected to, whatever the error.
		res, err := noFollow(browser(t)).Get(r.issuer + "/oauth2/authorize?client_id=cdlc-web&response_type=magic&scope=openid&redirect_uri=" + url.QueryEscape("https://evil.example/cb"))
		require.NoError(t, err)
		body(t, res)
		require.NotContains(t, res.Header.Get("Location"), "evil.example")
	})

	t.Run("implicit response types answer in the fragment", func(t *testing.T) {
		for _, rt := range []string{"token", "id_token", "id_token token"} {
			loc := r.authorize(t, browser(t), url.Values{"response_type": {rt}, "nonce": {"n"}})
			require.Empty(t, loc.RawQuery, rt)
			frag, _ := url.ParseQuery(loc.Fragment)
			require.Equal(t, "unsupported_response_type", frag.Get("error"), rt)
			require.Equal(t, "st", frag.Get("state"), rt)
		}
	})
}

// TestClientRedirectURIRules: a client may be sent codes over https, or
// over http to the loopback interface only (RFC 9700 §2.1, RFC 8252 §7.3).
func TestClientRedirectURIRules(t *testing.T) {
	b := apptest.Backends()[0]
	r := startRig(t, b, nil)
	for uri, ok := range map[string]bool{
		"https://partner.example/cb":        true,
		"http://127.0.0.1:8000/cb":          true,
		"http://[::1]:8000/cb":              true,
		"http://localhost/cb":               true,
		"http://partner.example/cb":         false,
		"http://10.0.0.8/cb":                false,
		"http://localhost.evil.example/cb":  false,
		"http://127.0.0.1.nip.io/cb":        false,
		"ftp://partner.example/cb":          false,
		"https://partner.example/cb#x":      false,
		"https://user@partner.example/cb":   false,
		"https://partner.example/*":         false,
		"http://[::ffff:8.8.8.8]:8000/cb":   false,
		"http://0x7f000001/cb":              false,
		"https://partner.example:8443/path": true,
	} {
		for _, field := range []string{"redirect_uris", "post_logout_redirect_uris"} {
			in := map[string]any{"name": "partner", "grant_types": []string{"authorization_code"}, "redirect_uris": []string{"https://partner.example/ok"}, field: []string{uri}}
			res := r.inst.Do("POST", "/api/v1/auth/clients", in)
			if ok {
				require.Equal(t, 201, res.Status, "%s %s: %s", field, uri, res.Body)
				continue
			}
			require.Equal(t, 400, res.Status, "%s %s: %s", field, uri, res.Body)
			require.Contains(t, string(res.Body), field)
		}
	}
}
