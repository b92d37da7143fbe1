package gateway_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/gateway"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/auth/authtest"
	"github.com/cdlc/cdlc/internal/platform/httpx"
	"github.com/cdlc/cdlc/internal/platform/resilience"
	"github.com/cdlc/cdlc/internal/platform/testenv"
)

// seen is what an upstream received.
type seen struct {
	mu      sync.Mutex
	hits    atomic.Int64
	header  http.Header
	path    string
	who     auth.Principal
	hasWho  bool
	service string
}

func (s *seen) handler(service string, status func(n int64) int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.hits.Add(1)
		s.mu.Lock()
		s.header = r.Header.Clone()
		s.path = r.URL.Path
		s.who, s.hasWho = auth.FromContext(r.Context())
		s.service = service
		s.mu.Unlock()
		code := 200
		if status != nil {
			code = status(n)
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, "%s %d", service, n)
	})
}

type fixture struct {
	iss *authtest.Issuer
	gw  *gateway.Gateway
	up  *seen
}

func testConfig() gateway.Config {
	cfg := gateway.Defaults()
	cfg.RetryInitial = time.Millisecond
	return cfg
}

// inProcess makes a gateway whose every service runs "in process" (the
// local handler records what it got).
func inProcess(t *testing.T, cfg gateway.Config) *fixture {
	t.Helper()
	f := &fixture{iss: authtest.New("https://id.example"), up: &seen{}}
	var chain auth.Chain
	chain.Add("static-admin", auth.Principal{Subject: "admin", Scopes: []string{"admin", "catalog:write"}, Roles: []string{"admin"}})
	v, err := auth.NewJWTVerifier(auth.JWTOptions{Issuer: f.iss.URL, Keys: f.iss})
	require.NoError(t, err)
	chain.Use(v)
	f.gw, err = gateway.New(gateway.Options{Routes: app.Routes(), Config: cfg, Verifier: &chain, Local: f.up.handler("local", nil),
		InProcess: func(string) bool { return true }})
	require.NoError(t, err)
	return f
}

func (f *fixture) do(method, path, token string, hdr ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	r.RemoteAddr = "198.51.100.7:5555"
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	f.gw.ServeHTTP(w, r)
	return w
}

func TestRouteTable(t *testing.T) {
	f := inProcess(t, testConfig())
	cases := []struct {
		method, path, service, class string
	}{
		{"GET", "/.well-known/openid-configuration", "auth", gateway.ClassDefault},
		{"POST", "/oauth2/token", "auth", gateway.ClassToken},
		{"GET", "/oauth2/authorize", "auth", gateway.ClassDefault},
		{"GET", "/oauth2/keys", "auth", gateway.ClassDefault},
		{"POST", "/oauth2/device_authorization", "auth", gateway.ClassToken},
		{"POST", "/id/login", "auth", gateway.ClassLogin},
		{"GET", "/id/consent", "auth", gateway.ClassDefault},
		{"GET", "/api/v1/auth/clients", "auth", gateway.ClassDefault},
		{"GET", "/api/v1/account", "customer", gateway.ClassDefault},
		{"PUT", "/api/v1/account/profiles/p1/preferences", "customer", gateway.ClassDefault},
		{"GET", "/api/v1/titles/tt1", "inventory", gateway.ClassDefault},
		{"GET", "/api/v1/titles", "inventory", gateway.ClassDefault},
		{"GET", "/api/v1/titles/tt1/seasons/1", "inventory", gateway.ClassDefault},
		{"GET", "/api/v1/discover/titles", "inventory", gateway.ClassDefault},
		{"GET", "/api/v1/search/titles/autocomplete", "inventory", gateway.ClassDefault},
		{"GET", "/api/v1/search/multi", "inventory", gateway.ClassDefault},
		{"GET", "/api/v1/search/multi/autocomplete", "inventory", gateway.ClassDefault},
		{"GET", "/api/v1/genres", "inventory", gateway.ClassDefault},
		{"GET", "/api/v1/titles/tt1/credits", "actor", gateway.ClassDefault},
		{"DELETE", "/api/v1/titles/tt1/credits/nm1", "actor", gateway.ClassDefault},
		{"GET", "/api/v1/people/nm1/credits", "actor", gateway.ClassDefault},
		{"POST", "/api/v1/credits", "actor", gateway.ClassDefault},
		{"GET", "/api/v1/search/people", "actor", gateway.ClassDefault},
		{"GET", "/api/v1/config/cdlc/default/watch", "config", gateway.ClassDefault},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.path, nil)
		rt := f.gw.Route(r)
		require.NotNil(t, rt, "%s %s", c.method, c.path)
		require.Equal(t, c.service, rt.Service, "%s %s", c.method, c.path)
		require.Equal(t, c.class, rt.Class, "%s %s", c.method, c.path)
	}
	for _, p := range []string{"/", "/healthz", "/readyz", "/metrics", "/docs", "/openapi.json", "/auth/callback", "/titles/tt1", "/cdlc.inventory.v1.InventoryService/GetTitles"} {
		require.Nil(t, f.gw.Route(httptest.NewRequest("GET", p, nil)), p)
	}
	rt := f.gw.Route(httptest.NewRequest("GET", "/api/v1/config/cdlc/default/watch", nil))
	require.Negative(t, rt.Timeout, "the config watch (a long poll) has no gateway timeout")
}

