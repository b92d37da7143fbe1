package authserver

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// AccessClaims are an access token's claims (the contract every service
// verifies).
type AccessClaims struct {
	Issuer    string
	Subject   string
	Audience  []string
	Expiry    time.Time
	IssuedAt  time.Time
	NotBefore time.Time
	JTI       string
	ClientID  string
	Scopes    []string
	Roles     []string
}

type rawClaims struct {
	Iss      string          `json:"iss"`
	Sub      string          `json:"sub"`
	Aud      json.RawMessage `json:"aud"`
	Exp      *float64        `json:"exp"`
	Iat      *float64        `json:"iat"`
	Nbf      *float64        `json:"nbf"`
	JTI      string          `json:"jti"`
	ClientID string          `json:"client_id"`
	Scope    string          `json:"scope"`
	Roles    []string        `json:"roles"`
}

// leeway absorbs clock differences between replicas.
const leeway = 30 * time.Second

var errBadToken = errs.Unauthorized("the bearer token is not valid")

// VerifyAccessToken checks an access token completely against the
// published keys, with no network: ES256 (or RS256, the access tokens
// signed before the ES256 key existed), never "none" nor an HMAC keyed
// with a public key; a known kid whose key is of the header's algorithm;
// the issuer, "cdlc" in the audience, and exp/nbf/iat. Revocation is not
// checked here (see activeToken).
func (s *Service) VerifyAccessToken(token string) (AccessClaims, error) {
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{accessTokenAlg, idTokenAlg})
	if err != nil || len(jws.Signatures) != 1 {
		return AccessClaims{}, errBadToken
	}
	kid, alg := jws.Signatures[0].Header.KeyID, jose.SignatureAlgorithm(jws.Signatures[0].Header.Algorithm)
	var payload []byte
	for _, k := range s.keys.Public() {
		if k.id == kid && k.alg == alg {
			payload, err = jws.Verify(k.key)
			break
		}
	}
	if payload == nil || err != nil {
		return AccessClaims{}, errBadToken
	}
	var rc rawClaims
	if err := json.Unmarshal(payload, &rc); err != nil {
		return AccessClaims{}, errBadToken
	}
	var aud []string
	if err := json.Unmarshal(rc.Aud, &aud); err != nil {
		var one string
		if json.Unmarshal(rc.Aud, &one) != nil {
			return AccessClaims{}, errBadToken
		}
		aud = []string{one}
	}
	now := time.Now()
	if rc.Iss != s.Issuer() || !slices.Contains(aud, "cdlc") || rc.Exp == nil || rc.Sub == "" || rc.JTI == "" {
		return AccessClaims{}, errBadToken
	}
	c := AccessClaims{Issuer: rc.Iss, Subject: rc.Sub, Audience: aud, Expiry: unix(*rc.Exp), JTI: rc.JTI, ClientID: rc.ClientID, Scopes: strings.Fields(rc.Scope), Roles: rc.Roles}
	if rc.Iat != nil {
		c.IssuedAt = unix(*rc.Iat)
	}
	if rc.Nbf != nil {
		c.NotBefore = unix(*rc.Nbf)
	}
	if now.After(c.Expiry.Add(leeway)) || now.Add(leeway).Before(c.NotBefore) || now.Add(leeway).Before(c.IssuedAt) {
		return AccessClaims{}, errBadToken
	}
	return c, nil
}

func unix(f float64) time.Time { return time.Unix(int64(f), 0) }

type claimsKey struct{}

func claimsFrom(ctx context.Context) (AccessClaims, bool) {
	c, ok := ctx.Value(claimsKey{}).(AccessClaims)
	return c, ok
}

// precheck verifies the access token presented to userinfo or
// introspection completely (op checks signature, issuer and expiry only)
// and hands its claims to the storage through the context. Userinfo
// refuses a bad token at once; introspection reports it inactive.
func (s *Service) precheck(introspection bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var token string
		if introspection {
			_ = r.ParseForm()
			token = r.PostForm.Get("token")
		} else {
			if h := r.Header.Get("Authorization"); h != "" {
				scheme, t, _ := strings.Cut(h, " ")
				if strings.EqualFold(scheme, "Bearer") {
					token = strings.TrimSpace(t)
				}
			} else if r.Method == http.MethodPost {
				_ = r.ParseForm()
				token = r.PostForm.Get("access_token")
			}
		}
		c, err := s.VerifyAccessToken(token)
		if err == nil {
			r = r.WithContext(context.WithValue(r.Context(), claimsKey{}, c))
		} else if !introspection {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			http.Error(w, "access token invalid", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}
