package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/inventory/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

func open(t *testing.T, d *db.DB) *sqlstore.Store {
	t.Helper()
	require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
	return sqlstore.New(d)
}

func event(topic string) func(inventory.Details) events.Message {
	return func(d inventory.Details) events.Message {
		return events.Message{Topic: topic, Key: d.ID, Payload: []byte(`{}`)}
	}
}

func outboxCount(t *testing.T, d *db.DB) int {
	var n int
	require.NoError(t, d.Writer().QueryRow("SELECT COUNT(*) FROM outbox").Scan(&n))
	return n
}

func count(t *testing.T, d *db.DB, table string) int {
	var n int
	require.NoError(t, d.Writer().QueryRow("SELECT COUNT(*) FROM "+table).Scan(&n))
	return n
}

func godfather() inventory.Details {
	return inventory.Details{
		Title: inventory.Title{ID: "ct0000000000000001", Kind: inventory.KindMovie, Title: "The Godfather", StartYear: 1972, ReleaseDate: "1972-03-24",
			RuntimeMinutes: 175, Genres: []string{"crime", "drama"}, SpokenLangs: []string{"en", "it"}, Countries: []string{"US"},
			OriginalLang: "en", Popularity: 90, Rating: inventory.Rating{Average: 9.2, Votes: 2000000}},
		Akas:           []inventory.Aka{{Title: "Le Parrain", Region: "FR", Language: "fr", Types: []string{"imdbDisplay"}}},
		Releases:       []inventory.Release{{Country: "US", Date: "1972-03-24", Type: "theatrical"}},
		Certifications: []inventory.Certification{{Country: "US", Certification: "R"}},
		Images:         []inventory.Image{{Kind: "poster", Path: "/p/godfather.jpg", Width: 500, Height: 750, Sizes: []string{"w185", "w500"}}},
		ExternalIDs:    &inventory.ExternalIDs{IMDb: "tt0068646", TMDB: 238},
	}
}

