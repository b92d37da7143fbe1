package httpx_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cdlc/cdlc/internal/platform/httpx"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

// BenchmarkChain is the middleware every request passes, as the app chains
// it (tracing off), around a handler that writes a 2 KB body; the access
// log goes to a file, as a service's log does in production.
func BenchmarkChain(b *testing.B) {
	f, err := os.Create(filepath.Join(b.TempDir(), "access.log"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	log := telemetry.NewLogger(f, telemetry.LogOptions{})
	mux := http.NewServeMux()
	body := make([]byte, 2048)
	mux.HandleFunc("GET /api/v1/titles/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	h := httpx.Chain(httpx.RecordRoute(mux), httpx.Trace(false), httpx.RequestID(), httpx.Recover(),
		httpx.Observe(log, httpx.NewMetrics(prometheus.NewRegistry())),
		httpx.NewCORS([]string{"*"}).Middleware(), httpx.BodyLimit(4<<20))
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/api/v1/titles/ct1?append=credits", nil)
		r.Header.Set("Authorization", "Bearer x")
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			clear(w.h)
			h.ServeHTTP(w, r)
		}
	})
}

// discardWriter is a ResponseWriter that keeps nothing: the benchmark
// measures the middleware, not a recorder.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}
