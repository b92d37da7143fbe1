package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app/apptest"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/imdb"
	"github.com/cdlc/cdlc/internal/imdb/imdbtest"
	"github.com/cdlc/cdlc/internal/platform/db"
)

// fakeCatalog makes the import commands write into an in-memory sink.
func fakeCatalog(t *testing.T) *imdbtest.Sink {
	t.Helper()
	sink := imdbtest.NewSink()
	prev := openCatalogSink
	openCatalogSink = func(context.Context, app.Config) (imdb.Sink, io.Closer, error) {
		return sink, io.NopCloser(nil), nil
	}
	t.Cleanup(func() { openCatalogSink = prev })
	return sink
}

func TestImportIMDbBadInput(t *testing.T) {
	fakeCatalog(t)
	data, empty := t.TempDir(), t.TempDir()
	_, err := imdbtest.WriteFile(data, imdb.TitleBasics, false, "tt0068646\tmovie\tThe Godfather\t\\N\t0\t1972\t\\N\t175\tCrime,Drama")
	require.NoError(t, err)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no dir", []string{}, "--dir is required"},
		{"missing dir", []string{"--dir", filepath.Join(empty, "nope")}, "no such directory"},
		{"no files", []string{"--dir", empty}, "no IMDb dataset files"},
		{"bad batch", []string{"--dir", data, "--batch", "0"}, "--batch must be at least 1"},
		{"unknown file", []string{"--dir", data, "--files", "title.bogus"}, `unknown file "title.bogus"`},
		{"absent file", []string{"--dir", data, "--files", "title.crew"}, "neither title.crew.tsv.gz nor title.crew.tsv"},
		{"bad progress", []string{"--dir", data, "--progress", "loud"}, "--progress must be"},
		{"bad flag", []string{"--dir", data, "--batch", "many"}, "invalid argument"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"import", "imdb", "--data-dir", t.TempDir()}, c.args...)
			code, _, stderr := runCmd(t, context.Background(), args...)
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, c.want)
			require.Equal(t, 1, strings.Count(strings.TrimSpace(stderr), "\n")+1, "one line: %q", stderr)
		})
	}
}

func TestImportIMDb(t *testing.T) {
	sink := fakeCatalog(t)
	data, state := t.TempDir(), t.TempDir()
	_, err := imdbtest.Synth(data, 1000, true)
	require.NoError(t, err)
	_, err = imdbtest.WriteFile(data, imdb.TitleRatings, false, "tt00000001\t7.5\t100", "tt00000002\tbad\t1")
	require.NoError(t, err)
	require.NoError(t, os.Remove(filepath.Join(data, "title.ratings.tsv.gz")))

	args := []string{"import", "imdb", "--data-dir", state, "--dir", data, "--batch", "250", "--progress", "lines"}
	code, stdout, stderr := runCmd(t, context.Background(), args...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, `title.ratings.tsv:3: averageRating: want a number from 0 to 10, got "bad"`)
	require.Contains(t, stdout, "title.principals")
	require.Regexp(t, `total\s+-?\s*[0-9,]+\s+[0-9,]+\s+1\s`, stdout)
	titles, _, people, credits := sink.Counts()
	require.Equal(t, 1000, titles)
	require.Equal(t, 1000, people)
	require.FileExists(t, filepath.Join(state, "import", "imdb", "title.basics.checkpoint.json"))

	// Again, resuming: nothing left to do, nothing changes.
	code, stdout, stderr = runCmd(t, context.Background(), append(args, "--resume")...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "already done")
	t2, _, p2, c2 := sink.Counts()
	require.Equal(t, []int{titles, people, credits}, []int{t2, p2, c2})
}

func TestImportIMDbTruncatedGzip(t *testing.T) {
	sink := fakeCatalog(t)
	data := t.TempDir()
	rows := make([]string, 30000)
	for i := range rows {
		rows[i] = fmt.Sprintf("nm%07d", i+1) + "\tSomeone Somebody " + itoa(i) + "\t1950\t\\N\tactor\t\\N"
	}
	path, err := imdbtest.WriteFile(data, imdb.NameBasics, true, rows...)
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b[:len(b)/2], 0o600))

	code, stdout, stderr := runCmd(t, context.Background(), "import", "imdb", "--data-dir", t.TempDir(), "--dir", data, "--batch", "1000")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "cdlc: 1 file(s) could not be read to the end")
	require.Contains(t, stderr, "name.basics.tsv.gz: after line")
	require.Contains(t, stderr, "truncated gzip file")
	require.Contains(t, stderr, "download the file again")
	require.Contains(t, stdout, "failed")
	_, _, people, _ := sink.Counts()
	require.Greater(t, people, 1000)
	require.Less(t, people, 30000)
}

func TestImportIMDbInterrupted(t *testing.T) {
	sink := fakeCatalog(t)
	data := t.TempDir()
	_, err := imdbtest.Synth(data, 2000, false)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	sink.Before = func(method string, _ int) error {
		if method == "Akas" {
			cancel()
		}
		return nil
	}
	state := t.TempDir()
	code, _, stderr := runCmd(t, ctx, "import", "imdb", "--data-dir", state, "--dir", data, "--batch", "500")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "import interrupted")
	require.Contains(t, stderr, "--resume")
	sink.Before = nil
	code, stdout, stderr := runCmd(t, context.Background(), "import", "imdb", "--data-dir", state, "--dir", data, "--batch", "500", "--resume")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "already done")
	_, akas, _, _ := sink.Counts()
	require.Equal(t, imdbtest.SynthSize(2000)[imdb.TitleAkas], akas)
}

