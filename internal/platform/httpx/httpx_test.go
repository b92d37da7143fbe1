package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/httpx"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

type echoIn struct {
	ID    string `path:"id" maxLength:"10"`
	Limit int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

type echoOut struct {
	Body struct {
		ID    string `json:"id"`
		Limit int    `json:"limit"`
	}
}

type createIn struct {
	Body struct {
		Name string `json:"name" minLength:"1"`
	}
}

func newHandler(t testing.TB, health *httpx.Health) http.Handler {
	mux := http.NewServeMux()
	api := httpx.NewAPI(mux, "test", "1")
	huma.Get(api, "/items/{id}", func(ctx context.Context, in *echoIn) (*echoOut, error) {
		switch in.ID {
		case "missing":
			return nil, errs.NotFound("item %s", in.ID)
		case "bad":
			return nil, errs.Invalid("query.limit", "not with this item")
		case "broken":
			return nil, errors.New("secret database password leaked in error")
		case "panic":
			panic("oh no")
		}
		out := &echoOut{}
		out.Body.ID, out.Body.Limit = in.ID, in.Limit
		return out, nil
	})
	huma.Post(api, "/items", func(ctx context.Context, in *createIn) (*struct{}, error) { return nil, nil })
	health.Register(mux)
	reg := prometheus.NewRegistry()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", httpx.NotFound())
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	return httpx.Chain(mux, httpx.RequestID(), httpx.Recover(), httpx.Observe(log, httpx.NewMetrics(reg)),
		httpx.NewCORS([]string{"https://app.example"}).Middleware(), httpx.BodyLimit(64))
}

func problem(t testing.TB, res *http.Response) httpx.Problem {
	t.Helper()
	require.Equal(t, httpx.ProblemContentType, res.Header.Get("Content-Type"))
	var p httpx.Problem
	require.NoError(t, json.NewDecoder(res.Body).Decode(&p))
	return p
}

func do(t testing.TB, h http.Handler, method, path, body string, hdr ...string) *http.Response {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func TestProblems(t *testing.T) {
	h := newHandler(t, httpx.NewHealth())
	cases := []struct {
		name, method, path, body string
		status                   int
		kind, location, detail   string
	}{
		{"not found", "GET", "/items/missing", "", 404, "not_found", "", "item missing not found"},
		{"invalid with field", "GET", "/items/bad", "", 400, "invalid", "query.limit", "not with this item"},
		{"validation by schema", "GET", "/items/x?limit=1000", "", 400, "invalid", "query.limit", "<= 100"},
		{"internal hides detail", "GET", "/items/broken", "", 500, "internal", "", "request id"},
		{"panic", "GET", "/items/panic", "", 500, "internal", "", "request id"},
		{"unknown path", "GET", "/nope", "", 404, "not_found", "", "/nope"},
		{"body too large", "POST", "/items", `{"name":"` + strings.Repeat("x", 100) + `"}`, 413, "invalid", "", "limit"},
		{"bad json", "POST", "/items", `{"name":`, 400, "invalid", "", ""},
		{"empty name", "POST", "/items", `{"name":""}`, 400, "invalid", "body.name", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := do(t, h, c.method, c.path, c.body)
			require.Equal(t, c.status, res.StatusCode)
			p := problem(t, res)
			require.Equal(t, c.status, p.Status)
			require.Equal(t, "urn:cdlc:problem:"+c.kind, p.Type)
			require.NotEmpty(t, p.RequestID)
			require.Equal(t, res.Header.Get(httpx.RequestIDHeader), p.RequestID)
			require.NotContains(t, p.Detail, "password")
			if c.detail != "" {
				require.Contains(t, p.Detail, c.detail)
			}
			if c.location != "" {
				require.NotEmpty(t, p.Errors)
				require.Equal(t, c.location, p.Errors[0].Location)
			}
		})
	}
}

func TestRequestIDIsKeptOrMade(t *testing.T) {
	h := newHandler(t, httpx.NewHealth())
	res := do(t, h, "GET", "/items/a", "", httpx.RequestIDHeader, "abc-123")
	require.Equal(t, "abc-123", res.Header.Get(httpx.RequestIDHeader))
	res = do(t, h, "GET", "/items/a", "", httpx.RequestIDHeader, "bad id\x01")
	require.NotEqual(t, "bad id\x01", res.Header.Get(httpx.RequestIDHeader))
	require.Len(t, res.Header.Get(httpx.RequestIDHeader), 24)
}

func TestCORS(t *testing.T) {
	h := newHandler(t, httpx.NewHealth())
	res := do(t, h, "OPTIONS", "/items/a", "", "Origin", "https://app.example", "Access-Control-Request-Method", "GET")
	require.Equal(t, "https://app.example", res.Header.Get("Access-Control-Allow-Origin"))
	res = do(t, h, "GET", "/items/a", "", "Origin", "https://evil.example")
	require.Empty(t, res.Header.Get("Access-Control-Allow-Origin"))
	require.Equal(t, 200, res.StatusCode)
}

func TestReadinessReflectsChecks(t *testing.T) {
	health := httpx.NewHealth()
	down := errors.New("connection refused")
	health.Add("db:config", func(context.Context) error { return down })
	health.Add("bus", func(context.Context) error { return nil })
	h := newHandler(t, health)
	require.Equal(t, 200, do(t, h, "GET", "/healthz", "").StatusCode)
	res := do(t, h, "GET", "/readyz", "")
	require.Equal(t, 503, res.StatusCode)
	var rep httpx.Report
	require.NoError(t, json.NewDecoder(res.Body).Decode(&rep))
	require.Equal(t, "connection refused", rep.Checks["db:config"])
	require.Equal(t, "ok", rep.Checks["bus"])
	down = nil
	require.Equal(t, 200, do(t, h, "GET", "/readyz", "").StatusCode)
}

func TestMetricsLabelRoutesByPattern(t *testing.T) {
	h := newHandler(t, httpx.NewHealth())
	do(t, h, "GET", "/items/a1", "")
	do(t, h, "GET", "/items/a2", "")
	body, _ := io.ReadAll(do(t, h, "GET", "/metrics", "").Body)
	require.Contains(t, string(body), `cdlc_http_requests_total{code="200",method="GET",route="GET /items/{id}"} 2`)
}

func TestOpenAPIIsPublished(t *testing.T) {
	h := newHandler(t, httpx.NewHealth())
	res := do(t, h, "GET", "/openapi.json", "")
	require.Equal(t, 200, res.StatusCode)
	var doc map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&doc))
	require.Equal(t, "3.1.0", doc["openapi"])
	require.Contains(t, doc["paths"], "/items/{id}")
}

