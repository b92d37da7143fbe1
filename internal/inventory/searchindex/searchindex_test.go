package searchindex_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/inventory/searchindex"
	"github.com/cdlc/cdlc/internal/inventory/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/search"
)

// countingFallback records that the SQL fallback answered.
type countingFallback struct {
	inventory.Searcher
	calls atomic.Int64
}

func (c *countingFallback) Search(ctx context.Context, q inventory.SearchQuery) ([]inventory.SearchHit, error) {
	c.calls.Add(1)
	return c.Searcher.Search(ctx, q)
}

func titles(from, n int, name string) []inventory.Title {
	var ts []inventory.Title
	for i := range n {
		ts = append(ts, inventory.Title{ID: fmt.Sprintf("tt%07d", from+i), Kind: inventory.KindMovie, Title: fmt.Sprintf("%s %d", name, from+i), Genres: []string{}})
	}
	return ts
}

// A store with titles and an empty index: Start rebuilds in the
// background, the fallback answers until it is done; a bulk import's "*"
// event rebuilds again; a reopened index is ready at once.
func TestRebuilds(t *testing.T) {
	dbtest.Each(t, "inventory", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
		store := sqlstore.New(d)
		require.NoError(t, store.UpsertTitles(ctx, titles(1, 4500, "Godfather")))
		dir := t.TempDir()
		fb := &countingFallback{Searcher: store}
		x, err := searchindex.Open(ctx, dir, store, fb, slog.Default())
		require.NoError(t, err)
		hits, err := x.Search(ctx, inventory.SearchQuery{Text: "godfather", Limit: 5})
		require.NoError(t, err)
		if !x.Ready() {
			require.NotZero(t, fb.calls.Load(), "the fallback answers before the first rebuild")
		}
		require.NotEmpty(t, hits)
		require.Eventually(t, x.Ready, 30*time.Second, 10*time.Millisecond)
		calls := fb.calls.Load()
		hits, err = x.Search(ctx, inventory.SearchQuery{Text: "godfater 4321", Limit: 5})
		require.NoError(t, err)
		require.Equal(t, calls, fb.calls.Load(), "the index answers once ready")
		require.NotEmpty(t, hits)
		require.Equal(t, "tt0004321", hits[0].ID)

		// A bulk import, then its one "every title" event.
		require.NoError(t, store.UpsertTitles(ctx, titles(9001, 3, "Casablanca")))
		require.NoError(t, x.Handle(ctx, events.Message{Topic: inventory.TitleUpdated.Name, Key: inventory.AllTitles, Payload: []byte(`{"id":"*"}`)}))
		require.Eventually(t, func() bool {
			hits, err := x.Search(ctx, inventory.SearchQuery{Text: "casablanka", Limit: 5})
			return err == nil && len(hits) == 3
		}, 30*time.Second, 10*time.Millisecond)
		require.NoError(t, x.Close())

		x, err = searchindex.Open(ctx, dir, store, fb, slog.Default())
		require.NoError(t, err)
		defer x.Close()
		require.True(t, x.Ready(), "a filled index answers at once")
	})
}

// Titles deleted while no process listened (no event reaches the index)
// leave the index at the next start: a background sweep checks its ids
// against the store.
func TestStartSweepsTitlesDeletedMeanwhile(t *testing.T) {
	dbtest.Each(t, "inventory", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
		store := sqlstore.New(d)
		require.NoError(t, store.UpsertTitles(ctx, titles(1, 2500, "Godfather")))
		dir := t.TempDir()
		x, err := searchindex.Open(ctx, dir, store, store, slog.Default())
		require.NoError(t, err)
		require.Eventually(t, x.Ready, 30*time.Second, 10*time.Millisecond)
		require.NoError(t, x.Close())

		// While the server is down: two titles go, one in the second page
		// of the sweep.
		for _, id := range []string{"tt0000007", "tt0002222"} {
			require.NoError(t, store.Delete(ctx, id, 0, func(inventory.Details) events.Message {
				return events.Message{Topic: inventory.TitleDeleted.Name, Key: id}
			}))
		}
		x, err = searchindex.Open(ctx, dir, store, store, slog.Default())
		require.NoError(t, err)
		defer x.Close()
		require.True(t, x.Ready())
		require.Eventually(t, func() bool {
			n, err := x.Keeper.Index().Count(ctx)
			return err == nil && n == 2498
		}, 30*time.Second, 10*time.Millisecond)
		hits, err := x.Keeper.Index().Search(ctx, search.Query{Text: "godfather 2222"})
		require.NoError(t, err)
		for _, h := range hits {
			require.NotEqual(t, "tt0002222", h.ID)
		}
		removed, err := x.Sweep(ctx)
		require.NoError(t, err)
		require.Zero(t, removed, "nothing left to sweep")
	})
}
