// Package module runs a process as a graph of modules: each declares its
// name and the modules it depends on; the targets chosen on the command line
// pull in their dependencies; start-up follows the graph and shutdown runs in
// reverse. It is modelled on Grafana Loki's module manager, reduced to what
// cdlc needs.
package module

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Service is a started module. Start must return once the module is
// serving (long work goes to goroutines); Stop must release everything
// within ctx's deadline.
type Service interface {
	Start(ctx context.Context) error
	Stop(ctx context.Context) error
}

// Funcs adapts two functions to Service; either may be nil.
type Funcs struct {
	OnStart func(ctx context.Context) error
	OnStop  func(ctx context.Context) error
}

// Start calls OnStart.
func (f Funcs) Start(ctx context.Context) error {
	if f.OnStart == nil {
		return nil
	}
	return f.OnStart(ctx)
}

// Stop calls OnStop.
func (f Funcs) Stop(ctx context.Context) error {
	if f.OnStop == nil {
		return nil
	}
	return f.OnStop(ctx)
}

// Module is one node of the graph.
type Module struct {
	Name string
	// Deps are the modules that must be started before this one.
	Deps []string
	// Target marks a module an operator may name in --target; the others
	// (db, bus, http server...) come in only as dependencies.
	Target bool
	// Init builds the service. It runs in dependency order, so it may use
	// what its dependencies built. A nil Service means nothing to start.
	Init func(ctx context.Context) (Service, error)
}

// Graph is the set of modules of a binary.
type Graph struct {
	mods  map[string]Module
	order []string // registration order, for stable output
}

// NewGraph returns an empty graph.
func NewGraph() *Graph { return &Graph{mods: map[string]Module{}} }

// Register adds m. It panics on a duplicate name: that is a programming error.
func (g *Graph) Register(m Module) {
	if _, dup := g.mods[m.Name]; dup {
		panic("module registered twice: " + m.Name)
	}
	g.mods[m.Name] = m
	g.order = append(g.order, m.Name)
}

// Targets lists the names an operator may pass to --target, sorted.
func (g *Graph) Targets() []string {
	var out []string
	for _, n := range g.order {
		if g.mods[n].Target {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// Deps returns a module's declared dependencies.
func (g *Graph) Deps(name string) []string { return slices.Clone(g.mods[name].Deps) }

// Resolve returns the modules needed for targets, each after its
// dependencies. An unknown target is an Invalid error listing the valid ones.
func (g *Graph) Resolve(targets []string) ([]string, error) {
	var out []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(name string, path []string) error
	visit = func(name string, path []string) error {
		m, ok := g.mods[name]
		if !ok {
			return fmt.Errorf("module %s depends on unknown module %s", strings.Join(path, " -> "), name)
		}
		switch state[name] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("module dependency cycle: %s -> %s", strings.Join(path, " -> "), name)
		}
		state[name] = 1
		for _, d := range m.Deps {
			if err := visit(d, append(path, name)); err != nil {
				return err
			}
		}
		state[name] = 2
		out = append(out, name)
		return nil
	}
	for _, t := range targets {
		t = strings.TrimSpace(t)
		if m, ok := g.mods[t]; !ok || !m.Target {
			return nil, errs.Invalid("--target", "unknown target %q; valid targets: %s", t, strings.Join(g.Targets(), ", "))
		}
		if err := visit(t, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Running is a started set of modules.
type Running struct {
	log      *slog.Logger
	names    []string
	services map[string]Service
}

// Start initialises and starts the modules for targets in dependency order.
// If any fails, the ones already started are stopped (in reverse) and the
// error returned.
func (g *Graph) Start(ctx context.Context, log *slog.Logger, targets []string) (*Running, error) {
	names, err := g.Resolve(targets)
	if err != nil {
		return nil, err
	}
	r := &Running{log: log, services: map[string]Service{}}
	for _, n := range names {
		m := g.mods[n]
		var svc Service
		if m.Init != nil {
			if svc, err = m.Init(ctx); err != nil {
				r.Stop(context.WithoutCancel(ctx), 10*time.Second)
				return nil, fmt.Errorf("init %s: %w", n, err)
			}
		}
		if svc != nil {
			t0 := time.Now()
			if err := svc.Start(ctx); err != nil {
				r.Stop(context.WithoutCancel(ctx), 10*time.Second)
				return nil, fmt.Errorf("start %s: %w", n, err)
			}
			r.services[n] = svc
			log.Debug("module started", "module", n, "took", time.Since(t0).String())
		}
		r.names = append(r.names, n)
	}
	return r, nil
}

// Modules lists the running modules in start order.
func (r *Running) Modules() []string { return slices.Clone(r.names) }

// Stop stops every module in reverse start order, within timeout overall.
// It goes on past a module that fails or overruns, so that the rest still
// release what they hold, and returns every error joined.
func (r *Running) Stop(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var all error
	for i := len(r.names) - 1; i >= 0; i-- {
		n := r.names[i]
		svc, ok := r.services[n]
		if !ok {
			continue
		}
		t0 := time.Now()
		if err := svc.Stop(ctx); err != nil {
			all = errors.Join(all, fmt.Errorf("stop %s: %w", n, err))
			r.log.Error("module stop failed", "module", n, "err", err)
			continue
		}
		r.log.Debug("module stopped", "module", n, "took", time.Since(t0).String())
	}
	return all
}
