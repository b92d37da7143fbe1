package search

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestScale builds N titles and N people of synthetic names and reports
// bulk-load speed, size on disk, peak memory and query latencies. It is a
// measurement, not a test: it asserts no times, and runs only when asked:
//
//	CDLC_SEARCH_BENCH_DOCS=1000000 go test -run TestScale -v -timeout 2h ./internal/platform/search/
//
// Words come from the MovieLens titles in CDLC_SEARCH_BENCH_WORDS (default
// ../shared/data/ml-latest-small/movies.csv beside the repository), read at run time, mixed
// with rarer made-up words; popularity is log-normal like IMDb vote counts.
func TestScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CDLC_SEARCH_BENCH_DOCS"))
	if n <= 0 {
		t.Skip("set CDLC_SEARCH_BENCH_DOCS=N to build N titles + N people and measure")
	}
	words, err := loadWords(os.Getenv("CDLC_SEARCH_BENCH_WORDS"))
	if err != nil {
		t.Skipf("no word source: %v", err)
	}
	dir := os.Getenv("CDLC_SEARCH_BENCH_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	cfg := Config{Dir: dir}
	g := newGenerator(words, 42)
	ctx := context.Background()

	var samples [2][]Doc // docs to build queries from, per index
	for k, name := range []string{"titles", "people"} {
		idx, err := Open(cfg, name)
		require.NoError(t, err)
		if have, err := idx.Count(ctx); err == nil && have == n {
			// An index kept from an earlier run (CDLC_SEARCH_BENCH_DIR):
			// measure the queries only, on the same documents.
			for i := range n {
				var d Doc
				if k == 0 {
					d = g.title(i)
				} else {
					d = g.person(i)
				}
				if g.r.IntN(max(1, n/2000)) == 0 {
					samples[k] = append(samples[k], d)
				}
			}
			t.Logf("%s: reusing %d docs in %s", name, n, dir)
			require.NoError(t, idx.Close())
			continue
		}
		start := time.Now()
		const batch = 5000
		done := 0
		nextBatch := func() []Doc {
			docs := make([]Doc, min(batch, n-done))
			for i := range docs {
				if k == 0 {
					docs[i] = g.title(done + i)
				} else {
					docs[i] = g.person(done + i)
				}
				if g.r.IntN(max(1, n/2000)) == 0 {
					samples[k] = append(samples[k], docs[i])
				}
			}
			done += len(docs)
			return docs
		}
		if os.Getenv("CDLC_SEARCH_BENCH_UPSERT") != "" {
			for done < n {
				require.NoError(t, idx.Upsert(ctx, nextBatch()...))
			}
		} else {
			// A rebuild's way: sorted sstables ingested.
			require.NoError(t, idx.(Replacer).Replace(ctx, func(context.Context) ([]Doc, error) { return nextBatch(), nil }))
		}
		el := time.Since(start)
		count, err := idx.Count(ctx)
		require.NoError(t, err)
		require.Equal(t, n, count)
		t.Logf("%s: %d docs loaded in %v: %.0f docs/s", name, n, el.Round(time.Millisecond), float64(n)/el.Seconds())
		require.NoError(t, idx.Close())
	}
	t.Logf("size on disk: %s", mib(dirSize(t, dir)))

	// Reopen: what a restart costs.
	start := time.Now()
	titles, err := Open(cfg, "titles")
	require.NoError(t, err)
	people, err := Open(cfg, "people")
	require.NoError(t, err)
	t.Logf("reopen both indexes: %v", time.Since(start).Round(time.Microsecond))
	// Measure the steady state: an import leaves compactions running for a
	// while, and on two cores they would be measured as query latency.
	start = time.Now()
	for _, idx := range []Index{titles, people} {
		for idx.(*embedded).db.Metrics().Compact.NumInProgress > 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	t.Logf("waited %v for background compactions", time.Since(start).Round(time.Millisecond))
	defer titles.Close()
	defer people.Close()

	qr := rand.New(rand.NewPCG(7, 7))
	var searches, keystrokes []string
	for k := range samples {
		for _, d := range samples[k] {
			searches = append(searches, withTypo(qr, d.Names[0]))
			keystrokes = append(keystrokes, prefixes(qr, d.Names[0])...)
		}
	}
	// The words everyone types: long posting lists, the worst case for a
	// naive engine.
	searches = append(searches, "the", "love", "the man", "star", "john", "de la", "world war", "the lovee")
	keystrokes = append(keystrokes, "t", "th", "the", "the l", "the lo", "j", "jo", "joh", "john s", "m", "ma", "mar")
	qr.Shuffle(len(searches), func(i, j int) { searches[i], searches[j] = searches[j], searches[i] })
	qr.Shuffle(len(keystrokes), func(i, j int) { keystrokes[i], keystrokes[j] = keystrokes[j], keystrokes[i] })

	measure := func(what string, queries []string, auto bool) {
		var both, one []time.Duration
		type slow struct {
			d    time.Duration
			text string
		}
		var slowest []slow
		found := 0
		for _, text := range queries {
			s := time.Now()
			hits, err := titles.Search(ctx, Query{Text: text, Autocomplete: auto})
			require.NoError(t, err)
			m := time.Now()
			hits2, err := people.Search(ctx, Query{Text: text, Autocomplete: auto})
			require.NoError(t, err)
			e := time.Now()
			both = append(both, e.Sub(s))
			slowest = append(slowest, slow{e.Sub(s), text})
			one = append(one, m.Sub(s), e.Sub(m))
			if len(hits)+len(hits2) > 0 {
				found++
			}
		}
		t.Logf("%s (%d queries, %.0f%% with hits): titles+people p50=%v p95=%v p99=%v max=%v; one index p50=%v p95=%v p99=%v",
			what, len(queries), 100*float64(found)/float64(len(queries)),
			pct(both, 50), pct(both, 95), pct(both, 99), pct(both, 100), pct(one, 50), pct(one, 95), pct(one, 99))
		if os.Getenv("CDLC_SEARCH_BENCH_SLOWEST") != "" {
			slices.SortFunc(slowest, func(a, b slow) int { return int(b.d - a.d) })
			for _, q := range slowest[:min(15, len(slowest))] {
				t.Logf("  slow: %v %q", q.d.Round(time.Microsecond), q.text)
			}
		}
	}
	measure("search with typos", searches, false)
	measure("autocomplete keystrokes", keystrokes, true)
	t.Logf("examples: %q -> %v", searches[0], first(titles, people, searches[0], false))
	t.Logf("examples: %q -> %v", keystrokes[0], first(titles, people, keystrokes[0], true))
	t.Logf("peak RSS: %s, Go heap now: %s", peakRSS(), heapNow())
}

func first(titles, people Index, text string, auto bool) []string {
	var out []string
	for _, idx := range []Index{titles, people} {
		hits, _ := idx.Search(context.Background(), Query{Text: text, Autocomplete: auto, Limit: 3})
		for _, h := range hits {
			out = append(out, h.Name)
		}
	}
	return out
}

func pct(d []time.Duration, p int) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	i := min(len(s)-1, len(s)*p/100)
	return s[i].Round(time.Microsecond)
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func dirSize(t testing.TB, dir string) int64 {
	var total int64
	require.NoError(t, filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if info, err := d.Info(); err == nil && !d.IsDir() {
			total += info.Size()
		}
		return nil
	}))
	return total
}

