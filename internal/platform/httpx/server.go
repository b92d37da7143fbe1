// Package httpx is the platform's HTTP layer: a server with timeouts and body
// limits, the middleware every request passes (request id, panic recovery,
// access log, metrics, CORS, tracing), errors as RFC 9457 problem+json,
// /healthz, /readyz and /metrics, and the huma API on which services register
// their REST operations so that the OpenAPI 3.1 document is generated from
// the code and cannot drift from it.
package httpx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Config tunes the server. CORS origins can change while running.
type Config struct {
	Addr              string        `koanf:"addr"`
	ReadTimeout       time.Duration `koanf:"read_timeout"`
	ReadHeaderTimeout time.Duration `koanf:"read_header_timeout"`
	WriteTimeout      time.Duration `koanf:"write_timeout"`
	IdleTimeout       time.Duration `koanf:"idle_timeout"`
	// MaxBodyBytes caps a request body; larger bodies get 413.
	MaxBodyBytes int64 `koanf:"max_body_bytes"`
	// ShutdownTimeout bounds draining in-flight requests (and the whole
	// shutdown) after SIGTERM.
	ShutdownTimeout time.Duration `koanf:"shutdown_timeout"`
	CORS            CORSConfig    `koanf:"cors"`
}

// CORSConfig lists who may call the API from a browser.
type CORSConfig struct {
	AllowedOrigins []string `koanf:"allowed_origins" reload:"true"`
}

// DefaultConfig is what a fresh install serves with.
func DefaultConfig() Config {
	return Config{
		Addr:              ":8080",
		ReadTimeout:       15 * time.Second,
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxBodyBytes:      4 << 20,
		ShutdownTimeout:   20 * time.Second,
		CORS:              CORSConfig{AllowedOrigins: []string{"*"}},
	}
}

// Validate names the first bad setting under prefix.
func (c Config) Validate(prefix string) error {
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return errs.Invalid(prefix+".addr", "must be host:port or :port, got %q", c.Addr)
	}
	for key, d := range map[string]time.Duration{
		"read_timeout": c.ReadTimeout, "read_header_timeout": c.ReadHeaderTimeout,
		"write_timeout": c.WriteTimeout, "idle_timeout": c.IdleTimeout, "shutdown_timeout": c.ShutdownTimeout,
	} {
		if d <= 0 {
			return errs.Invalid(prefix+"."+key, "must be a positive duration such as 10s, got %s", d)
		}
	}
	if c.MaxBodyBytes <= 0 {
		return errs.Invalid(prefix+".max_body_bytes", "must be positive, got %d", c.MaxBodyBytes)
	}
	return nil
}

// Server is an http.Server that listens before it serves, so a port in use
// is an error at start-up, not a log line later.
type Server struct {
	srv *http.Server
	ln  net.Listener
	log *slog.Logger
	cfg Config
}

// NewServer prepares a server for h; nothing listens until Listen.
func NewServer(cfg Config, h http.Handler, log *slog.Logger) *Server {
	// HTTP/2 without TLS (h2c) as well as HTTP/1.1, so gRPC clients reach
	// the services' connect handlers on the same port; TLS ends at the edge.
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	return &Server{cfg: cfg, log: log, srv: &http.Server{
		Protocols:         protocols,
		Addr:              cfg.Addr,
		Handler:           h,
		ReadTimeout:       cfg.ReadTimeout,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}}
}

// Listen binds the address. A port in use gives an error that says what to do.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return fmt.Errorf("cannot listen on %s: the port is in use; stop the other process or choose another address with --http-addr (CDLC_HTTP_ADDR)", s.cfg.Addr)
		}
		return fmt.Errorf("cannot listen on %s: %w", s.cfg.Addr, err)
	}
	s.ln = ln
	return nil
}

// Addr is the bound address (useful with port 0).
func (s *Server) Addr() string {
	if s.ln == nil {
		return s.cfg.Addr
	}
	return s.ln.Addr().String()
}

// Serve serves in the background; errors other than a clean close are logged
// and sent to fatal.
func (s *Server) Serve(fatal func(error)) {
	go func() {
		if err := s.srv.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fatal(fmt.Errorf("http server: %w", err))
		}
	}()
	s.log.Info("listening", "addr", s.Addr())
}

// Shutdown stops accepting connections and waits for in-flight requests
// until ctx ends, then closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		_ = s.srv.Close()
		return fmt.Errorf("in-flight requests did not finish before the shutdown timeout: %w", err)
	}
	return err
}

// OnShutdown registers f to run when Shutdown starts (to end long polls and
// server-sent event streams, which Shutdown does not interrupt).
func (s *Server) OnShutdown(f func()) { s.srv.RegisterOnShutdown(f) }