func TestWritesAndReads(t *testing.T) {
	dbtest.Each(t, "inventory", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := open(t, d)
		_, err := s.Get(ctx, "ct0000000000000001")
		require.True(t, errs.Is(err, errs.KindNotFound), "%v", err)

		g := godfather()
		created, err := s.Create(ctx, g, event(inventory.TitleCreated.Name))
		require.NoError(t, err)
		require.EqualValues(t, 1, created.Version)
		require.Equal(t, 1, outboxCount(t, d), "the event is in the outbox with the write")

		got, err := s.Get(ctx, g.ID)
		require.NoError(t, err)
		require.Equal(t, "The Godfather", got.Title.Title)
		require.Equal(t, []string{"crime", "drama"}, got.Genres)
		require.Equal(t, []string{"en", "it"}, got.SpokenLangs)
		require.Equal(t, g.Akas, got.Akas)
		require.Equal(t, g.Images, got.Images)
		require.Equal(t, g.Certifications, got.Certifications)
		require.Equal(t, g.Releases, got.Releases)
		require.Equal(t, *g.ExternalIDs, *got.ExternalIDs)
		require.Equal(t, 9.2, got.Rating.Average)

		_, err = s.Create(ctx, g, event(inventory.TitleCreated.Name))
		require.True(t, errs.Is(err, errs.KindConflict), "%v", err)

		id, err := s.FindExternal(ctx, "tmdb", "238")
		require.NoError(t, err)
		require.Equal(t, g.ID, id)
		id, err = s.FindExternal(ctx, "imdb", "tt0068646")
		require.NoError(t, err)
		require.Equal(t, g.ID, id)
		_, err = s.FindExternal(ctx, "tmdb", "1")
		require.True(t, errs.Is(err, errs.KindNotFound))

		// A second title may not take the first one's external id; nothing is written.
		other := godfather()
		other.ID = "ct0000000000000002"
		_, err = s.Create(ctx, other, event(inventory.TitleCreated.Name))
		require.True(t, errs.Is(err, errs.KindInvalid), "%v", err)
		_, err = s.Get(ctx, other.ID)
		require.True(t, errs.Is(err, errs.KindNotFound), "the failed create left nothing behind")
		require.Equal(t, 1, outboxCount(t, d))

		// A stale version and a failing change change nothing.
		_, err = s.Update(ctx, g.ID, 7, func(d *inventory.Details) error { d.Title.Title = "x"; return nil }, event(inventory.TitleUpdated.Name))
		require.True(t, errs.Is(err, errs.KindPrecondition), "%v", err)
		_, err = s.Update(ctx, g.ID, 1, func(d *inventory.Details) error {
			d.Genres = []string{"comedy"}
			return errs.Invalid("body.title", "no")
		}, event(inventory.TitleUpdated.Name))
		require.True(t, errs.Is(err, errs.KindInvalid))
		got, err = s.Get(ctx, g.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"crime", "drama"}, got.Genres)
		require.EqualValues(t, 1, got.Version)
		require.Equal(t, 1, outboxCount(t, d))

		up, err := s.Update(ctx, g.ID, 1, func(d *inventory.Details) error { d.Genres = []string{"drama"}; d.Akas = nil; return nil }, event(inventory.TitleUpdated.Name))
		require.NoError(t, err)
		require.EqualValues(t, 2, up.Version)
		got, err = s.Get(ctx, g.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"drama"}, got.Genres)
		require.Empty(t, got.Akas)
		require.Equal(t, 2, outboxCount(t, d))

		sums, err := s.Summaries(ctx, []string{g.ID, "ct0000000000000009"})
		require.NoError(t, err)
		require.Len(t, sums, 1)
		require.Equal(t, "/p/godfather.jpg", sums[0].Poster)

		require.NoError(t, s.Delete(ctx, g.ID, 2, event(inventory.TitleDeleted.Name)))
		_, err = s.Get(ctx, g.ID)
		require.True(t, errs.Is(err, errs.KindNotFound))
		require.Zero(t, count(t, d, "title_genres"))
		require.Zero(t, count(t, d, "title_external_ids"))
		require.Equal(t, 3, outboxCount(t, d))
	})
}

