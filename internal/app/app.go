// Package app composes a cdlc process: it holds the module table (every
// service and every piece of shared infrastructure is a module), builds the
// shared parts the modules use — the HTTP server and API, the bus, the
// cache, one database per service — and runs the modules the targets need,
// starting them in dependency order and stopping them in reverse.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cdlc/cdlc/internal/authserver"
	"github.com/cdlc/cdlc/internal/configserver/client"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/config"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/httpx"
	"github.com/cdlc/cdlc/internal/platform/kit"
	"github.com/cdlc/cdlc/internal/platform/module"
	"github.com/cdlc/cdlc/internal/platform/resilience"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
	"github.com/cdlc/cdlc/web"
)

// Version is the build's version, set by the linker.
var Version = "dev"

// Options are what a process brings besides its configuration.
type Options struct {
	// Logs go here (stderr in production).
	LogOutput io.Writer
	// Sources rebuild the configuration on a remote change.
	Sources config.Sources
	// Remote, when set, is the configurations server this process follows.
	Remote *client.Client
	// Snapshot is the remote configuration the process started with.
	Snapshot client.Snapshot
}

// App is one running process.
type App struct {
	Live     *config.Live[Config]
	Log      *slog.Logger
	Mux      *http.ServeMux
	API      huma.API
	Health   *httpx.Health
	Registry *prometheus.Registry
	// breakerMetrics is the one collector of every circuit breaker of the
	// process (peers' and the gateway's upstreams'), registered on first use.
	breakerMetrics func() *resilience.BreakerMetrics
	// Verifier checks bearer tokens: the static bootstrap token, then the
	// issuer's JWTs, and refuses what the deny list denies. Tests may Add
	// static tokens before requests.
	Verifier *auth.Chain
	// deny holds the revoked tokens and families and the deleted subjects
	// this process has heard of (module "revocations").
	deny *auth.DenyList

	// Auth is the authorization server, when it runs in this process.
	Auth *authserver.Service

	// services is the service table (services.go); rt is what their
	// lifecycles get; peers resolves the services they call.
	services []*kit.Service
	rt       *kit.Runtime
	peers    *kit.Peers

	opts  Options
	level *slog.LevelVar
	// resolved lists the modules this process runs (set by Start).
	resolved []string
	// front, when set (the gateway module runs), receives every request
	// after the shared middleware instead of the mux.
	front atomic.Pointer[http.Handler]
	// keySource, when set, yields the issuer's keys in process.
	keySource atomic.Pointer[auth.KeySource]
	jwt       *auth.JWTVerifier
	graph     *module.Graph
	server    atomic.Pointer[httpx.Server]
	cors      *httpx.CORS
	running   *module.Running

	bus    events.Bus
	cache  cache.Cache
	loader *cache.Loader

	// started opens the API once every module is up; until then it answers
	// 503 with what start-up is waiting for.
	started   atomic.Bool
	remoteRev atomic.Int64
	status    atomic.Pointer[string]
	fatal     chan error
	shutdown  chan struct{}
	stopHTTP  sync.Once
}

// New builds an App for cfg; nothing starts until Start.
func New(cfg Config, opts Options) *App {
	if opts.LogOutput == nil {
		opts.LogOutput = os.Stderr
	}
	level := new(slog.LevelVar)
	l, _ := telemetry.ParseLevel(cfg.Log.Level)
	level.Set(l)
	log := telemetry.NewLogger(opts.LogOutput, telemetry.LogOptions{Level: level, Format: cfg.Log.Format})
	a := &App{
		Live: config.NewLive(cfg), Log: log, opts: opts, level: level,
		Mux: http.NewServeMux(), Health: httpx.NewHealth(), Registry: prometheus.NewRegistry(),
		Verifier: &auth.Chain{}, deny: auth.NewDenyList(0),
		fatal: make(chan error, 1), shutdown: make(chan struct{}),
	}
	a.Verifier.Deny(a.deny)
	a.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a.breakerMetrics = sync.OnceValue(func() *resilience.BreakerMetrics {
		m := resilience.NewBreakerMetrics()
		a.Registry.MustRegister(m)
		return m
	})
	a.API = httpx.NewAPI(a.Mux, "cdlc", Version)
	a.cors = httpx.NewCORS(cfg.HTTP.CORS.AllowedOrigins)
	a.setStatus("starting")
	a.Live.OnChange(func(old, cur *Config) {
		if l, err := telemetry.ParseLevel(cur.Log.Level); err == nil {
			a.level.Set(l)
		}
		a.cors.Set(cur.HTTP.CORS.AllowedOrigins)
	})
	a.services = table(a)
	a.rt = a.runtime()
	a.graph = a.modules()
	a.remoteRev.Store(opts.Snapshot.Revision)
	return a
}

