package authserver

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/cdlc/cdlc/internal/authserver/authevents"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// opStorage implements op.Storage (and the optional client credentials and
// device authorization storages) on the service's database. zitadel/oidc's
// op package does the protocol (OpenID Certified); this file is only where
// its state lives and which rules of ours it applies: grants, refresh
// token rotation with reuse detection, single-use codes, scope policy.
type opStorage struct {
	s *Service
}

var (
	_ op.Storage                        = (*opStorage)(nil)
	_ op.ClientCredentialsStorage       = (*opStorage)(nil)
	_ op.DeviceAuthorizationStorage     = (*opStorage)(nil)
	_ op.CanSetUserinfoFromRequest      = (*opStorage)(nil)
	_ op.CanGetPrivateClaimsFromRequest = (*opStorage)(nil)
)

// audience is every token's aud: the platform and the client.
func audience(clientID string) []string { return []string{"cdlc", clientID} }

// --- auth requests: AuthRequest is op's

func (a *AuthRequest) GetID() string         { return a.ID }
func (a *AuthRequest) GetACR() string        { return "" }
func (a *AuthRequest) GetAMR() []string      { return []string{"pwd"} }
func (a *AuthRequest) GetAudience() []string { return audience(a.ClientID) }
func (a *AuthRequest) GetAuthTime() time.Time {
	return a.AuthTime
}
func (a *AuthRequest) GetClientID() string { return a.ClientID }
func (a *AuthRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.CodeChallenge, Method: oidc.CodeChallengeMethod(a.CodeMethod)}
}
func (a *AuthRequest) GetNonce() string                   { return a.Nonce }
func (a *AuthRequest) GetRedirectURI() string             { return a.RedirectURI }
func (a *AuthRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseType(a.ResponseType) }
func (a *AuthRequest) GetResponseMode() oidc.ResponseMode { return oidc.ResponseMode(a.ResponseMode) }
func (a *AuthRequest) GetScopes() []string                { return a.Scopes }
func (a *AuthRequest) GetState() string                   { return a.State }
func (a *AuthRequest) GetSubject() string                 { return a.UserID }
func (a *AuthRequest) Done() bool                         { return a.IsDone }

func (o *opStorage) CreateAuthRequest(ctx context.Context, r *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	c, err := o.s.store.ClientByID(ctx, r.ClientID)
	if err != nil {
		return nil, oidc.ErrInvalidClient()
	}
	// The authorization endpoint (authorizer) checked the response type
	// and PKCE; these guard the table.
	if r.ResponseType != oidc.ResponseTypeCode || (r.CodeChallenge == "" && c.Public) {
		return nil, oidc.ErrInvalidRequest().WithDescription("response_type must be code, with PKCE for this client")
	}
	if len(r.State) > 1024 || len(r.Nonce) > 1024 || len(r.CodeChallenge) > 128 {
		return nil, oidc.ErrInvalidRequest().WithDescription("state, nonce or code_challenge is too long")
	}
	a := &AuthRequest{ID: events.NewID(), ClientID: c.ID, RedirectURI: r.RedirectURI, State: r.State, Nonce: r.Nonce,
		Scopes: r.Scopes, ResponseType: string(r.ResponseType), ResponseMode: string(r.ResponseMode),
		CodeChallenge: r.CodeChallenge, CodeMethod: string(r.CodeChallengeMethod), Prompt: r.Prompt}
	if err := o.s.store.CreateAuthRequest(ctx, *a, time.Now().Add(o.s.cfg.CodeTTL)); err != nil {
		return nil, err
	}
	return a, nil
}