// Scopes and roles are enforced at the edge; a refused request never
// reaches the service, an accepted one reaches it with the principal.
func TestScopesAndRoles(t *testing.T) {
	f := inProcess(t, testConfig())
	reader := f.iss.Mint(authtest.Claims{Subject: "u1", Scope: "openid account", Roles: []string{"customer"}})
	editor := f.iss.Mint(authtest.Claims{Subject: "op", Scope: "catalog:write", Roles: []string{"operator"}})
	service := f.iss.Mint(authtest.Claims{Subject: "svc", ClientID: "svc", Scope: "catalog:write"})
	cases := []struct {
		name, method, path, token string
		status                    int
		challenge                 string
	}{
		{"anonymous catalog read", "GET", "/api/v1/titles/tt1", "", 200, ""},
		{"anonymous catalog write", "POST", "/api/v1/titles", "", 401, `Bearer realm="cdlc", scope="catalog:write"`},
		{"customer catalog write", "PATCH", "/api/v1/titles/tt1", reader, 403, `Bearer realm="cdlc", error="insufficient_scope", scope="catalog:write"`},
		{"operator catalog write", "PATCH", "/api/v1/titles/tt1", editor, 200, ""},
		{"service client catalog write", "POST", "/api/v1/credits", service, 200, ""},
		{"static admin token", "DELETE", "/api/v1/people/nm1", "static-admin", 200, ""},
		{"anonymous account", "GET", "/api/v1/account", "", 401, `Bearer realm="cdlc", scope="account"`},
		{"account without scope", "GET", "/api/v1/account", editor, 403, `Bearer realm="cdlc", error="insufficient_scope", scope="account"`},
		{"own account", "GET", "/api/v1/account/profiles", reader, 200, ""},
		{"operator API as customer", "GET", "/api/v1/auth/users", reader, 403, ""},
		{"operator API as operator", "GET", "/api/v1/auth/users", editor, 200, ""},
		{"operator API as service client", "GET", "/api/v1/auth/clients", service, 403, ""},
		{"config read without scope", "GET", "/api/v1/config/cdlc/default", reader, 403, `Bearer realm="cdlc", error="insufficient_scope", scope="config:read"`},
		{"token endpoint anonymous", "POST", "/oauth2/token", "", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := f.up.hits.Load()
			w := f.do(c.method, c.path, c.token)
			require.Equal(t, c.status, w.Code, w.Body.String())
			require.Equal(t, c.challenge, w.Header().Get("WWW-Authenticate"))
			if c.status != 200 {
				require.Equal(t, before, f.up.hits.Load(), "a refused request must not reach the service")
				require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
				return
			}
			require.Equal(t, before+1, f.up.hits.Load())
			if c.token != "" {
				require.True(t, f.up.hasWho, "the principal rides in the context")
			}
		})
	}
	w := f.do("GET", "/api/v1/account", reader)
	require.Equal(t, 200, w.Code)
	who := f.up.who
	require.NotEmpty(t, who.TokenID, "the token's id rides along, for revocation")
	who.TokenID = ""
	require.Equal(t, auth.Principal{Subject: "u1", ClientID: "cdlc-web", Scopes: []string{"openid", "account"}, Roles: []string{"customer"}}, who)
}