func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(line, "VmHWM:"))
		}
	}
	return "unknown"
}

func heapNow() string {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return mib(int64(m.HeapAlloc))
}

// loadWords reads the distinct words of the MovieLens titles.
func loadWords(path string) ([]string, error) {
	if path == "" {
		// The shared data sit beside the repository (../shared from its root).
		path = "../../../../shared/data/ml-latest-small/movies.csv"
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	seen := map[string]bool{}
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		i, j := strings.Index(line, ","), strings.LastIndex(line, ",")
		if i < 0 || j <= i {
			continue
		}
		title := strings.Trim(line[i+1:j], `"`)
		if k := strings.LastIndex(title, " ("); k > 0 {
			title = title[:k] // the year
		}
		for _, w := range strings.Fields(title) {
			w = strings.Trim(w, `,:"()`)
			if len(w) > 1 && !seen[w] {
				seen[w] = true
				out = append(out, w)
			}
		}
	}
	if len(out) < 1000 {
		return nil, fmt.Errorf("%s: only %d words", path, len(out))
	}
	return out, sc.Err()
}

// generator makes titles and people with skewed word frequencies: common
// title words by a Zipf law over the MovieLens vocabulary, one word in six
// made up (rare), first names from a small Zipf-distributed set, surnames
// from a large one.
type generator struct {
	r                    *rand.Rand
	words, rare, first   []string
	zWord, zFirst, zSurn *rand.Zipf
	kinds                []string
}

