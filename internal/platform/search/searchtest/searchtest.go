// Package searchtest is the contract every search.Index adapter must pass.
// One suite for all adapters keeps the embedded index and a future search
// server from drifting apart: a query that works on a laptop must work in
// production, and rank the same way.
package searchtest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/search"
)

// Store makes the indexes of one subtest. Each call of a Factory is a new,
// empty store only that subtest sees; each call of the Store opens the same
// index (again, after the suite has closed it), which is how persistence is
// checked. The adapter registers its own clean-up with t.Cleanup, and must
// tolerate the suite closing an index itself.
type Store func() search.Index

// Factory returns a fresh Store for t.
type Factory func(t testing.TB) Store

// Run runs the contract against the adapter that newStore builds.
func Run(t *testing.T, newStore Factory) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, open Store)
	}{
		{"exact", testExact},
		{"akas", testAkas},
		{"typos", testTypos},
		{"a known word matches its typos too", testKnownWordTypos},
		{"too many typos", testTooManyTypos},
		{"diacritics", testDiacritics},
		{"word order", testWordOrder},
		{"autocomplete", testAutocomplete},
		{"broad prefix", testBroadPrefix},
		{"stray word is dropped", testStrayWord},
		{"kind filter", testKindFilter},
		{"year filter", testYearFilter},
		{"popularity breaks ties", testPopularityTie},
		{"exact beats typo", testExactBeatsTypo},
		{"limit", testLimit},
		{"upsert replaces", testUpsertReplaces},
		{"last duplicate wins", testDuplicateInCall},
		{"delete", testDelete},
		{"invalid docs change nothing", testInvalidDocs},
		{"hostile queries are text", testHostile},
		{"empty query", testEmptyQuery},
		{"invalid query", testInvalidQuery},
		{"persistence", testPersistence},
		{"concurrent search during upsert", testConcurrent},
		{"close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newStore(t))
		})
	}
}

// catalog is a handful of real titles and people, with made-up popularity.
var catalog = []search.Doc{
	{ID: "tt0068646", Kind: "movie", Names: []string{"The Godfather", "Le Parrain", "Il padrino"}, Year: 1972, Popularity: 2_100_000},
	{ID: "tt0071562", Kind: "movie", Names: []string{"The Godfather Part II"}, Year: 1974, Popularity: 1_400_000},
	{ID: "tt0111161", Kind: "movie", Names: []string{"The Shawshank Redemption"}, Year: 1994, Popularity: 2_900_000},
	{ID: "tt0211915", Kind: "movie", Names: []string{"Amélie", "Le Fabuleux Destin d'Amélie Poulain"}, Year: 2001, Popularity: 800_000},
	{ID: "tt0190641", Kind: "movie", Names: []string{"Pokémon: The First Movie"}, Year: 1998, Popularity: 50_000},
	{ID: "tt0168366", Kind: "series", Names: []string{"Pokémon"}, Year: 1997, Popularity: 45_000},
	{ID: "tt0113277", Kind: "movie", Names: []string{"Heat"}, Year: 1995, Popularity: 700_000},
	{ID: "tt9999901", Kind: "movie", Names: []string{"Heal"}, Year: 2017, Popularity: 700_000},
	{ID: "tt0069293", Kind: "movie", Names: []string{"Solaris"}, Year: 1972, Popularity: 95_000},
	{ID: "tt0307479", Kind: "movie", Names: []string{"Solaris"}, Year: 2002, Popularity: 110_000},
	{ID: "tt0118799", Kind: "movie", Names: []string{"Life Is Beautiful", "La vita è bella"}, Year: 1997, Popularity: 750_000},
	{ID: "tt11286314", Kind: "movie", Names: []string{"Don't Look Up"}, Year: 2021, Popularity: 600_000},
	{ID: "tt0903747", Kind: "series", Names: []string{"Breaking Bad"}, Year: 2008, Popularity: 2_200_000},
	{ID: "tt1375666", Kind: "movie", Names: []string{"Inception"}, Year: 2010, Popularity: 2_600_000},
	{ID: "tt0000001", Kind: "short", Names: []string{"Carmencita"}, Popularity: 2_000},
}

