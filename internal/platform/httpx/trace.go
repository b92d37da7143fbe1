package httpx

import (
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
)

// Trace continues the caller's trace (W3C traceparent). With tracing on it
// is otelhttp, which records a span per request. With tracing off it only
// extracts the caller's trace context, so that logs still carry its trace
// id: otelhttp's span and metric bookkeeping cost about a seventh of the
// CPU of a cached read, for spans nobody would export.
func Trace(enabled bool) Middleware {
	if enabled {
		return func(next http.Handler) http.Handler {
			return otelhttp.NewHandler(next, "cdlc", otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
				return r.Method + " " + r.URL.Path
			}))
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Traceparent") == "" {
				next.ServeHTTP(w, r)
				return
			}
			ctx := otel.GetTextMapPropagator().Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