// Config returns the current configuration (read-only).
func (a *App) Config() *Config { return a.Live.Load() }

// Targets lists what --target accepts.
func (a *App) Targets() []string { return a.graph.Targets() }

// Graph exposes the module graph (for --list-targets).
func (a *App) Graph() *module.Graph { return a.graph }

// Addr is the address the HTTP server listens on.
func (a *App) Addr() string {
	if s := a.server.Load(); s != nil {
		return s.Addr()
	}
	return a.Config().HTTP.Addr
}

// Fatal stops the process with err (a module that cannot go on).
func (a *App) Fatal(err error) {
	select {
	case a.fatal <- err:
	default:
	}
}

// Done closes when the HTTP server begins to shut down; long-lived
// responses (watch streams, long polls) end on it.
func (a *App) Done() <-chan struct{} { return a.shutdown }

func (a *App) setStatus(s string) { a.status.Store(&s) }

// Start runs the modules the targets need. It returns when every module is
// up, or with the first error (having stopped what had started).
func (a *App) Start(ctx context.Context) error {
	targets := a.Config().Target
	running, err := a.graph.Resolve(targets)
	if err != nil {
		return err
	}
	a.resolved = running
	a.connectPeers()
	a.Health.Add("startup", func(context.Context) error {
		if a.started.Load() {
			return nil
		}
		return errors.New(*a.status.Load())
	})
	r, err := a.graph.Start(ctx, a.Log, targets)
	if err != nil {
		return err
	}
	a.running = r
	a.started.Store(true)
	a.setStatus("started")
	a.Log.Info("cdlc started", "version", Version, "targets", strings.Join(targets, ","), "modules", strings.Join(r.Modules(), ","), "addr", a.Addr())
	return nil
}

// Run starts the app, serves until ctx ends (SIGTERM) or a module fails,
// then shuts down: drain HTTP, stop consumers and flush the outboxes, close
// stores — all within http.shutdown_timeout.
func (a *App) Run(ctx context.Context) error {
	startErr := make(chan error, 1)
	go func() { startErr <- a.Start(ctx) }()
	var runErr error
	select {
	case err := <-startErr:
		if err != nil {
			// ctx ended while waiting for a backend: a clean stop, not a failure.
			if ctx.Err() != nil {
				a.Log.Info("stopped during start-up", "waiting_for", *a.status.Load())
				return nil
			}
			return err
		}
	case err := <-a.fatal:
		<-startErr
		return err
	}
	select {
	case <-ctx.Done():
		a.Log.Info("shutting down", "timeout", a.Config().HTTP.ShutdownTimeout.String())
	case runErr = <-a.fatal:
		a.Log.Error("shutting down after a fatal error", "err", runErr)
	}
	if err := a.Stop(context.WithoutCancel(ctx)); err != nil {
		a.Log.Error("shutdown incomplete", "err", err)
		if runErr == nil {
			runErr = err
		}
	}
	a.Log.Info("stopped")
	return runErr
}

// Stop shuts down a started app.
func (a *App) Stop(ctx context.Context) error {
	timeout := a.Config().HTTP.ShutdownTimeout
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := a.stopServer(ctx)
	if a.running != nil {
		err = errors.Join(err, a.running.Stop(ctx, timeout))
	}
	return err
}

func (a *App) stopServer(ctx context.Context) error {
	var err error
	a.stopHTTP.Do(func() {
		close(a.shutdown)
		if s := a.server.Load(); s != nil {
			err = s.Shutdown(ctx)
		}
	})
	return err
}

