package gateway_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/gateway"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/auth/authtest"
)

// BenchmarkEdge is the gateway's own work on a catalog read with a valid
// token, in process (no network): headers, route, limits, token (cached),
// breaker.
func BenchmarkEdge(b *testing.B) {
	iss := authtest.New("https://id.example")
	v, _ := auth.NewJWTVerifier(auth.JWTOptions{Issuer: iss.URL, Keys: iss})
	cfg := gateway.Defaults()
	cfg.Limits.Default.IP.Rate, cfg.Limits.Default.IP.Burst = 1e9, 1e9
	cfg.Limits.Default.Client.Rate, cfg.Limits.Default.Client.Burst = 1e9, 1e9
	g, err := gateway.New(gateway.Options{Routes: app.Routes(), Config: cfg, Verifier: v, InProcess: func(string) bool { return true },
		Local: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })})
	if err != nil {
		b.Fatal(err)
	}
	tok := "Bearer " + iss.Mint(authtest.Claims{Scope: "catalog:write"})
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r := httptest.NewRequest("GET", "/api/v1/titles/ct1?append=credits", nil)
			r.Header.Set("Authorization", tok)
			w := httptest.NewRecorder()
			g.ServeHTTP(w, r)
			if w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	})
}
