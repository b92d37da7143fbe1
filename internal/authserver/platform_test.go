package authserver_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
	"golang.org/x/oauth2"

	"github.com/cdlc/cdlc/internal/app/apptest"
)

// TestTokensOpenThePlatform: in "all" mode the tokens the provider issues
// are what the gateway and the services accept — a user signed in through
// the web client reaches their account, a service client with
// catalog:write edits the catalog — and what they are not granted, or a
// token its keys did not sign, is refused.
func TestTokensOpenThePlatform(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := startRig(t, b, map[string]string{"target": "all"})
			ctx := context.Background()

			// A user, through code + PKCE, reaches the customer service.
			conf := r.webConfig()
			verifier := oauth2.GenerateVerifier()
			q := r.login(t, browser(t), conf.AuthCodeURL("st-platform", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-platform")), r.email, r.password)
			tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
			require.NoError(t, err)
			user := []string{"Authorization", "Bearer " + tok.AccessToken}
			res := r.inst.Do("GET", "/api/v1/account", nil, user...)
			require.Equal(t, 200, res.Status, string(res.Body))
			var acct struct {
				Subject  string
				Profiles []struct{ Name string }
			}
			res.JSON(t, &acct)
			require.Equal(t, r.userID, acct.Subject)
			require.Len(t, acct.Profiles, 1)
			// ...but may not edit the catalog.
			title := map[string]any{"kind": "movie", "title": "Metropolis", "start_year": 1927}
			res = r.inst.Do("POST", "/api/v1/titles", title, user...)
			require.Equal(t, 403, res.Status, string(res.Body))

			// A service client with catalog:write may.
			cc := clientcredentialsConfig(r)
			cc.Scopes = []string{"catalog:write"}
			stok, err := cc.Token(ctx)
			require.NoError(t, err)
			service := []string{"Authorization", "Bearer " + stok.AccessToken}
			res = r.inst.Do("POST", "/api/v1/titles", title, service...)
			require.Equal(t, 201, res.Status, string(res.Body))
			// It has no account scope.
			res = r.inst.Do("GET", "/api/v1/account", nil, service...)
			require.Equal(t, 403, res.Status, string(res.Body))

			// A token signed by anyone else, even naming the provider's key
			// id, is refused at the edge.
			real, err := r.inst.App.Auth.Keys().Signing()
			require.NoError(t, err)
			other, err := rsa.GenerateKey(rand.Reader, 2048)
			require.NoError(t, err)
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: other, KeyID: real.ID()}}, (&jose.SignerOptions{}).WithType("JWT"))
			require.NoError(t, err)
			raw, _ := json.Marshal(map[string]any{"iss": r.issuer, "sub": r.userID, "aud": []string{"cdlc"}, "scope": "account", "exp": 4102444800})
			jws, err := signer.Sign(raw)
			require.NoError(t, err)
			forged, err := jws.CompactSerialize()
			require.NoError(t, err)
			res = r.inst.Do("GET", "/api/v1/account", nil, "Authorization", "Bearer "+forged)
			require.Equal(t, 401, res.Status, string(res.Body))
			// Likewise an ES256 one naming the access token key.
			realAT, err := r.inst.App.Auth.Keys().AccessSigning()
			require.NoError(t, err)
			otherEC, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			require.NoError(t, err)
			signer, err = jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: jose.JSONWebKey{Key: otherEC, KeyID: realAT.ID()}}, (&jose.SignerOptions{}).WithType("JWT"))
			require.NoError(t, err)
			jws, err = signer.Sign(raw)
			require.NoError(t, err)
			forged, err = jws.CompactSerialize()
			require.NoError(t, err)
			res = r.inst.Do("GET", "/api/v1/account", nil, "Authorization", "Bearer "+forged)
			require.Equal(t, 401, res.Status, string(res.Body))
		})
	}
}