func TestPortInUseSaysWhatToDo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	cfg := httpx.DefaultConfig()
	cfg.Addr = ln.Addr().String()
	err = httpx.NewServer(cfg, http.NotFoundHandler(), slog.Default()).Listen()
	require.ErrorContains(t, err, "the port is in use")
	require.ErrorContains(t, err, "--http-addr")
}

func TestRouteSurvivesMiddlewareThatCopiesTheRequest(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	reg := prometheus.NewRegistry()
	copyCtx := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), copyKey{}, 1)))
		})
	}
	h := httpx.Chain(httpx.RecordRoute(mux), httpx.Observe(slog.New(slog.NewJSONHandler(io.Discard, nil)), httpx.NewMetrics(reg)), copyCtx)
	do(t, h, "GET", "/things/42", "")
	body, _ := io.ReadAll(do(t, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), "GET", "/", "").Body)
	require.Contains(t, string(body), `route="GET /things/{id}"`)
}

type copyKey struct{}

func TestTraceContextReachesHandlersWithTracingOff(t *testing.T) {
	otel.SetTextMapPropagator(propagation.TraceContext{})
	var got trace.SpanContext
	h := httpx.Trace(false)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = trace.SpanContextFromContext(r.Context())
	}))
	do(t, h, "GET", "/", "", "Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	require.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", got.TraceID().String())
	do(t, h, "GET", "/", "")
	require.False(t, got.IsValid())
}

