package search

import (
	"context"
	"math/rand/v2"
	"os"
	"syscall"
	"testing"
)

// BenchmarkTypoSearch measures searches with typos on one index of
// CDLC_SEARCH_BENCH_DOCS (default 200,000) synthetic titles, built once in
// CDLC_SEARCH_BENCH_DIR when set (reused by later runs):
//
//	go test -run - -bench TypoSearch -benchtime 3000x ./internal/platform/search/
func BenchmarkTypoSearch(b *testing.B) {
	words, err := loadWords(os.Getenv("CDLC_SEARCH_BENCH_WORDS"))
	if err != nil {
		b.Skipf("no word source: %v", err)
	}
	n := 200_000
	dir := os.Getenv("CDLC_SEARCH_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	ctx := context.Background()
	g := newGenerator(words, 42)
	idx, err := Open(Config{Dir: dir}, "typo-bench")
	if err != nil {
		b.Fatal(err)
	}
	defer idx.Close()
	var samples []Doc
	have, _ := idx.Count(ctx)
	done := 0
	next := func(context.Context) ([]Doc, error) {
		docs := make([]Doc, min(5000, n-done))
		for i := range docs {
			docs[i] = g.title(done + i)
			if g.r.IntN(100) == 0 {
				samples = append(samples, docs[i])
			}
		}
		done += len(docs)
		return docs, nil
	}
	if have == n {
		for done < n {
			next(ctx)
		}
	} else if err := idx.(Replacer).Replace(ctx, next); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 3))
	queries := make([]string, len(samples))
	for i, d := range samples {
		queries[i] = withTypo(r, d.Names[0])
	}
	// CPU time as well as wall time: on a shared machine the wall time
	// mostly measures the neighbours.
	cpu := func() int64 {
		var ru syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return ru.Utime.Nano() + ru.Stime.Nano()
	}
	b.ResetTimer()
	start := cpu()
	for i := range b.N {
		if _, err := idx.Search(ctx, Query{Text: queries[i%len(queries)]}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpu()-start)/float64(b.N), "cpu-ns/op")
}
