// Package searchindex plugs the platform's search index (platform/search)
// into the actor service: Index is the service's Searcher (hits completed
// with professions, known-for and popularity from one batch read of the
// people found), Handle the consumer of its person.* and credits.changed
// events that keeps the index current, and a rebuild from the store runs
// on start when the index is empty but the store is not, and after a bulk
// import (credits.changed with key actor.AllPeople). Until that first
// rebuild completes, searches go to the SQL fallback (see package keeper).
package searchindex

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/search"
	"github.com/cdlc/cdlc/internal/platform/search/keeper"
)

// Name is the index's name under the search directory.
const Name = "actor"

// Store is what the adapter reads: sqlstore.Store.
type Store interface {
	IndexDocs(ctx context.Context, afterID string, limit int) ([]search.Doc, error)
	ExistingIDs(ctx context.Context, ids []string) ([]string, error)
	CountDocs(ctx context.Context) (int, error)
	HitPeople(ctx context.Context, ids []string) (map[string]actor.Person, error)
	People(ctx context.Context, ids []string) (found map[string]actor.Person, merged map[string]string, err error)
}

// Index is the actor service's Searcher over the search index.
type Index struct {
	// Keeper gives Ready, Rebuild, RebuildAsync and Close.
	*keeper.Keeper
	store    Store
	fallback actor.Searcher
}

var _ actor.Searcher = (*Index)(nil)

// Open opens (creating) the people index in dir/actor and starts it: a
// background rebuild when it is empty and the store is not.
func Open(ctx context.Context, dir string, store Store, fallback actor.Searcher, log *slog.Logger) (*Index, error) {
	idx, err := search.Open(search.Config{Dir: dir, Log: log}, Name)
	if err != nil {
		return nil, err
	}
	x := &Index{Keeper: keeper.New(idx, store.IndexDocs, store.ExistingIDs, store.CountDocs, log), store: store, fallback: fallback}
	if err := x.Keeper.Start(ctx); err != nil {
		return nil, errors.Join(err, idx.Close())
	}
	return x, nil
}

// SearchPeople answers from the index once it is ready, from the fallback
// before. People the store no longer has are dropped.
func (x *Index) SearchPeople(ctx context.Context, q actor.SearchQuery) ([]actor.PersonHit, error) {
	if !x.Keeper.Ready() && x.fallback != nil {
		return x.fallback.SearchPeople(ctx, q)
	}
	hits, err := x.Keeper.Index().Search(ctx, search.Query{Text: q.Text, Limit: q.Limit, Autocomplete: q.Autocomplete})
	if err != nil {
		return nil, err
	}
	out := make([]actor.PersonHit, 0, len(hits))
	if len(hits) == 0 {
		return out, nil
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	found, err := x.store.HitPeople(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, h := range hits {
		p, ok := found[h.ID]
		if !ok {
			continue
		}
		out = append(out, actor.PersonHit{
			ID: p.ID, Name: p.Name, Professions: nonNil(p.Professions), KnownFor: nonNil(p.KnownFor),
			Popularity: p.Popularity, Score: h.Score, Normalized: h.Normalized,
		})
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Handle consumes the person.* topics and credits.changed: the people an
// event names are read again and upserted (or deleted when gone; a merged
// person's old id is deleted and the survivor refreshed); the key
// actor.AllPeople starts a background rebuild. Other credit changes do not
// touch names and are ignored.
func (x *Index) Handle(ctx context.Context, m events.Message) error {
	if m.Key == actor.AllPeople {
		x.Keeper.RebuildAsync()
		return nil
	}
	if m.Topic == actor.CreditsChanged.Name {
		return nil
	}
	var ev actor.PersonEvent
	_ = json.Unmarshal(m.Payload, &ev)
	ids := append([]string{}, ev.IDs...)
	if ev.ID != "" {
		ids = append(ids, ev.ID)
	} else if len(ids) == 0 && m.Key != "" {
		ids = append(ids, m.Key)
	}
	if ev.MergedInto != "" {
		ids = append(ids, ev.MergedInto)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) == 0 {
		return nil
	}
	return x.Keeper.Locked(func() error {
		found, _, err := x.store.People(ctx, ids)
		if err != nil {
			return err
		}
		var put []search.Doc
		var gone []string
		for _, id := range ids {
			if p, ok := found[id]; ok {
				put = append(put, Doc(p))
			} else {
				gone = append(gone, id)
			}
		}
		put = keeper.Clean(put)
		if len(gone) > 0 {
			if err := x.Keeper.Index().Delete(ctx, gone...); err != nil {
				return err
			}
		}
		if len(put) == 0 {
			return nil
		}
		return x.Keeper.Index().Upsert(ctx, put...)
	})
}

// Doc is the search document of a person: name then also-known-as.
func Doc(p actor.Person) search.Doc {
	names := search.AddName(nil, p.Name)
	for _, n := range p.AlsoKnownAs {
		names = search.AddName(names, n)
	}
	return search.Doc{ID: p.ID, Kind: "person", Names: names, Year: actor.BirthYear(p.BirthDate), Popularity: p.Popularity}
}
