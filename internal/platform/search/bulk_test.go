package search

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// batches yields docs n at a time, then an empty batch.
func batches(docs []Doc, n int) func(context.Context) ([]Doc, error) {
	return func(context.Context) ([]Doc, error) {
		b := docs[:min(n, len(docs))]
		docs = docs[len(b):]
		return b, nil
	}
}

func bulkDocs(n int, seed uint64) []Doc {
	r := rand.New(rand.NewPCG(seed, 3))
	words := []string{"the", "godfather", "heat", "love", "star", "war", "amélie", "night", "city", "blue", "red", "man", "woman"}
	docs := make([]Doc, n)
	for i := range docs {
		name := ""
		for j := range 1 + r.IntN(4) {
			if j > 0 {
				name += " "
			}
			name += words[r.IntN(len(words))]
		}
		docs[i] = Doc{ID: fmt.Sprintf("tt%07d", i), Kind: []string{"movie", "series"}[r.IntN(2)], Names: []string{name, fmt.Sprintf("aka%d", i)},
			Year: 1950 + r.IntN(70), Popularity: float64(r.IntN(1000))}
	}
	return docs
}

func openTest(t *testing.T, dir string) *embedded {
	t.Helper()
	idx, err := Open(Config{Dir: dir}, "x")
	require.NoError(t, err)
	t.Cleanup(func() { _ = idx.Close() })
	return idx.(*embedded)
}

func sameAnswers(t *testing.T, want, got Index) {
	t.Helper()
	ctx := context.Background()
	for _, q := range []Query{
		{Text: "godfather"}, {Text: "godfater"}, {Text: "the heat", Limit: 50}, {Text: "amelie"}, {Text: "he", Autocomplete: true},
		{Text: "love sta", Autocomplete: true}, {Text: "city", Kinds: []string{"series"}, YearFrom: 1970, YearTo: 1990}, {Text: "aka17"},
	} {
		a, err := want.Search(ctx, q)
		require.NoError(t, err)
		b, err := got.Search(ctx, q)
		require.NoError(t, err)
		require.Equal(t, a, b, "%+v", q)
	}
	n, err := want.Count(ctx)
	require.NoError(t, err)
	m, err := got.Count(ctx)
	require.NoError(t, err)
	require.Equal(t, n, m)
}

// A Replace through sorted sstables holds what Upserts of the same
// documents hold: the same answers, the same count; with runs spilled to
// disk and several tables.
func TestReplaceMatchesUpsert(t *testing.T) {
	defer func(r, tb int) { runBytes, tableBytes = r, tb }(runBytes, tableBytes)
	runBytes, tableBytes = 64<<10, 128<<10
	ctx := context.Background()
	docs := bulkDocs(5000, 1)
	up := openTest(t, t.TempDir())
	for i := 0; i < len(docs); i += 700 {
		require.NoError(t, up.Upsert(ctx, docs[i:min(i+700, len(docs))]...))
	}
	dir := t.TempDir()
	bulk := openTest(t, dir)
	require.NoError(t, bulk.Replace(ctx, batches(docs, 700)))
	sameAnswers(t, up, bulk)

	// Upserts and deletes keep working on the replacement, and it persists.
	require.NoError(t, up.Delete(ctx, "tt0000001", "tt0000002"))
	require.NoError(t, bulk.Delete(ctx, "tt0000001", "tt0000002"))
	d := Doc{ID: "tt0000003", Kind: "movie", Names: []string{"Solaris"}, Year: 1972, Popularity: 5}
	require.NoError(t, up.Upsert(ctx, d))
	require.NoError(t, bulk.Upsert(ctx, d))
	sameAnswers(t, up, bulk)
	require.NoError(t, bulk.Close())
	again := openTest(t, dir)
	sameAnswers(t, up, again)
	_, err := os.Stat(dir + "/x.build")
	require.ErrorIs(t, err, os.ErrNotExist, "the work directory is removed")
}

