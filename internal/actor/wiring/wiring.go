// Package wiring starts the actor service on the platform's kit: its store
// and search index, the domain, the consumers that keep every instance's
// cache and index current, and its REST and gRPC APIs. Its table entry is
// in internal/app.
package wiring

import (
	"context"
	"path/filepath"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/actor/grpcapi"
	"github.com/cdlc/cdlc/internal/actor/httpapi"
	"github.com/cdlc/cdlc/internal/actor/searchindex"
	"github.com/cdlc/cdlc/internal/actor/sqlstore"
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/kit"
)

// The actor service's consumers, both per instance: every instance drops
// its own cached renderings (on its own changes and the inventory's title
// changes, since filmographies show titles' names and years) and keeps
// its own index.
const (
	GroupCache  = "actor-cache"
	GroupSearch = "actor-search"
)

// Start builds the actor service in env; its handle is the actor.Service
// other services call. Filmographies read titles from the inventory
// through its peer handle.
func Start(ctx context.Context, env *kit.Env) (any, error) {
	store := sqlstore.New(env.DB)
	titles := kit.Peer[inventory.Service](env, "inventory")
	var searcher actor.Searcher = store
	if idx, ok := kit.OpenIndex(env, GroupSearch, "people search index (searching with SQL)", func() (*searchindex.Index, error) {
		return searchindex.Open(ctx, filepath.Join(env.DataDir, "search"), store, store, env.Log.With("index", searchindex.Name))
	}); ok {
		searcher = idx
	}
	svc := actor.New(actor.Options{Store: store, Search: searcher, Titles: titleLookup(titles), Cache: env.Cache, Kick: env.Kick})
	env.Handle(GroupCache, svc.HandleChanged)
	httpapi.Register(env.API, svc)
	env.Mux.Handle(grpcapi.Handler(svc))
	return actor.Service(svc), nil
}

// titleLookup adapts the inventory's Summaries for filmographies.
func titleLookup(inv func() inventory.Service) actor.TitleLookup {
	return func(ctx context.Context, ids []string) ([]actor.TitleSummary, error) {
		ss, err := inv().Summaries(ctx, ids)
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
