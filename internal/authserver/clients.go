package authserver

import (
	"context"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// ClientInput registers a client.
type ClientInput struct {
	// ID is chosen by the operator (letters, digits, - _ .); empty: generated.
	ID                     string   `json:"id,omitempty" maxLength:"64" doc:"client_id; generated when empty"`
	Name                   string   `json:"name" minLength:"1" maxLength:"200"`
	Public                 bool     `json:"public,omitempty" doc:"a public client has no secret and must use PKCE S256"`
	RedirectURIs           []string `json:"redirect_uris,omitempty" doc:"exact redirect URIs (authorization code flow)"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris,omitempty"`
	GrantTypes             []string `json:"grant_types" minItems:"1" doc:"authorization_code, refresh_token, client_credentials, urn:ietf:params:oauth:grant-type:device_code"`
	Scopes                 []string `json:"scopes,omitempty" doc:"the scopes the client may be granted"`
	Trusted                bool     `json:"trusted,omitempty" doc:"first-party: no consent page"`
}

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

func (in ClientInput) validate() error {
	if in.ID != "" && !clientIDPattern.MatchString(in.ID) {
		return errs.Invalid("id", "must be 1 to 64 letters, digits, '.', '_' or '-'")
	}
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > 200 {
		return errs.Invalid("name", "must be 1 to 200 characters")
	}
	if len(in.GrantTypes) == 0 {
		return errs.Invalid("grant_types", "must name at least one grant type")
	}
	for _, g := range in.GrantTypes {
		if !slices.Contains(GrantTypes, g) {
			return errs.Invalid("grant_types", "unknown grant type %q; one of %s", g, strings.Join(GrantTypes, ", "))
		}
	}
	if in.Public && slices.Contains(in.GrantTypes, "client_credentials") {
		return errs.Invalid("grant_types", "a public client cannot use client_credentials")
	}
	if slices.Contains(in.GrantTypes, "authorization_code") && len(in.RedirectURIs) == 0 {
		return errs.Invalid("redirect_uris", "the authorization_code grant needs at least one redirect URI")
	}
	for _, field := range []struct {
		name string
		uris []string
	}{{"redirect_uris", in.RedirectURIs}, {"post_logout_redirect_uris", in.PostLogoutRedirectURIs}} {
		for _, u := range field.uris {
			if err := validateRedirectURI(u); err != nil {
				return errs.Invalid(field.name, "%q: %v", u, err)
			}
		}
	}
	for _, s := range in.Scopes {
		if !slices.Contains(Scopes, s) {
			return errs.Invalid("scopes", "unknown scope %q; one of %s", s, strings.Join(Scopes, " "))
		}
	}
	return nil
}

type uriError string

func (e uriError) Error() string { return string(e) }

// validateRedirectURI accepts absolute https URIs, and http ones only to
// the loopback interface (127.0.0.1, [::1], localhost: RFC 8252 §7.3, a
// native app or a developer's machine), without fragments, credentials,
// wildcards or spaces (RFC 9700 §2.1: a code sent over plain http to
// anywhere else can be read on the way).
func validateRedirectURI(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil, len(raw) > 512, strings.ContainsAny(raw, " *\t\n"):
		return uriError("must be an absolute https URI")
	case u.Scheme != "https" && u.Scheme != "http", u.Host == "", u.User != nil:
		return uriError("must be an absolute https URI without credentials")
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return uriError("must not have a fragment")
	case u.Scheme == "http" && !isLoopbackLiteral(u.Hostname()):
		return uriError("must be https (http is allowed for 127.0.0.1, [::1] and localhost only)")
	}
	return nil
}

// isLoopbackLiteral reports whether h names the loopback interface as
// RFC 8252 §7.3 lets a redirect URI: localhost, 127.0.0.1 or ::1 written
// out (no other spelling of an address that a resolver might read
// differently).
func isLoopbackLiteral(h string) bool {
	return strings.EqualFold(h, "localhost") || h == "127.0.0.1" || h == "::1"
}

// CreateClient registers a client. It returns the client and, for a
// confidential one, its secret: shown once, stored only as a hash.
func CreateClient(ctx context.Context, st Store, in ClientInput) (Client, string, error) {
	if err := in.validate(); err != nil {
		return Client{}, "", err
	}
	c := Client{ID: in.ID, Name: strings.TrimSpace(in.Name), RedirectURIs: nonNil(in.RedirectURIs), PostLogoutRedirectURIs: nonNil(in.PostLogoutRedirectURIs),
		GrantTypes: in.GrantTypes, Scopes: nonNil(in.Scopes), Trusted: in.Trusted, Public: in.Public, CreatedAt: time.Now().UTC().Truncate(time.Millisecond)}
	if c.ID == "" {
		c.ID = "c-" + strings.ToLower(randomToken(9))
	}
	var secret string
	if !in.Public {
		secret = randomToken(32)
		c.SecretHash = hashToken(secret)
	}
	return c, secret, st.PutClient(ctx, c, false)
}

func nonNil(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// devWebOrigin is where `npm run dev` (vite) serves the web app.
const devWebOrigin = "http://localhost:5173"

// webClientURIs are the web app's redirect and post-logout redirect URIs
// for issuer. The app is served at the issuer's own origin (any port: the
// URIs follow the issuer, so a server on a random port, as in the
// end-to-end run, works as is). The vite dev server's origin is added only
// when the issuer itself is on a loopback address: a deployed provider
// never sends a browser, with a code, to a port on the user's own machine,
// where any local program could be listening.
func webClientURIs(issuer string) (redirects, postLogout []string) {
	redirects, postLogout = []string{issuer + "/auth/callback"}, []string{issuer + "/"}
	if u, err := url.Parse(issuer); err == nil && isLoopbackHost(u.Hostname()) {
		redirects = append(redirects, devWebOrigin+"/auth/callback")
		postLogout = append(postLogout, devWebOrigin+"/")
	}
	return redirects, postLogout
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// EnsureWebClient makes the platform's web app client what the contract
// says, on every start (its URIs follow the issuer: webClientURIs).
func EnsureWebClient(ctx context.Context, st Store, issuer string) error {
	redirects, postLogout := webClientURIs(issuer)
	c := Client{ID: WebClientID, Name: "cdlc web app", Public: true, Trusted: true,
		RedirectURIs:           redirects,
		PostLogoutRedirectURIs: postLogout,
		GrantTypes:             []string{"authorization_code", "refresh_token"},
		Scopes:                 []string{"openid", "profile", "email", "offline_access", "account"},
		CreatedAt:              time.Now().UTC()}
	if cur, err := st.ClientByID(ctx, WebClientID); err == nil {
		c.CreatedAt = cur.CreatedAt
		if slices.Equal(cur.RedirectURIs, c.RedirectURIs) && slices.Equal(cur.PostLogoutRedirectURIs, c.PostLogoutRedirectURIs) &&
			slices.Equal(cur.Scopes, c.Scopes) && slices.Equal(cur.GrantTypes, c.GrantTypes) && cur.Public && cur.Trusted {
			return nil
		}
	}
	return st.PutClient(ctx, c, true)
}