// handler is the process's HTTP entry point.
func (a *App) handler() http.Handler {
	cfg := a.Config()
	a.Health.Register(a.Mux)
	a.Mux.Handle("GET /metrics", promhttp.HandlerFor(a.Registry, promhttp.HandlerOpts{}))
	a.Mux.Handle("GET /admin/config", http.HandlerFunc(a.adminConfig))
	a.Mux.Handle("GET /admin/events/topics", http.HandlerFunc(a.adminTopics))
	// Everything no service answered: the web app (SPA fallback), except
	// the platform's own path prefixes, which stay problem+json 404s.
	a.Mux.Handle("/", web.Handler(httpx.MethodNotAllowed(a.Mux, httpx.NotFound())))
	metrics := httpx.NewMetrics(a.Registry)
	direct := bearerAuth(auth.Middleware(a.Verifier))(a.Local())
	entry := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h := a.front.Load(); h != nil {
			(*h).ServeHTTP(w, r)
			return
		}
		direct.ServeHTTP(w, r)
	})
	return httpx.Chain(entry,
		httpx.Trace(cfg.Tracing.Enabled),
		httpx.RequestID(), httpx.Recover(), httpx.Observe(a.Log, metrics),
		a.cors.Middleware(), httpx.BodyLimit(cfg.HTTP.MaxBodyBytes), a.gate)
}

// Local is the handler of what this process serves itself (its services,
// probes, docs), without token checks: the gateway calls it in process
// with the verified principal in the request's context.
func (a *App) Local() http.Handler { return httpx.RecordRoute(a.Mux) }

// SetFront makes h the receiver of every request after the shared
// middleware (request id, logs, CORS, body limit, start-up gate) in place
// of the token check and the mux: the gateway module calls it.
func (a *App) SetFront(h http.Handler) { a.front.Store(&h) }

// Runs reports whether the module runs in this process.
func (a *App) Runs(module string) bool { return slices.Contains(a.resolved, module) }

// SetKeySource makes the verifier read the issuer's keys from ks instead
// of over HTTP: the auth module calls it when it runs in this process.
func (a *App) SetKeySource(ks auth.KeySource) { a.keySource.Store(&ks) }

// Issuer is the URL of the token issuer, the "iss" of every token the
// auth target signs and every verifier expects: auth.issuer, or this
// process's own address with localhost for an unspecified host
// (http://localhost:8080 for ":8080"). A loopback address is kept as it is,
// so that a client reaching the process at 127.0.0.1 sees the issuer it
// asked.
func (a *App) Issuer() string {
	if iss := a.Config().Auth.Issuer; iss != "" {
		return strings.TrimRight(iss, "/")
	}
	host, port, err := net.SplitHostPort(a.Addr())
	if err != nil {
		return "http://localhost:8080"
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// keys is the verifier's key source: the in-process one when the auth
// module set it, else the issuer's JWKS over HTTP.
func (a *App) keys() auth.KeySource {
	cfg := a.Config().Auth
	remote := auth.HTTPKeySource(&http.Client{Timeout: 10 * time.Second}, a.Issuer(), cfg.JWKSURL)
	return auth.KeySourceFunc(func(ctx context.Context) ([]byte, error) {
		if ks := a.keySource.Load(); ks != nil {
			return (*ks).JWKS(ctx)
		}
		return remote.JWKS(ctx)
	})
}

// startVerifier adds the JWT verifier to the chain once the listener's
// address (the default issuer) is known. Keys load on the first token and
// then in the background, never per request.
func (a *App) startVerifier() error {
	cfg := a.Config().Auth
	leeway := cfg.Leeway
	if leeway == 0 {
		leeway = -1 // none, as configured (0 would mean the default)
	}
	v, err := auth.NewJWTVerifier(auth.JWTOptions{
		Issuer: a.Issuer(), Audience: cfg.Audience, Keys: a.keys(), Leeway: leeway,
		RefreshMinGap: cfg.JWKSMinRefreshGap, MaxAge: cfg.JWKSRefreshInterval,
	})
	if err != nil {
		return err
	}
	a.jwt = v
	a.Verifier.Use(v)
	go func() {
		// The issuer may be this very process, not serving yet.
		<-time.After(time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := v.Start(ctx); err != nil {
			a.Log.Debug("token issuer keys not loaded yet; they load on the first token", "issuer", a.Issuer(), "err", err)
		}
	}()
	return nil
}

// bearerAuth applies the bearer-token middleware everywhere but the
// OAuth protocol endpoints, which authenticate their own way (client
// credentials in a Basic header, the token being introspected or revoked,
// the access token userinfo is asked with).
func bearerAuth(m httpx.Middleware) httpx.Middleware {
	return func(next http.Handler) http.Handler {
		checked := m(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/oauth2/") {
				next.ServeHTTP(w, r)
				return
			}
			checked.ServeHTTP(w, r)
		})
	}
}

// gate answers 503 for everything but the probes until start-up is done,
// so no request reaches a service whose store is not there yet.
func (a *App) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.started.Load() {
			next.ServeHTTP(w, r)
			return
		}
		switch r.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			next.ServeHTTP(w, r)
			return
		}
		httpx.WriteProblem(w, r, errs.Unavailable(nil, "cdlc is starting: %s", *a.status.Load()))
	})
}

