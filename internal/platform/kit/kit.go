// Package kit is what every cdlc service is built with: the declaration a
// service makes in the service table (Service), the environment its Start
// receives (Env), and the lifecycle the platform runs around it, the same
// for every service:
//
//	start: open and migrate its database → start its outbox relay → the
//	       service's Start (build the domain, register its REST and gRPC
//	       APIs, bind its consumers) → subscribe the consumers it declared →
//	       start its background work → offer its in-process handle to callers
//	stop:  close the consumers → stop the background work → stop the relay
//	       and publish what is left in the outbox → the service's own
//	       closers, last registered first → close the database
//
// Consumers stop before the relay's final flush, so an event a consumer
// wrote to the outbox while stopping (a saga step) is still published;
// every consumer's success wakes the relay.
//
// The composition root (internal/app) holds the one table of services and
// derives from it the module graph (start order, --list-targets with
// dependencies), the gateway's routes, the peers and their readiness
// checks, the configuration sections and the migrations.
package kit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"connectrpc.com/connect"
	"github.com/danielgtaylor/huma/v2"

	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/httpx"
	"github.com/cdlc/cdlc/internal/platform/module"
)

// Service is one entry of the service table: everything the platform
// needs to know to run, route, call and configure a service.
type Service struct {
	// Name is the target name (--target=name), the key of its
	// configuration section, its database's name and its peers.<name> URL.
	Name string
	// Doc says in a few words what the service owns (for --list-targets).
	Doc string
	// Calls are the services this one calls through Peer, in process or
	// over gRPC. They do not order start-up (two services may call each
	// other); they are checked (Peer refuses a service not listed) and
	// shown by --list-targets.
	Calls []string
	// Uses are the shared modules it needs besides the HTTP server:
	// "bus", "cache".
	Uses []string
	// Migrations are its schema. A service with migrations gets its own
	// database, with the outbox tables, and an outbox relay.
	Migrations []db.Migrations
	// Routes are its public paths and the access each needs at the edge.
	Routes []Route
	// Config is its configuration section's defaults, a pointer to a struct
	// with koanf tags (and a Validate method naming the key at fault), under
	// the key ConfigKey; nil for none. Start reads the current value with
	// Section.
	Config any
	// ConfigKey is the section's key; empty means Name.
	ConfigKey string
	// Consumes are the event subscriptions it makes. Start binds each to a
	// handler with Env.Handle; one left unbound, or a handler for a
	// group not declared here, fails the start.
	Consumes []Consumer
	// Remote builds the gRPC client of the service for processes where it
	// does not run (its grpcapi.NewClient); nil when no service calls it.
	Remote func(hc connect.HTTPClient, baseURL string, opts ...connect.ClientOption) any
	// Start builds the service in env and returns its in-process handle
	// (what Peer gives callers in this process; nil for none). It must not
	// start goroutines itself: background work goes through Env.Go.
	Start func(ctx context.Context, env *Env) (any, error)
}

// Consumer is a subscription a service declares.
type Consumer struct {
	Topic string
	// Group is the consumer group: the instances of the service share a
	// group's messages, each applied once (at least once, made idempotent
	// by the handler).
	Group string
	// PerInstance makes every instance of the service hear every message
	// (its own group, private to the process): caches and watchers.
	PerInstance bool
}

// Runtime is what the composition root gives every service's lifecycle.
type Runtime struct {
	Log *slog.Logger
	// API and Mux are where services register their REST (huma) and gRPC
	// (connect) handlers.
	API huma.API
	Mux *http.ServeMux
	// Health holds the readiness checks.
	Health *httpx.Health
	// Bus and Cache return the shared modules (set once they started).
	Bus   func() events.Bus
	Cache func() *cache.Loader
	// OpenDB opens and migrates a service's database, waiting for the
	// server while it is unreachable.
	OpenDB func(ctx context.Context, service string, sets ...db.Migrations) (*db.DB, error)
	// RelayInterval is how often relays poll their outbox.
	RelayInterval func() time.Duration
	// Section returns the current value of a service's configuration
	// section.
	Section func(service string) any
	// Secret returns a configured secret, or one generated into the data
	// directory under file when raw is empty.
	Secret func(file, raw string) (string, error)
	// DataDir is the directory of embedded stores.
	DataDir func() string
	// Done closes when the process begins to shut down.
	Done <-chan struct{}
	// Peers resolves the services a service calls.
	Peers *Peers
}