func (o *opStorage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	a, err := o.s.store.AuthRequest(ctx, id)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// AuthRequestByCode redeems a code, once: the first caller marks it used.
// A code presented again is a replay (RFC 6749 §4.1.2, §10.5): it is
// refused and every token issued from it is revoked.
func (o *opStorage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	a, first, err := o.s.store.RedeemCode(ctx, hashToken(code))
	switch {
	case err == nil && first:
		return &a, nil
	case err == nil:
		if err := o.s.revokeFamilies(ctx, a.UserID, a.ID); err != nil {
			return nil, err
		}
		o.s.log.Warn("authorization code replayed; its tokens are revoked", "auth_request", a.ID)
	case !errs.Is(err, errs.KindNotFound):
		return nil, err
	}
	return nil, oidc.ErrInvalidGrant().WithDescription("the authorization code is invalid, expired or already used")
}

func (o *opStorage) SaveAuthCode(ctx context.Context, id, code string) error {
	return o.s.store.SaveAuthCode(ctx, id, hashToken(code))
}

// DeleteAuthRequest keeps a redeemed request (until it expires) so that a
// replay of its code is recognised; others go.
func (o *opStorage) DeleteAuthRequest(ctx context.Context, id string) error {
	return o.s.store.DeleteAuthRequest(ctx, id)
}

// --- tokens

// clientCredentialsRequest is a service client's token request.
type clientCredentialsRequest struct {
	clientID string
	scopes   []string
}

func (c *clientCredentialsRequest) GetSubject() string    { return c.clientID }
func (c *clientCredentialsRequest) GetAudience() []string { return audience(c.clientID) }
func (c *clientCredentialsRequest) GetScopes() []string   { return c.scopes }

// refreshRequest is a presented refresh token with its grant.
type refreshRequest struct {
	g       Grant
	tokenID string
	scopes  []string
}

func (r *refreshRequest) GetAMR() []string                 { return r.g.AMR }
func (r *refreshRequest) GetAudience() []string            { return audience(r.g.ClientID) }
func (r *refreshRequest) GetAuthTime() time.Time           { return r.g.AuthTime }
func (r *refreshRequest) GetClientID() string              { return r.g.ClientID }
func (r *refreshRequest) GetScopes() []string              { return r.scopes }
func (r *refreshRequest) GetSubject() string               { return r.g.UserID }
func (r *refreshRequest) SetCurrentScopes(scopes []string) { r.scopes = scopes }

// accessTokenID is a token's jti: its grant, a dot, and a random part, so
// that revoking a grant revokes its access tokens without storing each.
// Client-credentials tokens have the grant "cc".
func accessTokenID(grantID string) string { return grantID + "." + randomToken(12) }

func grantOf(jti string) string {
	g, _, _ := strings.Cut(jti, ".")
	return g
}

func (o *opStorage) CreateAccessToken(ctx context.Context, req op.TokenRequest) (string, time.Time, error) {
	exp := time.Now().Add(o.s.cfg.AccessTokenTTL)
	switch r := req.(type) {
	case *clientCredentialsRequest:
		return accessTokenID("cc"), exp, nil
	case *refreshRequest:
		return accessTokenID(r.g.ID), exp, nil
	}
	g, err := o.newGrant(req)
	if err != nil {
		return "", time.Time{}, err
	}
	if err := o.s.store.CreateGrant(ctx, g); err != nil {
		return "", time.Time{}, fmt.Errorf("store grant: %w", err)
	}
	return accessTokenID(g.ID), exp, nil
}

// newGrant describes the authorization behind a code or device flow. A
// code flow's grant has the auth request's id, so a replayed code finds it.
func (o *opStorage) newGrant(req op.TokenRequest) (Grant, error) {
	exp := time.Now().Add(o.s.cfg.RefreshTokenTTL)
	switch r := req.(type) {
	case *AuthRequest:
		return Grant{ID: r.ID, ClientID: r.ClientID, UserID: r.UserID, Scopes: r.Scopes, AMR: r.GetAMR(), AuthTime: r.AuthTime, ExpiresAt: exp}, nil
	case *op.DeviceAuthorizationState:
		return Grant{ID: events.NewID(), ClientID: r.ClientID, UserID: r.Subject, Scopes: r.Scopes, AMR: r.AMR, AuthTime: r.AuthTime, ExpiresAt: exp}, nil
	}
	return Grant{}, oidc.ErrUnsupportedGrantType()
}

func (o *opStorage) CreateAccessAndRefreshTokens(ctx context.Context, req op.TokenRequest, current string) (string, string, time.Time, error) {
	exp := time.Now().Add(o.s.cfg.AccessTokenTTL)
	rt := RefreshToken{ID: events.NewID()}
	secret := randomToken(32)
	rt.SecretHash = hashToken(secret)
	var g Grant
	var newGrant *Grant
	var replaces string
	if r, ok := req.(*refreshRequest); ok {
		// Rotation: the presented token is spent (it may already be,
		// within the grace period; then it stays spent at its first use).
		g, rt.Scopes, replaces = r.g, r.scopes, r.tokenID
	} else {
		var err error
		if g, err = o.newGrant(req); err != nil {
			return "", "", time.Time{}, err
		}
		rt.Scopes, newGrant = g.Scopes, &g
	}
	rt.GrantID, rt.ExpiresAt = g.ID, g.ExpiresAt
	if err := o.s.store.IssueRefreshToken(ctx, rt, newGrant, replaces); err != nil {
		return "", "", time.Time{}, err
	}
	return accessTokenID(g.ID), rt.ID + "." + secret, exp, nil
}

// refreshToken looks a presented refresh token up: the token, its grant,
// and whether it is usable.
func (s *Service) refreshToken(ctx context.Context, token string) (rtID string, scopes []string, usedAt time.Time, g Grant, err error) {
	id, secret, ok := strings.Cut(token, ".")
	if !ok || len(id) > 64 || secret == "" {
		return "", nil, time.Time{}, Grant{}, op.ErrInvalidRefreshToken
	}
	rt, err := s.store.RefreshToken(ctx, id)
	if err != nil || subtle.ConstantTimeCompare([]byte(rt.SecretHash), []byte(hashToken(secret))) != 1 || time.Now().After(rt.ExpiresAt) {
		return "", nil, time.Time{}, Grant{}, op.ErrInvalidRefreshToken
	}
	g, err = s.store.Grant(ctx, rt.GrantID)
	if err != nil {
		return "", nil, time.Time{}, Grant{}, op.ErrInvalidRefreshToken
	}
	return id, rt.Scopes, rt.UsedAt, g, nil
}

// TokenRequestByRefreshToken applies rotation's reuse detection: a spent
// token presented within auth.refresh_grace of its first use still
// refreshes (concurrent refreshes, a lost response); later, it is taken
// for a stolen copy and the whole family (the grant) is revoked.
func (o *opStorage) TokenRequestByRefreshToken(ctx context.Context, token string) (op.RefreshTokenRequest, error) {
	id, scopes, usedAt, g, err := o.s.refreshToken(ctx, token)
	if err != nil {
		return nil, err
	}
	if g.Revoked {
		return nil, op.ErrInvalidRefreshToken
	}
	if !usedAt.IsZero() && time.Since(usedAt) > o.s.cfg.RefreshGrace {
		if err := o.s.revokeFamilies(ctx, g.UserID, g.ID); err != nil {
			return nil, err
		}
		o.s.log.Warn("refresh token reused after rotation; its family is revoked", "grant", g.ID, "client", g.ClientID)
		return nil, op.ErrInvalidRefreshToken
	}
	if _, err := o.s.store.UserByID(ctx, g.UserID); err != nil {
		return nil, op.ErrInvalidRefreshToken
	}
	return &refreshRequest{g: g, tokenID: id, scopes: scopes}, nil
}

func (o *opStorage) TerminateSession(ctx context.Context, userID, clientID string) error {
	if userID == "" {
		return nil
	}
	if err := o.s.store.DeleteUserSessions(ctx, userID); err != nil {
		return err
	}
	ids, err := o.s.store.UserGrantIDs(ctx, userID, clientID)
	if err != nil {
		return err
	}
	if err := o.s.publishRevoked(ctx, authevents.Revoked{Families: ids, Subject: userID}); err != nil {
		return err
	}
	return o.s.store.RevokeUserGrants(ctx, userID, clientID)
}

// RevokeToken implements RFC 7009: a refresh token revokes its grant (and
// so the access tokens issued from it); an access token goes on the
// revoked list until it expires. Unknown tokens are not an error.
func (o *opStorage) RevokeToken(ctx context.Context, tokenOrID, userID, clientID string) *oidc.Error {
	st := o.s.store
	if userID == "" {
		_, _, _, g, err := o.s.refreshToken(ctx, tokenOrID)
		if err != nil {
			return nil
		}
		if g.ClientID != clientID {
			return oidc.ErrInvalidClient().WithDescription("the token was not issued to this client")
		}
		if err := o.s.revokeFamilies(ctx, g.UserID, g.ID); err != nil {
			return oidc.ErrServerError()
		}
		return nil
	}
	// An access token (its jti).
	gid := grantOf(tokenOrID)
	if gid == "cc" {
		if userID != clientID {
			return oidc.ErrInvalidClient().WithDescription("the token was not issued to this client")
		}
	} else if g, err := st.Grant(ctx, gid); err == nil && g.ClientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("the token was not issued to this client")
	}
	if err := o.s.publishRevoked(ctx, authevents.Revoked{TokenIDs: []string{tokenOrID}, Subject: userID}); err != nil {
		return oidc.ErrServerError()
	}
	if err := st.RevokeAccessToken(ctx, tokenOrID, time.Now().Add(o.s.cfg.AccessTokenTTL+time.Minute)); err != nil {
		return oidc.ErrServerError()
	}
	return nil
}

