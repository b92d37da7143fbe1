package imdb_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/imdb"
	"github.com/cdlc/cdlc/internal/imdb/imdbtest"
	"github.com/cdlc/cdlc/internal/inventory"
)

func TestDemoCatalog(t *testing.T) {
	sink := imdbtest.NewSink()
	sum, err := imdb.Import(context.Background(), imdb.Demo(), sink, imdb.Options{})
	require.NoError(t, err)
	read, written, bad := sum.Totals()
	require.Zero(t, bad)
	require.Equal(t, read, written)
	for _, f := range sum.Files {
		if f.Table == imdb.TitleRatings {
			require.Equal(t, imdb.StatusMissing, f.Status, "the demo carries no ratings")
			continue
		}
		require.Equal(t, imdb.StatusDone, f.Status, f.Table)
	}
	titles, akas, people, credits := sink.Counts()
	require.GreaterOrEqual(t, titles, 40)
	require.LessOrEqual(t, titles, 80+40) // films plus episodes
	require.NotZero(t, akas)
	require.NotZero(t, people)
	require.NotZero(t, credits)

	// Everything refers to something in the catalog.
	for k := range sink.CreditBy {
		require.Contains(t, sink.TitleByID, k.TitleID)
		require.Contains(t, sink.PersonBy, k.PersonID)
	}
	for k := range sink.AkaByKey {
		require.Contains(t, sink.TitleByID, k.TitleID)
	}
	series := map[string]int{}
	for _, ti := range sink.TitleByID {
		require.Zero(t, ti.Rating, "no ratings in the demo")
		if ti.Kind == inventory.KindEpisode {
			require.NotEmpty(t, ti.ParentID, ti.ID)
			require.Equal(t, inventory.KindSeries, sink.TitleByID[ti.ParentID].Kind)
			require.NotZero(t, ti.SeasonNumber)
			require.NotZero(t, ti.EpisodeNumber)
			series[ti.ParentID]++
		}
	}
	require.GreaterOrEqual(t, len(series), 2, "a couple of series with episodes")
	for _, p := range sink.PersonBy {
		for _, id := range p.KnownFor {
			require.Contains(t, sink.TitleByID, id)
		}
	}
	gf := sink.TitleByID["tt0068646"]
	require.Equal(t, "The Godfather", gf.Title)
	require.Equal(t, 1972, gf.StartYear)

	// Seeding again changes nothing.
	before := fmt.Sprint(sink.TitleByID, sink.AkaByKey, sink.PersonBy, sink.CreditBy)
	_, err = imdb.Import(context.Background(), imdb.Demo(), sink, imdb.Options{})
	require.NoError(t, err)
	require.Equal(t, before, fmt.Sprint(sink.TitleByID, sink.AkaByKey, sink.PersonBy, sink.CreditBy))
}
