package search_test

import (
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
