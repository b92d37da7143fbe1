package httpx

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Health answers /healthz (the process is alive) and /readyz (every backend
// the running targets need is reachable and every service has finished
// starting). Modules add a check per backend they use.
type Health struct {
	mu     sync.RWMutex
	checks map[string]func(ctx context.Context) error
	// Timeout bounds each check.
	Timeout time.Duration
}

// NewHealth returns a registry with no checks.
func NewHealth() *Health {
	return &Health{checks: map[string]func(context.Context) error{}, Timeout: 2 * time.Second}
}

// Add registers a readiness check under name (e.g. "db:config", "bus").
func (h *Health) Add(name string, check func(ctx context.Context) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.checks[name] = check
}

// Report is the body of /readyz.
type Report struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks"`
}

// Check runs every check concurrently.
func (h *Health) Check(ctx context.Context) Report {
	h.mu.RLock()
	names := make([]string, 0, len(h.checks))
	for n := range h.checks {
		names = append(names, n)
	}
	sort.Strings(names)
	fns := make([]func(context.Context) error, len(names))
	for i, n := range names {
		fns[i] = h.checks[n]
	}
	h.mu.RUnlock()

	results := make([]string, len(names))
	var wg sync.WaitGroup
	for i, f := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, h.Timeout)
			defer cancel()
			if err := f(cctx); err != nil {
				results[i] = err.Error()
				return
			}
			results[i] = "ok"
		}()
	}
	wg.Wait()
	rep := Report{Status: "ok", Checks: make(map[string]string, len(names))}
	for i, n := range names {
		rep.Checks[n] = results[i]
		if results[i] != "ok" {
			rep.Status = "unavailable"
		}
	}
	return rep
}

// Register mounts /healthz and /readyz on mux.
func (h *Health) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		rep := h.Check(r.Context())
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if rep.Status != "ok" {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(rep)
	})
}
