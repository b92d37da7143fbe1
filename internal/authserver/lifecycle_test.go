package authserver_test

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/cdlc/cdlc/internal/app/apptest"
	"github.com/cdlc/cdlc/internal/authserver"
	"github.com/cdlc/cdlc/internal/authserver/authevents"
	"github.com/cdlc/cdlc/internal/authserver/sqlstore"
	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// mailbox collects notification.email messages from the bus.
type mailbox struct {
	mu   sync.Mutex
	mail []authserver.Email
}

func (m *mailbox) handle(_ context.Context, msg events.Message) error {
	var e authserver.Email
	if err := json.Unmarshal(msg.Payload, &e); err != nil {
		return err
	}
	m.mu.Lock()
	m.mail = append(m.mail, e)
	m.mu.Unlock()
	return nil
}

// link waits for the mail of template to to arrive and returns its link.
func (m *mailbox) link(t testing.TB, to, template string) string {
	var link string
	require.Eventually(t, func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		for i := len(m.mail) - 1; i >= 0; i-- {
			if m.mail[i].To == to && m.mail[i].Template == template {
				link = m.mail[i].Link
				return true
			}
		}
		return false
	}, 15*time.Second, 20*time.Millisecond)
	return link
}

// TestAccountLifecycle: registration through the form (user.registered),
// e-mail verification and password reset with single-use links, and the
// deletion of an account by account.deleted (idempotent).
func TestAccountLifecycle(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := startRig(t, b, nil)
			ctx := context.Background()
			bus := r.inst.App.Bus()
			box := &mailbox{}
			var regMu sync.Mutex
			registered := map[string]bool{}
			deleted := map[string]bool{}
			for topic, h := range map[string]events.Handler{
				authevents.Email.Name: box.handle,
				authevents.UserRegistered.Name: func(_ context.Context, m events.Message) error {
					regMu.Lock()
					registered[m.Key] = true
					regMu.Unlock()
					return nil
				},
				authevents.UserDeleted.Name: func(_ context.Context, m events.Message) error {
					regMu.Lock()
					deleted[m.Key] = true
					regMu.Unlock()
					return nil
				},
			} {
				sub, err := bus.Subscribe(ctx, topic, "lifecycle-test", h)
				require.NoError(t, err)
				t.Cleanup(func() { sub.Close() })
			}

			// Register through the form, inside an authorization.
			conf := r.webConfig()
			v := oauth2.GenerateVerifier()
			c := browser(t)
			res, err := c.Get(conf.AuthCodeURL("reg", oauth2.S256ChallengeOption(v)))
			require.NoError(t, err)
			f := formOf(t, body(t, res))
			res, err = c.Get(r.issuer + "/id/register?authRequestID=" + url.QueryEscape(f.Get("authRequestID")))
			require.NoError(t, err)
			f = formOf(t, body(t, res))
			email := "new-" + strings.ToLower(randomString(6)) + "@example.com"
			f.Set("email", strings.ToUpper(email))
			f.Set("name", "Nina New")
			f.Set("password", "short")
			res, err = c.PostForm(r.issuer+"/id/register", f)
			require.NoError(t, err)
			require.Equal(t, 400, res.StatusCode)
			body(t, res)
			f.Set("password", "a long enough password")
			res, err = c.PostForm(r.issuer+"/id/register", f)
			require.NoError(t, err)
			body(t, res)
			// The browser stops at the web app's callback: the code is in Location.
			loc, err := url.Parse(res.Header.Get("Location"))
			require.NoError(t, err)
			require.Equal(t, "/auth/callback", loc.Path)
			tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(v))
			require.NoError(t, err)
			sub := claims(t, tok.AccessToken)["sub"].(string)
			require.Eventually(t, func() bool { regMu.Lock(); defer regMu.Unlock(); return registered[sub] }, 15*time.Second, 20*time.Millisecond)

			// The same address again is a conflict, whatever its case.
			res, err = c.Get(r.issuer + "/id/register")
			require.NoError(t, err)
			f = formOf(t, body(t, res))
			f.Set("email", email)
			f.Set("password", "another long password")
			res, err = c.PostForm(r.issuer+"/id/register", f)
			require.NoError(t, err)
			require.Equal(t, 409, res.StatusCode)
			body(t, res)

			// Verify the address: GET shows a button, POST spends the link, once.
			link := box.link(t, email, "auth.verify")
			require.True(t, strings.HasPrefix(link, r.issuer+"/id/verify-email?token="))
			res, err = c.Get(link)
			require.NoError(t, err)
			f = formOf(t, body(t, res))
			lu, _ := url.Parse(link)
			f.Set("token", lu.Query().Get("token"))
			res, err = c.PostForm(r.issuer+"/id/verify-email", f)
			require.NoError(t, err)
			require.Equal(t, 200, res.StatusCode)
			body(t, res)
			res, err = c.PostForm(r.issuer+"/id/verify-email", f)
			require.NoError(t, err)
			require.Equal(t, 400, res.StatusCode, "a link works once")
			body(t, res)
			var u authserver.User
			r.inst.Do("GET", "/api/v1/auth/users/"+sub, nil).JSON(t, &u)
			require.True(t, u.EmailVerified)

			// Reset the password: the same answer for an unknown address; the link works once.
			for _, addr := range []string{"nobody-" + email, email} {
				res, err = c.Get(r.issuer + "/id/reset-password")
				require.NoError(t, err)
				f = formOf(t, body(t, res))
				f.Set("email", addr)
				res, err = c.PostForm(r.issuer+"/id/reset-password", f)
				require.NoError(t, err)
				require.Equal(t, 200, res.StatusCode)
				require.Contains(t, body(t, res), "If an account has this address")
			}
			link = box.link(t, email, "auth.reset")
			lu, _ = url.Parse(link)
			res, err = c.Get(link)
			require.NoError(t, err)
			f = formOf(t, body(t, res))
			f.Set("token", lu.Query().Get("token"))
			f.Set("password", "a brand new password")
			res, err = c.PostForm(r.issuer+"/id/reset-password", f)
			require.NoError(t, err)
			require.Equal(t, 200, res.StatusCode)
			body(t, res)
			res, err = c.PostForm(r.issuer+"/id/reset-password", f)
			require.NoError(t, err)
			require.Equal(t, 400, res.StatusCode, "a reset link works once")
			body(t, res)
			require.Equal(t, false, r.introspect(t, tok.AccessToken)["active"], "a reset signs out everywhere")
			v = oauth2.GenerateVerifier()
			q := r.login(t, browser(t), conf.AuthCodeURL("s", oauth2.S256ChallengeOption(v)), email, "a brand new password")
			tok, err = conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(v))
			require.NoError(t, err)

			// account.deleted {subject}: the user goes and their tokens stop; twice is once.
			payload, _ := json.Marshal(map[string]string{"subject": sub})
			for range 2 {
				require.NoError(t, bus.Publish(ctx, events.Message{Topic: customer.AccountDeleted.Name, Key: sub, Payload: payload}))
			}
			require.Eventually(t, func() bool {
				return r.inst.Do("GET", "/api/v1/auth/users/"+sub, nil).Status == http.StatusNotFound
			}, 15*time.Second, 20*time.Millisecond)
			require.Equal(t, false, r.introspect(t, tok.AccessToken)["active"])
			_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
			require.Error(t, err)
			require.Eventually(t, func() bool { regMu.Lock(); defer regMu.Unlock(); return deleted[sub] }, 15*time.Second, 20*time.Millisecond)

			// The operator API: validation and scope.
			require.Equal(t, 401, r.inst.Do("GET", "/api/v1/auth/users", nil, "Authorization", "").Status)
			res2 := r.inst.Do("POST", "/api/v1/auth/clients", map[string]any{"name": "x", "grant_types": []string{"implicit"}})
			require.Equal(t, 400, res2.Status, string(res2.Body))
			res2 = r.inst.Do("POST", "/api/v1/auth/clients", map[string]any{"name": "x", "grant_types": []string{"authorization_code"}, "redirect_uris": []string{"https://*.example/cb"}})
			require.Equal(t, 400, res2.Status, string(res2.Body))
			require.Equal(t, 409, r.inst.Do("DELETE", "/api/v1/auth/clients/cdlc-web", nil).Status)
			require.Equal(t, 404, r.inst.Do("DELETE", "/api/v1/auth/clients/no-such-client", nil).Status)
		})
	}
}

