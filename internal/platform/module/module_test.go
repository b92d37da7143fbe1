package module_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/module"
)

func graph(events *[]string, failStart string) *module.Graph {
	g := module.NewGraph()
	add := func(name string, target bool, deps ...string) {
		g.Register(module.Module{Name: name, Target: target, Deps: deps, Init: func(context.Context) (module.Service, error) {
			return module.Funcs{
				OnStart: func(context.Context) error {
					if name == failStart {
						return errors.New("boom")
					}
					*events = append(*events, "start "+name)
					return nil
				},
				OnStop: func(context.Context) error { *events = append(*events, "stop "+name); return nil },
			}, nil
		}})
	}
	add("db", false)
	add("bus", false)
	add("http", false)
	add("config", true, "db", "bus", "http")
	add("inventory", true, "db", "http")
	add("all", true, "config", "inventory")
	return g
}

func TestStartFollowsDepsAndStopReverses(t *testing.T) {
	var ev []string
	g := graph(&ev, "")
	r, err := g.Start(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), []string{"config"})
	require.NoError(t, err)
	require.Equal(t, []string{"db", "bus", "http", "config"}, r.Modules())
	require.NoError(t, r.Stop(context.Background(), time.Second))
	require.Equal(t, []string{"start db", "start bus", "start http", "start config", "stop config", "stop http", "stop bus", "stop db"}, ev)
}

func TestSharedDepsStartOnce(t *testing.T) {
	var ev []string
	names, err := graph(&ev, "").Resolve([]string{"config", "inventory"})
	require.NoError(t, err)
	require.Equal(t, []string{"db", "bus", "http", "config", "inventory"}, names)
}

func TestUnknownTargetListsValidOnes(t *testing.T) {
	var ev []string
	_, err := graph(&ev, "").Resolve([]string{"inventroy"})
	require.True(t, errs.Is(err, errs.KindInvalid))
	require.Contains(t, err.Error(), `unknown target "inventroy"`)
	require.Contains(t, err.Error(), "all, config, inventory")
	_, err = graph(&ev, "").Resolve([]string{"db"})
	require.Error(t, err, "infrastructure modules are not targets")
}

func TestFailedStartStopsWhatStarted(t *testing.T) {
	var ev []string
	_, err := graph(&ev, "http").Start(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)), []string{"config"})
	require.ErrorContains(t, err, "start http: boom")
	require.Equal(t, []string{"start db", "start bus", "stop bus", "stop db"}, ev)
}

func TestDuplicateRegistrationPanics(t *testing.T) {
	g := module.NewGraph()
	g.Register(module.Module{Name: "x"})
	require.Panics(t, func() { g.Register(module.Module{Name: "x"}) })
}

func TestCycleIsReported(t *testing.T) {
	g := module.NewGraph()
	g.Register(module.Module{Name: "a", Target: true, Deps: []string{"b"}})
	g.Register(module.Module{Name: "b", Deps: []string{"a"}})
	_, err := g.Resolve([]string{"a"})
	require.ErrorContains(t, err, "cycle")
}