func (o *opStorage) GetRefreshTokenInfo(ctx context.Context, clientID, token string) (string, string, error) {
	_, _, _, g, err := o.s.refreshToken(ctx, token)
	if err != nil || g.ClientID != clientID {
		return "", "", op.ErrInvalidRefreshToken
	}
	// RevokeToken gets the token itself back with no user (op passes a
	// token ID and a user only for access tokens), and revokes its grant.
	return "", token, nil
}

// --- keys

// op asks the storage for "the" signing key, for access tokens and ID
// tokens alike. Ours are two (keys.go): ES256 for access tokens, RS256 for
// ID tokens. op makes a JWT access token by asking for its private claims
// (GetPrivateClaimsFromRequest) and then for the signing key; an ID token
// asks for the key without claims first. So the token endpoint gives each
// request a tokenCall (withTokenCall), the claims step marks that the next
// key is an access token's, and SigningKey hands out the ES256 key once
// for it. Anything else, or a request without a tokenCall, gets the RS256
// key: were op to change that order, access tokens would come out RS256,
// still valid everywhere (and the flow tests that assert ES256 would say
// so).
//
// The tokenCall also remembers the client the request authenticated, so
// that the client credentials grant reads it once, not once to check the
// secret and again to build the token.
type tokenCall struct {
	mu          sync.Mutex
	accessToken bool
	client      *Client
}

