package search_test

import (
	"context"

	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/search"
	"github.com/cdlc/cdlc/internal/platform/search/searchtest"
)

func TestEmbeddedContract(t *testing.T) {
	searchtest.Run(t, func(t testing.TB) searchtest.Store {
		dir := t.TempDir()
		var last search.Index
		t.Cleanup(func() {
			if last != nil {
				_ = last.Close()
			}
		})
		return func() search.Index {
			idx, err := search.Open(search.Config{Dir: dir}, "titles")
			require.NoError(t, err)
			last = idx
			return idx
		}
	})
}

// Normalized scores do not depend on an index's popularity scale: the same
// documents with popularities a thousand times larger score the same, and
// the most popular document gets the full popularity share.
func TestNormalizedIgnoresPopularityScale(t *testing.T) {
	docs := []search.Doc{
		{ID: "a", Kind: "movie", Names: []string{"Heat"}, Popularity: 9},
		{ID: "b", Kind: "movie", Names: []string{"Heat Wave"}, Popularity: 2},
		{ID: "c", Kind: "movie", Names: []string{"Heath"}, Popularity: 0},
	}
	var got [2][]search.Hit
	for i, scale := range []float64{1, 1000} {
		idx, err := search.Open(search.Config{Dir: t.TempDir()}, "x")
		require.NoError(t, err)
		t.Cleanup(func() { _ = idx.Close() })
		scaled := make([]search.Doc, len(docs))
		for j, d := range docs {
			d.Popularity *= scale
			scaled[j] = d
		}
		require.NoError(t, idx.Upsert(context.Background(), scaled...))
		got[i], err = idx.Search(context.Background(), search.Query{Text: "heat"})
		require.NoError(t, err)
		require.Len(t, got[i], 3)
	}
	require.Equal(t, "a", got[0][0].ID)
	require.InDelta(t, 1.5, got[0][0].Normalized, 1e-9, "exact whole name, most popular: relevance 1 * (1 + 0.5)")
	require.NotEqual(t, got[0][0].Score, got[1][0].Score, "raw scores depend on the scale")
	for j := range got[0] {
		require.Equal(t, got[0][j].ID, got[1][j].ID)
		require.InDelta(t, got[0][j].Normalized, got[1][j].Normalized, 1e-9, got[0][j].ID)
		require.Greater(t, got[0][j].Normalized, 0.0)
	}
}