// Forged and stale tokens are refused at the edge with 401 invalid_token,
// even on routes that allow anonymous callers.
func TestAttackTokensRefusedAtTheEdge(t *testing.T) {
	f := inProcess(t, testConfig())
	key := f.iss.Key()
	pubDER, _ := x509.MarshalPKIXPublicKey(key.Private.Public())
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, f.iss.MapClaims(authtest.Claims{Scope: "catalog:write admin"}))
	hs.Header["kid"] = key.KID
	hsTok, _ := hs.SignedString(pubPEM)
	none := jwt.NewWithClaims(jwt.SigningMethodNone, f.iss.MapClaims(authtest.Claims{Scope: "catalog:write"}))
	none.Header["kid"] = key.KID
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	now := time.Now()
	for name, tok := range map[string]string{
		"alg none":              noneTok,
		"HS256 with public key": hsTok,
		"expired":               f.iss.Mint(authtest.Claims{Scope: "catalog:write", IssuedAt: now.Add(-2 * time.Hour), Expires: now.Add(-time.Hour)}),
		"not yet valid":         f.iss.Mint(authtest.Claims{Scope: "catalog:write", NotBefore: now.Add(time.Hour)}),
		"wrong audience":        f.iss.Mint(authtest.Claims{Scope: "catalog:write", Audience: []string{"elsewhere"}}),
		"wrong issuer":          f.iss.Mint(authtest.Claims{Scope: "catalog:write", Issuer: "https://evil.example"}),
		"unknown key":           f.iss.MintWith(authtest.NewKey("RS256"), authtest.Claims{Scope: "catalog:write"}),
	} {
		for _, m := range []string{"GET", "POST"} {
			before := f.up.hits.Load()
			w := f.do(m, "/api/v1/titles", tok)
			require.Equal(t, 401, w.Code, "%s %s: %s", name, m, w.Body.String())
			require.Equal(t, `Bearer error="invalid_token"`, w.Header().Get("WWW-Authenticate"), name)
			require.Equal(t, before, f.up.hits.Load(), name)
		}
	}
	w := f.do("GET", "/api/v1/titles", "", "Authorization", "Basic YWRtaW46YWRtaW4=")
	require.Equal(t, 401, w.Code)
	require.Equal(t, `Bearer error="invalid_request"`, w.Header().Get("WWW-Authenticate"))

	// The provider's protocol endpoints take OAuth client authentication
	// (HTTP Basic) in the same header: it passes to the provider, which
	// checks it; a bearer token there is still verified at the edge.
	for _, path := range []string{"/oauth2/token", "/oauth2/revoke", "/oauth2/introspect", "/oauth2/device_authorization"} {
		before := f.up.hits.Load()
		w = f.do("POST", path, "", "Authorization", "Basic YWRtaW46YWRtaW4=")
		require.Equal(t, 200, w.Code, "%s: %s", path, w.Body.String())
		require.Equal(t, before+1, f.up.hits.Load(), path)
	}
	w = f.do("POST", "/oauth2/token", "not-a-jwt")
	require.Equal(t, 401, w.Code)
	require.Equal(t, `Bearer error="invalid_token"`, w.Header().Get("WWW-Authenticate"))
}

func TestSecurityHeaders(t *testing.T) {
	cfg := testConfig()
	cfg.TrustedProxies = []string{"10.0.0.0/8"}
	f := inProcess(t, cfg)
	w := f.do("GET", "/api/v1/titles/tt1", "")
	require.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))
	require.Equal(t, "DENY", w.Header().Get("X-Frame-Options"))
	require.Equal(t, "strict-origin-when-cross-origin", w.Header().Get("Referrer-Policy"))
	require.Contains(t, w.Header().Get("Content-Security-Policy"), "frame-ancestors 'none'")
	require.Empty(t, w.Header().Get("Strict-Transport-Security"), "no HSTS over plain HTTP")

	// A forged X-Forwarded-Proto from the open internet does not turn HSTS on.
	w = f.do("GET", "/", "", "X-Forwarded-Proto", "https")
	require.Empty(t, w.Header().Get("Strict-Transport-Security"))

	// Behind a trusted TLS-terminating proxy it does.
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "10.1.2.3:443"
	r.Header.Set("X-Forwarded-Proto", "https")
	rec := httptest.NewRecorder()
	f.gw.ServeHTTP(rec, r)
	require.Contains(t, rec.Header().Get("Strict-Transport-Security"), "max-age=31536000")
}

