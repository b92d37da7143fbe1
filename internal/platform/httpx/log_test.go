package httpx_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/httpx"
	"github.com/cdlc/cdlc/internal/platform/telemetry/logtest"
)

// TestProblemsLogThroughTheInjectedLogger: internal errors and panics are
// logged by the logger given to Observe, named "httpx", not the process's
// global one.
func TestProblemsLogThroughTheInjectedLogger(t *testing.T) {
	global := logtest.CaptureDefault(t)
	log, injected := logtest.JSON()

	mux := http.NewServeMux()
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, errors.New("disk on fire"))
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("oh no") })
	h := httpx.Chain(mux, httpx.Recover(), httpx.Observe(log, httpx.NewMetrics(prometheus.NewRegistry())))

	require.Equal(t, 500, do(t, h, "GET", "/broken", "").StatusCode)
	require.Equal(t, 500, do(t, h, "GET", "/panic", "").StatusCode)
	require.Contains(t, injected.String(), `"msg":"request failed","module":"httpx"`)
	require.Contains(t, injected.String(), `disk on fire`)
	require.Contains(t, injected.String(), `"msg":"request panicked","module":"httpx"`)
	require.Empty(t, global.String(), "nothing goes to the global logger")

	// Outside Observe there is no logger: nothing is written anywhere.
	require.Equal(t, 500, do(t, mux, "GET", "/broken", "").StatusCode)
	require.Empty(t, global.String())
}
