package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/cors"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

// Chain applies ms so that the first is outermost.
func Chain(h http.Handler, ms ...Middleware) http.Handler {
	for i := len(ms) - 1; i >= 0; i-- {
		h = ms[i](h)
	}
	return h
}

// RequestIDHeader carries the request id in and out. It is spelled in
// canonical form, so that reading and setting it on a header map needs no
// conversion (a copy per request otherwise).
const RequestIDHeader = "X-Request-Id"

// RequestID takes the caller's X-Request-ID when it is sane, or makes one,
// puts it in the context (for logs and problems) and echoes it back.
func RequestID() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var id string
			if v := r.Header[RequestIDHeader]; len(v) > 0 {
				id = v[0]
			}
			if !saneID(id) {
				id = newID()
			}
			w.Header()[RequestIDHeader] = []string{id}
			next.ServeHTTP(w, r.WithContext(telemetry.WithRequestID(r.Context(), id)))
		})
	}
}

func saneID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Recover turns a panic into a 500 problem and a log line with the stack,
// so one bad request cannot take the process down.
func Recover() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						panic(p)
					}
					WriteProblem(w, r, fmt.Errorf("panic: %v", p))
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// StatusRecorder records what a handler wrote: the status (0 until it
// writes) and the body's size. It keeps http.Flusher working for
// server-sent events, directly and through Unwrap (http.ResponseController).
type StatusRecorder struct {
	http.ResponseWriter
	Status int
	Bytes  int64
}

// WriteHeader records the first status written.
func (w *StatusRecorder) WriteHeader(code int) {
	if w.Status == 0 {
		w.Status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records 200 if no status was written, and counts the bytes.
func (w *StatusRecorder) Write(b []byte) (int, error) {
	if w.Status == 0 {
		w.Status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.Bytes += int64(n)
	return n, err
}

// Flush flushes the underlying writer when it can.
func (w *StatusRecorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap returns the underlying writer.
func (w *StatusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Metrics are the HTTP server's Prometheus collectors.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	// series caches each route, method and status's counter and
	// histogram: one map read per request instead of two label lookups
	// (each hashes its labels under a lock).
	series sync.Map // seriesKey -> *series
}

type seriesKey struct {
	route, method string
	status        int
}

type series struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

// observe counts a request and records its duration.
func (m *Metrics) observe(route, method string, status int, elapsed time.Duration) {
	k := seriesKey{route, method, status}
	s, ok := m.series.Load(k)
	if !ok {
		s, _ = m.series.LoadOrStore(k, &series{
			requests: m.requests.WithLabelValues(route, method, strconv.Itoa(status)),
			duration: m.duration.WithLabelValues(route, method),
		})
	}
	ss := s.(*series)
	ss.requests.Inc()
	ss.duration.Observe(elapsed.Seconds())
}

// NewMetrics registers the collectors on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cdlc_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cdlc_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "cdlc_http_requests_in_flight", Help: "HTTP requests being served.",
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.inflight)
	return m
}

// Observe is the middleware that logs each request and records its metrics.
// Routes are labelled by the mux pattern, never the raw path, so ids in
// paths cannot explode the label set. Logs at debug for health and metrics
// probes, info otherwise.
func Observe(log *slog.Logger, m *Metrics) Middleware {
	problems := telemetry.Named(log, "httpx")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &StatusRecorder{ResponseWriter: w}
			m.inflight.Inc()
			defer m.inflight.Dec()
			holder := &routeHolder{}
			r = r.WithContext(WithLogger(context.WithValue(r.Context(), routeKey{}, holder), problems))
			defer func() {
				// Recover, outside, answers the panic; the line is logged
				// here, where the logger is.
				if p := recover(); p != nil {
					if p != http.ErrAbortHandler {
						problems.ErrorContext(r.Context(), "request panicked", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p))
					}
					panic(p)
				}
			}()
			next.ServeHTTP(sw, r)
			switch {
			case ClientGone(r.Context()) && (sw.Status == 0 || sw.Status >= 500):
				// The client hung up before it got an answer (or while a
				// handler failed because of it): its doing, logged as such.
				sw.Status = StatusClientClosedRequest
			case sw.Status == 0:
				sw.Status = http.StatusOK
			}
			elapsed := time.Since(start)
			route := holder.route
			if route == "" {
				route = r.Pattern
			}
			if route == "" {
				route = "unmatched"
			}
			m.observe(route, r.Method, sw.Status, elapsed)
			level := slog.LevelInfo
			switch {
			case sw.Status == http.StatusServiceUnavailable:
				// Expected while starting or while a backend is down; the
				// cause is logged where it is known.
				level = slog.LevelWarn
			case sw.Status >= 500:
				level = slog.LevelError
			case sw.Status == StatusClientClosedRequest:
				level = slog.LevelInfo
			case r.URL.Path == "/healthz" || r.URL.Path == "/readyz" || r.URL.Path == "/metrics":
				level = slog.LevelDebug
			}
			// To the handler directly: Logger.LogAttrs would look up the
			// caller's program counter, for a source that is always this
			// line.
			if h := log.Handler(); h.Enabled(r.Context(), level) {
				rec := slog.NewRecord(start.Add(elapsed), level, "http request", 0)
				rec.AddAttrs(
					slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("route", route),
					slog.Int("status", sw.Status), slog.Int64("bytes", sw.Bytes),
					slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.String("remote", r.RemoteAddr))
				_ = h.Handle(r.Context(), rec)
			}
		})
	}
}