// The demo catalog seeds through the services' own stores, twice without
// change, and the platform then serves it.
func TestSeedDemoServesTheCatalog(t *testing.T) {
	dir := t.TempDir()
	for range 2 {
		code, stdout, stderr := runCmd(t, context.Background(), "seed", "demo", "--data-dir", dir)
		require.Equal(t, 0, code, stderr)
		require.NotEmpty(t, stdout)
	}
	in := apptest.Start(t, map[string]string{"data_dir": dir})
	var title struct {
		ID      string `json:"id"`
		Title   string `json:"title"`
		Credits struct {
			Cast []struct {
				PersonID   string   `json:"person_id"`
				Characters []string `json:"characters"`
			} `json:"cast"`
		} `json:"credits"`
	}
	res := in.Do("GET", "/api/v1/titles/tt0068646?append=credits", nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	res.JSON(t, &title)
	require.Equal(t, "The Godfather", title.Title)
	require.NotEmpty(t, title.Credits.Cast)
	require.Equal(t, "nm0000008", title.Credits.Cast[0].PersonID)

	res = in.Do("GET", "/api/v1/people/nm0000008", nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	require.Contains(t, string(res.Body), "Marlon Brando")

	// The seed ran while no server was up: the empty search indexes are
	// rebuilt from the stores on start (a typo proves the index answers,
	// not the SQL fallback).
	for path, want := range map[string]string{
		"/api/v1/search/titles?q=godfater":                     "tt0068646",
		"/api/v1/search/titles/autocomplete?q=the+godf":        "tt0068646",
		"/api/v1/search/people?q=marlon+brnado":                "nm0000008",
		"/api/v1/search/people?q=marlon+bra&autocomplete=true": "nm0000008",
	} {
		require.Eventually(t, func() bool {
			var hits struct {
				Results []struct {
					ID string `json:"id"`
				} `json:"results"`
			}
			res := in.Do("GET", path, nil)
			if res.Status != 200 {
				return false
			}
			res.JSON(t, &hits)
			return len(hits.Results) > 0 && hits.Results[0].ID == want
		}, 20*time.Second, 50*time.Millisecond, path)
	}
}

func TestSeedDemo(t *testing.T) {
	sink := fakeCatalog(t)
	code, stdout, stderr := runCmd(t, context.Background(), "seed", "demo", "--data-dir", t.TempDir())
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "demo catalog loaded")
	titles, akas, people, credits := sink.Counts()
	require.Greater(t, titles, 40)
	code, _, stderr = runCmd(t, context.Background(), "seed", "demo", "--data-dir", t.TempDir())
	require.Equal(t, 0, code, stderr)
	t2, a2, p2, c2 := sink.Counts()
	require.Equal(t, []int{titles, akas, people, credits}, []int{t2, a2, p2, c2})
}

func itoa(i int) string { return strconv.Itoa(i) }

// cdlc import imdb through the services' stores, on every backend (SQLite,
// and MariaDB when it answers: skipped locally without it, failed in CI):
// a second run changes nothing, an interrupted one resumes to the same
// rows, and each credit is there once.
func TestImportIMDbOnEveryBackend(t *testing.T) {
	const n = 300
	data := t.TempDir()
	_, err := imdbtest.Synth(data, n, true)
	require.NoError(t, err)
	for _, b := range apptest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			settings := b.Prepare(t)
			settings["data_dir"] = t.TempDir()
			cfg, _ := apptest.Config(t, settings)
			args := []string{"import", "imdb", "--dir", data, "--batch", "100", "--progress", "none"}
			for k, v := range settings {
				args = append(args, "--set", k+"="+v)
			}
			count := func(service, q string) int {
				t.Helper()
				d, err := db.Open(context.Background(), cfg.DB, service)
				require.NoError(t, err)
				defer d.Close()
				var c int
				require.NoError(t, d.Reader().QueryRow(q).Scan(&c))
				return c
			}
			state := func() []int {
				return []int{count("inventory", "SELECT COUNT(*) FROM titles"), count("inventory", "SELECT SUM(version) FROM titles"),
					count("actor", "SELECT COUNT(*) FROM people"), count("actor", "SELECT COUNT(*) FROM credits"),
					count("actor", "SELECT SUM(ord) FROM credits")}
			}

			// Interrupted after the first batch of credits, then resumed.
			ctx, cancel := context.WithCancel(context.Background())
			prev := openCatalogSink
			openCatalogSink = func(ctx context.Context, cfg app.Config) (imdb.Sink, io.Closer, error) {
				s, c, err := prev(ctx, cfg)
				return cancelOnCredits{Sink: s, cancel: cancel}, c, err
			}
			code, _, stderr := runCmd(t, ctx, args...)
			openCatalogSink = prev
			require.Equal(t, 1, code, stderr)
			require.Contains(t, stderr, "import interrupted")
			code, _, stderr = runCmd(t, context.Background(), append(args, "--resume")...)
			require.Equal(t, 0, code, stderr)
			first := state()
			// Synth: five credits a title (crew's director and two writers;
			// principals' two cast and the same director and first writer).
			require.Equal(t, n, first[0])
			require.Equal(t, n, first[2])
			require.Equal(t, 5*n, first[3], "one credit per person and job")

			code, _, stderr = runCmd(t, context.Background(), args...)
			require.Equal(t, 0, code, stderr)
			require.Equal(t, first, state(), "a re-import changes nothing")
		})
	}
}

// cancelOnCredits cancels the import once its first credits are written.
type cancelOnCredits struct {
	imdb.Sink
	cancel context.CancelFunc
}

func (s cancelOnCredits) Credits(ctx context.Context, set, add []actor.Credit) error {
	defer s.cancel()
	return s.Sink.Credits(ctx, set, add)
}
