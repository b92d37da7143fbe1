// Package wiring starts the inventory on the platform's kit: its store and
// search index, the catalog, the consumers that keep every instance's
// cached renderings and index current, and its REST and gRPC APIs. Its
// table entry is in internal/app.
package wiring

import (
	"context"
	"path/filepath"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/inventory/grpcapi"
	"github.com/cdlc/cdlc/internal/inventory/httpapi"
	"github.com/cdlc/cdlc/internal/inventory/searchindex"
	"github.com/cdlc/cdlc/internal/inventory/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/kit"
)

// The inventory's consumers. Both are per instance: every instance drops
// its own cached renderings and keeps its own index.
const (
	GroupCache  = "inventory-cache"
	GroupSearch = "inventory-search"
)

// Start builds the inventory in env; its handle is the inventory.Service
// other services call. Credits and person filters go to the actor
// service through its peer handle.
func Start(ctx context.Context, env *kit.Env) (any, error) {
	store := sqlstore.New(env.DB)
	people := kit.Peer[actor.Service](env, "actor")
	// The search index answers searches; without it (it failed to open,
	// e.g. another process holds the data dir) the SQL LIKE search does.
	var searcher inventory.Searcher = store
	if idx, ok := kit.OpenIndex(env, GroupSearch, "title search index (searching with SQL)", func() (*searchindex.Index, error) {
		return searchindex.Open(ctx, filepath.Join(env.DataDir, "search"), store, store, env.Log.With("index", searchindex.Name))
	}); ok {
		searcher = idx
	}
	svc := inventory.New(inventory.Options{
		Store: store, Searcher: searcher, Cache: env.Cache, Kick: env.Kick, Credits: people,
	})
	env.Handle(GroupCache, svc.HandleChanged)
	httpapi.Register(env.API, svc, func() inventory.PersonTitles {
		p, _ := people().(inventory.PersonTitles)
		return p
	})
	env.Mux.Handle(grpcapi.Handler(svc))
	return inventory.Service(svc), nil
}
