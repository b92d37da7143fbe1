package search

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// osa is the textbook optimal string alignment distance, for reference.
func osa(a, b []rune) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}

// distanceWithin agrees with the reference on random words, and with the
// vocabulary walk's examples.
func TestDistanceWithin(t *testing.T) {
	for _, c := range []struct {
		q, t string
		k    int
		want int
	}{
		{"godfater", "godfather", 1, 1},
		{"godfahter", "godfather", 1, 1},
		{"amelei", "amelie", 1, 1},
		{"heal", "heat", 1, 1},
		{"heal", "hexed", 1, -1},
		{"heal", "hexed", 3, 3},
		{"shawshenk", "shawshank", 2, 1},
		{"redemtoin", "redemption", 2, 2},
		{"née", "nee", 1, 1},
		{"abc", "abc", 0, 0},
		{"", "ab", 2, 2},
	} {
		require.Equal(t, c.want, distanceWithin([]rune(c.q), c.t, c.k), "%q %q k=%d", c.q, c.t, c.k)
	}
	r := rand.New(rand.NewPCG(1, 2))
	word := func() []rune {
		w := make([]rune, 1+r.IntN(10))
		for i := range w {
			w[i] = rune('a' + r.IntN(4))
		}
		return w
	}
	for range 20_000 {
		a, b, k := word(), word(), r.IntN(3)
		want := osa(a, b)
		if want > k {
			want = -1
		}
		require.Equal(t, want, distanceWithin(a, string(b), k), "%q %q k=%d", string(a), string(b), k)
	}
	long := []rune("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz")
	require.Equal(t, 1, distanceWithin(long, string(long[1:]), 2), "longer than the stack buffers")
}
