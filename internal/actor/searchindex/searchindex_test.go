package searchindex_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/actor/searchindex"
	"github.com/cdlc/cdlc/internal/actor/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/search"
)

func ids(hits []actor.PersonHit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func msg(t *testing.T, topic, key string, ev any) events.Message {
	b, err := json.Marshal(ev)
	require.NoError(t, err)
	return events.Message{Topic: topic, Key: key, Payload: b}
}

// Person events keep the index current: created, updated, merged (the old
// id leaves, the survivor is refreshed), deleted; credits.changed with
// key AllPeople rebuilds; hits carry the person's lists.
func TestEventsKeepTheIndexCurrent(t *testing.T) {
	dbtest.Each(t, "actor", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
		store := sqlstore.New(d)
		x, err := searchindex.Open(ctx, t.TempDir(), store, store, slog.Default())
		require.NoError(t, err)
		defer x.Close()
		require.True(t, x.Ready(), "an empty store needs no rebuild")

		a, err := store.CreatePerson(ctx, actor.Record{Person: actor.Person{ID: "nm0000199", Name: "Al Pacino", Professions: []string{"actor"}, KnownFor: []string{"tt0068646"}, Popularity: 40}})
		require.NoError(t, err)
		b, err := store.CreatePerson(ctx, actor.Record{Person: actor.Person{ID: "nm9999999", Name: "Alfredo Pacino", Popularity: 1}})
		require.NoError(t, err)
		for _, p := range []actor.Person{a, b} {
			require.NoError(t, x.Handle(ctx, msg(t, actor.PersonCreated.Name, p.ID, actor.PersonEvent{ID: p.ID})))
		}
		hits, err := x.SearchPeople(ctx, actor.SearchQuery{Text: "pacnio", Limit: 10})
		require.NoError(t, err)
		require.Equal(t, []string{a.ID, b.ID}, ids(hits))
		require.Equal(t, []string{"actor"}, hits[0].Professions)
		require.Equal(t, []string{"tt0068646"}, hits[0].KnownFor)
		require.Equal(t, 40.0, hits[0].Popularity)
		require.Equal(t, []string{}, hits[1].Professions)

		_, err = store.Merge(ctx, a.ID, b.ID, -1)
		require.NoError(t, err)
		require.NoError(t, x.Handle(ctx, msg(t, actor.PersonMerged.Name, b.ID, actor.PersonEvent{ID: b.ID, MergedInto: a.ID})))
		hits, err = x.SearchPeople(ctx, actor.SearchQuery{Text: "alfredo", Limit: 10})
		require.NoError(t, err)
		require.NotContains(t, ids(hits), b.ID)

		// A bulk import writes without events, then ends with one "*".
		require.NoError(t, store.UpsertPeople(ctx, []actor.Record{{Person: actor.Person{ID: "nm0000008", Name: "Marlon Brando", Popularity: 30}}}))
		require.NoError(t, x.Handle(ctx, msg(t, actor.CreditsChanged.Name, actor.AllPeople, actor.CreditsEvent{TitleID: actor.AllPeople})))
		require.Eventually(t, func() bool {
			hits, err := x.SearchPeople(ctx, actor.SearchQuery{Text: "marl", Autocomplete: true, Limit: 10})
			return err == nil && len(hits) == 1 && hits[0].ID == "nm0000008"
		}, 30*time.Second, 10*time.Millisecond)

		require.NoError(t, store.DeletePerson(ctx, a.ID, -1))
		require.NoError(t, x.Handle(ctx, msg(t, actor.PersonDeleted.Name, a.ID, actor.PersonEvent{ID: a.ID})))
		hits, err = x.SearchPeople(ctx, actor.SearchQuery{Text: "pacino", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, hits)
	})
}

// People deleted while no process listened leave the index at the next
// start (a background sweep), and a rebuild drops them too.
func TestStaleEntriesConverge(t *testing.T) {
	dbtest.Each(t, "actor", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
		store := sqlstore.New(d)
		var recs []actor.Record
		for i := range 30 {
			recs = append(recs, actor.Record{Person: actor.Person{ID: fmt.Sprintf("nm%07d", i+1), Name: fmt.Sprintf("Marlon Brando %d", i+1), Popularity: 1}})
		}
		require.NoError(t, store.UpsertPeople(ctx, recs))
		dir := t.TempDir()
		x, err := searchindex.Open(ctx, dir, store, store, slog.Default())
		require.NoError(t, err)
		require.Eventually(t, x.Ready, 30*time.Second, 10*time.Millisecond)
		require.NoError(t, x.Close())

		require.NoError(t, store.DeletePerson(ctx, "nm0000003", -1)) // no one hears the event
		x, err = searchindex.Open(ctx, dir, store, store, slog.Default())
		require.NoError(t, err)
		defer x.Close()
		require.Eventually(t, func() bool {
			n, err := x.Keeper.Index().Count(ctx)
			return err == nil && n == 29
		}, 30*time.Second, 10*time.Millisecond)

		// A rebuild (the import's "*") replaces the content: what the store
		// lost goes too.
		require.NoError(t, store.DeletePerson(ctx, "nm0000004", -1))
		require.NoError(t, x.Rebuild(ctx))
		n, err := x.Keeper.Index().Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 28, n)
		hits, err := x.Keeper.Index().Search(ctx, search.Query{Text: "brando 4"})
		require.NoError(t, err)
		for _, h := range hits {
			require.NotEqual(t, "nm0000004", h.ID)
		}
	})
}
