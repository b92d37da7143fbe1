package app

import (
	"context"
	"errors"
	inventorygrpc "github.com/cdlc/cdlc/internal/inventory/grpcapi"
	"path/filepath"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/inventory/httpapi"
	"github.com/cdlc/cdlc/internal/inventory/searchindex"
	"github.com/cdlc/cdlc/internal/inventory/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/module"
)

func init() {
	register(ServiceModule{
		Name:       "inventory",
		Deps:       []string{"bus", "cache"},
		Migrations: []db.Migrations{sqlstore.Migrations},
		Init:       initInventory,
	})
}

// initInventory wires the catalog: its database (with the outbox), its
// relay, the consumers that keep every instance's cached renderings
// current (title.* and the actor service's credits.changed), and its API.
// Credits and person filters go to a.Actor, looked up on each use: the
// actor module may start after this one, or run in another process (then
// credits are reported unavailable until the gRPC client lands).
func initInventory(ctx context.Context, a *App) (module.Service, error) {
	d, err := a.OpenDB(ctx, "inventory", sqlstore.Migrations)
	if err != nil {
		return nil, err
	}
	relay := a.StartRelay(d)
	store := sqlstore.New(d)
	// The search index answers searches; without it (it failed to open,
	// e.g. another process holds the data dir) the SQL LIKE search does.
	var searcher inventory.Searcher = store
	idx, err := searchindex.Open(ctx, a.searchDir(), store, store, a.Log.With("index", searchindex.Name))
	if err != nil {
		a.Log.Warn("title search index unavailable; searching with SQL", "err", err)
	} else {
		searcher = idx
	}
	svc := inventory.New(inventory.Options{
		Store: store, Searcher: searcher, Cache: a.Cache(), Kick: relay.Notify,
		Credits: func() actor.Service { return a.Actor },
	})
	var subs []events.Subscription
	stop := func(ctx context.Context) error {
		err := relay.Stop(ctx)
		for _, s := range subs {
			err = errors.Join(err, s.Close())
		}
		if idx != nil {
			err = errors.Join(err, idx.Close())
		}
		return errors.Join(err, d.Close())
	}
	// Every instance hears every change (its own group) to drop its
	// cached renderings.
	for _, topic := range []string{inventory.TopicTitleCreated, inventory.TopicTitleUpdated, inventory.TopicTitleDeleted, actor.TopicCreditsChanged} {
		sub, err := a.Bus().Subscribe(ctx, topic, "inventory-cache", svc.HandleChanged, events.Ephemeral())
		if err != nil {
			return nil, errors.Join(err, stop(ctx))
		}
		subs = append(subs, sub)
	}
	// Every instance keeps its own index current (its own group).
	if idx != nil {
		for _, topic := range []string{inventory.TopicTitleCreated, inventory.TopicTitleUpdated, inventory.TopicTitleDeleted} {
			sub, err := a.Bus().Subscribe(ctx, topic, "inventory-search", idx.Handle, events.Ephemeral())
			if err != nil {
				return nil, errors.Join(err, stop(ctx))
			}
			subs = append(subs, sub)
		}
	}
	httpapi.Register(a.API, svc, func() inventory.PersonTitles {
		if p, ok := a.Actor.(inventory.PersonTitles); ok {
			return p
		}
		return nil
	})
	a.Mux.Handle(inventorygrpc.Handler(svc))
	a.Inventory = svc
	return module.Funcs{OnStop: stop}, nil
}

// searchDir holds the embedded search indexes, one directory per service:
// <data_dir>/search/<service>.
func (a *App) searchDir() string { return filepath.Join(a.Config().DataDir, "search") }