// gRPC clients speak HTTP/2 without TLS; the server accepts it beside HTTP/1.1.
func TestServerSpeaksH2C(t *testing.T) {
	cfg := httpx.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	srv := httpx.NewServer(cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Proto)
	}), slog.New(slog.NewJSONHandler(io.Discard, nil)))
	require.NoError(t, srv.Listen())
	srv.Serve(func(err error) { t.Error(err) })
	defer srv.Shutdown(context.Background())

	protocols := new(http.Protocols)
	protocols.SetUnencryptedHTTP2(true)
	h2c := &http.Client{Transport: &http.Transport{Protocols: protocols}}
	for client, want := range map[*http.Client]string{h2c: "HTTP/2.0", http.DefaultClient: "HTTP/1.1"} {
		res, err := client.Get("http://" + srv.Addr() + "/")
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Equal(t, want, string(body))
	}
}

func TestAppends(t *testing.T) {
	allowed := []string{"credits", "images", "external_ids"}
	got, err := httpx.Appends("query.append", "images, credits,images,", allowed)
	require.NoError(t, err)
	require.Equal(t, []string{"credits", "images"}, got)
	got, err = httpx.Appends("query.append", "", allowed)
	require.NoError(t, err)
	require.Empty(t, got)
	_, err = httpx.Appends("query.append", "credits,awards", allowed)
	require.Equal(t, "query.append", errs.FieldOf(err))
	require.ErrorContains(t, err, `"awards"`)
	require.Equal(t, []string{"a", "b"}, httpx.CommaList(" a, b,,"))
	require.Nil(t, httpx.CommaList(""))
}

// The access log says what matters about each request, with its request
// id, after the middleware's fast path to the handler.
func TestAccessLogLine(t *testing.T) {
	var buf strings.Builder
	log := telemetry.NewLogger(&buf, telemetry.LogOptions{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "12345") })
	h := httpx.Chain(httpx.RecordRoute(mux), httpx.RequestID(), httpx.Observe(log, httpx.NewMetrics(prometheus.NewRegistry())))
	res := do(t, h, "GET", "/things/42", "", "X-Request-ID", "req-7")
	require.Equal(t, []string{"req-7"}, res.Header.Values("X-Request-Id"))
	var line map[string]any
	require.NoError(t, json.Unmarshal([]byte(buf.String()), &line), buf.String())
	require.Equal(t, "http request", line["msg"])
	require.Equal(t, "INFO", line["level"])
	require.Equal(t, "GET", line["method"])
	require.Equal(t, "/things/42", line["path"])
	require.Equal(t, "GET /things/{id}", line["route"])
	require.Equal(t, float64(200), line["status"])
	require.Equal(t, float64(5), line["bytes"])
	require.Contains(t, line, "duration_ms")
	require.Contains(t, line, "remote")
	require.Contains(t, line, "time")
	require.Equal(t, "req-7", line["request_id"])
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A client that hangs up mid-request is its own doing: the handler's
// failure (its store call cut short with context.Canceled) is neither a
// 500 in the access log nor an error logged, but a 499 at info level.
func TestClientHangUpIsLoggedAs499(t *testing.T) {
	started := make(chan struct{}, 1)
	mux := http.NewServeMux()
	api := httpx.NewAPI(mux, "test", "1")
	huma.Get(api, "/slow", func(ctx context.Context, _ *struct{}) (*struct{}, error) {
		started <- struct{}{}
		<-ctx.Done()
		return nil, fmt.Errorf("query titles: %w", ctx.Err())
	})
	var logs syncBuffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	slog.SetDefault(log)
	t.Cleanup(func() { slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil))) })
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(httpx.Chain(mux, httpx.RequestID(), httpx.Recover(), httpx.Observe(log, httpx.NewMetrics(reg))))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", srv.URL+"/slow", nil)
	require.NoError(t, err)
	go func() {
		<-started
		cancel()
	}()
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.Canceled)

	require.Eventually(t, func() bool { return strings.Contains(logs.String(), `"msg":"http request"`) }, 5*time.Second, 5*time.Millisecond)
	var line struct {
		Level  string `json:"level"`
		Status int    `json:"status"`
	}
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		require.NotContains(t, l, `"level":"ERROR"`, "a hang-up is not an error")
		if strings.Contains(l, `"msg":"http request"`) {
			require.NoError(t, json.Unmarshal([]byte(l), &line))
		}
	}
	require.Equal(t, httpx.StatusClientClosedRequest, line.Status)
	require.Equal(t, "INFO", line.Level)
	body, _ := io.ReadAll(do(t, promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), "GET", "/", "").Body)
	require.Contains(t, string(body), `cdlc_http_requests_total{code="499",method="GET",route="GET /slow"} 1`)
	require.NotContains(t, string(body), `code="500"`)
}