// adminConfig shows the process's effective configuration, secrets
// redacted, and where it came from.
func (a *App) adminConfig(w http.ResponseWriter, r *http.Request) {
	if _, err := auth.Require(r.Context(), "admin"); err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	body := map[string]any{
		"values":          config.Redacted(*a.Config()),
		"reloads":         a.Live.Version(),
		"remote_url":      a.Config().Remote.URL,
		"remote_revision": a.remoteRev.Load(),
	}
	writeJSON(w, body)
}

// adminTopics lists every event topic this binary declares, with its
// payload's version and JSON Schema: what a consumer of every topic (the
// analytics and datalake services, an operator with a broker client)
// reads to know what flows on the bus.
func (a *App) adminTopics(w http.ResponseWriter, r *http.Request) {
	if _, err := auth.Require(r.Context(), "admin"); err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"topics": events.Topics()})
}

// modules is the module graph: the shared modules, then one module per
// entry of the service table, and "all".
func (a *App) modules() *module.Graph {
	g := module.NewGraph()
	g.Register(module.Module{Name: "telemetry", Init: a.initTelemetry})
	g.Register(module.Module{Name: "http", Deps: []string{"telemetry"}, Init: a.initHTTP})
	g.Register(module.Module{Name: "remote", Deps: []string{"telemetry"}, Init: a.initRemote})
	g.Register(module.Module{Name: "bus", Deps: []string{"telemetry"}, Init: a.initBus})
	g.Register(module.Module{Name: "cache", Deps: []string{"telemetry"}, Init: a.initCache})
	g.Register(module.Module{Name: "revocations", Deps: []string{"bus"}, Init: a.initRevocations})
	var all []string
	for _, s := range a.services {
		// Every service checks tokens: every process keeps the deny list.
		deps := append([]string{"http", "remote", "revocations"}, s.SharedModules()...)
		g.Register(s.Module(a.rt, deps))
		all = append(all, s.Name)
	}
	g.Register(module.Module{Name: "all", Target: true, Deps: all})
	return g
}

// Services is the service table (for --list-targets and the tests).
func (a *App) Services() []*kit.Service { return a.services }

func (a *App) initTelemetry(ctx context.Context) (module.Service, error) {
	shutdown, err := telemetry.SetupTracing(ctx, a.Config().Tracing)
	if err != nil {
		return nil, err
	}
	return module.Funcs{OnStop: shutdown}, nil
}

func (a *App) initHTTP(context.Context) (module.Service, error) {
	cfg := a.Config()
	token, err := a.adminToken()
	if err != nil {
		return nil, err
	}
	a.Verifier.Add(token, auth.Principal{Subject: "admin", Scopes: []string{"admin", "config:read", "config:write", "config:secrets", "catalog:write"}, Roles: []string{"admin"}})
	srv := httpx.NewServer(cfg.HTTP, a.handler(), a.Log)
	return module.Funcs{
		OnStart: func(context.Context) error {
			if err := srv.Listen(); err != nil {
				return err
			}
			a.server.Store(srv)
			if err := a.startVerifier(); err != nil {
				return err
			}
			srv.Serve(a.Fatal)
			return nil
		},
		OnStop: func(ctx context.Context) error {
			if a.jwt != nil {
				a.jwt.Stop()
			}
			return a.stopServer(ctx)
		},
	}, nil
}

