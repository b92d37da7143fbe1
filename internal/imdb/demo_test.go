package imdb_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	actorsql "github.com/cdlc/cdlc/internal/actor/sqlstore"
	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/imdb"
	"github.com/cdlc/cdlc/internal/inventory"
	invsql "github.com/cdlc/cdlc/internal/inventory/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// features are the kinds the web app's home rows list.
var features = []inventory.Kind{inventory.KindMovie, inventory.KindSeries, inventory.KindMiniSeries, inventory.KindTVMovie}

// The bundled file parses, and has the size and spread the issue asks for.
func TestDemoCatalog(t *testing.T) {
	c, err := imdb.Demo()
	require.NoError(t, err)
	films, series := 0, 0
	decades := map[int]bool{}
	for _, ti := range c.Titles {
		switch ti.Kind {
		case inventory.KindMovie:
			films++
			decades[ti.StartYear/10*10] = true
		case inventory.KindSeries, inventory.KindMiniSeries:
			series++
		}
	}
	require.GreaterOrEqual(t, films, 40)
	require.LessOrEqual(t, films, 60)
	require.GreaterOrEqual(t, series, 3)
	require.GreaterOrEqual(t, len(decades), 9, "films from the 1930s to the 2020s")
	seasons := map[string]map[int]bool{}
	for _, e := range c.Episodes {
		if seasons[e.ParentID] == nil {
			seasons[e.ParentID] = map[int]bool{}
		}
		seasons[e.ParentID][e.Season] = true
	}
	require.Len(t, seasons, series, "every series has episodes")
	require.Len(t, seasons["tt0903747"], 2, "Breaking Bad has two seasons")
	for _, p := range c.People {
		require.NotEmpty(t, p.Professions, p.ID)
		require.NotEmpty(t, p.KnownFor, p.ID)
	}
}

// demoStores opens the inventory and actor stores on cfg (migrated by a
// first load).
func demoStores(t testing.TB, cfg db.Config) (*invsql.Store, *actorsql.Store) {
	t.Helper()
	inv, act := dbtest.Open(t, cfg, "inventory"), dbtest.Open(t, cfg, "actor")
	return invsql.New(inv), actorsql.New(act)
}

func loadDemo(t testing.TB, cfg db.Config) {
	t.Helper()
	sink, err := imdb.OpenSQLSink(context.Background(), cfg, app.CatalogStores)
	require.NoError(t, err)
	defer sink.Close()
	_, err = imdb.LoadDemo(context.Background(), sink)
	require.NoError(t, err)
}