func ctx() context.Context { return context.Background() }

func loaded(t *testing.T, open Store, docs ...search.Doc) search.Index {
	t.Helper()
	idx := open()
	if docs == nil {
		docs = catalog
	}
	require.NoError(t, idx.Upsert(ctx(), docs...))
	return idx
}

func ids(hits []search.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func search1(t *testing.T, idx search.Index, q search.Query) []search.Hit {
	t.Helper()
	hits, err := idx.Search(ctx(), q)
	require.NoError(t, err, "query %+v", q)
	return hits
}

// requireFirst checks that the best hit for text is want.
func requireFirst(t *testing.T, idx search.Index, q search.Query, want string) {
	t.Helper()
	hits := search1(t, idx, q)
	require.NotEmpty(t, hits, "query %q found nothing", q.Text)
	require.Equal(t, want, hits[0].ID, "query %q: hits %v", q.Text, ids(hits))
}

func testExact(t *testing.T, open Store) {
	idx := loaded(t, open)
	for _, tt := range []struct{ text, want string }{
		{"The Godfather", "tt0068646"},
		{"the godfather", "tt0068646"},
		{"THE GODFATHER", "tt0068646"},
		{"shawshank redemption", "tt0111161"},
		{"inception", "tt1375666"},
		{"breaking bad", "tt0903747"},
	} {
		requireFirst(t, idx, search.Query{Text: tt.text}, tt.want)
	}
	hits := search1(t, idx, search.Query{Text: "godfather"})
	require.Equal(t, []string{"tt0068646", "tt0071562"}, ids(hits), "both films, the more popular and fully matching first")
	require.Equal(t, "The Godfather", hits[0].Name)
	require.Equal(t, "movie", hits[0].Kind)
	require.Equal(t, 1972, hits[0].Year)
	require.Greater(t, hits[0].Score, hits[1].Score)
}

func testAkas(t *testing.T, open Store) {
	idx := loaded(t, open)
	hits := search1(t, idx, search.Query{Text: "il padrino"})
	require.Equal(t, []string{"tt0068646"}, ids(hits))
	require.Equal(t, "The Godfather", hits[0].Name, "the primary name is shown, not the aka")
	requireFirst(t, idx, search.Query{Text: "la vita e bella"}, "tt0118799")
}

func testTypos(t *testing.T, open Store) {
	idx := loaded(t, open)
	for _, tt := range []struct{ text, want string }{
		{"godfater", "tt0068646"},                 // one deletion
		{"the godfahter", "tt0068646"},            // one swap
		{"godfathr part ii", "tt0071562"},         // typo plus exact words
		{"shawshenk redemtoin", "tt0111161"},      // one typo and two in a long word
		{"inceptoin", "tt1375666"},                // swap
		{"breakng bda", "tt0903747"},              // short word: "bda" has no typo budget, dropped; "breakng" carries
		{"solaris", "tt0307479"},                  // sanity: exact
		{"carmencitta", "tt0000001"},              // insertion
		{"amelei", "tt0211915"},                   // swap, and the diacritic
		{"pokemno", "tt0168366"},                  // swap at the end
		{"don't look up", "tt11286314"},           // apostrophe
		{"dont look up", "tt11286314"},            // apostrophe omitted
		{"the shawshank redemption", "tt0111161"}, // sanity: exact
	} {
		requireFirst(t, idx, search.Query{Text: tt.text}, tt.want)
	}
}

// A query word that is itself in the index (a real word, maybe the wrong
// one) still matches the words one edit away, below the exact match,
// whichever word of the query is the rarest.
func testKnownWordTypos(t *testing.T, open Store) {
	idx := loaded(t, open,
		search.Doc{ID: "a", Kind: "movie", Names: []string{"Heat Zorblax"}, Popularity: 2},
		search.Doc{ID: "b", Kind: "movie", Names: []string{"Heal Zorblax"}, Popularity: 1},
		search.Doc{ID: "c", Kind: "movie", Names: []string{"Hexed Zorblax"}, Popularity: 1000},
		search.Doc{ID: "d", Kind: "movie", Names: []string{"Heal"}, Popularity: 5},
		search.Doc{ID: "e", Kind: "movie", Names: []string{"Heal Me"}, Popularity: 5},
		search.Doc{ID: "f", Kind: "movie", Names: []string{"Heal Us"}, Popularity: 5},
	)
	// "zorblax" is the rarest word and drives; "heal" is checked on each
	// candidate: exact for b, one edit for a, two (too many) for c.
	hits := search1(t, idx, search.Query{Text: "heal zorblax"})
	require.Equal(t, []string{"b", "a"}, ids(hits))
	require.Greater(t, hits[0].Score, hits[1].Score)
	// The other way round: "heat" is known, "zorblaxx" is a typo and drives.
	require.Equal(t, []string{"a", "b"}, ids(search1(t, idx, search.Query{Text: "heat zorblaxx"})))
}

func testTooManyTypos(t *testing.T, open Store) {
	idx := loaded(t, open)
	for _, text := range []string{"gxdfxtxer", "hzzt", "inxeptoinn"} {
		require.Empty(t, search1(t, idx, search.Query{Text: text}), "query %q", text)
	}
}

func testDiacritics(t *testing.T, open Store) {
	idx := loaded(t, open, append([]search.Doc{
		{ID: "p1", Kind: "person", Names: []string{"Zoë Kravitz"}, Popularity: 10},
		{ID: "p2", Kind: "person", Names: []string{"Björk Guðmundsdóttir"}, Popularity: 10},
		{ID: "p3", Kind: "person", Names: []string{"Penelope Cruz", "Penélope Cruz Sánchez"}, Popularity: 10},
	}, catalog...)...)
	for _, tt := range []struct{ text, want string }{
		{"amelie", "tt0211915"},
		{"Amélie", "tt0211915"},
		{"AMÉLIE", "tt0211915"},
		{"zoe kravitz", "p1"},
		{"bjork gudmundsdottir", "p2"},
		{"penélope", "p3"},
		{"sanchez", "p3"},
	} {
		requireFirst(t, idx, search.Query{Text: tt.text}, tt.want)
	}
	hits := search1(t, idx, search.Query{Text: "pokemon"})
	require.ElementsMatch(t, []string{"tt0190641", "tt0168366"}, ids(hits))
	require.Equal(t, "tt0168366", hits[0].ID, "the series is named exactly Pokémon")
}

func testWordOrder(t *testing.T, open Store) {
	idx := loaded(t, open)
	requireFirst(t, idx, search.Query{Text: "godfather the"}, "tt0068646")
	requireFirst(t, idx, search.Query{Text: "redemption shawshank the"}, "tt0111161")
	requireFirst(t, idx, search.Query{Text: "bad breaking"}, "tt0903747")
}

func testAutocomplete(t *testing.T, open Store) {
	idx := loaded(t, open)
	for _, tt := range []struct{ text, want string }{
		{"godf", "tt0068646"},
		{"the godf", "tt0068646"},
		{"the godfather p", "tt0071562"},
		{"shaw", "tt0111161"},
		{"incep", "tt1375666"},
		{"godfater", "tt0068646"}, // a finished word with a typo is still found
		{"ame", "tt0211915"},
		{"carm", "tt0000001"},
	} {
		requireFirst(t, idx, search.Query{Text: tt.text, Autocomplete: true}, tt.want)
	}
	require.Empty(t, search1(t, idx, search.Query{Text: "godf"}), "without Autocomplete a prefix is not a word")
}

func testBroadPrefix(t *testing.T, open Store) {
	// More completions of "t" than a search lists one by one.
	var docs []search.Doc
	for i := range 150 {
		docs = append(docs, search.Doc{ID: fmt.Sprintf("f%03d", i), Kind: "movie", Names: []string{fmt.Sprintf("T%sword", strings.Repeat("x", i%40)+fmt.Sprint(i))}, Popularity: float64(i)})
	}
	idx := loaded(t, open, append(docs, catalog...)...)
	hits := search1(t, idx, search.Query{Text: "t", Autocomplete: true, Limit: 5})
	require.Len(t, hits, 5)
	for _, h := range hits {
		require.True(t, hasWordPrefix(h.Name, "t"), "%s has no word starting with t", h.Name)
	}
	require.Contains(t, ids(hits), "tt0068646", "popular titles with a t-word come before the obscure ones")
	require.Contains(t, ids(hits), "tt0111161")
	hits = search1(t, idx, search.Query{Text: "txxx", Autocomplete: true, Limit: 50})
	require.NotEmpty(t, hits)
	for _, h := range hits {
		require.True(t, strings.HasPrefix(h.Name, "Txxx"), h.Name)
	}
}

func hasWordPrefix(name, prefix string) bool {
	for _, w := range search.Terms(name) {
		if strings.HasPrefix(w, prefix) {
			return true
		}
	}
	return false
}

func testStrayWord(t *testing.T, open Store) {
	idx := loaded(t, open)
	requireFirst(t, idx, search.Query{Text: "godfather qwzxv"}, "tt0068646")
	// A known word that the document lacks still excludes it.
	require.Empty(t, search1(t, idx, search.Query{Text: "inception solaris"}))
}

func testKindFilter(t *testing.T, open Store) {
	idx := loaded(t, open)
	hits := search1(t, idx, search.Query{Text: "pokemon", Kinds: []string{"movie"}})
	require.Equal(t, []string{"tt0190641"}, ids(hits))
	hits = search1(t, idx, search.Query{Text: "pokemon", Kinds: []string{"series", "episode"}})
	require.Equal(t, []string{"tt0168366"}, ids(hits))
	require.Empty(t, search1(t, idx, search.Query{Text: "pokemon", Kinds: []string{"person"}}))
	hits = search1(t, idx, search.Query{Text: "b", Autocomplete: true, Kinds: []string{"series"}})
	require.Equal(t, []string{"tt0903747"}, ids(hits))
}

func testYearFilter(t *testing.T, open Store) {
	idx := loaded(t, open)
	for _, tt := range []struct {
		from, to int
		want     []string
	}{
		{0, 0, []string{"tt0307479", "tt0069293"}},
		{1972, 1972, []string{"tt0069293"}},
		{1990, 0, []string{"tt0307479"}},
		{0, 1999, []string{"tt0069293"}},
		{2003, 2020, []string{}},
	} {
		hits := search1(t, idx, search.Query{Text: "solaris", YearFrom: tt.from, YearTo: tt.to})
		require.Equal(t, tt.want, ids(hits), "years %d-%d", tt.from, tt.to)
	}
	// Carmencita has no year: any year filter excludes it.
	require.Len(t, search1(t, idx, search.Query{Text: "carmencita"}), 1)
	require.Empty(t, search1(t, idx, search.Query{Text: "carmencita", YearFrom: 1800}))
	require.Empty(t, search1(t, idx, search.Query{Text: "carmencita", YearTo: 2100}))
}

func testPopularityTie(t *testing.T, open Store) {
	idx := loaded(t, open)
	hits := search1(t, idx, search.Query{Text: "solaris"})
	require.Equal(t, []string{"tt0307479", "tt0069293"}, ids(hits), "equal names: the more popular first")
	// Flip the popularity: the order follows.
	require.NoError(t, idx.Upsert(ctx(), search.Doc{ID: "tt0069293", Kind: "movie", Names: []string{"Solaris"}, Year: 1972, Popularity: 500_000}))
	hits = search1(t, idx, search.Query{Text: "solaris"})
	require.Equal(t, []string{"tt0069293", "tt0307479"}, ids(hits))
	// Equal popularity too: the order is still stable (by ID).
	idx2 := loaded(t, func() search.Index { return idx }, search.Doc{ID: "tt0307479", Kind: "movie", Names: []string{"Solaris"}, Year: 2002, Popularity: 500_000})
	for range 3 {
		require.Equal(t, []string{"tt0069293", "tt0307479"}, ids(search1(t, idx2, search.Query{Text: "solaris"})))
	}
}

func testExactBeatsTypo(t *testing.T, open Store) {
	idx := loaded(t, open)
	hits := search1(t, idx, search.Query{Text: "heat"})
	require.Equal(t, []string{"tt0113277", "tt9999901"}, ids(hits), "Heat exactly, then Heal with a typo")
	hits = search1(t, idx, search.Query{Text: "heal"})
	require.Equal(t, []string{"tt9999901", "tt0113277"}, ids(hits))
}

func testLimit(t *testing.T, open Store) {
	var docs []search.Doc
	for i := range search.MaxLimit + 20 {
		docs = append(docs, search.Doc{ID: fmt.Sprintf("m%03d", i), Kind: "movie", Names: []string{fmt.Sprintf("Love Story %d", i)}, Popularity: float64(i)})
	}
	idx := loaded(t, open, docs...)
	require.Len(t, search1(t, idx, search.Query{Text: "love"}), search.DefaultLimit)
	require.Len(t, search1(t, idx, search.Query{Text: "love", Limit: 3}), 3)
	hits := search1(t, idx, search.Query{Text: "love", Limit: 10_000})
	require.Len(t, hits, search.MaxLimit, "capped")
	require.Equal(t, fmt.Sprintf("m%03d", search.MaxLimit+19), hits[0].ID, "the most popular first")
	for i := 1; i < len(hits); i++ {
		require.GreaterOrEqual(t, hits[i-1].Score, hits[i].Score)
	}
}

func testUpsertReplaces(t *testing.T, open Store) {
	idx := loaded(t, open)
	n, err := idx.Count(ctx())
	require.NoError(t, err)
	require.Equal(t, len(catalog), n)
	require.NoError(t, idx.Upsert(ctx(), search.Doc{ID: "tt1375666", Kind: "movie", Names: []string{"Origine"}, Year: 2010, Popularity: 1}))
	require.Empty(t, search1(t, idx, search.Query{Text: "inception"}), "the old name no longer matches")
	require.Empty(t, search1(t, idx, search.Query{Text: "inc", Autocomplete: true}))
	requireFirst(t, idx, search.Query{Text: "origine"}, "tt1375666")
	n, err = idx.Count(ctx())
	require.NoError(t, err)
	require.Equal(t, len(catalog), n, "a replacement is not a new document")
	// Upserting the same document again changes nothing.
	require.NoError(t, idx.Upsert(ctx(), catalog...))
	require.NoError(t, idx.Upsert(ctx(), catalog...))
	n, err = idx.Count(ctx())
	require.NoError(t, err)
	require.Equal(t, len(catalog), n)
	requireFirst(t, idx, search.Query{Text: "inception"}, "tt1375666")
	require.Empty(t, search1(t, idx, search.Query{Text: "origine"}))
}

func testDuplicateInCall(t *testing.T, open Store) {
	idx := open()
	require.NoError(t, idx.Upsert(ctx(),
		search.Doc{ID: "x", Kind: "movie", Names: []string{"First Version"}},
		search.Doc{ID: "x", Kind: "movie", Names: []string{"Second Version"}},
	))
	require.Empty(t, search1(t, idx, search.Query{Text: "first"}))
	require.Equal(t, []string{"x"}, ids(search1(t, idx, search.Query{Text: "second version"})))
	n, err := idx.Count(ctx())
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

func testDelete(t *testing.T, open Store) {
	idx := loaded(t, open)
	require.NoError(t, idx.Delete(ctx(), "tt0068646", "no-such-id", "tt0068646"))
	hits := search1(t, idx, search.Query{Text: "godfather"})
	require.Equal(t, []string{"tt0071562"}, ids(hits))
	require.Empty(t, search1(t, idx, search.Query{Text: "padrino"}))
	n, err := idx.Count(ctx())
	require.NoError(t, err)
	require.Equal(t, len(catalog)-1, n)
	require.NoError(t, idx.Delete(ctx()))
	require.NoError(t, idx.Delete(ctx(), "no-such-id"))
	// Deleted then re-added: found again, counted once.
	require.NoError(t, idx.Upsert(ctx(), catalog[0]))
	requireFirst(t, idx, search.Query{Text: "godfather"}, "tt0068646")
	n, err = idx.Count(ctx())
	require.NoError(t, err)
	require.Equal(t, len(catalog), n)
}

func testInvalidDocs(t *testing.T, open Store) {
	idx := loaded(t, open)
	good := search.Doc{ID: "ok", Kind: "movie", Names: []string{"Valid Title"}}
	for _, tt := range []struct {
		name  string
		doc   search.Doc
		field string
	}{
		{"no id", search.Doc{Kind: "movie", Names: []string{"X"}}, "docs[1].id"},
		{"no names", search.Doc{ID: "a", Kind: "movie"}, "docs[1].names"},
		{"empty primary name", search.Doc{ID: "a", Names: []string{""}}, "docs[1].names"},
		{"negative popularity", search.Doc{ID: "a", Names: []string{"X"}, Popularity: -1}, "docs[1].popularity"},
		{"negative year", search.Doc{ID: "a", Names: []string{"X"}, Year: -5}, "docs[1].year"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := idx.Upsert(ctx(), good, tt.doc)
			require.True(t, errs.Is(err, errs.KindInvalid), "got %v", err)
			require.Equal(t, tt.field, errs.FieldOf(err))
			require.Empty(t, search1(t, idx, search.Query{Text: "valid title"}), "nothing of the call is written")
			n, err := idx.Count(ctx())
			require.NoError(t, err)
			require.Equal(t, len(catalog), n)
		})
	}
}

// hostile is query text that would be syntax in SQL, FTS5, Lucene or bleve.
var hostile = []string{
	`'`, `"`, `*`, `:`, `(`, `)`, `OR`, `-`, `%`, `_`, `\`, `^`, `~`, `NEAR`, `AND NOT`,
	`godfather'`, `"godfather`, `godfather*`, `names:godfather`, `(godfather`, `godfather OR inception`,
	`-godfather`, `%godfather%`, `godfather~2`, `title:"the godfather"^3`,
	`'; DROP TABLE docs; --`, `" OR 1=1 --`, `\x00godfather`, "god\x00father", "\xff\xfe\xfd",
	`{"$where": "1"}`, `*:*`, `/.*/`, `[a TO z]`, strings.Repeat("godfather ", 2000), strings.Repeat("(", 5000),
	"🎬 godfather 🍿", "الأب الروحي", "教父",
}

func testHostile(t *testing.T, open Store) {
	idx := loaded(t, open)
	for _, text := range hostile {
		for _, auto := range []bool{false, true} {
			_, err := idx.Search(ctx(), search.Query{Text: text, Autocomplete: auto})
			require.NoError(t, err, "query %q", text)
		}
	}
	// The words in hostile text are still searched as words.
	requireFirst(t, idx, search.Query{Text: `title:"the godfather"^3`}, "tt0068646")
	requireFirst(t, idx, search.Query{Text: `'; DROP TABLE docs; -- inception`}, "tt1375666")
	requireFirst(t, idx, search.Query{Text: `%godfather%`}, "tt0068646")
	// And nothing was harmed.
	n, err := idx.Count(ctx())
	require.NoError(t, err)
	require.Equal(t, len(catalog), n)
	// Documents may hold the same characters.
	require.NoError(t, idx.Upsert(ctx(), search.Doc{ID: "h1", Kind: "movie", Names: []string{`'; DROP TABLE docs; -- "OR" (*) %:`}}))
	requireFirst(t, idx, search.Query{Text: "drop table docs"}, "h1")
}

func testEmptyQuery(t *testing.T, open Store) {
	idx := loaded(t, open)
	for _, text := range []string{"", " ", "\t\n", "***", `"" ''`, "-", "..."} {
		for _, auto := range []bool{false, true} {
			hits, err := idx.Search(ctx(), search.Query{Text: text, Autocomplete: auto, Kinds: []string{"movie"}})
			require.NoError(t, err, "query %q", text)
			require.Empty(t, hits, "query %q", text)
		}
	}
}

func testInvalidQuery(t *testing.T, open Store) {
	idx := loaded(t, open)
	for _, tt := range []struct {
		q     search.Query
		field string
	}{
		{search.Query{Text: "godfather", Limit: -1}, "limit"},
		{search.Query{Text: "godfather", YearFrom: 2000, YearTo: 1990}, "year_from"},
		{search.Query{Text: "godfather", YearFrom: -1}, "year"},
	} {
		_, err := idx.Search(ctx(), tt.q)
		require.True(t, errs.Is(err, errs.KindInvalid), "query %+v: got %v", tt.q, err)
		require.Equal(t, tt.field, errs.FieldOf(err))
	}
}

func testPersistence(t *testing.T, open Store) {
	idx := loaded(t, open)
	require.NoError(t, idx.Delete(ctx(), "tt0000001"))
	require.NoError(t, idx.Close())

	idx = open()
	n, err := idx.Count(ctx())
	require.NoError(t, err)
	require.Equal(t, len(catalog)-1, n)
	requireFirst(t, idx, search.Query{Text: "godfater"}, "tt0068646")
	requireFirst(t, idx, search.Query{Text: "ame", Autocomplete: true}, "tt0211915")
	require.Empty(t, search1(t, idx, search.Query{Text: "carmencita"}))
	// Writes after a reopen keep working and keep counting right.
	require.NoError(t, idx.Upsert(ctx(), catalog...))
	n, err = idx.Count(ctx())
	require.NoError(t, err)
	require.Equal(t, len(catalog), n)
	require.NoError(t, idx.Close())
}

func testConcurrent(t *testing.T, open Store) {
	idx := loaded(t, open)
	const batches, perBatch = 20, 50
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for b := range batches {
			docs := make([]search.Doc, perBatch)
			for i := range docs {
				docs[i] = search.Doc{ID: fmt.Sprintf("c%d-%d", b, i), Kind: "movie", Names: []string{fmt.Sprintf("Concurrent Godfather %d", b*perBatch+i)}, Popularity: float64(i)}
			}
			if err := idx.Upsert(ctx(), docs...); err != nil {
				t.Errorf("upsert: %v", err)
				return
			}
			if err := idx.Delete(ctx(), fmt.Sprintf("c%d-0", b)); err != nil {
				t.Errorf("delete: %v", err)
				return
			}
		}
	}()
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 60 {
				hits, err := idx.Search(ctx(), search.Query{Text: "godfather", Limit: 20})
				if err != nil {
					t.Errorf("search: %v", err)
					return
				}
				// The real film stays the best hit whatever is being written.
				if len(hits) == 0 || hits[0].ID != "tt0068646" {
					t.Errorf("search during upsert: %v", ids(hits))
					return
				}
				if _, err := idx.Search(ctx(), search.Query{Text: "conc", Autocomplete: true}); err != nil {
					t.Errorf("autocomplete: %v", err)
					return
				}
			}
		}()
	}
	wg.Wait()
	n, err := idx.Count(ctx())
	require.NoError(t, err)
	require.Equal(t, len(catalog)+batches*(perBatch-1), n)
	hits := search1(t, idx, search.Query{Text: "concurrent godfather 999"})
	require.Equal(t, []string{"c19-49"}, ids(hits))
}

func testClose(t *testing.T, open Store) {
	idx := loaded(t, open)
	require.NoError(t, idx.Close())
	require.NoError(t, idx.Close(), "Close is idempotent")
	_, err := idx.Search(ctx(), search.Query{Text: "godfather"})
	require.ErrorIs(t, err, search.ErrClosed)
	require.ErrorIs(t, idx.Upsert(ctx(), catalog[0]), search.ErrClosed)
	require.ErrorIs(t, idx.Delete(ctx(), "x"), search.ErrClosed)
	_, err = idx.Count(ctx())
	require.ErrorIs(t, err, search.ErrClosed)
}
