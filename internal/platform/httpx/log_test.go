package httpx_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/httpx"
)

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestProblemsLogThroughTheInjectedLogger: internal errors and panics are
// logged by the logger given to Observe, named "httpx", not the process's
// global one.
func TestProblemsLogThroughTheInjectedLogger(t *testing.T) {
	var injected, global lockedBuffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(&global, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })

	mux := http.NewServeMux()
	mux.HandleFunc("GET /broken", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteProblem(w, r, errors.New("disk on fire"))
	})
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("oh no") })
	h := httpx.Chain(mux, httpx.Recover(), httpx.Observe(slog.New(slog.NewJSONHandler(&injected, nil)), httpx.NewMetrics(prometheus.NewRegistry())))

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