func TestBulkUpsertsAreIdempotent(t *testing.T) {
	dbtest.Each(t, "inventory", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := open(t, d)
		var titles []inventory.Title
		for i := range 3000 {
			titles = append(titles, inventory.Title{ID: fmt.Sprintf("tt%07d", i+1), Kind: inventory.KindEpisode, Title: fmt.Sprintf("Episode %d", i), StartYear: 2000 + i%20,
				Genres: []string{"drama", "crime"}})
		}
		titles = append(titles, inventory.Title{ID: "tt9000001", Kind: inventory.KindSeries, Title: "The Show", Genres: []string{"drama"}})
		var akas []inventory.AkaRow
		var ratings []inventory.RatingRow
		var eps []inventory.EpisodeRow
		for i := range 3000 {
			id := fmt.Sprintf("tt%07d", i+1)
			akas = append(akas, inventory.AkaRow{TitleID: id, Ordering: 1, Aka: inventory.Aka{Title: "Épisode", Region: "FR"}},
				inventory.AkaRow{TitleID: id, Ordering: 2, Aka: inventory.Aka{Title: "Folge", Region: "DE"}})
			ratings = append(ratings, inventory.RatingRow{TitleID: id, Rating: inventory.Rating{Average: 7.5, Votes: int64(i)}})
			eps = append(eps, inventory.EpisodeRow{ID: id, ParentID: "tt9000001", Season: 1 + i/1000, Episode: 1 + i%1000})
		}
		akas = append(akas, inventory.AkaRow{TitleID: "tt9999999", Ordering: 1, Aka: inventory.Aka{Title: "ghost"}})
		ratings = append(ratings, inventory.RatingRow{TitleID: "tt9999999", Rating: inventory.Rating{Average: 1, Votes: 1}})
		for round := range 2 {
			require.NoError(t, s.UpsertTitles(ctx, titles))
			require.NoError(t, s.UpsertAkas(ctx, akas))
			require.NoError(t, s.UpsertRatings(ctx, ratings))
			require.NoError(t, s.UpsertEpisodes(ctx, eps))
			require.Equal(t, 3001, count(t, d, "titles"), "round %d", round)
			require.Equal(t, 6001, count(t, d, "title_genres"), "round %d", round)
			require.Equal(t, 6000, count(t, d, "title_akas"), "round %d: rows of unknown titles are skipped", round)
		}
		got, err := s.Get(ctx, "tt0000010")
		require.NoError(t, err)
		require.EqualValues(t, 4, got.Version, "created, then akas, rating and episode link: each a change; the second round none")
		require.Equal(t, 7.5, got.Rating.Average)
		require.EqualValues(t, 9, got.Rating.Votes)
		require.Positive(t, got.Popularity)
		require.Equal(t, "tt9000001", got.ParentID)
		require.Len(t, got.Akas, 2)

		// A re-import with new basics keeps ratings and links.
		titles[9].Title = "Renamed"
		require.NoError(t, s.UpsertTitles(ctx, titles[9:10]))
		got, err = s.Get(ctx, "tt0000010")
		require.NoError(t, err)
		require.Equal(t, "Renamed", got.Title.Title)
		require.Equal(t, 7.5, got.Rating.Average)
		require.Equal(t, "tt9000001", got.ParentID)

		seasons, err := s.Seasons(ctx, "tt9000001")
		require.NoError(t, err)
		require.Len(t, seasons, 3)
		require.Equal(t, 1000, seasons[0].EpisodeCount)
		eps2, err := s.Episodes(ctx, "tt9000001", 2)
		require.NoError(t, err)
		require.Len(t, eps2, 1000)
		require.Equal(t, 1, eps2[0].EpisodeNumber)
		id, err := s.EpisodeID(ctx, "tt9000001", 3, 5)
		require.NoError(t, err)
		require.Equal(t, "tt0002005", id)
	})
}

func TestDiscoverPagesAreStableWithTies(t *testing.T) {
	dbtest.Each(t, "inventory", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := open(t, d)
		var titles []inventory.Title
		for i := range 57 {
			titles = append(titles, inventory.Title{ID: fmt.Sprintf("tt%07d", 100+i), Kind: inventory.KindMovie, Title: fmt.Sprintf("Film %02d", i%5),
				StartYear: 1990 + i%3, Genres: []string{"drama"}})
		}
		require.NoError(t, s.UpsertTitles(ctx, titles))
		var ratings []inventory.RatingRow
		for i := range 57 {
			// Only three distinct ratings: many ties.
			ratings = append(ratings, inventory.RatingRow{TitleID: fmt.Sprintf("tt%07d", 100+i), Rating: inventory.Rating{Average: float64(6 + i%3), Votes: 10}})
		}
		require.NoError(t, s.UpsertRatings(ctx, ratings))
		for _, sort := range []string{inventory.SortPopularity, inventory.SortRating, inventory.SortTitle, inventory.SortReleaseDate} {
			for _, desc := range []bool{true, false} {
				q := inventory.DiscoverQuery{Sort: sort, Desc: desc, Limit: 10, Kinds: []inventory.Kind{inventory.KindMovie}}
				seen := map[string]bool{}
				var prev *inventory.Listed
				for {
					page, err := s.Discover(ctx, q)
					require.NoError(t, err)
					for i := range page {
						require.False(t, seen[page[i].ID], "%s %v: %s twice", sort, desc, page[i].ID)
						seen[page[i].ID] = true
						if prev != nil && sort == inventory.SortRating {
							a, b := prev.Rating.Average, page[i].Rating.Average
							if desc {
								require.GreaterOrEqual(t, a, b)
							} else {
								require.LessOrEqual(t, a, b)
							}
						}
						prev = &page[i]
					}
					if len(page) < q.Limit {
						break
					}
					p := page[len(page)-1].Pos()
					q.After = &p
				}
				require.Len(t, seen, 57, "%s desc=%v: every title once", sort, desc)
			}
		}
		page, err := s.Discover(ctx, inventory.DiscoverQuery{Sort: inventory.SortPopularity, Desc: true, Limit: 100, YearFrom: 1991, YearTo: 1991})
		require.NoError(t, err)
		require.Len(t, page, 19)
		page, err = s.Discover(ctx, inventory.DiscoverQuery{Sort: inventory.SortPopularity, Desc: true, Limit: 100, WithTitles: []string{}})
		require.NoError(t, err)
		require.Empty(t, page)
	})
}

