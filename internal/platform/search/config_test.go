package search_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/search"
)

func TestConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		name  string
		cfg   search.Config
		field string
	}{
		{"default driver", search.Config{Dir: "/var/lib/cdlc/search"}, ""},
		{"embedded", search.Config{Driver: "embedded", Dir: "x", CacheBytes: 1 << 20}, ""},
		{"no dir", search.Config{Driver: "embedded"}, "search.dir"},
		{"unknown driver", search.Config{Driver: "elastic", Dir: "x"}, "search.driver"},
		{"negative cache", search.Config{Dir: "x", CacheBytes: -1}, "search.cache_bytes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate("search")
			if tt.field == "" {
				require.NoError(t, err)
				return
			}
			require.True(t, errs.Is(err, errs.KindInvalid), "got %v", err)
			require.Equal(t, tt.field, errs.FieldOf(err))
		})
	}
}

func TestOpenNames(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []string{"", "../etc", "Titles", "a/b", "x y"} {
		_, err := search.Open(search.Config{Dir: dir}, bad)
		require.True(t, errs.Is(err, errs.KindInvalid), "name %q: got %v", bad, err)
	}
	_, err := search.Open(search.Config{}, "titles")
	require.Equal(t, "search.dir", errs.FieldOf(err))

	// Two names are two independent indexes under one directory.
	titles, err := search.Open(search.Config{Dir: dir}, "titles")
	require.NoError(t, err)
	defer titles.Close()
	people, err := search.Open(search.Config{Dir: dir}, "people")
	require.NoError(t, err)
	defer people.Close()
	require.NoError(t, people.Upsert(t.Context(), search.Doc{ID: "nm0000199", Kind: "person", Names: []string{"Al Pacino"}, Popularity: 1}))
	hits, err := titles.Search(t.Context(), search.Query{Text: "pacino"})
	require.NoError(t, err)
	require.Empty(t, hits)
	hits, err = people.Search(t.Context(), search.Query{Text: "pacino"})
	require.NoError(t, err)
	require.Len(t, hits, 1)
}