var syllables = []string{"ka", "ro", "mi", "ta", "ne", "lo", "sa", "ri", "do", "va", "be", "zu", "el", "an", "or", "is", "ch", "th", "ur", "en", "st", "mar", "tin", "son", "ber", "gel", "ova", "ski", "ez", "é", "ü", "ñ"}

func newGenerator(words []string, seed uint64) *generator {
	r := rand.New(rand.NewPCG(seed, 1))
	g := &generator{r: r, words: words, kinds: []string{"movie", "movie", "movie", "series", "episode", "episode", "episode", "short", "tv_movie", "special"}}
	g.rare = make([]string, 300_000)
	for i := range g.rare {
		g.rare[i] = g.synth(2 + r.IntN(3))
	}
	g.first = make([]string, 5_000)
	for i := range g.first {
		g.first[i] = g.synth(2 + r.IntN(2))
	}
	g.zWord = rand.NewZipf(r, 1.1, 2, uint64(len(words)-1))
	g.zFirst = rand.NewZipf(r, 1.2, 2, uint64(len(g.first)-1))
	g.zSurn = rand.NewZipf(r, 1.05, 5, uint64(len(g.rare)-1))
	return g
}

func (g *generator) synth(n int) string {
	var b strings.Builder
	for range n {
		b.WriteString(syllables[g.r.IntN(len(syllables))])
	}
	s := []rune(b.String())
	return strings.ToUpper(string(s[0])) + string(s[1:])
}

func (g *generator) titleName() string {
	ws := make([]string, 1+g.r.IntN(4))
	for i := range ws {
		if g.r.IntN(6) == 0 {
			ws[i] = g.rare[g.r.IntN(len(g.rare))]
		} else {
			ws[i] = g.words[g.zWord.Uint64()]
		}
	}
	return strings.Join(ws, " ")
}

func (g *generator) title(i int) Doc {
	d := Doc{
		ID:         fmt.Sprintf("tt%07d", i),
		Kind:       g.kinds[g.r.IntN(len(g.kinds))],
		Year:       1900 + g.r.IntN(126),
		Popularity: math.Floor(math.Exp(g.r.NormFloat64()*2.2 + 3)),
		Names:      []string{g.titleName()},
	}
	for g.r.IntN(3) == 0 && len(d.Names) < 6 {
		d.Names = append(d.Names, g.titleName()) // akas
	}
	return d
}

func (g *generator) person(i int) Doc {
	d := Doc{
		ID:         fmt.Sprintf("nm%07d", i),
		Kind:       "person",
		Popularity: math.Floor(math.Exp(g.r.NormFloat64()*2 + 2)),
		Names:      []string{g.first[g.zFirst.Uint64()] + " " + g.rare[g.zSurn.Uint64()]},
	}
	if g.r.IntN(5) == 0 {
		d.Year = 1880 + g.r.IntN(125)
	}
	if g.r.IntN(10) == 0 {
		d.Names = append(d.Names, g.first[g.zFirst.Uint64()]+" "+g.rare[g.zSurn.Uint64()])
	}
	return d
}

// withTypo lower-cases name and puts one typo (swap, drop or change a
// letter) in its longest word, two when that word has 8 letters or more.
func withTypo(r *rand.Rand, name string) string {
	ws := strings.Fields(strings.ToLower(name))
	li := 0
	for i, w := range ws {
		if len([]rune(w)) > len([]rune(ws[li])) {
			li = i
		}
	}
	w := []rune(ws[li])
	edits := 0
	if len(w) >= 4 {
		edits = 1
	}
	if len(w) >= 8 {
		edits = 2
	}
	for range edits {
		p := 1 + r.IntN(len(w)-2)
		switch r.IntN(3) {
		case 0:
			w[p], w[p+1] = w[p+1], w[p]
		case 1:
			w = append(w[:p], w[p+1:]...)
		default:
			w[p] = rune('a' + r.IntN(26))
		}
	}
	ws[li] = string(w)
	return strings.Join(ws, " ")
}

// prefixes is what a user types on the way to name: a few of the
// keystroke-by-keystroke prefixes.
func prefixes(r *rand.Rand, name string) []string {
	s := []rune(strings.ToLower(name))
	var out []string
	for range 3 {
		out = append(out, strings.TrimSpace(string(s[:1+r.IntN(len(s))])))
	}
	return out
}