func (a *App) initBus(ctx context.Context) (module.Service, error) {
	cfg := a.Config().Events
	a.setStatus("connecting to the event bus (" + cfg.Driver + ")")
	err := a.retry(ctx, "event bus "+cfg.Driver, func(context.Context) error {
		b, err := events.New(cfg)
		if err != nil {
			return err
		}
		a.bus = b
		return nil
	})
	if err != nil {
		return nil, err
	}
	a.Health.Add("bus", a.bus.Ping)
	return module.Funcs{OnStop: func(context.Context) error { return a.bus.Close() }}, nil
}

func (a *App) initCache(context.Context) (module.Service, error) {
	c, err := cache.New(a.Config().Cache)
	if err != nil {
		return nil, err
	}
	a.cache = c
	a.loader = cache.NewLoader(c, cache.LoaderOptions{})
	a.Health.Add("cache", c.Ping)
	return module.Funcs{OnStop: func(context.Context) error { return c.Close() }}, nil
}

// Bus is the event bus (module "bus").
func (a *App) Bus() events.Bus { return a.bus }

// Cache is the read-through cache (module "cache").
func (a *App) Cache() *cache.Loader { return a.loader }

// retry runs fn until it succeeds or ctx ends, with exponential backoff and
// jitter, keeping /readyz and the start-up status saying what it waits for.
// Errors that retrying cannot fix (bad configuration, a dirty migration)
// end it at once.
func (a *App) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	return resilience.Retry(ctx, resilience.RetryPolicy{
		Initial: 250 * time.Millisecond, Max: 10 * time.Second, MaxAttempts: -1,
		Retryable: func(err error) bool {
			var dirty *db.DirtyError
			return !errors.As(err, &dirty) && !errs.Is(err, errs.KindInvalid)
		},
		OnRetry: func(attempt int, err error, wait time.Duration) {
			a.setStatus(fmt.Sprintf("waiting for %s: %v", what, err))
			a.Log.Warn("backend unavailable; retrying", "backend", what, "attempt", attempt, "wait", wait.Round(time.Millisecond).String(), "err", err)
		},
	}, fn)
}

// secretFile returns the content of a generated secret under the data
// directory, creating it with fresh random bytes when absent.
func (a *App) secretFile(name string, size int) (string, error) {
	path := filepath.Join(a.Config().DataDir, name)
	if b, err := os.ReadFile(path); err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(a.Config().DataDir, 0o750); err != nil {
		return "", err
	}
	buf := make([]byte, size)
	_, _ = rand.Read(buf)
	v := base64.RawURLEncoding.EncodeToString(buf)
	if err := os.WriteFile(path, []byte(v+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	a.Log.Warn("generated a secret; set it in the configuration for production", "file", path)
	return v, nil
}

func (a *App) adminToken() (string, error) {
	if t := a.Config().Auth.AdminToken; t != "" {
		return t, nil
	}
	return a.secretFile("admin-token", 24)
}

// ServiceMigrations are the migration sets of one service's database.
type ServiceMigrations struct {
	Service string
	Sets    []db.Migrations
}

// Migrations lists the migration sets of the named services (all when
// none are named); every database carries the outbox set first.
func Migrations(names []string) ([]ServiceMigrations, error) {
	var out []ServiceMigrations
	var valid []string
	services := table(nil)
	for _, s := range services {
		valid = append(valid, s.Name)
	}
	for _, s := range services {
		// A service without tables (the gateway) has no database.
		if len(s.Migrations) == 0 {
			continue
		}
		if len(names) == 0 || slices.Contains(names, s.Name) {
			out = append(out, ServiceMigrations{Service: s.Name, Sets: append([]db.Migrations{events.Migrations}, s.Migrations...)})
		}
	}
	for _, n := range names {
		if !slices.Contains(valid, n) {
			return nil, errs.Invalid("--service", "unknown service %q; services: %s", n, strings.Join(valid, ", "))
		}
	}
	return out, nil
}
