package search

import (
	"context"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"
)

// walkTypos finds exactly the vocabulary terms within k edits, with their
// distances, whether it steps or seeks past the branches it abandons: the
// vocabulary mixes wide branches (many words under one letter) and deep
// ones (a few words sharing a long prefix).
func TestWalkTyposMatchesBruteForce(t *testing.T) {
	ctx := context.Background()
	idx, err := Open(Config{Dir: t.TempDir()}, "walk")
	require.NoError(t, err)
	defer idx.Close()
	r := rand.New(rand.NewPCG(5, 5))
	word := func() string {
		b := make([]rune, 3+r.IntN(8))
		for i := range b {
			b[i] = rune('a' + r.IntN(6)) // few letters: dense, deep branches
		}
		return string(b)
	}
	vocab := map[string]bool{}
	var docs []Doc
	for i := range 1500 {
		w1, w2 := word(), word()
		vocab[w1], vocab[w2] = true, true
		docs = append(docs, Doc{ID: string(rune('A'+i%26)) + word() + string(rune('0'+i%10)), Kind: "movie", Names: []string{w1 + " " + w2}})
	}
	require.NoError(t, idx.Upsert(ctx, docs...))
	e := idx.(*embedded)
	for range 60 {
		q := word()
		if r.IntN(2) == 0 {
			for w := range vocab { // a word of the vocabulary, or a typo of one
				q = w
				break
			}
		}
		k := maxTypos(q)
		want := map[string]int{}
		for w := range vocab {
			if d := osa([]rune(q), []rune(w)); d <= k {
				want[w] = d
			}
		}
		got := map[string]int{}
		snap := e.db.NewSnapshot()
		it, err := snap.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixVocab}, UpperBound: []byte{prefixVocab + 1}})
		require.NoError(t, err)
		walkTypos(it, []rune(q), k, func(term string, dist int, _ int64) { got[term] = dist })
		require.NoError(t, it.Close())
		require.NoError(t, snap.Close())
		require.Equal(t, keys(want), keys(got), "query %q k %d", q, k)
		require.Equal(t, want, got, "query %q", q)
	}
}

func keys(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// A document with several completions of an autocomplete prefix is in
// several of the posting lists read: it comes back once.
func TestAutocompleteReturnsADocumentOnce(t *testing.T) {
	ctx := context.Background()
	idx, err := Open(Config{Dir: t.TempDir()}, "once")
	require.NoError(t, err)
	defer idx.Close()
	require.NoError(t, idx.Upsert(ctx,
		Doc{ID: "a", Kind: "movie", Names: []string{"Starlight Stardust Starling"}, Popularity: 5},
		Doc{ID: "b", Kind: "movie", Names: []string{"Stardust", "Starry Stars"}, Popularity: 5},
		Doc{ID: "c", Kind: "movie", Names: []string{"Start"}, Popularity: 9},
	))
	hits, err := idx.Search(ctx, Query{Text: "sta", Autocomplete: true, Limit: 10})
	require.NoError(t, err)
	var ids []string
	for _, h := range hits {
		ids = append(ids, h.ID)
	}
	sort.Strings(ids)
	require.Equal(t, []string{"a", "b", "c"}, ids)
}