// TestKeyRotation: a rotation publishes the new keys (ES256 for access
// tokens, RS256 for ID tokens) beside the old ones; tokens signed by the old
// key stay valid; new tokens name the new kid; the private halves are
// sealed at rest.
func TestKeyRotation(t *testing.T) {
	r := startRig(t, apptest.Backends()[0], nil)
	ctx := context.Background()
	cc := clientcredentialsConfig(r)
	before, err := cc.Token(ctx)
	require.NoError(t, err)
	oldKid := header(t, before.AccessToken)["kid"]

	require.NoError(t, r.inst.App.Auth.Keys().Rotate(ctx))
	after, err := cc.Token(ctx)
	require.NoError(t, err)
	newKid := header(t, after.AccessToken)["kid"]
	require.NotEqual(t, oldKid, newKid)

	res, err := http.Get(r.issuer + "/oauth2/keys")
	require.NoError(t, err)
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&set))
	res.Body.Close()
	kids := map[any][]any{}
	for _, k := range set.Keys {
		kids[k["alg"]] = append(kids[k["alg"]], k["kid"])
		require.NotContains(t, k, "d", "no private part is published")
		switch k["alg"] {
		case "ES256":
			require.Equal(t, "EC", k["kty"])
			require.Equal(t, "P-256", k["crv"])
		case "RS256":
			require.Equal(t, "RSA", k["kty"])
		default:
			t.Fatalf("unexpected key %v", k)
		}
	}
	require.ElementsMatch(t, []any{oldKid, newKid}, kids["ES256"], "access tokens are signed by the ES256 keys")
	require.Len(t, kids["RS256"], 2, "the old and new ID token keys")
	require.Equal(t, true, r.introspect(t, before.AccessToken)["active"], "a token of the old key is still good")
	require.Equal(t, true, r.introspect(t, after.AccessToken)["active"])

	// The private key's encodings, to look for in the stored rows.
	sk, err := r.inst.App.Auth.Keys().Signing()
	require.NoError(t, err)
	priv := sk.Key().(*rsa.PrivateKey)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	require.NoError(t, err)
	plain := []string{base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PrivateKey(priv))[64:128], base64.StdEncoding.EncodeToString(pkcs8)[64:128], priv.D.String()[:40]}
	rows, err := r.inst.App.Auth.Store().(*sqlstore.Store).DB().Reader().QueryContext(ctx, "SELECT private_sealed FROM auth_keys")
	require.NoError(t, err)
	defer rows.Close()
	n := 0
	for rows.Next() {
		var sealed string
		require.NoError(t, rows.Scan(&sealed))
		require.NotContains(t, sealed, "PRIVATE")
		for _, p := range plain {
			require.NotContains(t, sealed, p, "the private key is stored sealed")
		}
		n++
	}
	require.Equal(t, 4, n)
}

