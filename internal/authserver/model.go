package authserver

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Roles a user may hold.
const (
	RoleCustomer = "customer"
	RoleOperator = "operator"
	RoleAdmin    = "admin"
)

// Roles lists the valid roles.
var Roles = []string{RoleCustomer, RoleOperator, RoleAdmin}

// Scopes the provider knows. A user is granted requested ∩ client-allowed ∩
// what their roles allow; a service client (client credentials) gets
// requested ∩ client-allowed.
var Scopes = []string{"openid", "profile", "email", "offline_access", "account", "catalog:write", "admin", "config:read", "config:write", "config:secrets"}

// roleScopes is what each role allows.
var roleScopes = map[string][]string{
	RoleCustomer: {"openid", "profile", "email", "offline_access", "account"},
	RoleOperator: {"openid", "profile", "email", "offline_access", "account", "catalog:write"},
	RoleAdmin:    {"openid", "profile", "email", "offline_access", "account", "catalog:write", "admin", "config:read", "config:write", "config:secrets"},
}

// WebClientID is the platform's own web app, a public client ensured at start.
const WebClientID = "cdlc-web"

// The topics the service publishes are declared in authevents (its event
// contract); it consumes the customer service's customer.AccountDeleted.

// User is an account holder.
type User struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	Roles         []string  `json:"roles"`
	EmailVerified bool      `json:"email_verified"`
	CreatedAt     time.Time `json:"created_at"`
	// PasswordHash is the argon2id hash (PHC string); never serialised.
	PasswordHash string `json:"-"`
}

// Client is a registered OAuth client. A client without a secret is public
// (PKCE S256 required).
type Client struct {
	ID                     string   `json:"id"`
	Name                   string   `json:"name"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	GrantTypes             []string `json:"grant_types"`
	Scopes                 []string `json:"scopes"`
	// Trusted clients (the platform's own) skip the consent page.
	Trusted   bool      `json:"trusted"`
	Public    bool      `json:"public"`
	CreatedAt time.Time `json:"created_at"`
	// SecretHash is the SHA-256 of a confidential client's secret (empty:
	// public); never serialised.
	SecretHash string `json:"-"`
}

// GrantTypes a client may be registered for.
var GrantTypes = []string{"authorization_code", "refresh_token", "client_credentials", "urn:ietf:params:oauth:grant-type:device_code"}

// grantedScopes is requested ∩ client-allowed ∩ role-allowed (roles nil:
// no role filter, for service clients).
func grantedScopes(requested, client []string, roles []string, userToken bool) []string {
	var out []string
	for _, s := range requested {
		if !slices.Contains(client, s) || slices.Contains(out, s) {
			continue
		}
		if userToken && !rolesAllow(roles, s) {
			continue
		}
		out = append(out, s)
	}
	return out
}

func rolesAllow(roles []string, scope string) bool {
	for _, r := range roles {
		if slices.Contains(roleScopes[r], scope) {
			return true
		}
	}
	return false
}

// GrantedScopes is requested ∩ client-allowed ∩ what the user's roles
// allow (openid is always the client's to ask for).
func GrantedScopes(requested, client, roles []string) []string {
	return grantedScopes(requested, append(slices.Clone(client), "openid"), roles, true)
}

// randomToken returns n random bytes, URL-safe base64.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashToken is how opaque high-entropy secrets (codes, refresh tokens,
// client secrets, mailed links) are kept: their SHA-256. They are random,
// so a slow hash adds nothing and would cap the token endpoint.
func hashToken(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func joinList(v []string) string { return strings.Join(v, " ") }