// The per-IP bucket refuses with 429, Retry-After and RateLimit headers;
// a separate client or address has its own budget.
func TestRateLimitLocal(t *testing.T) {
	cfg := testConfig()
	cfg.Limits.Default = gateway.ClassLimits{IP: gateway.Limit{Rate: 0.001, Burst: 3}, Client: gateway.Limit{Rate: 0.001, Burst: 2}}
	cfg.Limits.Login = gateway.ClassLimits{IP: gateway.Limit{Rate: 0.001, Burst: 1}}
	f := inProcess(t, cfg)
	for i := range 3 {
		w := f.do("GET", "/api/v1/titles/tt1", "")
		require.Equal(t, 200, w.Code)
		require.Equal(t, "3", w.Header().Get("RateLimit-Limit"))
		require.Equal(t, strconv.Itoa(2-i), w.Header().Get("RateLimit-Remaining"))
	}
	w := f.do("GET", "/api/v1/titles/tt1", "")
	require.Equal(t, 429, w.Code)
	require.Equal(t, "application/problem+json", w.Header().Get("Content-Type"))
	ra, err := strconv.Atoi(w.Header().Get("Retry-After"))
	require.NoError(t, err)
	require.Greater(t, ra, 0)
	require.Equal(t, "0", w.Header().Get("RateLimit-Remaining"))

	// The login class has its own, stricter bucket.
	require.Equal(t, 200, f.do("POST", "/id/login", "").Code)
	require.Equal(t, 429, f.do("POST", "/id/login", "").Code)

	// Another address is not affected.
	r := httptest.NewRequest("GET", "/api/v1/titles/tt1", nil)
	r.RemoteAddr = "203.0.113.9:1"
	rec := httptest.NewRecorder()
	f.gw.ServeHTTP(rec, r)
	require.Equal(t, 200, rec.Code)

	// Per client: the third request of one client is refused, from any address.
	tok := f.iss.Mint(authtest.Claims{Subject: "u9", ClientID: "app-9"})
	for i, want := range []int{200, 200, 429} {
		r := httptest.NewRequest("GET", "/api/v1/titles/tt1", nil)
		r.RemoteAddr = fmt.Sprintf("192.0.2.%d:1", i+1)
		r.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		f.gw.ServeHTTP(rec, r)
		require.Equal(t, want, rec.Code, "request %d", i)
	}
}

// Two gateway replicas with the Redis limiter draw from one budget.
func TestRateLimitSharedInRedis(t *testing.T) {
	addr := testenv.Get("CDLC_TEST_REDIS_ADDR", "127.0.0.1:6379")
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		testenv.Missing(t, "redis at "+addr+" (set CDLC_TEST_REDIS_ADDR)", err)
	}
	prefix := fmt.Sprintf("cdlc-test-%d-%d:", os.Getpid(), time.Now().UnixNano())
	cfg := testConfig()
	cfg.Limits.Default.IP = gateway.Limit{Rate: 0.01, Burst: 6}
	up := &seen{}
	var replicas []*gateway.Gateway
	for range 2 {
		// Each replica has its own client, as two processes would.
		c := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { c.Close() })
		g, err := gateway.New(gateway.Options{Routes: app.Routes(), Config: cfg, Verifier: &auth.Chain{}, Local: up.handler("local", nil),
			InProcess: func(string) bool { return true }, Limiter: gateway.NewRedisLimiter(c, prefix)})
		require.NoError(t, err)
		replicas = append(replicas, g)
	}
	allowed, refused := 0, 0
	for i := range 10 {
		r := httptest.NewRequest("GET", "/api/v1/titles/tt1", nil)
		r.RemoteAddr = "198.51.100.20:1"
		w := httptest.NewRecorder()
		replicas[i%2].ServeHTTP(w, r)
		switch w.Code {
		case 200:
			allowed++
		case 429:
			refused++
			require.NotEmpty(t, w.Header().Get("Retry-After"))
		default:
			t.Fatalf("status %d", w.Code)
		}
	}
	require.Equal(t, 6, allowed, "both replicas share one bucket of 6")
	require.Equal(t, 4, refused)
	require.Equal(t, int64(6), up.hits.Load())
}

