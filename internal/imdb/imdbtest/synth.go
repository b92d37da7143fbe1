package imdbtest

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Headers are the header lines of the dataset files, as IMDb writes them.
var Headers = map[string]string{
	"title.basics":     "tconst\ttitleType\tprimaryTitle\toriginalTitle\tisAdult\tstartYear\tendYear\truntimeMinutes\tgenres",
	"title.episode":    "tconst\tparentTconst\tseasonNumber\tepisodeNumber",
	"title.akas":       "titleId\tordering\ttitle\tregion\tlanguage\ttypes\tattributes\tisOriginalTitle",
	"title.ratings":    "tconst\taverageRating\tnumVotes",
	"name.basics":      "nconst\tprimaryName\tbirthYear\tdeathYear\tprimaryProfession\tknownForTitles",
	"title.crew":       "tconst\tdirectors\twriters",
	"title.principals": "tconst\tordering\tnconst\tcategory\tjob\tcharacters",
}

// WriteFile writes one dataset file: the table's header, then rows (each a
// line without its newline). gz compresses it. It returns the path.
func WriteFile(dir, table string, gz bool, rows ...string) (string, error) {
	name := table + ".tsv"
	if gz {
		name += ".gz"
	}
	path := filepath.Join(dir, name)
	w, err := create(path, gz)
	if err != nil {
		return "", err
	}
	fmt.Fprintln(w, Headers[table])
	for _, r := range rows {
		fmt.Fprintln(w, r)
	}
	return path, w.Close()
}

// fileWriter is a buffered, optionally gzipped file.
type fileWriter struct {
	*bufio.Writer
	gz *gzip.Writer
	f  *os.File
}

func create(path string, gz bool) (*fileWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	w := &fileWriter{f: f}
	var dst io.Writer = f
	if gz {
		w.gz, _ = gzip.NewWriterLevel(f, gzip.BestSpeed)
		dst = w.gz
	}
	w.Writer = bufio.NewWriterSize(dst, 1<<20)
	return w, nil
}

func (w *fileWriter) Close() error {
	err := w.Flush()
	if w.gz != nil {
		if e := w.gz.Close(); err == nil {
			err = e
		}
	}
	if e := w.f.Close(); err == nil {
		err = e
	}
	return err
}

// SynthSize is how many rows Synth writes per file for n titles.
func SynthSize(n int) map[string]int {
	return map[string]int{
		"title.basics": n, "title.episode": n / 5, "title.akas": 2 * n, "title.ratings": n / 2,
		"name.basics": n, "title.crew": n, "title.principals": 4 * n,
	}
}

// Synth writes all seven dataset files into dir, shaped like IMDb's: n
// titles (a fifth of them episodes of the first series), n people, two
// akas and four principals per title, crews, ratings for half. The data is
// deterministic. It returns the number of data rows written.
func Synth(dir string, n int, gz bool) (int, error) {
	total := 0
	kinds := []string{"movie", "short", "tvSeries", "tvMovie", "tvEpisode", "video", "tvMiniSeries"}
	genres := []string{"Drama", "Comedy,Drama", "Action,Adventure,Sci-Fi", `\N`, "Documentary"}
	gen := func(table string, rows int, line func(w *fileWriter, i int)) error {
		ext := ".tsv"
		if gz {
			ext += ".gz"
		}
		w, err := create(filepath.Join(dir, table+ext), gz)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, Headers[table])
		for i := range rows {
			line(w, i)
		}
		total += rows
		return w.Close()
	}
	tt := func(i int) string { return fmt.Sprintf("tt%08d", i+1) }
	nm := func(i int) string { return fmt.Sprintf("nm%08d", i%n+1) }
	size := SynthSize(n)
	steps := []struct {
		table string
		line  func(w *fileWriter, i int)
	}{
		{"title.basics", func(w *fileWriter, i int) {
			kind := kinds[i%len(kinds)]
			if i >= n-size["title.episode"] {
				kind = "tvEpisode"
			}
			fmt.Fprintf(w, "%s\t%s\tSynthetic Title %d\tSynthetic Title %d\t%d\t%d\t\\N\t%d\t%s\n",
				tt(i), kind, i, i, i%50/49, 1900+i%125, 5+i%200, genres[i%len(genres)])
		}},
		{"title.episode", func(w *fileWriter, i int) {
			fmt.Fprintf(w, "%s\t%s\t%d\t%d\n", tt(n-size["title.episode"]+i), tt(2), 1+i/20, 1+i%20)
		}},
		{"title.akas", func(w *fileWriter, i int) {
			fmt.Fprintf(w, "%s\t%d\tSynthetic Title %d (%d)\t%s\t%s\timdbDisplay\t\\N\t%d\n",
				tt(i/2), 1+i%2, i/2, i%2, []string{"US", "FR"}[i%2], []string{`\N`, "fr"}[i%2], 1-i%2)
		}},
		{"title.ratings", func(w *fileWriter, i int) {
			fmt.Fprintf(w, "%s\t%d.%d\t%d\n", tt(2*i), 1+i%9, i%10, 5+i*7%100000)
		}},
		{"name.basics", func(w *fileWriter, i int) {
			fmt.Fprintf(w, "%s\tSynthetic Person %d\t%d\t\\N\tactor,writer\t%s,%s\n", nm(i), i, 1900+i%100, tt(i), tt((i+1)%n))
		}},
		{"title.crew", func(w *fileWriter, i int) {
			fmt.Fprintf(w, "%s\t%s\t%s,%s\n", tt(i), nm(i+7), nm(i+8), nm(i+9))
		}},
		{"title.principals", func(w *fileWriter, i int) {
			t, o := i/4, i%4
			switch o {
			case 0, 1:
				fmt.Fprintf(w, "%s\t%d\t%s\t%s\t\\N\t[\"Character %d\"]\n", tt(t), o+1, nm(t+o), []string{"actor", "actress"}[o], i)
			case 2:
				fmt.Fprintf(w, "%s\t%d\t%s\tdirector\t\\N\t\\N\n", tt(t), o+1, nm(t+7))
			default:
				fmt.Fprintf(w, "%s\t%d\t%s\twriter\tscreenplay\t\\N\n", tt(t), o+1, nm(t+8))
			}
		}},
	}
	for _, s := range steps {
		if err := gen(s.table, size[s.table], s.line); err != nil {
			return total, err
		}
	}
	return total, nil
}
