package bench

// The authorization server's client-credentials token endpoint: each
// request authenticates a confidential client and signs a fresh ES256
// access token. Its throughput is tokens per second (issue 4 aims at
// 2,000 or more).
//
// The contract this file assumes:
//
//	POST /api/v1/auth/clients   Authorization: Bearer <admin token>
//	    {"name","grant_types":["client_credentials"],"scopes":[...]} -> 201 {"client":{"id"},"client_secret"}
//	POST /oauth2/token          Basic client_id:client_secret, grant_type=client_credentials -> 200

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
)

var authBasic atomic.Pointer[string]

var authTokenBody = []byte(url.Values{"grant_type": {"client_credentials"}, "scope": {"catalog:write"}}.Encode())

func init() {
	Register(Scenario{
		Name:        "auth.client_credentials",
		Description: "POST /oauth2/token, client credentials: authenticate a client, sign an ES256 access token (aim: >= 2,000 tokens/s; req/s is tokens/s)",
		Setup:       setupAuth,
		Build: func(env Env) Request {
			h := http.Header{}
			h.Set("Content-Type", "application/x-www-form-urlencoded")
			if b := authBasic.Load(); b != nil {
				h.Set("Authorization", *b)
			}
			return Request{Method: http.MethodPost, URL: env.BaseURL + "/oauth2/token", Header: h, Body: authTokenBody}
		},
		// The aim is absolute (tokens/s), not a share of the baseline.
		Status: http.StatusOK,
	})
}

// setupAuth registers the confidential client the load authenticates as.
func setupAuth(ctx context.Context, env Env) error {
	if env.Token == "" {
		return fmt.Errorf("registering a client needs the admin token: pass -token (or set CDLC_AUTH_ADMIN_TOKEN) with -target")
	}
	body, _ := json.Marshal(map[string]any{"name": "bench", "grant_types": []string{"client_credentials"}, "scopes": []string{"catalog:write"}})
	r := Request{Method: http.MethodPost, URL: env.BaseURL + "/api/v1/auth/clients", Header: bearer(env.Token), Body: body}
	r.Header.Set("Content-Type", "application/json")
	req, err := r.HTTP(ctx)
	if err != nil {
		return err
	}
	res, err := env.Client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		return fmt.Errorf("register the bench client: status %d", res.StatusCode)
	}
	var out struct {
		Client struct {
			ID string `json:"id"`
		} `json:"client"`
		Secret string `json:"client_secret"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		return fmt.Errorf("register the bench client: %w", err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(out.Client.ID)+":"+url.QueryEscape(out.Secret)))
	authBasic.Store(&basic)
	// One token first: the answer must be what the load expects.
	return send(ctx, env.Client, Request{Method: http.MethodPost, URL: env.BaseURL + "/oauth2/token",
		Header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Authorization": {basic}}, Body: authTokenBody},
		func(code int) bool { return code == http.StatusOK })
}