type tokenCallKey struct{}

// withTokenCall gives each request to h a tokenCall.
func withTokenCall(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenCallKey{}, &tokenCall{})))
	})
}

func tokenCallOf(ctx context.Context) (*tokenCall, bool) {
	c, ok := ctx.Value(tokenCallKey{}).(*tokenCall)
	return c, ok
}

// markAccessToken notes that the key asked for next signs an access token.
func markAccessToken(ctx context.Context) {
	if c, ok := tokenCallOf(ctx); ok {
		c.mu.Lock()
		c.accessToken = true
		c.mu.Unlock()
	}
}

// signsAccessToken reports, once, whether the key asked for now signs an
// access token.
func signsAccessToken(ctx context.Context) bool {
	c, ok := tokenCallOf(ctx)
	if !ok {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	at := c.accessToken
	c.accessToken = false
	return at
}

// rememberClient keeps the client the request authenticated.
func rememberClient(ctx context.Context, client Client) {
	if c, ok := tokenCallOf(ctx); ok {
		c.mu.Lock()
		c.client = &client
		c.mu.Unlock()
	}
}

// authenticatedClient is the client id the request authenticated, when
// it did.
func authenticatedClient(ctx context.Context, id string) (Client, bool) {
	c, ok := tokenCallOf(ctx)
	if !ok {
		return Client{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.client == nil || c.client.ID != id {
		return Client{}, false
	}
	return *c.client, true
}

func (o *opStorage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	if signsAccessToken(ctx) {
		return o.s.keys.AccessSigning()
	}
	return o.s.keys.Signing()
}

// SignatureAlgorithms are the ID tokens' (discovery's
// id_token_signing_alg_values_supported).
func (o *opStorage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{idTokenAlg}, nil
}
func (o *opStorage) KeySet(context.Context) ([]op.Key, error) {
	var out []op.Key
	for _, k := range o.s.keys.Public() {
		out = append(out, k)
	}
	return out, nil
}

// --- clients

func (o *opStorage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := o.s.store.ClientByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return &opClient{c: c, s: o.s}, nil
}

func (o *opStorage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	_, err := o.s.authenticateClient(ctx, id, secret)
	return err
}

// authenticateClient checks a confidential client's secret in constant time.
func (s *Service) authenticateClient(ctx context.Context, id, secret string) (Client, error) {
	c, err := s.store.ClientByID(ctx, id)
	if err != nil || c.Public || subtle.ConstantTimeCompare([]byte(c.SecretHash), []byte(hashToken(secret))) != 1 {
		return Client{}, errors.New("invalid client credentials")
	}
	return c, nil
}

func (o *opStorage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	c, err := o.s.authenticateClient(ctx, id, secret)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(c.GrantTypes, string(oidc.GrantTypeClientCredentials)) {
		return nil, oidc.ErrUnauthorizedClient()
	}
	rememberClient(ctx, c)
	return &opClient{c: c, s: o.s}, nil
}

func (o *opStorage) ClientCredentialsTokenRequest(ctx context.Context, id string, scopes []string) (op.TokenRequest, error) {
	c, ok := authenticatedClient(ctx, id)
	if !ok {
		var err error
		if c, err = o.s.store.ClientByID(ctx, id); err != nil {
			return nil, err
		}
	}
	if len(scopes) == 0 {
		scopes = c.Scopes
	}
	granted := grantedScopes(scopes, c.Scopes, nil, false)
	// openid and friends describe a person; a service token has none.
	granted = slices.DeleteFunc(granted, func(s string) bool {
		return s == "openid" || s == "profile" || s == "email" || s == "offline_access"
	})
	return &clientCredentialsRequest{clientID: id, scopes: granted}, nil
}

// --- device authorization (RFC 8628)

func (o *opStorage) StoreDeviceAuthorization(ctx context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	err := o.s.store.CreateDevice(ctx, Device{DeviceHash: hashToken(deviceCode), UserCode: userCode, ClientID: clientID, Scopes: scopes, ExpiresAt: expires})
	if errs.Is(err, errs.KindConflict) {
		return op.ErrDuplicateUserCode
	}
	return err
}

// GetDeviceAuthorizatonState answers the device's polls; an approved
// authorization is handed out once (the code is spent).
func (o *opStorage) GetDeviceAuthorizatonState(ctx context.Context, clientID, deviceCode string) (*op.DeviceAuthorizationState, error) {
	h := hashToken(deviceCode)
	d, err := o.s.store.Device(ctx, h)
	if err != nil || d.ClientID != clientID {
		return nil, errors.New("unknown device code")
	}
	ds := &op.DeviceAuthorizationState{ClientID: d.ClientID, Audience: audience(d.ClientID), Scopes: d.Scopes, Expires: d.ExpiresAt}
	switch d.State {
	case DeviceDenied:
		ds.Denied = true
	case DeviceApproved:
		spent, err := o.s.store.SpendDevice(ctx, h)
		if err != nil {
			return nil, err
		}
		if !spent {
			return nil, errors.New("device code already used")
		}
		ds.Done, ds.Subject, ds.AMR, ds.AuthTime = true, d.UserID, []string{"pwd"}, d.AuthTime
	case DeviceSpent:
		return nil, errors.New("device code already used")
	}
	return ds, nil
}

// --- user info and claims

func (o *opStorage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (o *opStorage) SetUserinfoFromRequest(ctx context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	u, err := o.s.store.UserByID(ctx, req.GetSubject())
	if err != nil {
		return err
	}
	fillUserinfo(info, u, scopes)
	return nil
}

func fillUserinfo(info *oidc.UserInfo, u User, scopes []string) {
	info.Subject = u.ID
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email, info.EmailVerified = u.Email, oidc.Bool(u.EmailVerified)
		// Said even when false (the library's field omits false): an
		// unverified address does not block sign-in, and clients must see it.
		info.AppendClaims("email_verified", u.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name, info.PreferredUsername = u.Name, u.Email
	}
}

// activeToken checks what the signature cannot: the token's grant and the
// token itself are not revoked, its user still exists.
func (s *Service) activeToken(ctx context.Context, jti, subject string) (Grant, bool) {
	st := s.store
	if revoked, err := st.AccessTokenRevoked(ctx, jti); err != nil || revoked {
		return Grant{}, false
	}
	gid := grantOf(jti)
	if gid == "cc" {
		if _, err := st.ClientByID(ctx, subject); err != nil {
			return Grant{}, false
		}
		return Grant{ClientID: subject}, true
	}
	g, err := st.Grant(ctx, gid)
	if err != nil || g.Revoked || g.UserID != subject {
		return Grant{}, false
	}
	if _, err := st.UserByID(ctx, subject); err != nil {
		return Grant{}, false
	}
	return g, true
}

func (o *opStorage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	claims, ok := claimsFrom(ctx)
	if !ok || claims.JTI != tokenID {
		return oidc.ErrInvalidRequest().WithDescription("access token invalid")
	}
	g, ok := o.s.activeToken(ctx, tokenID, subject)
	if !ok || g.UserID == "" {
		return oidc.ErrAccessDenied().WithDescription("access token invalid")
	}
	u, err := o.s.store.UserByID(ctx, subject)
	if err != nil {
		return oidc.ErrAccessDenied().WithDescription("access token invalid")
	}
	fillUserinfo(info, u, claims.Scopes)
	return nil
}

func (o *opStorage) SetIntrospectionFromToken(ctx context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, _ string) error {
	claims, ok := claimsFrom(ctx)
	if !ok || claims.JTI != tokenID {
		return errors.New("token inactive")
	}
	if _, ok := o.s.activeToken(ctx, tokenID, subject); !ok {
		return errors.New("token inactive")
	}
	resp.Scope = claims.Scopes
	resp.ClientID = claims.ClientID
	resp.TokenType = oidc.BearerToken
	resp.Expiration = oidc.FromTime(claims.Expiry)
	resp.IssuedAt = oidc.FromTime(claims.IssuedAt)
	resp.NotBefore = oidc.FromTime(claims.NotBefore)
	resp.Subject = claims.Subject
	resp.Audience = claims.Audience
	resp.Issuer = claims.Issuer
	resp.JWTID = claims.JTI
	resp.Claims = map[string]any{"roles": claims.Roles}
	return nil
}

func (o *opStorage) GetPrivateClaimsFromScopes(ctx context.Context, userID, clientID string, scopes []string) (map[string]any, error) {
	return nil, nil
}

// GetPrivateClaimsFromRequest adds the contract's scope and roles claims.
func (o *opStorage) GetPrivateClaimsFromRequest(ctx context.Context, req op.TokenRequest, _ []string) (map[string]any, error) {
	roles := []string{}
	if _, service := req.(*clientCredentialsRequest); !service {
		u, err := o.s.store.UserByID(ctx, req.GetSubject())
		if err != nil {
			return nil, oidc.ErrInvalidGrant()
		}
		roles = u.Roles
	}
	// op asks for the signing key next: this is an access token (ES256).
	markAccessToken(ctx)
	return map[string]any{"scope": joinList(req.GetScopes()), "roles": roles}, nil
}

func (o *opStorage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("JWT client authentication is not supported")
}

func (o *opStorage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

func (o *opStorage) Health(ctx context.Context) error { return o.s.store.Ping(ctx) }

// --- client adapter

type opClient struct {
	c Client
	s *Service
}

func (c *opClient) GetID() string                    { return c.c.ID }
func (c *opClient) RedirectURIs() []string           { return c.c.RedirectURIs }
func (c *opClient) PostLogoutRedirectURIs() []string { return c.c.PostLogoutRedirectURIs }
func (c *opClient) ApplicationType() op.ApplicationType {
	if c.c.Public {
		return op.ApplicationTypeUserAgent
	}
	return op.ApplicationTypeWeb
}
func (c *opClient) AuthMethod() oidc.AuthMethod {
	if c.c.Public {
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}
func (c *opClient) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *opClient) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, len(c.c.GrantTypes))
	for i, g := range c.c.GrantTypes {
		out[i] = oidc.GrantType(g)
	}
	return out
}
func (c *opClient) LoginURL(id string) string           { return "/id/login?authRequestID=" + id }
func (c *opClient) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeJWT }
func (c *opClient) IDTokenLifetime() time.Duration      { return c.s.cfg.IDTokenTTL }

// DevMode lets an operator register http:// redirect URIs (localhost, the
// dev issuer). Matching stays exact: op compares the whole URI first.
func (c *opClient) DevMode() bool { return true }
func (c *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *opClient) IsScopeAllowed(scope string) bool     { return slices.Contains(c.c.Scopes, scope) }
func (c *opClient) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *opClient) ClockSkew() time.Duration             { return 0 }

// revokeFamilies revokes grants and every access token issued from them.
// The revocation is published first (through the outbox), so that a crash
// in between leaves verifiers refusing more, never less; every process's
// deny list refuses the grants' access tokens until they expire.
func (s *Service) revokeFamilies(ctx context.Context, subject string, ids ...string) error {
	if err := s.publishRevoked(ctx, authevents.Revoked{Families: ids, Subject: subject}); err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.store.RevokeGrant(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// publishRevoked tells every verifier of the platform (token.revoked):
// the tokens named live at most an access token's lifetime from now.
func (s *Service) publishRevoked(ctx context.Context, r authevents.Revoked) error {
	if len(r.TokenIDs) == 0 && len(r.Families) == 0 {
		return nil
	}
	r.Until = time.Now().Add(s.cfg.AccessTokenTTL + time.Minute).UTC()
	key := r.Subject
	if key == "" && len(r.Families) > 0 {
		key = r.Families[0]
	}
	if err := s.store.Publish(ctx, authevents.TokensRevoked.MustMessage(key, r)); err != nil {
		return err
	}
	s.kick()
	return nil
}
