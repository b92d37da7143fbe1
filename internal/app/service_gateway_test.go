package app_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/app/apptest"
	"github.com/cdlc/cdlc/internal/platform/auth/authtest"
	"github.com/cdlc/cdlc/internal/platform/testenv"
)

// issuer serves a test issuer's discovery document and keys over HTTP.
func issuer(t *testing.T) *authtest.Issuer {
	t.Helper()
	iss := authtest.New("")
	require.NoError(t, iss.Serve())
	t.Cleanup(func() { iss.Close() })
	return iss
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// With the services in the same process the gateway fronts the listener:
// it checks the issuer's JWTs and the route's scopes, calls the services in
// process, and sets the security headers; the static admin token still
// works. The issuer is another process (no auth target here: with it, the
// verifier reads the process's own keyring, see TestAllModeTokens).
func TestGatewayFrontsAllMode(t *testing.T) {
	iss := issuer(t)
	in := apptest.Start(t, map[string]string{"auth.issuer": iss.URL, "target": "gateway,inventory,actor,customer,config"})
	editor := iss.Mint(authtest.Claims{Subject: "op-1", Scope: "catalog:write", Roles: []string{"operator"}})
	customer := iss.Mint(authtest.Claims{Subject: "u-1", Scope: "openid account", Roles: []string{"customer"}})
	body := map[string]any{"kind": "movie", "title": "Alien", "start_year": 1979}

	res := in.Do("POST", "/api/v1/titles", body, bearer(editor)...)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	var created titleJSON
	res.JSON(t, &created)
	require.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
	require.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
	require.NotEmpty(t, res.Header.Get("Content-Security-Policy"))
	require.NotEmpty(t, res.Header.Get("X-Request-ID"))

	res = in.Do("POST", "/api/v1/titles", body, bearer(customer)...)
	require.Equal(t, http.StatusForbidden, res.Status, string(res.Body))
	require.Contains(t, res.Header.Get("WWW-Authenticate"), `error="insufficient_scope"`)

	res = in.Do("POST", "/api/v1/titles", body, "Authorization", "")
	require.Equal(t, http.StatusUnauthorized, res.Status)
	require.Contains(t, res.Header.Get("WWW-Authenticate"), `scope="catalog:write"`)

	forged := iss.MintWith(authtest.NewKey("RS256"), authtest.Claims{Scope: "catalog:write"})
	res = in.Do("GET", "/api/v1/titles/"+created.ID, nil, bearer(forged)...)
	require.Equal(t, http.StatusUnauthorized, res.Status)

	res = in.Do("GET", "/api/v1/titles/"+created.ID, nil, "Authorization", "")
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	res = in.Do("POST", "/api/v1/titles", body)
	require.Equal(t, http.StatusCreated, res.Status, "the static admin token: %s", res.Body)

	// Paths outside the route table are the process's own.
	require.Equal(t, http.StatusOK, in.Do("GET", "/healthz", nil).Status)
	require.Equal(t, http.StatusOK, in.Do("GET", "/admin/config", nil).Status)
	require.Equal(t, http.StatusUnauthorized, in.Do("GET", "/admin/config", nil, "Authorization", "").Status)
}

// Split: --target=gateway proxies to a --target=inventory,actor process,
// which verifies the forwarded token itself; without a gateway the
// services answer directly, still checking tokens.
func TestGatewaySplitProxiesToServices(t *testing.T) {
	iss := issuer(t)
	services := apptest.Start(t, map[string]string{"target": "inventory,actor", "auth.issuer": iss.URL})
	gw := apptest.Start(t, map[string]string{"target": "gateway", "auth.issuer": iss.URL,
		"peers.inventory": services.URL, "peers.actor": services.URL})
	editor := iss.Mint(authtest.Claims{Subject: "op-1", Scope: "catalog:write", Roles: []string{"operator"}})

	res := gw.Do("POST", "/api/v1/titles", map[string]any{"kind": "movie", "title": "Heat", "start_year": 1995}, bearer(editor)...)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	var heat titleJSON
	res.JSON(t, &heat)
	res = gw.Do("POST", "/api/v1/people", map[string]any{"name": "Al Pacino", "professions": []string{"actor"}}, bearer(editor)...)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	var pacino actor.Person
	res.JSON(t, &pacino)
	res = gw.Do("POST", "/api/v1/credits", map[string]any{"credits": []any{map[string]any{
		"title_id": heat.ID, "person_id": pacino.ID, "department": actor.DeptActing, "job": "actor", "order": 1,
	}}}, bearer(editor)...)
	require.Less(t, res.Status, 300, string(res.Body))

	require.Eventually(t, func() bool {
		res = gw.Do("GET", "/api/v1/titles/"+heat.ID+"?append=credits", nil, "Authorization", "")
		return res.Status == 200 && strings.Contains(string(res.Body), pacino.ID)
	}, 10*time.Second, 50*time.Millisecond, "a catalog read through the gateway: %s", res.Body)
	require.Equal(t, "DENY", res.Header.Get("X-Frame-Options"))
	res = gw.Do("GET", "/api/v1/titles/"+heat.ID+"/credits", nil, "Authorization", "")
	require.Equal(t, 200, res.Status, string(res.Body))

	// Refused at the edge, never reaching the services.
	res = gw.Do("DELETE", "/api/v1/titles/"+heat.ID, nil, "Authorization", "")
	require.Equal(t, http.StatusUnauthorized, res.Status)
	// A service not deployed anywhere this gateway knows.
	res = gw.Do("GET", "/api/v1/account", nil, bearer(iss.Mint(authtest.Claims{Scope: "account"}))...)
	require.Equal(t, http.StatusServiceUnavailable, res.Status, string(res.Body))

	var ready struct{ Checks map[string]string }
	gw.Do("GET", "/readyz", nil).JSON(t, &ready)
	require.Equal(t, "ok", ready.Checks["peer:inventory"])

	// Without the gateway module, the services answer directly (no edge
	// headers) and still verify tokens.
	res = services.Do("PATCH", "/api/v1/titles/"+heat.ID, map[string]any{"title": "Heat (1995)"}, "Authorization", "Bearer "+iss.MintWith(authtest.NewKey("RS256"), authtest.Claims{Scope: "catalog:write"}))
	require.Equal(t, http.StatusUnauthorized, res.Status)
	res = services.Do("GET", "/api/v1/titles/"+heat.ID, nil, bearer(editor)...)
	require.Equal(t, http.StatusOK, res.Status)
	require.Empty(t, res.Header.Get("X-Frame-Options"))
}

// Two gateway processes with cache.driver=redis draw from one rate-limit
// budget per client address.
func TestGatewayReplicasShareRateLimitInRedis(t *testing.T) {
	addr := testenv.Get("CDLC_TEST_REDIS_ADDR", "127.0.0.1:6379")
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		testenv.Missing(t, "redis at "+addr+" (set CDLC_TEST_REDIS_ADDR)", err)
	}
	services := apptest.Start(t, map[string]string{"target": "inventory,actor"})
	settings := map[string]string{"target": "gateway", "peers.inventory": services.URL, "peers.actor": services.URL,
		"cache.driver": "redis", "cache.redis.addr": addr, "cache.redis.key_prefix": fmt.Sprintf("cdlc-test-%d-%d:", os.Getpid(), time.Now().UnixNano()),
		"gateway.limits.default.ip.rate": "0.01", "gateway.limits.default.ip.burst": "4"}
	replicas := []*apptest.Instance{apptest.Start(t, settings), apptest.Start(t, settings)}
	var ready struct{ Checks map[string]string }
	replicas[0].Do("GET", "/readyz", nil).JSON(t, &ready)
	require.Equal(t, "ok", ready.Checks["gateway:ratelimit"])

	codes := map[int]int{}
	for i := range 8 {
		res := replicas[i%2].Do("GET", "/api/v1/discover/titles", nil, "Authorization", "")
		codes[res.Status]++
		if res.Status == http.StatusTooManyRequests {
			require.NotEmpty(t, res.Header.Get("Retry-After"))
		}
	}
	require.Equal(t, map[int]int{200: 4, 429: 4}, codes, "one budget of 4 across both replicas")
}
