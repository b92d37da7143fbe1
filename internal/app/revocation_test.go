package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app/apptest"
	"github.com/cdlc/cdlc/internal/platform/auth"
)

// A token revoked at the provider stops opening another process's API
// shortly after, with no call to the provider per request: the
// revocation travels as an event (NATS JetStream here) to every process's
// deny list.
func TestRevocationHoldsAcrossProcesses(t *testing.T) {
	b := apptest.Backends()[1] // MariaDB and NATS JetStream
	settings := b.Prepare(t)
	issuer := apptest.Start(t, with(settings, "target", "auth"))
	catalog := apptest.Start(t, with(settings, "target", "inventory", "auth.issuer", issuer.URL))

	res := issuer.Do("POST", "/api/v1/auth/clients", map[string]any{"name": "importer", "grant_types": []string{"client_credentials"}, "scopes": []string{"catalog:write"}})
	require.Equal(t, 201, res.Status, string(res.Body))
	var cc struct {
		Client struct{ ID string }
		Secret string `json:"client_secret"`
	}
	res.JSON(t, &cc)
	token := func() string {
		req, _ := http.NewRequest("POST", issuer.URL+"/oauth2/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}, "scope": {"catalog:write"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(cc.Client.ID, cc.Secret)
		r, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer r.Body.Close()
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		require.NoError(t, json.NewDecoder(r.Body).Decode(&tok))
		require.NotEmpty(t, tok.AccessToken)
		return tok.AccessToken
	}
	revoked, kept := token(), token()
	create := func(tok string) int {
		return catalog.Do("POST", "/api/v1/titles", map[string]any{"kind": "movie", "title": "Rope", "start_year": 1948}, "Authorization", "Bearer "+tok).Status
	}
	require.Equal(t, 201, create(revoked), "the token opens the catalog")

	req, _ := http.NewRequest("POST", issuer.URL+"/oauth2/revoke", strings.NewReader(url.Values{"token": {revoked}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(cc.Client.ID, cc.Secret)
	r, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	r.Body.Close()
	require.Equal(t, 200, r.StatusCode)

	require.Eventually(t, func() bool { return create(revoked) == 401 }, 10*time.Second, 20*time.Millisecond,
		"the revoked token is refused by the other process")
	require.Equal(t, 201, create(kept), "another token of the same client still works")
}

// After the account is deleted, its token neither opens the API nor
// recreates an empty account for a subject that no longer exists.
func TestDeletedAccountTokenIsRefusedEverywhere(t *testing.T) {
	i := apptest.Start(t, map[string]string{"target": "all"})
	tok := i.UserToken("user-gone", "account")
	as := func(method, path string) int {
		return i.Do(method, path, nil, "Authorization", "Bearer "+tok).Status
	}
	require.Equal(t, 200, as("GET", "/api/v1/account"))
	require.Equal(t, 204, as("DELETE", "/api/v1/account"))
	require.Eventually(t, func() bool { return as("GET", "/api/v1/account") == 401 }, 10*time.Second, 20*time.Millisecond,
		"the deleted subject is refused")
	require.Equal(t, 401, as("GET", "/api/v1/titles/tt0068646"), "everywhere, even on public routes")
}

func TestDenyListRefusesTokensFamiliesAndSubjects(t *testing.T) {
	d := auth.NewDenyList(3)
	future := time.Now().Add(time.Hour)
	d.DenyToken("g1.aaa", future)
	d.DenyFamily("g2", future)
	d.DenySubject("u3", future)
	require.True(t, d.Denied(auth.Principal{Subject: "u1", TokenID: "g1.aaa"}))
	require.False(t, d.Denied(auth.Principal{Subject: "u1", TokenID: "g1.bbb"}), "another token of the family")
	require.True(t, d.Denied(auth.Principal{Subject: "u2", TokenID: "g2.zzz"}), "any token of a revoked family")
	require.True(t, d.Denied(auth.Principal{Subject: "u3"}), "a deleted subject, static token or not")
	require.False(t, d.Denied(auth.Principal{Subject: "u4", TokenID: "g4.x"}))
	d.DenyToken("old", time.Now().Add(-time.Second))
	require.Equal(t, 3, d.Len(), "an expired entry is not kept")
	d.DenyToken("g5.x", future.Add(time.Hour))
	require.Equal(t, 3, d.Len(), "bounded: the entry closest to expiry goes")
	require.True(t, d.Denied(auth.Principal{TokenID: "g5.x"}))
}