// ProblemFrom: a 5xx of a request its client cancelled is a 499; a
// deadline that expired is not a cancellation.
func TestProblemOfCancelledRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.Equal(t, httpx.StatusClientClosedRequest, httpx.ProblemFrom(ctx, errs.Unavailable(context.Canceled, "remote call")).Status)
	require.Equal(t, httpx.StatusClientClosedRequest, httpx.ProblemFrom(ctx, errors.New("boom")).Status)
	require.Equal(t, http.StatusNotFound, httpx.ProblemFrom(ctx, errs.NotFound("title tt1")).Status, "an answer already known stays")
	dctx, dcancel := context.WithTimeout(context.Background(), -time.Second)
	defer dcancel()
	require.Equal(t, http.StatusInternalServerError, httpx.ProblemFrom(dctx, errors.New("boom")).Status)
}

// A stale If-Match is 412 Precondition Failed (RFC 9110 §13.1.1), a clash
// with the current state (a duplicate) 409.
func TestPreconditionIs412(t *testing.T) {
	p := httpx.ProblemFrom(context.Background(), errs.Precondition("title tt1 is at version 3, not 2"))
	require.Equal(t, http.StatusPreconditionFailed, p.Status)
	require.Equal(t, "urn:cdlc:problem:precondition", p.Type)
	require.Equal(t, http.StatusConflict, httpx.ProblemFrom(context.Background(), errs.Conflict("title tt1 exists")).Status)
}

// A huge input is not echoed back whole: every long word of a problem is
// cut at httpx.MaxEcho characters with an ellipsis.
func TestProblemsClipEchoedInput(t *testing.T) {
	h := newHandler(t, httpx.NewHealth())
	long := strings.Repeat("x", 70000)
	for _, path := range []string{"/nope/" + long, "/items/" + long} {
		res := do(t, h, "GET", path, "")
		body, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.Less(t, len(body), 2000, "%s: %s", path[:20], body)
		var p httpx.Problem
		require.NoError(t, json.Unmarshal(body, &p))
		require.True(t, strings.HasSuffix(p.Instance, "…"), p.Instance)
		require.Equal(t, httpx.MaxEcho+1, utf8.RuneCountInString(p.Instance))
	}
}

// A request whose body arrives too slowly is the client's doing: a 408
// problem typed as such, not "internal".
func TestRequestTimeoutProblemType(t *testing.T) {
	err := huma.NewErrorWithContext(nil, http.StatusRequestTimeout, "request body read timeout")
	var p *httpx.Problem
	require.ErrorAs(t, err, &p)
	require.Equal(t, http.StatusRequestTimeout, p.Status)
	require.Equal(t, "urn:cdlc:problem:request_timeout", p.Type)
}