func clientcredentialsConfig(r *rig) clientcredentials.Config {
	return clientcredentials.Config{ClientID: r.serviceID, ClientSecret: r.serviceSecret, TokenURL: r.issuer + "/oauth2/token"}
}

// TestConsentAndScopes: a third-party client gets a consent page (allow
// or deny), and a user is granted requested ∩ client-allowed ∩ what their
// roles allow.
func TestConsentAndScopes(t *testing.T) {
	r := startRig(t, apptest.Backends()[0], nil)
	ctx := context.Background()
	res := r.inst.Do("POST", "/api/v1/auth/clients", map[string]any{"name": "Partner site", "grant_types": []string{"authorization_code"},
		"redirect_uris": []string{r.issuer + "/auth/callback"}, "scopes": []string{"openid", "email", "admin", "account"}})
	require.Equal(t, 201, res.Status, string(res.Body))
	var created struct {
		Client struct{ ID string }
		Secret string `json:"client_secret"`
	}
	res.JSON(t, &created)
	conf := oauth2.Config{ClientID: created.Client.ID, ClientSecret: created.Secret, Endpoint: r.provider.Endpoint(), RedirectURL: r.issuer + "/auth/callback",
		Scopes: []string{"openid", "email", "admin", "catalog:write", "account"}}
	c := browser(t)

	decide := func(decision string) url.Values {
		v := oauth2.GenerateVerifier()
		res, err := c.Get(conf.AuthCodeURL("st", oauth2.S256ChallengeOption(v)))
		require.NoError(t, err)
		page := body(t, res)
		if strings.Contains(page, `name="password"`) {
			f := formOf(t, page)
			f.Set("email", r.email)
			f.Set("password", r.password)
			res, err = c.PostForm(r.issuer+"/id/login", f)
			require.NoError(t, err)
			page = body(t, res)
		}
		require.Equal(t, 200, res.StatusCode, page)
		require.Contains(t, page, "Partner site")
		require.NotContains(t, page, "administer the platform", "a customer is not offered admin")
		f := formOf(t, page)
		f.Set("decision", decision)
		res, err = c.PostForm(r.issuer+"/id/consent", f)
		require.NoError(t, err)
		body(t, res)
		loc, err := url.Parse(res.Header.Get("Location"))
		require.NoError(t, err)
		require.Equal(t, "/auth/callback", loc.Path)
		q := loc.Query()
		q.Set("verifier", v)
		return q
	}
	// prompt=none without a session: login_required, at once.
	v := oauth2.GenerateVerifier()
	q := r.login(t, browser(t), conf.AuthCodeURL("silent", oauth2.S256ChallengeOption(v), oauth2.SetAuthURLParam("prompt", "none")), "", "")
	require.Equal(t, "login_required", q.Get("error"))
	require.Equal(t, "silent", q.Get("state"))

	q = decide("deny")
	require.Equal(t, "access_denied", q.Get("error"))
	require.Equal(t, "st", q.Get("state"))
	require.Empty(t, q.Get("code"))

	q = decide("allow")
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(q.Get("verifier")))
	require.NoError(t, err)
	require.Equal(t, "openid email account", claims(t, tok.AccessToken)["scope"], "admin (role) and catalog:write (client, role) are not granted")
	require.Empty(t, tok.RefreshToken, "no offline_access asked, no refresh token")
}

