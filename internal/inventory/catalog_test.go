package inventory_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/inventory/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// countingStore counts full reads, to tell cache hits from loads.
type countingStore struct {
	inventory.Store
	gets atomic.Int64
}

func (s *countingStore) Get(ctx context.Context, id string) (inventory.Details, error) {
	s.gets.Add(1)
	return s.Store.Get(ctx, id)
}

type fakeActor struct{ credits []actor.Credit }

func (f *fakeActor) People(context.Context, []string) (actor.Batch, error) { return actor.Batch{}, nil }

func (f *fakeActor) TitlesOfPerson(context.Context, string) ([]string, error) { return nil, nil }

func (f *fakeActor) Search(context.Context, actor.SearchQuery) ([]actor.PersonHit, error) {
	return nil, nil
}

func (f *fakeActor) CreditsOfTitle(context.Context, string) ([]actor.Credit, error) {
	return f.credits, nil
}

func newCatalog(t *testing.T, credits func() actor.Service) (*inventory.Catalog, *countingStore) {
	t.Helper()
	d := dbtest.Open(t, dbtest.SQLiteConfig(t), "inventory")
	require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
	c, err := cache.New(cache.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	store := &countingStore{Store: sqlstore.New(d)}
	return inventory.New(inventory.Options{Store: store, Cache: cache.NewLoader(c, cache.LoaderOptions{}), Credits: credits}), store
}

func ptr[T any](v T) *T { return &v }

func TestCatalogCachesRenderingsUntilAnEvent(t *testing.T) {
	ctx := context.Background()
	fa := &fakeActor{credits: []actor.Credit{
		{PersonID: "nm0000008", Department: actor.DeptActing, Job: "actor", Characters: []string{"Don Vito Corleone"}, Order: 1},
		{PersonID: "nm0000338", Department: actor.DeptDirecting, Job: "director"},
	}}
	cat, store := newCatalog(t, func() actor.Service { return fa })
	d, err := cat.Create(ctx, inventory.TitleFields{Kind: ptr(inventory.KindMovie), Title: ptr("The Godfather")})
	require.NoError(t, err)

	r1, err := cat.TitleJSON(ctx, d.ID, inventory.AppendCredits)
	require.NoError(t, err)
	require.Empty(t, r1.Partial)
	require.Contains(t, string(r1.Body), "Don Vito Corleone")
	require.Contains(t, string(r1.Body), `"crew":[{`)
	for range 10 {
		r, err := cat.TitleJSON(ctx, d.ID, inventory.AppendCredits)
		require.NoError(t, err)
		require.Equal(t, r1.ETag, r.ETag)
	}
	require.EqualValues(t, 1, store.gets.Load(), "warm reads come from the cache")

	// The actor service says the credits changed: the rendering goes.
	fa.credits = fa.credits[:1]
	require.NoError(t, cat.HandleChanged(ctx, events.Message{Topic: actor.CreditsChanged.Name, Key: d.ID}))
	r2, err := cat.TitleJSON(ctx, d.ID, inventory.AppendCredits)
	require.NoError(t, err)
	require.NotEqual(t, r1.ETag, r2.ETag)
	require.Contains(t, string(r2.Body), `"crew":[]`)
	require.EqualValues(t, 2, store.gets.Load())

	// An import's "*" event drops everything.
	require.NoError(t, cat.HandleChanged(ctx, events.Message{Topic: inventory.TitleUpdated.Name, Key: inventory.AllTitles}))
	_, err = cat.TitleJSON(ctx, d.ID, inventory.AppendCredits)
	require.NoError(t, err)
	require.EqualValues(t, 3, store.gets.Load())
}

func TestCatalogWithoutActorAndSummaries(t *testing.T) {
	ctx := context.Background()
	cat, _ := newCatalog(t, nil)
	a, err := cat.Create(ctx, inventory.TitleFields{Kind: ptr(inventory.KindMovie), Title: ptr("A"), Images: []inventory.Image{{Kind: "poster", Path: "/a.jpg"}}})
	require.NoError(t, err)
	b, err := cat.Create(ctx, inventory.TitleFields{Kind: ptr(inventory.KindSeries), Title: ptr("B")})
	require.NoError(t, err)
	r, err := cat.TitleJSON(ctx, a.ID, inventory.AppendCredits)
	require.NoError(t, err)
	require.Equal(t, inventory.CreditsNotConfigured, r.Partial)
	require.Contains(t, string(r.Body), `"credits":{"available":false,"reason":"`+inventory.CreditsNotConfigured+`","cast":[],"crew":[]}`)

	var svc inventory.Service = cat
	got, err := svc.Summaries(ctx, []string{b.ID, "bogus", "ct0000000000000000", a.ID})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, b.ID, got[0].ID, "in the order asked")
	require.Equal(t, a.ID, got[1].ID)
	require.Equal(t, "/a.jpg", got[1].Poster)
}

func TestAppendOf(t *testing.T) {
	require.Equal(t, inventory.AppendCredits|inventory.AppendExternalIDs, inventory.AppendOf([]string{"external_ids", "credits"}))
	for i, n := range inventory.AppendNames {
		require.Equal(t, inventory.Append(1)<<i, inventory.AppendOf([]string{n}), n)
	}
	require.Equal(t, inventory.AppendSimilar, inventory.AppendOf([]string{"similar"}))
}