func top10(t testing.TB, st *invsql.Store, sort string, votesMin int64) []string {
	t.Helper()
	rows, err := st.Discover(context.Background(), inventory.DiscoverQuery{Kinds: features, Sort: sort, Desc: true, VotesMin: votesMin, Limit: 10})
	require.NoError(t, err)
	require.Len(t, rows, 10)
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// The demo loaded into the services' stores gives the home page three
// different rows, every film and series what a title page shows, and a
// second load changes nothing (same rows, same versions, one event per
// load and none per row).
func TestDemoInTheStores(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			cfg := b.Config(t)
			loadDemo(t, cfg)
			titles, people := demoStores(t, cfg)

			popular := top10(t, titles, inventory.SortPopularity, 0)
			rated := top10(t, titles, inventory.SortRating, 100000)
			recent := top10(t, titles, inventory.SortReleaseDate, 0)
			require.NotEqual(t, popular, rated)
			require.NotEqual(t, popular, recent)
			require.NotEqual(t, rated, recent)
			// Each order is its own: the most popular title is not the best
			// rated, nor the newest.
			require.NotEqual(t, popular[0], rated[0])
			require.NotEqual(t, popular[0], recent[0])

			c, err := imdb.Demo()
			require.NoError(t, err)
			for _, want := range c.Titles {
				got, err := titles.Get(ctx, want.ID)
				require.NoError(t, err, want.ID)
				require.NotEmpty(t, got.ReleaseDate, want.ID)
				require.Len(t, got.ReleaseDate, len("2006-01-02"), want.ID)
				require.NotZero(t, got.RuntimeMinutes, want.ID)
				require.NotEmpty(t, got.Genres, want.ID)
				if got.Kind == inventory.KindEpisode {
					require.NotEmpty(t, got.ParentID, want.ID)
					require.NotZero(t, got.SeasonNumber, want.ID)
					require.NotZero(t, got.EpisodeNumber, want.ID)
					continue
				}
				require.NotEmpty(t, got.Overview, want.ID)
				require.NotZero(t, got.Rating.Average, want.ID)
				require.NotZero(t, got.Rating.Votes, want.ID)
				require.NotZero(t, got.Popularity, want.ID)
				credits, err := people.CreditsOfTitle(ctx, want.ID)
				require.NoError(t, err)
				var directors, cast int
				for _, cr := range credits {
					switch cr.Department {
					case actor.DeptDirecting:
						directors++
					case actor.DeptActing:
						cast++
						require.NotEmpty(t, cr.Characters, "%s %s", want.ID, cr.PersonID)
					}
				}
				require.GreaterOrEqual(t, directors, 1, want.ID)
				require.GreaterOrEqual(t, cast, 3, want.ID)
			}
			seasons, err := titles.Seasons(ctx, "tt0903747")
			require.NoError(t, err)
			require.Len(t, seasons, 2)
			require.Equal(t, 13, seasons[1].EpisodeCount)
			require.Equal(t, "2009-03-08", seasons[1].AirDate)

			state := func() []int {
				return []int{count(t, cfg, "inventory", "titles"), count(t, cfg, "inventory", "title_akas"), count(t, cfg, "inventory", "title_genres"),
					count(t, cfg, "actor", "people"), count(t, cfg, "actor", "credits"),
					sum(t, cfg, "inventory", "SELECT SUM(version) FROM titles"), sum(t, cfg, "actor", "SELECT SUM(version) FROM people")}
			}
			first := state()
			require.Equal(t, 1, count(t, cfg, "inventory", "outbox"), "one event per load")
			loadDemo(t, cfg)
			require.Equal(t, first, state(), "a second load changes nothing")
			require.Equal(t, 2, count(t, cfg, "inventory", "outbox"), "one event per load")
		})
	}
}

// A catalog seeded by an earlier demo, without overviews or dates, gets
// them from the next load; what an operator wrote since stays.
func TestDemoFillsWhatAnEarlierLoadLeftEmpty(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			cfg := b.Config(t)
			loadDemo(t, cfg) // migrates
			titles, _ := demoStores(t, cfg)
			const godfather, shining = "tt0068646", "tt0081505"
			for _, id := range []string{godfather, shining} {
				_, err := titles.Update(ctx, id, 0, func(d *inventory.Details) error {
					d.Overview, d.ReleaseDate, d.OriginalLang = "", "", ""
					return nil
				}, noEvent)
				require.NoError(t, err)
			}
			_, err := titles.Update(ctx, shining, 0, func(d *inventory.Details) error {
				d.Overview = "Our own words."
				return nil
			}, noEvent)
			require.NoError(t, err)
			before, err := titles.Get(ctx, godfather)
			require.NoError(t, err)
			require.Empty(t, before.Overview)

			loadDemo(t, cfg)
			gf, err := titles.Get(ctx, godfather)
			require.NoError(t, err)
			require.Contains(t, gf.Overview, "crime family")
			require.Equal(t, "1972-03-24", gf.ReleaseDate)
			require.Equal(t, "en", gf.OriginalLang)
			require.Equal(t, before.Version+1, gf.Version)
			sh, err := titles.Get(ctx, shining)
			require.NoError(t, err)
			require.Equal(t, "Our own words.", sh.Overview, "an operator's overview stays")
			require.Equal(t, "1980-05-23", sh.ReleaseDate, "an empty date is filled in")

			// An IMDb ratings row has no popularity: the store derives it.
			require.NoError(t, titles.UpsertRatings(ctx, []inventory.RatingRow{{TitleID: godfather, Rating: inventory.Rating{Average: 9.2, Votes: 2100000}}}))
			gf, err = titles.Get(ctx, godfather)
			require.NoError(t, err)
			require.Equal(t, inventory.PopularityFromRating(gf.Rating), gf.Popularity)
			require.False(t, slices.Contains([]float64{0, 64.5}, gf.Popularity))
		})
	}
}

func noEvent(d inventory.Details) events.Message {
	return events.Message{Topic: inventory.TitleUpdated.Name, Key: d.ID, Payload: []byte(`{}`)}
}