// TestKeysUpgradeToES256: a database from before access tokens were ES256
// holds RS256 keys only; the next refresh makes a pair (ES256 and RS256),
// new access tokens are ES256, and the RS256 access tokens issued before
// stay valid until they expire.
func TestKeysUpgradeToES256(t *testing.T) {
	r := startRig(t, apptest.Backends()[0], nil)
	ctx := context.Background()
	cc := clientcredentialsConfig(r)
	tok, err := cc.Token(ctx)
	require.NoError(t, err)
	// The access token an RS256-only provider would have signed.
	legacy := r.signReal(t, true, "", claims(t, tok.AccessToken))
	require.Equal(t, "RS256", header(t, legacy)["alg"])

	d := r.inst.App.Auth.Store().(*sqlstore.Store).DB()
	_, err = d.Writer().ExecContext(ctx, "DELETE FROM auth_keys WHERE alg = 'ES256'")
	require.NoError(t, err)
	require.NoError(t, r.inst.App.Auth.Keys().Refresh(ctx))
	var es, rs int
	require.NoError(t, d.Writer().QueryRowContext(ctx, "SELECT COUNT(*) FROM auth_keys WHERE alg = 'ES256'").Scan(&es))
	require.NoError(t, d.Writer().QueryRowContext(ctx, "SELECT COUNT(*) FROM auth_keys WHERE alg = 'RS256'").Scan(&rs))
	require.Equal(t, 1, es, "a new ES256 key")
	require.Equal(t, 2, rs, "a new RS256 key beside the old one, still published")

	after, err := cc.Token(ctx)
	require.NoError(t, err)
	require.Equal(t, "ES256", header(t, after.AccessToken)["alg"])
	require.Equal(t, true, r.introspect(t, after.AccessToken)["active"])
	require.Equal(t, true, r.introspect(t, legacy)["active"], "an RS256 access token of the old key is still good")
	res := r.inst.Do("GET", "/api/v1/auth/clients", nil, "Authorization", "Bearer "+legacy)
	require.NotEqual(t, 401, res.Status, "the platform verifier accepts it too: %s", res.Body)
}