type routeKey struct{}

type logKey struct{}

// WithLogger returns ctx carrying the logger that WriteProblem logs
// internal errors to; Observe sets it for the requests it sees.
func WithLogger(ctx context.Context, log *slog.Logger) context.Context {
	return context.WithValue(ctx, logKey{}, log)
}

// discard is the logger of a request outside Observe (tests, mostly).
var discard = slog.New(slog.DiscardHandler)

func loggerFrom(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(logKey{}).(*slog.Logger); ok {
		return l
	}
	return discard
}

// routeHolder carries the mux pattern back out to Observe: middleware
// between them copy the request (WithContext), so the pattern the mux sets
// on its copy would otherwise be lost.
type routeHolder struct{ route string }

// SetRoute labels the request's metrics and access log with route, for
// handlers that route without the mux (the gateway's proxied calls).
func SetRoute(ctx context.Context, route string) {
	if h, ok := ctx.Value(routeKey{}).(*routeHolder); ok {
		h.route = route
	}
}

// RecordRoute wraps the mux (innermost) so that Observe can label metrics
// and logs with the matched route pattern.
func RecordRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if r.Pattern != "" {
			SetRoute(r.Context(), r.Pattern)
		}
	})
}

// BodyLimit caps request bodies at max bytes; reading past it fails, and
// a declared Content-Length above it is refused at once with 413.
func BodyLimit(max int64) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > max {
				WriteProblem(w, r, &Problem{Type: "urn:cdlc:problem:invalid", Title: http.StatusText(http.StatusRequestEntityTooLarge),
					Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("the request body is larger than the %d-byte limit", max),
					RequestID: telemetry.RequestID(r.Context())})
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, max)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// IsTooLarge reports whether err came from reading past the body limit.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}

// CORS answers preflights and sets CORS headers, using rs/cors (the
// middleware most Go services use; it gets the preflight rules right). The
// allowed origins are read through origins on every request so that a
// configuration reload applies at once.
type CORS struct {
	cur atomic.Pointer[cors.Cors]
}

// NewCORS builds the middleware for origins ("*" allows any).
func NewCORS(origins []string) *CORS {
	c := &CORS{}
	c.Set(origins)
	return c
}

// Set replaces the allowed origins.
func (c *CORS) Set(origins []string) {
	c.cur.Store(cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowedHeaders: []string{"*"},
		ExposedHeaders: []string{RequestIDHeader, "ETag", "Retry-After", "Location", "WWW-Authenticate",
			"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"},
		AllowCredentials: false,
		MaxAge:           600,
	}))
}

// Middleware returns the middleware.
func (c *CORS) Middleware() Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.cur.Load().ServeHTTP(w, r, next.ServeHTTP)
		})
	}
}

// NotFound answers unmatched paths with a problem instead of Go's text page.
func NotFound() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		WriteProblem(w, r, errs.NotFound("path %s", r.URL.Path))
	})
}

// allowedMethods are the methods a 405 answer may list.
var allowedMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// MethodNotAllowed answers a request that mux routes only for other
// methods with 405 Method Not Allowed, as problem+json, listing those
// methods in Allow (RFC 9110 §15.5.6); anything else goes to next. Put it
// where the mux's catch-all "/" pattern answers, which would otherwise
// take such a request for an unknown path.
func MethodNotAllowed(mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		probe := *r
		for _, m := range allowedMethods {
			if m == r.Method {
				continue
			}
			probe.Method = m
			if _, pattern := mux.Handler(&probe); pattern != "" && pattern != "/" {
				allow = append(allow, m)
			}
		}
		if len(allow) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		p := newProblem(r.Context(), http.StatusMethodNotAllowed, clipWords(r.Method)+" is not allowed on "+r.URL.Path+"; allowed: "+strings.Join(allow, ", "))
		WriteProblem(w, r, p)
	})
}