// Env is what a service's Start receives: its database, the shared
// modules, where to register its APIs, its peers, and the hooks of its
// lifecycle.
type Env struct {
	// Name is the service's name.
	Name string
	// Log is the service's logger (with "service": Name).
	Log *slog.Logger
	API huma.API
	Mux *http.ServeMux
	// Health takes readiness checks the service adds.
	Health *httpx.Health
	// DB is its database, nil for a service without migrations.
	DB *db.DB
	// Bus is the event bus; services publish through their outbox.
	Bus events.Bus
	// Cache is the shared read-through cache.
	Cache *cache.Loader
	// Done closes when the process begins to shut down: long polls and
	// watch streams end on it.
	Done <-chan struct{}
	// DataDir holds the embedded stores.
	DataDir string

	svc      *Service
	rt       *Runtime
	relay    *events.Relay
	handlers map[string]events.Handler
	closers  []func(context.Context) error
	workers  []func(context.Context)
}

// Kick wakes the service's outbox relay: call it after a commit that
// enqueued events (a no-op for a service without a database).
func (e *Env) Kick() {
	if e.relay != nil {
		e.relay.Notify()
	}
}

// Handle binds the consumer declared with group to h.
func (e *Env) Handle(group string, h events.Handler) {
	if e.handlers == nil {
		e.handlers = map[string]events.Handler{}
	}
	e.handlers[group] = h
}

// OnStop registers f to release something the service opened; closers
// run after the consumers, background work and relay have stopped, last
// registered first, before the database closes.
func (e *Env) OnStop(f func(ctx context.Context) error) { e.closers = append(e.closers, f) }

// Go runs f in the background once the service has started, until the
// service stops (f must return when ctx ends).
func (e *Env) Go(f func(ctx context.Context)) { e.workers = append(e.workers, f) }

// Secret returns raw, or when it is empty a secret generated into the
// data directory under file (fine for a laptop; set it in production).
func (e *Env) Secret(file, raw string) (string, error) { return e.rt.Secret(file, raw) }

// Section returns the current value of the service's configuration
// section (reloadable settings change while it runs: read it on use).
func Section[T any](e *Env) *T {
	v, ok := e.rt.Section(e.Name).(*T)
	if !ok {
		panic(fmt.Sprintf("kit: the configuration section of %s is %T, not *%T", e.Name, e.rt.Section(e.Name), *new(T)))
	}
	return v
}

// Peer returns how the service reaches name, one of the services it
// declared in Calls: the in-process handle when name runs in this
// process, else its gRPC client at peers.<name>. Call the function on each
// use: the callee may start after the caller. When name neither runs here
// nor has a peer URL, or has not started yet, the handle is a client whose
// every call fails with errs.Unavailable saying so — the same error a
// peer that is down gives, so callers have one degraded path.
func Peer[T any](e *Env, name string) func() T {
	if !slices.Contains(e.svc.Calls, name) {
		panic(fmt.Sprintf("kit: %s calls %s, which its table entry does not list in Calls", e.Name, name))
	}
	peers := e.rt.Peers
	if _, ok := peers.handle(name).(T); !ok {
		panic(fmt.Sprintf("kit: %s's handle %T does not implement %T", name, peers.handle(name), *new(T)))
	}
	return func() T { return peers.handle(name).(T) }
}

// Module is the module of s: its Init prepares nothing but the Env; the
// lifecycle runs in Start and Stop.
func (s *Service) Module(rt *Runtime, deps []string) module.Module {
	return module.Module{Name: s.Name, Target: true, Deps: deps, Init: func(context.Context) (module.Service, error) {
		return &lifecycle{svc: s, rt: rt}, nil
	}}
}

// lifecycle runs one service.
type lifecycle struct {
	svc    *Service
	rt     *Runtime
	env    *Env
	subs   []events.Subscription
	cancel context.CancelFunc
	wg     sync.WaitGroup
	relay  sync.WaitGroup
	stopRl context.CancelFunc
}

func (l *lifecycle) Start(ctx context.Context) (err error) {
	s, rt := l.svc, l.rt
	env := &Env{
		Name: s.Name, Log: rt.Log.With("service", s.Name), API: rt.API, Mux: rt.Mux, Health: rt.Health,
		Done: rt.Done, DataDir: rt.DataDir(), svc: s, rt: rt,
	}
	shared := s.SharedModules()
	if slices.Contains(shared, "bus") {
		env.Bus = rt.Bus()
	}
	if slices.Contains(shared, "cache") {
		env.Cache = rt.Cache()
	}
	l.env = env
	defer func() {
		if err != nil {
			err = errors.Join(err, l.Stop(context.WithoutCancel(ctx)))
		}
	}()
	if len(s.Migrations) > 0 {
		if env.DB, err = rt.OpenDB(ctx, s.Name, s.Migrations...); err != nil {
			return err
		}
		env.relay = events.NewRelay(env.DB, env.Bus, events.RelayOptions{Interval: rt.RelayInterval()})
		rctx, cancel := context.WithCancel(context.Background())
		l.stopRl = cancel
		l.relay.Add(1)
		go func() {
			defer l.relay.Done()
			if err := env.relay.Run(rctx); err != nil && rctx.Err() == nil {
				env.Log.Error("outbox relay stopped", "err", err)
			}
		}()
	}
	handle, err := s.Start(ctx, env)
	if err != nil {
		return fmt.Errorf("start %s: %w", s.Name, err)
	}
	if err := l.subscribe(ctx); err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	for _, w := range env.workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			w(wctx)
		}()
	}
	if handle != nil {
		rt.Peers.setLocal(s.Name, handle)
	}
	return nil
}

