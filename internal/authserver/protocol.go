package authserver

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/rs/cors"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// What the provider does, and so what discovery says: op's discovery
// document is written for every provider op can be (it always names the
// implicit flow, the JWT bearer grant and RS256 client assertions), so
// the provider publishes its own from these lists, and the endpoints
// refuse what they do not name (TestDiscoveryIsHonest holds the two
// together).
var (
	// ResponseTypes: the authorization code flow only (OAuth 2.1 and
	// RFC 9700 §2.1.2 remove the implicit flow; no hybrid flows).
	ResponseTypes = []string{string(oidc.ResponseTypeCode)}
	// ResponseModes: the code in the query (the default) or, asked for, the
	// fragment. form_post is refused: op reports its errors in the query.
	ResponseModes = []string{string(oidc.ResponseModeQuery), string(oidc.ResponseModeFragment)}
	// Prompts are the prompt values the sign-in pages honour (create:
	// OpenID Connect Prompt Create 1.0).
	Prompts = []string{oidc.PromptNone, oidc.PromptLogin, oidc.PromptConsent, "create"}
	// TokenAuthMethods are how clients authenticate at the token and
	// revocation endpoints: public clients by client_id (none), confidential
	// ones with their secret in the Authorization header or the form.
	TokenAuthMethods = []string{string(oidc.AuthMethodNone), string(oidc.AuthMethodBasic), string(oidc.AuthMethodPost)}
	// IntrospectionAuthMethods: op's introspection endpoint reads the
	// Authorization header only, and introspection is for confidential
	// clients.
	IntrospectionAuthMethods = []string{string(oidc.AuthMethodBasic)}
	// Claims are the claims the tokens and userinfo carry: the ID token's
	// (with the userinfo claims of its scopes), the access token's contract
	// and userinfo's.
	Claims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "amr", "azp", "at_hash", "c_hash",
		"client_id", "scope", "roles", "name", "preferred_username", "email", "email_verified"}
)

// discovery serves /.well-known/openid-configuration: op's document for
// the endpoints and keys, with what the provider supports in place of
// op's defaults. It has op's CORS policy (browser apps read it).
func (s *Service) discovery() http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := op.ContextWithIssuer(r.Context(), s.issuer)
		conf := op.CreateDiscoveryConfig(ctx, s.provider, s.provider.Storage())
		conf.ResponseTypesSupported = ResponseTypes
		conf.ResponseModesSupported = ResponseModes
		conf.GrantTypesSupported = make([]oidc.GrantType, len(GrantTypes))
		for i, g := range GrantTypes {
			conf.GrantTypesSupported[i] = oidc.GrantType(g)
		}
		conf.TokenEndpointAuthMethodsSupported = authMethods(TokenAuthMethods)
		conf.TokenEndpointAuthSigningAlgValuesSupported = nil
		conf.RevocationEndpointAuthMethodsSupported = authMethods(TokenAuthMethods)
		conf.RevocationEndpointAuthSigningAlgValuesSupported = nil
		conf.IntrospectionEndpointAuthMethodsSupported = authMethods(IntrospectionAuthMethods)
		conf.IntrospectionEndpointAuthSigningAlgValuesSupported = nil
		conf.ClaimsSupported = Claims
		conf.RequestParameterSupported, conf.RequestURIParameterSupported = false, false
		// op's struct has no prompt_values_supported: add it to its JSON.
		raw, err := json.Marshal(conf)
		var doc map[string]any
		if err == nil {
			err = json.Unmarshal(raw, &doc)
		}
		if err != nil {
			http.Error(w, "discovery document", http.StatusInternalServerError)
			return
		}
		doc["prompt_values_supported"] = Prompts
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	})
	if o := s.provider.CORSOptions(); o != nil {
		return cors.New(*o).Handler(h)
	}
	return h
}

func authMethods(names []string) []oidc.AuthMethod {
	out := make([]oidc.AuthMethod, len(names))
	for i, n := range names {
		out[i] = oidc.AuthMethod(n)
	}
	return out
}

