// Package searchindex plugs the platform's search index (platform/search)
// into the inventory service: Index is the service's Searcher, Handle the
// consumer of its title.* events that keeps the index current, and a
// rebuild from the store runs on start when the index is empty but the
// catalog is not, and after a bulk import (key inventory.AllTitles).
// Until that first rebuild completes, searches go to the SQL fallback
// (see package keeper for the rules).
package searchindex

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"

	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/search"
	"github.com/cdlc/cdlc/internal/platform/search/keeper"
)

// Name is the index's name under the search directory.
const Name = "inventory"

// Store is what the adapter reads: sqlstore.Store.
type Store interface {
	IndexDocs(ctx context.Context, afterID string, limit int) ([]search.Doc, error)
	ExistingIDs(ctx context.Context, ids []string) ([]string, error)
	CountDocs(ctx context.Context) (int, error)
	Get(ctx context.Context, id string) (inventory.Details, error)
}

// Index is the inventory's Searcher over the search index.
type Index struct {
	// Keeper gives Ready, Rebuild, RebuildAsync and Close.
	*keeper.Keeper
	store    Store
	fallback inventory.Searcher
}

var _ inventory.Searcher = (*Index)(nil)

// Open opens (creating) the titles index in dir/inventory and starts it:
// a background rebuild when it is empty and the store is not.
func Open(ctx context.Context, dir string, store Store, fallback inventory.Searcher, log *slog.Logger) (*Index, error) {
	idx, err := search.Open(search.Config{Dir: dir, Log: log}, Name)
	if err != nil {
		return nil, err
	}
	return Start(ctx, idx, store, fallback, log)
}

// Start keeps idx for store (see Open).
func Start(ctx context.Context, idx search.Index, store Store, fallback inventory.Searcher, log *slog.Logger) (*Index, error) {
	x := &Index{Keeper: keeper.New(idx, store.IndexDocs, store.ExistingIDs, store.CountDocs, log), store: store, fallback: fallback}
	if err := x.Keeper.Start(ctx); err != nil {
		return nil, errors.Join(err, idx.Close())
	}
	return x, nil
}

// Search answers from the index once it is ready, from the fallback
// before. Hits of titles the store no longer has are dropped.
func (x *Index) Search(ctx context.Context, q inventory.SearchQuery) ([]inventory.SearchHit, error) {
	if !x.Keeper.Ready() && x.fallback != nil {
		return x.fallback.Search(ctx, q)
	}
	hits, err := x.Keeper.Index().Search(ctx, search.Query{
		Text: q.Text, Kinds: q.Kinds, YearFrom: q.YearFrom, YearTo: q.YearTo, Limit: q.Limit, Autocomplete: q.Autocomplete,
	})
	if err != nil {
		return nil, err
	}
	out := make([]inventory.SearchHit, 0, len(hits))
	if len(hits) == 0 {
		return out, nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	have, err := x.store.ExistingIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	exists := make(map[string]bool, len(have))
	for _, id := range have {
		exists[id] = true
	}
	for _, h := range hits {
		if exists[h.ID] {
			out = append(out, inventory.SearchHit{ID: h.ID, Kind: h.Kind, Name: h.Name, Year: h.Year, Score: h.Score, Normalized: h.Normalized})
		}
	}
	return out, nil
}

// Handle consumes title.created, title.updated and title.deleted: the
// title is read again from the store and upserted (or deleted when it is
// gone); the key inventory.AllTitles starts a background rebuild.
func (x *Index) Handle(ctx context.Context, m events.Message) error {
	if m.Key == inventory.AllTitles {
		x.Keeper.RebuildAsync()
		return nil
	}
	var ev inventory.TitleEvent
	if err := json.Unmarshal(m.Payload, &ev); err != nil || ev.ID == "" {
		ev.ID = m.Key
	}
	if ev.ID == "" {
		return nil
	}
	if ev.ID == inventory.AllTitles {
		x.Keeper.RebuildAsync()
		return nil
	}
	return x.Keeper.Locked(func() error {
		if m.Topic == inventory.TitleDeleted.Name {
			return x.Keeper.Index().Delete(ctx, ev.ID)
		}
		d, err := x.store.Get(ctx, ev.ID)
		if errs.Is(err, errs.KindNotFound) {
			return x.Keeper.Index().Delete(ctx, ev.ID)
		}
		if err != nil {
			return err
		}
		docs := keeper.Clean([]search.Doc{Doc(d)})
		if len(docs) == 0 {
			return x.Keeper.Index().Delete(ctx, ev.ID)
		}
		return x.Keeper.Index().Upsert(ctx, docs...)
	})
}

// Doc is the search document of a title: title, original title and akas.
func Doc(d inventory.Details) search.Doc {
	names := addName(nil, d.Title.Title)
	names = addName(names, d.OriginalTitle)
	for _, a := range d.Akas {
		names = addName(names, a.Title)
	}
	return search.Doc{ID: d.ID, Kind: string(d.Kind), Names: names, Year: d.StartYear, Popularity: max(d.Popularity, 0)}
}

func addName(names []string, name string) []string {
	if name == "" {
		return names
	}
	for _, n := range names {
		if n == name {
			return names
		}
	}
	return append(names, name)
}
