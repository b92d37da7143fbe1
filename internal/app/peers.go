package app

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"time"

	"connectrpc.com/connect"

	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/kit"
	"github.com/cdlc/cdlc/internal/platform/rpc"
)

// runtime is what every service's lifecycle gets from this process.
func (a *App) runtime() *kit.Runtime {
	return &kit.Runtime{
		Log: a.Log, API: a.API, Mux: a.Mux, Health: a.Health,
		Bus:           func() events.Bus { return a.bus },
		Cache:         func() *cache.Loader { return a.loader },
		OpenDB:        a.OpenDB,
		RelayInterval: func() time.Duration { return a.Config().Outbox.Interval },
		Section: func(name string) any {
			for _, s := range a.services {
				if s.Name == name {
					return a.Config().Services[s.SectionKey()]
				}
			}
			return nil
		},
		Secret:  a.configuredSecret,
		DataDir: func() string { return a.Config().DataDir },
		Done:    a.shutdown,
	}
}

// connectPeers builds the resolver of the services the running ones call
// (in process, or over gRPC at peers.<name> through the peer's breaker,
// timeouts and retries: rpc.Peer), and the readiness checks of every
// remote peer this process calls or routes to. This is the one place where
// the deployment shape is decided.
func (a *App) connectPeers() {
	cfg := a.Config()
	// Each attempt has the deadline rpc.timeout (the interceptor's); the
	// client's own timeout is a backstop for anything else (readiness).
	hc := &http.Client{Timeout: cfg.RPC.Timeout + time.Second}
	a.peers = kit.NewPeers(kit.PeersOptions{
		Table: a.services, URLs: cfg.Peers, Client: hc, Runs: a.Runs,
		Options: func(name string) []connect.ClientOption {
			return rpc.NewPeer(name, cfg.RPC, a.breakerMetrics()).ClientOptions()
		},
	})
	a.rt.Peers = a.peers
	// Readiness covers every configured peer this process calls (over
	// gRPC, or through the gateway's proxy), in a stable order. A called
	// peer that is not configured is reported once: its callers answer
	// with what they can without it.
	called := map[string][]string{}
	for _, s := range a.services {
		if !a.Runs(s.Name) {
			continue
		}
		for _, c := range s.Calls {
			called[c] = append(called[c], s.Name)
		}
		if s.Name == "gateway" {
			for _, o := range a.services {
				if len(o.Routes) > 0 {
					called[o.Name] = append(called[o.Name], "gateway")
				}
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(called)) {
		if a.Runs(name) {
			continue
		}
		if cfg.Peers[name] == "" {
			a.Log.Warn("a service this process calls neither runs here nor has a peer URL; its callers answer without it",
				"peer", name, "callers", called[name], "set", "peers."+name)
			continue
		}
		a.Health.Add("peer:"+name, a.peers.Check(hc, name))
	}
	// A peer URL nobody here calls is still checked: the operator meant it.
	for _, name := range slices.Sorted(maps.Keys(cfg.Peers)) {
		if _, ok := called[name]; !ok && !a.Runs(name) {
			a.Health.Add("peer:"+name, a.peers.Check(hc, name))
		}
	}
}

// Peer returns the handle of the service name as callers in a's process
// see it: in process when it runs there, else its gRPC client (or a client
// answering Unavailable when it is not configured). For tests and
// operator commands.
func Peer[T any](a *App, name string) (T, error) {
	var zero T
	if a.peers == nil {
		return zero, errors.New("the app has not started")
	}
	h, ok := a.peers.Handle(name).(T)
	if !ok {
		return zero, errors.New("the handle of " + name + " is not of the type asked")
	}
	return h, nil
}

// OpenDB opens and migrates a service's database, retrying while the
// server is unreachable. The outbox tables come with every database.
func (a *App) OpenDB(ctx context.Context, service string, sets ...db.Migrations) (*db.DB, error) {
	a.setStatus("connecting to the database of " + service)
	var d *db.DB
	err := a.retry(ctx, "the database of "+service, func(ctx context.Context) error {
		var err error
		if d == nil {
			if d, err = db.Open(ctx, a.Config().DB, service); err != nil {
				return err
			}
		}
		return d.Migrate(append([]db.Migrations{events.Migrations}, sets...)...)
	})
	if err != nil {
		if d != nil {
			d.Close()
		}
		return nil, err
	}
	a.Health.Add("db:"+service, d.Ping)
	return d, nil
}

// Provide makes h the in-process handle of the service name, in place of
// whatever would answer for it: tests use it to play a service.
func (a *App) Provide(name string, h any) { a.peers.SetLocal(name, h) }