// onlyGrantTypes refuses, before op, a grant type the provider does not
// publish (op would try the JWT bearer grant, whose storage half we do not
// implement, and fail it as a bad request).
func onlyGrantTypes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g := r.FormValue("grant_type"); g != "" && !slices.Contains(GrantTypes, g) {
			op.RequestError(w, r, oidc.ErrUnsupportedGrantType().WithDescription("grant_type must be one of %s", strings.Join(GrantTypes, ", ")), nil)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authorizer is op's authorization endpoint with the provider's own
// checks in front of op's (op.AuthorizeValidator): once the client and its
// redirect URI are known good, every error goes back to that URI, in the
// query or the fragment as the specifications say.
type authorizer struct {
	*op.Provider
	s *Service
}

var _ op.AuthorizeValidator = authorizer{}

// Errors of RFC 6749 and OpenID Connect Core that oidc has no constructor
// for (an untyped constant converts to its unexported type).
func errUnsupportedResponseType() *oidc.Error {
	return &oidc.Error{ErrorType: "unsupported_response_type", Description: "response_type must be code"}
}

func errConsentRequired() *oidc.Error {
	return &oidc.Error{ErrorType: "consent_required", Description: "the client needs the user's consent"}
}

// pkceChallenge is RFC 7636 §4.2's code_challenge: 43 to 128 characters
// of the unreserved set (an S256 challenge is 43).
var pkceChallenge = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// ValidateAuthRequest checks req for client: op's checks, and the
// provider's response type, response mode and PKCE policy.
func (a authorizer) ValidateAuthRequest(ctx context.Context, req *oidc.AuthRequest, storage op.Storage, verifier *op.IDTokenHintVerifier) (string, error) {
	client, err := storage.GetClientByClientID(ctx, req.ClientID)
	if err != nil {
		return "", oidc.ErrInvalidRequestRedirectURI().WithDescription("unknown client").WithParent(err)
	}
	if err := op.ValidateAuthReqRedirectURI(client, req.RedirectURI, oidc.ResponseTypeCode); err != nil {
		return "", err
	}
	// The redirect URI is the client's: errors go there from here on, in
	// the mode the request asked for when it is one we support, else in
	// its response type's default (the fragment for a response type that
	// issues tokens: OAuth 2.0 Multiple Response Type Encoding Practices
	// §2.1, RFC 6749 §4.2.2.1).
	askedMode := req.ResponseMode
	if !slices.Contains(ResponseModes, string(req.ResponseMode)) {
		req.ResponseMode = ""
		if slices.Contains(strings.Fields(string(req.ResponseType)), "token") || slices.Contains(strings.Fields(string(req.ResponseType)), "id_token") {
			req.ResponseMode = oidc.ResponseModeFragment
		}
	}
	switch {
	case req.ResponseType == "":
		return "", oidc.ErrInvalidRequest().WithDescription("response_type is required")
	case !slices.Contains(ResponseTypes, string(req.ResponseType)):
		return "", errUnsupportedResponseType()
	case askedMode != "" && req.ResponseMode == "":
		return "", oidc.ErrInvalidRequest().WithDescription("response_mode must be query or fragment")
	}
	// PKCE: plain is refused for everyone (it protects nothing once the
	// request is seen); S256 is required of public clients (OAuth 2.1).
	switch {
	case req.CodeChallenge != "" && req.CodeChallengeMethod != oidc.CodeChallengeMethodS256:
		return "", oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256")
	case req.CodeChallenge != "" && !pkceChallenge.MatchString(req.CodeChallenge):
		return "", oidc.ErrInvalidRequest().WithDescription("code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
	case req.CodeChallenge == "" && client.AuthMethod() == oidc.AuthMethodNone:
		return "", oidc.ErrInvalidRequest().WithDescription("code_challenge (PKCE, S256) is required for this client")
	}
	sub, err := op.ValidateAuthRequestClient(ctx, req, client, verifier)
	if err != nil {
		return "", err
	}
	// prompt=none without a session at the provider: login_required from
	// here, without the sign-in page (OpenID Connect Core §3.1.2.6).
	if slices.Contains(req.Prompt, oidc.PromptNone) {
		if r, ok := ctx.Value(browserRequestKey{}).(*http.Request); !ok || !hasSession(a.s, r) {
			return "", oidc.ErrLoginRequired()
		}
	}
	return sub, nil
}

type browserRequestKey struct{}

func hasSession(s *Service, r *http.Request) bool {
	_, ok := s.Session(r)
	return ok
}

// authorize is the authorization endpoint.
func (s *Service) authorize() http.Handler {
	a := authorizer{Provider: s.provider, s: s}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(op.ContextWithIssuer(r.Context(), s.issuer), browserRequestKey{}, r)
		op.Authorize(w, r.WithContext(ctx), a)
	})
}
