package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
)

func TestIndexDocsPagesInIDOrder(t *testing.T) {
	dbtest.Each(t, "inventory", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := open(t, d)
		var titles []inventory.Title
		var akas []inventory.AkaRow
		for i := range 25 {
			id := fmt.Sprintf("tt%07d", 25-i)
			titles = append(titles, inventory.Title{ID: id, Kind: inventory.KindMovie, Title: "Film " + id, OriginalTitle: "film " + id, StartYear: 1990 + i, Genres: []string{}})
			akas = append(akas, inventory.AkaRow{TitleID: id, Ordering: 2, Aka: inventory.Aka{Title: "Película"}},
				inventory.AkaRow{TitleID: id, Ordering: 1, Aka: inventory.Aka{Title: "Le Film"}},
				inventory.AkaRow{TitleID: id, Ordering: 3, Aka: inventory.Aka{Title: "Le film"}})
		}
		require.NoError(t, s.UpsertTitles(ctx, titles))
		require.NoError(t, s.UpsertAkas(ctx, akas))
		require.NoError(t, s.UpsertRatings(ctx, []inventory.RatingRow{{TitleID: "tt0000003", Rating: inventory.Rating{Average: 8, Votes: 1000}}}))

		var seen []string
		after := ""
		for {
			docs, err := s.IndexDocs(ctx, after, 10)
			require.NoError(t, err)
			for _, doc := range docs {
				seen = append(seen, doc.ID)
			}
			if len(docs) < 10 {
				break
			}
			after = docs[len(docs)-1].ID
		}
		require.Len(t, seen, 25)
		for i := range seen {
			require.Equal(t, fmt.Sprintf("tt%07d", i+1), seen[i])
		}
		docs, err := s.IndexDocs(ctx, "tt0000002", 1)
		require.NoError(t, err)
		require.Len(t, docs, 1)
		doc := docs[0]
		require.Equal(t, "tt0000003", doc.ID)
		require.Equal(t, "movie", doc.Kind)
		require.Equal(t, 1990+22, doc.Year)
		require.Greater(t, doc.Popularity, 0.0)
		// Primary first, the original title equal but for case dropped, akas in order, duplicates dropped.
		require.Equal(t, []string{"Film tt0000003", "Le Film", "Película"}, doc.Names)
		docs, err = s.IndexDocs(ctx, "tt0000025", 10)
		require.NoError(t, err)
		require.Empty(t, docs)
	})
}