// Replace drops what the new content does not hold (documents deleted
// while nobody listened) and keeps the changes made while it ran.
func TestReplaceDropsStaleKeepsConcurrentChanges(t *testing.T) {
	ctx := context.Background()
	idx := openTest(t, t.TempDir())
	require.NoError(t, idx.Upsert(ctx,
		Doc{ID: "gone", Kind: "movie", Names: []string{"Stale Film"}, Popularity: 1},
		Doc{ID: "kept", Kind: "movie", Names: []string{"Old Name"}, Popularity: 1},
	))
	src := []Doc{{ID: "kept", Kind: "movie", Names: []string{"New Name"}, Popularity: 1}, {ID: "later", Kind: "movie", Names: []string{"Later Film"}, Popularity: 1}}
	calls := 0
	err := idx.Replace(ctx, func(ctx context.Context) ([]Doc, error) {
		calls++
		if calls == 1 {
			// Changes while the build runs: answered by the old content
			// now, applied to the new one at the swap.
			require.NoError(t, idx.Upsert(ctx, Doc{ID: "added", Kind: "movie", Names: []string{"Added Film"}, Popularity: 1}))
			require.NoError(t, idx.Delete(ctx, "later"))
			hits, err := idx.Search(ctx, Query{Text: "stale"})
			require.NoError(t, err)
			require.Len(t, hits, 1, "the old content answers during the build")
			return src, nil
		}
		return nil, nil
	})
	require.NoError(t, err)
	ids := func(text string) []string {
		hits, err := idx.Search(ctx, Query{Text: text})
		require.NoError(t, err)
		var out []string
		for _, h := range hits {
			out = append(out, h.ID)
		}
		return out
	}
	require.Empty(t, ids("stale"))
	require.Empty(t, ids("old"))
	require.Equal(t, []string{"kept"}, ids("new name"))
	require.Equal(t, []string{"added"}, ids("added"))
	require.Empty(t, ids("later"), "deleted during the build")
	n, err := idx.Count(ctx)
	require.NoError(t, err)
	require.Equal(t, 2, n)
}

// A Replace that fails (a duplicate id, an invalid document, an error of
// the source) changes nothing.
func TestReplaceFailureChangesNothing(t *testing.T) {
	ctx := context.Background()
	idx := openTest(t, t.TempDir())
	require.NoError(t, idx.Upsert(ctx, Doc{ID: "a", Kind: "movie", Names: []string{"Heat"}, Popularity: 1}))
	for _, next := range []func(context.Context) ([]Doc, error){
		batches([]Doc{{ID: "b", Names: []string{"Blue"}}, {ID: "b", Names: []string{"Blue"}}}, 1),
		batches([]Doc{{ID: "b", Names: []string{"Blue"}}, {ID: "", Names: []string{"Red"}}}, 5),
		func(context.Context) ([]Doc, error) { return nil, fmt.Errorf("store down") },
	} {
		require.Error(t, idx.Replace(ctx, next))
		hits, err := idx.Search(ctx, Query{Text: "heat"})
		require.NoError(t, err)
		require.Len(t, hits, 1)
		n, err := idx.Count(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, n)
		// And the index still takes writes (recording stopped).
		require.NoError(t, idx.Upsert(ctx, Doc{ID: "a", Kind: "movie", Names: []string{"Heat"}, Popularity: 1}))
	}
}

// BenchmarkReplace measures a bulk load through sorted sstables.
func BenchmarkReplace(b *testing.B) {
	docs := bulkDocs(200_000, 9)
	b.ResetTimer()
	for range b.N {
		idx, err := Open(Config{Dir: b.TempDir()}, "x")
		if err != nil {
			b.Fatal(err)
		}
		if err := idx.(Replacer).Replace(context.Background(), batches(docs, 5000)); err != nil {
			b.Fatal(err)
		}
		idx.Close()
	}
	b.ReportMetric(float64(len(docs)*b.N)/b.Elapsed().Seconds(), "docs/s")
}
