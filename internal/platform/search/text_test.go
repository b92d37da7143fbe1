package search

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTerms(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"The Godfather", []string{"the", "godfather"}},
		{"Amélie", []string{"amelie"}},
		{"Pokémon: The First Movie", []string{"pokemon", "the", "first", "movie"}},
		{"Björk Guðmundsdóttir", []string{"bjork", "gudmundsdottir"}},
		{"Straße Æon Øre Łódź", []string{"strasse", "aeon", "ore", "lodz"}},
		{"Schindler's List", []string{"schindlers", "list"}},
		{"Don’t Look Up", []string{"dont", "look", "up"}},
		{"'quoted' words'", []string{"quoted", "words"}},
		{"2001: A Space Odyssey", []string{"2001", "a", "space", "odyssey"}},
		{`'; DROP TABLE x; -- "OR" (*) %:`, []string{"drop", "table", "x", "or"}},
		{"教父 Крёстный", []string{"教父", "крестныи"}},
		{"", nil},
		{"  *** ", nil},
		{"\xff\xfe", nil},
	} {
		require.Equal(t, tt.want, Terms(tt.in), "Terms(%q)", tt.in)
	}
	long := Terms("a" + string(make([]byte, 0)) + "bcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz")
	require.Len(t, []rune(long[0]), maxTermRunes)
}

func TestMaxTypos(t *testing.T) {
	for _, tt := range []struct {
		term string
		want int
	}{
		{"the", 0}, {"heat", 1}, {"amelie", 1}, {"godfathe", 2}, {"godfather", 2}, {"1917", 0}, {"blade2049", 0},
	} {
		require.Equal(t, tt.want, maxTypos(tt.term), tt.term)
	}
}

func TestDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		max  int
		want int
	}{
		{"godfather", "godfather", 2, 0},
		{"godfater", "godfather", 2, 1},
		{"godfahter", "godfather", 2, 1},
		{"redemtoin", "redemption", 2, 2},
		{"gxdfxtxer", "godfather", 2, 3},
		{"heat", "heal", 1, 1},
		{"abc", "abcdef", 1, 2},
		{"", "ab", 2, 2},
	} {
		require.Equal(t, tt.want, distance([]rune(tt.a), []rune(tt.b), tt.max), "%s/%s", tt.a, tt.b)
	}
}

func TestRankOrder(t *testing.T) {
	pops := []float64{1e9, 2_100_000, 1.5, 1, 0.25, 0}
	for i := 1; i < len(pops); i++ {
		a, b := rankOf(pops[i-1]), rankOf(pops[i])
		require.Less(t, string(a[:]), string(b[:]), "%v sorts before %v", pops[i-1], pops[i])
		require.Equal(t, pops[i], popOf(b[:]))
	}
}