// remote makes a gateway proxying every service to one upstream server.
func remote(t *testing.T, cfg gateway.Config, h http.Handler) (*gateway.Gateway, *authtest.Issuer) {
	t.Helper()
	return remoteWith(t, cfg, h, nil)
}

// remoteWith is remote with the breakers' states exported to metrics.
func remoteWith(t *testing.T, cfg gateway.Config, h http.Handler, metrics *resilience.BreakerMetrics) (*gateway.Gateway, *authtest.Issuer) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	iss := authtest.New("https://id.example")
	v, err := auth.NewJWTVerifier(auth.JWTOptions{Issuer: iss.URL, Keys: iss})
	require.NoError(t, err)
	peers := map[string]string{}
	for _, s := range []string{"auth", "customer", "inventory", "actor", "config"} {
		peers[s] = srv.URL
	}
	g, err := gateway.New(gateway.Options{Routes: app.Routes(), Config: cfg, Verifier: v, Local: http.NotFoundHandler(), Peers: peers, Breakers: metrics})
	require.NoError(t, err)
	return g, iss
}

func serve(g http.Handler, method, path string, hdr ...string) *httptest.ResponseRecorder {
	var body io.Reader
	if method == "POST" || method == "PUT" {
		body = strings.NewReader(`{"x":1}`)
	}
	r := httptest.NewRequest(method, path, body)
	r.RemoteAddr = "198.51.100.7:5555"
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Add(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	return w
}

// Proxied: the caller's Authorization goes on unchanged, forged identity
// headers do not, the request id and trace context do.
func TestProxyForwardsIdentityHonestly(t *testing.T) {
	up := &seen{}
	g, iss := remote(t, testConfig(), up.handler("remote", nil))
	tok := iss.Mint(authtest.Claims{Subject: "u1", Scope: "account"})
	w := serve(g, "GET", "/api/v1/account/profiles", "Authorization", "Bearer "+tok,
		"X-Cdlc-Subject", "admin", "X-CDLC-Roles", "admin", "X-Forwarded-For", "1.2.3.4", "X-Real-IP", "1.2.3.4",
		"Forwarded", "for=1.2.3.4", "X-Request-ID", "req-123",
		"Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	require.Equal(t, 200, w.Code, w.Body.String())
	require.Equal(t, "/api/v1/account/profiles", up.path)
	require.Equal(t, "Bearer "+tok, up.header.Get("Authorization"), "Authorization is forwarded unchanged")
	require.Empty(t, up.header.Get("X-Cdlc-Subject"))
	require.Empty(t, up.header.Get("X-Cdlc-Roles"))
	require.Empty(t, up.header.Get("X-Real-Ip"))
	require.Empty(t, up.header.Get("Forwarded"))
	require.Equal(t, "198.51.100.7", up.header.Get("X-Forwarded-For"), "only the real peer, not the forged chain")
	require.Contains(t, up.header.Get("Traceparent"), "4bf92f3577b34da6a3ce929d0e0e4736", "the trace goes on")
	require.False(t, up.hasWho, "a remote service verifies the token itself")
}

// Idempotent requests are retried on 502/503/504; POST never is.
func TestRetriesOnlyIdempotent(t *testing.T) {
	cfg := testConfig()
	cfg.RetryAttempts = 3
	cfg.Breaker.FailureThreshold = 100
	for _, c := range []struct {
		method   string
		status   int
		hits     int64
		scenario string
	}{
		{"GET", 200, 3, "two 503s then a success"},
		{"HEAD", 200, 3, "two 503s then a success"},
		{"POST", 503, 1, "no retry"},
		{"PUT", 503, 1, "no retry"},
		{"DELETE", 503, 1, "no retry"},
		{"PATCH", 503, 1, "no retry"},
	} {
		t.Run(c.method, func(t *testing.T) {
			up := &seen{}
			g, _ := remote(t, cfg, up.handler("remote", func(n int64) int {
				if n < 3 {
					return 503
				}
				return 200
			}))
			// Writes go to a route open to anonymous callers, so that only
			// the retry policy differs.
			path := "/oauth2/revoke"
			if c.method == "GET" || c.method == "HEAD" {
				path = "/api/v1/titles/tt1"
			}
			w := serve(g, c.method, path)
			require.Equal(t, c.status, w.Code, c.scenario)
			require.Equal(t, c.hits, up.hits.Load(), c.scenario)
		})
	}
	// The provider's flows are not repeated, even for a GET.
	up0 := &seen{}
	g0, _ := remote(t, cfg, up0.handler("remote", func(int64) int { return 503 }))
	require.Equal(t, 503, serve(g0, "GET", "/oauth2/authorize?client_id=x").Code)
	require.Equal(t, int64(1), up0.hits.Load(), "NoRetry route")
	require.Equal(t, 503, serve(g0, "GET", "/oauth2/keys").Code)
	require.Equal(t, int64(4), up0.hits.Load(), "the key set is a plain read")

	// A 500 is the service's own failure: not retried.
	up := &seen{}
	g, _ := remote(t, cfg, up.handler("remote", func(int64) int { return 500 }))
	require.Equal(t, 500, serve(g, "GET", "/api/v1/titles/tt1").Code)
	require.Equal(t, int64(1), up.hits.Load())
}

// A failing upstream opens its breaker: further calls are answered 503
// with Retry-After without reaching it; other upstreams are unaffected.
func TestBreakerOpensOnFailingUpstream(t *testing.T) {
	cfg := testConfig()
	cfg.RetryAttempts = 1
	cfg.Breaker = gateway.BreakerConfig{FailureThreshold: 3, OpenTimeout: time.Minute}
	up := &seen{}
	g, _ := remote(t, cfg, up.handler("remote", func(int64) int { return 500 }))
	for range 3 {
		require.Equal(t, 500, serve(g, "GET", "/api/v1/titles/tt1").Code)
	}
	w := serve(g, "GET", "/api/v1/titles/tt1")
	require.Equal(t, 503, w.Code, w.Body.String())
	ra, err := strconv.Atoi(w.Header().Get("Retry-After"))
	require.NoError(t, err)
	require.Greater(t, ra, 50)
	require.LessOrEqual(t, ra, 60)
	require.Contains(t, w.Body.String(), "circuit open")
	require.Equal(t, int64(3), up.hits.Load(), "an open breaker does not call the upstream")
	// The actor upstream has its own breaker, still closed.
	require.Equal(t, 500, serve(g, "GET", "/api/v1/people/nm1").Code)
	require.Equal(t, int64(4), up.hits.Load())
}

// In process too, a service answering 5xx opens its breaker.
func TestBreakerInProcess(t *testing.T) {
	cfg := testConfig()
	cfg.Breaker = gateway.BreakerConfig{FailureThreshold: 2, OpenTimeout: time.Minute}
	up := &seen{}
	g, err := gateway.New(gateway.Options{Routes: app.Routes(), Config: cfg, Verifier: &auth.Chain{}, InProcess: func(string) bool { return true },
		Local: up.handler("local", func(int64) int { return 503 })})
	require.NoError(t, err)
	require.Equal(t, 503, serve(g, "GET", "/api/v1/genres").Code)
	require.Equal(t, 503, serve(g, "GET", "/api/v1/genres").Code)
	w := serve(g, "GET", "/api/v1/genres")
	require.Equal(t, 503, w.Code)
	require.NotEmpty(t, w.Header().Get("Retry-After"))
	require.Equal(t, int64(2), up.hits.Load())
}

// A slow upstream is cut at the route's timeout with 504.
func TestUpstreamTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.Timeout = 50 * time.Millisecond
	cfg.RetryAttempts = 1
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	g, _ := remote(t, cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	w := serve(g, "GET", "/api/v1/titles/tt1")
	require.Equal(t, 504, w.Code, w.Body.String())
}

// A service neither here nor configured as a peer answers 503.
func TestUnknownUpstream(t *testing.T) {
	g, err := gateway.New(gateway.Options{Routes: app.Routes(), Config: testConfig(), Verifier: &auth.Chain{}, Local: http.NotFoundHandler()})
	require.NoError(t, err)
	w := serve(g, "GET", "/api/v1/titles/tt1")
	require.Equal(t, 503, w.Code)
	require.Contains(t, w.Body.String(), "peers.inventory")
}

// Behind a trusted proxy the client is the right-most untrusted address of
// X-Forwarded-For; from anyone else the header is ignored (and dropped), so
// a client cannot dodge its bucket by inventing addresses.
func TestClientAddressForRateLimits(t *testing.T) {
	cfg := testConfig()
	cfg.TrustedProxies = []string{"10.0.0.0/8"}
	cfg.Limits.Default.IP = gateway.Limit{Rate: 0.001, Burst: 1}
	f := inProcess(t, cfg)
	send := func(peer, xff string) int {
		r := httptest.NewRequest("GET", "/api/v1/titles/tt1", nil)
		r.RemoteAddr = peer + ":1234"
		if xff != "" {
			r.Header.Set("X-Forwarded-For", xff)
		}
		w := httptest.NewRecorder()
		f.gw.ServeHTTP(w, r)
		return w.Code
	}
	require.Equal(t, 200, send("10.1.1.1", "203.0.113.5, 10.2.2.2"))
	require.Equal(t, 429, send("10.3.3.3", "203.0.113.5"), "same client through another proxy")
	require.Equal(t, 200, send("10.1.1.1", "203.0.113.6"), "another client through the same proxy")
	require.Equal(t, "203.0.113.6", f.up.header.Get("X-Forwarded-For"), "in process the trusted proxy's header is kept")

	require.Equal(t, 200, send("198.51.100.50", "192.0.2.1"))
	require.Equal(t, 429, send("198.51.100.50", "192.0.2.2"), "an untrusted peer's X-Forwarded-For does not count")
	require.Empty(t, f.up.header.Get("X-Forwarded-For"), "and is not passed on")
}

// A proxied answer carries each edge header once: the upstream, a cdlc
// process with the same middleware, sets its own request id (the one the
// gateway sent), Vary: Origin and CORS headers, which the edge has already
// set on the response.
func TestProxiedResponseHasEdgeHeadersOnce(t *testing.T) {
	cors := httpx.NewCORS([]string{"*"})
	edge := func(h http.Handler) http.Handler { return httpx.Chain(h, httpx.RequestID(), cors.Middleware()) }
	up := &seen{}
	service := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		w.Header().Set("Content-Type", "application/json")
		up.handler("remote", nil).ServeHTTP(w, r)
	})
	g, _ := remote(t, testConfig(), edge(service))
	w := serve(edge(g), "GET", "/api/v1/titles/tt1", "Origin", "https://app.example", "X-Request-ID", "req-123")
	require.Equal(t, 200, w.Code, w.Body.String())
	require.Equal(t, "req-123", up.header.Get("X-Request-Id"), "the upstream got the edge's request id")
	require.Equal(t, []string{"req-123"}, w.Header().Values("X-Request-Id"))
	require.Equal(t, []string{"*"}, w.Header().Values("Access-Control-Allow-Origin"))
	var vary []string
	for _, v := range w.Header().Values("Vary") {
		for _, tok := range strings.Split(v, ",") {
			vary = append(vary, strings.TrimSpace(tok))
		}
	}
	require.ElementsMatch(t, []string{"Origin", "Accept-Encoding"}, vary, "the upstream's other Vary tokens stay")
	require.Equal(t, []string{"application/json"}, w.Header().Values("Content-Type"), "the upstream's own headers pass")
}