func TestSearchTakesTextLiterally(t *testing.T) {
	dbtest.Each(t, "inventory", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := open(t, d)
		require.NoError(t, s.UpsertTitles(ctx, []inventory.Title{
			{ID: "tt0000001", Kind: inventory.KindMovie, Title: "The Godfather", StartYear: 1972},
			{ID: "tt0000002", Kind: inventory.KindMovie, Title: "The Godfather Part II", StartYear: 1974},
			{ID: "tt0000003", Kind: inventory.KindMovie, Title: "100% Wolf", StartYear: 2020},
			{ID: "tt0000004", Kind: inventory.KindMovie, Title: "Robert'); DROP TABLE titles;--", StartYear: 2001},
		}))
		hits, err := s.Search(ctx, inventory.SearchQuery{Text: "godfather", Limit: 10})
		require.NoError(t, err)
		require.Len(t, hits, 2)
		hits, err = s.Search(ctx, inventory.SearchQuery{Text: "the god", Limit: 10, Autocomplete: true})
		require.NoError(t, err)
		require.Len(t, hits, 2)
		hits, err = s.Search(ctx, inventory.SearchQuery{Text: "%", Limit: 10})
		require.NoError(t, err)
		require.Len(t, hits, 1, "%% matches itself, not everything")
		require.Equal(t, "tt0000003", hits[0].ID)
		for _, q := range []string{"_", "'); DROP TABLE titles;--", `"`, `\`, "!", "*:*", "a OR 1=1"} {
			_, err := s.Search(ctx, inventory.SearchQuery{Text: q, Limit: 10})
			require.NoError(t, err, q)
		}
		hits, err = s.Search(ctx, inventory.SearchQuery{Text: "drop table", Limit: 10})
		require.NoError(t, err)
		require.Len(t, hits, 1)
		require.Equal(t, 4, count(t, d, "titles"))
	})
}

// A bulk upsert writes what the dataset supplies and nothing else: the
// fields an operator entered stay; a re-import of the same rows changes
// nothing (no version bump); bulk calls enqueue no event, and
// FinishImport exactly one, for every title.
func TestBulkKeepsOperatorFieldsAndVersions(t *testing.T) {
	dbtest.Each(t, "inventory", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := open(t, d)
		_, err := s.Create(ctx, inventory.Details{Title: inventory.Title{ID: "tt0000001", Kind: inventory.KindMovie, Title: "Old Name",
			Overview: "An operator's overview.", Tagline: "A tagline.", Status: "released", OriginalLang: "it", ReleaseDate: "1972-03-24",
			SpokenLangs: []string{"en", "it"}, Countries: []string{"US"}, Genres: []string{"crime"}}}, event(inventory.TitleCreated.Name))
		require.NoError(t, err)
		require.Equal(t, 1, outboxCount(t, d))

		imdb := []inventory.Title{
			{ID: "tt0000001", Kind: inventory.KindMovie, Title: "The Godfather", StartYear: 1972, RuntimeMinutes: 175, Genres: []string{"drama", "crime"}},
			{ID: "tt0000002", Kind: inventory.KindMovie, Title: "Another", Genres: []string{"comedy"}},
		}
		ratings := []inventory.RatingRow{{TitleID: "tt0000001", Rating: inventory.Rating{Average: 9.2, Votes: 2100000}}}
		akas := []inventory.AkaRow{{TitleID: "tt0000001", Ordering: 1, Aka: inventory.Aka{Title: "Der Pate", Region: "DE"}}}
		eps := []inventory.EpisodeRow{{ID: "tt0000002", ParentID: "tt0000001", Season: 1, Episode: 2}}
		versions := func() []int64 {
			var out []int64
			for _, id := range []string{"tt0000001", "tt0000002"} {
				got, err := s.Get(ctx, id)
				require.NoError(t, err)
				out = append(out, got.Version)
			}
			return out
		}
		var after []int64
		for round := range 3 {
			require.NoError(t, s.UpsertTitles(ctx, imdb))
			require.NoError(t, s.UpsertAkas(ctx, akas))
			require.NoError(t, s.UpsertRatings(ctx, ratings))
			require.NoError(t, s.UpsertEpisodes(ctx, eps))
			if round == 0 {
				after = versions()
				require.Equal(t, []int64{4, 2}, after, "basics, akas and rating changed the first; the second was created and linked")
				continue
			}
			require.Equal(t, after, versions(), "round %d: the same rows again change nothing", round)
		}
		got, err := s.Get(ctx, "tt0000001")
		require.NoError(t, err)
		require.Equal(t, "The Godfather", got.Title.Title)
		require.Equal(t, 175, got.RuntimeMinutes)
		require.Equal(t, []string{"crime", "drama"}, got.Genres)
		require.Equal(t, "An operator's overview.", got.Overview)
		require.Equal(t, "A tagline.", got.Tagline)
		require.Equal(t, "released", got.Status)
		require.Equal(t, "it", got.OriginalLang)
		require.Equal(t, "1972-03-24", got.ReleaseDate)
		require.Equal(t, []string{"en", "it"}, got.SpokenLangs)
		require.Equal(t, []string{"US"}, got.Countries)
		require.Equal(t, 9.2, got.Rating.Average)
		require.Len(t, got.Akas, 1)

		// A genre dropped from the dataset goes, and the title changes.
		imdb[0].Genres = []string{"drama"}
		require.NoError(t, s.UpsertTitles(ctx, imdb))
		got, err = s.Get(ctx, "tt0000001")
		require.NoError(t, err)
		require.Equal(t, []string{"drama"}, got.Genres)
		require.Equal(t, after[0]+1, got.Version)

		require.Equal(t, 1, outboxCount(t, d), "bulk writes enqueue no events")
		require.NoError(t, s.FinishImport(ctx))
		require.Equal(t, 2, outboxCount(t, d))
		var topic, key string
		require.NoError(t, d.Writer().QueryRow("SELECT topic, msg_key FROM outbox WHERE topic <> ?", inventory.TitleCreated.Name).Scan(&topic, &key))
		require.Equal(t, inventory.TitleUpdated.Name, topic)
		require.Equal(t, inventory.AllTitles, key)
	})
}

// IMDb writes genres capitalised ("Crime"); discover takes slugs ("crime").
func TestDiscoverGenreIgnoresCase(t *testing.T) {
	dbtest.Each(t, "inventory", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := open(t, d)
		require.NoError(t, s.UpsertTitles(ctx, []inventory.Title{
			{ID: "tt0068646", Kind: inventory.KindMovie, Title: "The Godfather", StartYear: 1972, Genres: []string{"Crime", "Drama"}},
			{ID: "tt0034583", Kind: inventory.KindMovie, Title: "Casablanca", StartYear: 1942, Genres: []string{"Drama", "Romance"}},
		}))
		for _, q := range []inventory.DiscoverQuery{
			{Genres: []string{"crime"}, Sort: "title", Limit: 10},
			{Genres: []string{"crime", "drama"}, AllGenres: true, Sort: "title", Limit: 10},
		} {
			got, err := s.Discover(ctx, q)
			require.NoError(t, err)
			require.Len(t, got, 1, "%+v", q)
			require.Equal(t, "tt0068646", got[0].ID)
		}
	})
}