// subscribe makes the declared subscriptions with the bound handlers.
func (l *lifecycle) subscribe(ctx context.Context) error {
	env := l.env
	var declared []string
	for _, c := range l.svc.Consumes {
		declared = append(declared, c.Group)
		h, ok := env.handlers[c.Group]
		if !ok {
			return fmt.Errorf("%s declares the consumer %s of %s but binds no handler to it (Env.Handle)", env.Name, c.Group, c.Topic)
		}
		var opts []events.SubscribeOption
		if c.PerInstance {
			opts = append(opts, events.Ephemeral())
		}
		wrapped := func(ctx context.Context, m events.Message) error {
			err := h(ctx, m)
			// A consumer may have written to the outbox (a saga step).
			env.Kick()
			return err
		}
		sub, err := env.Bus.Subscribe(ctx, c.Topic, c.Group, wrapped, opts...)
		if err != nil {
			return fmt.Errorf("%s: subscribe %s to %s: %w", env.Name, c.Group, c.Topic, err)
		}
		l.subs = append(l.subs, sub)
	}
	for g := range env.handlers {
		if !slices.Contains(declared, g) {
			return fmt.Errorf("%s binds a handler to the consumer %s, which its table entry does not declare in Consumes", env.Name, g)
		}
	}
	return nil
}

// Stop runs the lifecycle's stop in its one order; it is safe after a
// failed Start (it releases what was opened).
func (l *lifecycle) Stop(ctx context.Context) error {
	var err error
	for _, s := range l.subs {
		err = errors.Join(err, s.Close())
	}
	l.subs = nil
	if l.cancel != nil {
		l.cancel()
		l.wg.Wait()
	}
	env := l.env
	if env == nil {
		return err
	}
	if env.relay != nil && l.stopRl != nil {
		l.stopRl()
		l.relay.Wait()
		err = errors.Join(err, env.relay.Flush(ctx))
		l.stopRl = nil
	}
	for i := len(env.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, env.closers[i](ctx))
	}
	env.closers = nil
	if env.DB != nil {
		err = errors.Join(err, env.DB.Close())
		env.DB = nil
	}
	return err
}

// SharedModules are the shared modules s needs: those it Uses, and the
// bus whenever it has an outbox (migrations) or consumers.
func (s *Service) SharedModules() []string {
	out := slices.Clone(s.Uses)
	if (len(s.Migrations) > 0 || len(s.Consumes) > 0) && !slices.Contains(out, "bus") {
		out = append(out, "bus")
	}
	return out
}

// SectionKey is the key of s's configuration section.
func (s *Service) SectionKey() string {
	if s.ConfigKey != "" {
		return s.ConfigKey
	}
	return s.Name
}

// Describe is one line about s for --list-targets.
func (s *Service) Describe() string {
	var parts []string
	if len(s.Calls) > 0 {
		parts = append(parts, "calls "+strings.Join(s.Calls, ", "))
	}
	if len(s.Uses) > 0 {
		parts = append(parts, "uses "+strings.Join(s.Uses, ", "))
	}
	if len(s.Migrations) > 0 {
		parts = append(parts, "own database")
	}
	var topics []string
	for _, c := range s.Consumes {
		if !slices.Contains(topics, c.Topic) {
			topics = append(topics, c.Topic)
		}
	}
	if len(topics) > 0 {
		parts = append(parts, "consumes "+strings.Join(topics, ", "))
	}
	return strings.Join(parts, "; ")
}

// Index is a per-instance store a service keeps current from one of its
// consumer groups, such as a search index.
type Index interface {
	Handle(ctx context.Context, m events.Message) error
	Close() error
}

// OpenIndex opens a per-instance index and binds it to the consumer group
// that keeps it current, closing it when the service stops. When it cannot
// open (another process holds the data directory, say), it logs why,
// binds a consumer that lets the messages go, and reports false: the
// service then answers without it.
func OpenIndex[I Index](env *Env, group, what string, open func() (I, error)) (I, bool) {
	idx, err := open()
	if err != nil {
		env.Log.Warn(what+" unavailable; answering without it", "err", err)
		env.Handle(group, func(context.Context, events.Message) error { return nil })
		var zero I
		return zero, false
	}
	env.OnStop(func(context.Context) error { return idx.Close() })
	env.Handle(group, idx.Handle)
	return idx, true
}