// An answer of unknown length (chunked, as huma writes bodies) reaches the
// client whole and with its length; a longer one and server-sent events
// pass as streams.
func TestProxyAnswersOfUnknownLength(t *testing.T) {
	big := strings.Repeat("b", 100<<10)
	released := make(chan struct{})
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		switch r.URL.Path {
		case "/api/v1/titles/small":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"a":"`+strings.Repeat("x", 3000))
			_ = rc.Flush() // chunked from here
			_, _ = io.WriteString(w, `"}`)
		case "/api/v1/titles/big":
			_, _ = io.WriteString(w, big[:10])
			_ = rc.Flush()
			_, _ = io.WriteString(w, big[10:])
		case "/api/v1/config/events":
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, ": watching\n\n")
			_ = rc.Flush()
			<-released
			_, _ = io.WriteString(w, "data: done\n\n")
		}
	})
	g, iss := remote(t, testConfig(), up)
	front := httptest.NewServer(g)
	defer front.Close()

	res, err := http.Get(front.URL + "/api/v1/titles/small")
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, int64(3008), res.ContentLength, "the length is known: no chunks")
	require.Len(t, b, 3008)
	require.True(t, strings.HasSuffix(string(b), `xx"}`))

	res, err = http.Get(front.URL + "/api/v1/titles/big")
	require.NoError(t, err)
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, big, string(b), "longer than the buffer: the whole answer, streamed")

	req, _ := http.NewRequest("GET", front.URL+"/api/v1/config/events", nil)
	req.Header.Set("Authorization", "Bearer "+iss.Mint(authtest.Claims{Subject: "u", Scope: "config:read"}))
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	first := make([]byte, len(": watching\n\n"))
	_, err = io.ReadFull(res.Body, first)
	require.NoError(t, err, "the first event arrives while the stream is still open")
	require.Equal(t, ": watching\n\n", string(first))
	close(released)
	rest, _ := io.ReadAll(res.Body)
	require.Equal(t, "data: done\n\n", string(rest))
}

