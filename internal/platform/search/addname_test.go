package search_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/search"
)

func TestAddNameSkipsBlanksAndRepeats(t *testing.T) {
	var names []string
	for _, n := range []string{"The Godfather", "  ", "the godfather", " Il padrino ", "", "IL PADRINO", "Le Parrain"} {
		names = search.AddName(names, n)
	}
	require.Equal(t, []string{"The Godfather", "Il padrino", "Le Parrain"}, names)
}
