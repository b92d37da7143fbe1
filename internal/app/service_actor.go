package app

import (
	"context"
	"errors"
	"github.com/cdlc/cdlc/internal/actor/grpcapi"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/actor/httpapi"
	"github.com/cdlc/cdlc/internal/actor/searchindex"
	"github.com/cdlc/cdlc/internal/actor/sqlstore"
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/module"
)

func init() {
	register(ServiceModule{
		Name:       "actor",
		Deps:       []string{"bus", "cache"},
		Migrations: []db.Migrations{sqlstore.Migrations},
		Init:       initActor,
	})
}

// actorCacheTopics are the events that make cached people, filmographies
// and title credits stale: the service's own, and the inventory's title
// changes (filmographies show titles' names and years).
var actorCacheTopics = append(append([]string{}, actor.Topics...), inventory.TopicTitleCreated, inventory.TopicTitleUpdated, inventory.TopicTitleDeleted)

// initActor wires the actor service: its database (with the outbox), its
// relay, the consumer that keeps every instance's cache current, the
// in-process handle other services call, and its API.
func initActor(ctx context.Context, a *App) (module.Service, error) {
	d, err := a.OpenDB(ctx, "actor", sqlstore.Migrations)
	if err != nil {
		return nil, err
	}
	relay := a.StartRelay(d)
	store := sqlstore.New(d)
	// The search index answers searches; without it (it failed to open,
	// e.g. another process holds the data dir) the SQL LIKE search does.
	var searcher actor.Searcher = store
	idx, err := searchindex.Open(ctx, a.searchDir(), store, store, a.Log.With("index", searchindex.Name))
	if err != nil {
		a.Log.Warn("people search index unavailable; searching with SQL", "err", err)
	} else {
		searcher = idx
	}
	svc := actor.New(actor.Options{Store: store, Search: searcher, Titles: a.titleLookup(), Cache: a.Cache(), Kick: relay.Notify})
	// Every instance hears every change (its own group) to drop its
	// cached renderings.
	var subs []events.Subscription
	stop := func(ctx context.Context) error {
		var err error
		for _, s := range subs {
			err = errors.Join(err, s.Close())
		}
		if idx != nil {
			err = errors.Join(err, idx.Close())
		}
		return errors.Join(err, relay.Stop(ctx), d.Close())
	}
	for _, topic := range actorCacheTopics {
		sub, err := a.Bus().Subscribe(ctx, topic, "actor-cache", svc.HandleChanged, events.Ephemeral())
		if err != nil {
			return nil, errors.Join(err, stop(ctx))
		}
		subs = append(subs, sub)
	}
	// Every instance keeps its own index current (its own group).
	if idx != nil {
		for _, topic := range actor.Topics {
			sub, err := a.Bus().Subscribe(ctx, topic, "actor-search", idx.Handle, events.Ephemeral())
			if err != nil {
				return nil, errors.Join(err, stop(ctx))
			}
			subs = append(subs, sub)
		}
	}
	httpapi.Register(a.API, svc)
	a.Mux.Handle(grpcapi.Handler(svc))
	a.Actor = svc
	return module.Funcs{OnStop: stop}, nil
}

// titleLookup adapts the inventory's Summaries for filmographies, asked
// at call time: the inventory's module may start after this one. Nil
// when the inventory is not in this process (gRPC comes later).
func (a *App) titleLookup() actor.TitleLookup {
	return func(ctx context.Context, ids []string) ([]actor.TitleSummary, error) {
		inv := a.Inventory
		if inv == nil {
			return nil, errNoInventory
		}
		ss, err := inv.Summaries(ctx, ids)
		if err != nil {
			return nil, err
		}
		out := make([]actor.TitleSummary, len(ss))
		for i, s := range ss {
			out[i] = actor.TitleSummary{ID: s.ID, Kind: string(s.Kind), Title: s.Title, Year: s.StartYear}
		}
		return out, nil
	}
}

var errNoInventory = errors.New("the inventory service does not run in this process")