// hangingUpstream answers 200 unless a request asks to hang: then it tells
// started, waits until its caller gives up and answers 500, as a service
// does whose store call failed with context.Canceled.
type hangingUpstream struct{ started chan struct{} }

func newHangingUpstream() *hangingUpstream { return &hangingUpstream{started: make(chan struct{}, 1)} }

func (h *hangingUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("hang") == "" {
		w.WriteHeader(http.StatusOK)
		return
	}
	h.started <- struct{}{}
	<-r.Context().Done()
	w.WriteHeader(http.StatusInternalServerError)
}

// abortMidFlight sends a request and cancels it once the upstream has it,
// as a client that resets its connection does.
func abortMidFlight(t *testing.T, g http.Handler, up *hangingUpstream, path string) *httptest.ResponseRecorder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequest("GET", path, nil).WithContext(ctx)
	r.RemoteAddr = "198.51.100.7:5555"
	w := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.ServeHTTP(w, r)
	}()
	select {
	case <-up.started:
		cancel()
		<-done
	case <-done: // answered without asking the upstream (an open breaker)
		cancel()
	}
	return w
}

// A client that hangs up is no failure of the upstream, whether the
// service runs in process or behind a proxy: thirty aborted requests leave
// the breaker closed (it opens after five failures here), nothing is
// retried, and the next caller is served.
func TestClientAbortsDoNotOpenTheBreaker(t *testing.T) {
	cfg := testConfig()
	cfg.RetryAttempts = 3
	cfg.Breaker = gateway.BreakerConfig{FailureThreshold: 5, OpenTimeout: time.Minute}
	for _, mode := range []string{"in process", "proxied"} {
		t.Run(mode, func(t *testing.T) {
			up := newHangingUpstream()
			var hits atomic.Int64
			counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				up.ServeHTTP(w, r)
			})
			metrics := resilience.NewBreakerMetrics()
			var g *gateway.Gateway
			if mode == "in process" {
				var err error
				g, err = gateway.New(gateway.Options{Routes: app.Routes(), Config: cfg, Verifier: &auth.Chain{}, InProcess: func(string) bool { return true },
					Local: counted, Breakers: metrics})
				require.NoError(t, err)
			} else {
				g, _ = remoteWith(t, cfg, counted, metrics)
			}
			for range 30 {
				w := abortMidFlight(t, g, up, "/api/v1/discover/titles?hang=1")
				require.NotEqual(t, http.StatusServiceUnavailable, w.Code, w.Body.String())
			}
			require.EqualValues(t, 30, hits.Load(), "an aborted request is not retried")
			require.Equal(t, `cdlc_circuit_breaker_state{name="upstream:inventory",state="closed"} 1`,
				breakerState(t, metrics, "upstream:inventory"))
			w := serve(g, "GET", "/api/v1/discover/titles")
			require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		})
	}
}

// breakerState is the exposition line of the state a breaker is in.
func breakerState(t *testing.T, m *resilience.BreakerMetrics, name string) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	require.NoError(t, reg.Register(m))
	w := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(w.Body.String(), "\n") {
		if strings.HasPrefix(line, `cdlc_circuit_breaker_state{name="`+name+`"`) && strings.HasSuffix(line, " 1") {
			return line
		}
	}
	return ""
}
