package imdb_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/imdb"
	"github.com/cdlc/cdlc/internal/imdb/imdbtest"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
)

func count(t testing.TB, cfg db.Config, service, table string) int {
	t.Helper()
	d, err := db.Open(context.Background(), cfg, service)
	require.NoError(t, err)
	defer d.Close()
	var n int
	require.NoError(t, d.Reader().QueryRow("SELECT COUNT(*) FROM "+table).Scan(&n))
	return n
}

// An import run twice through the services' stores leaves the same rows
// and versions, on both engines: the second run changes nothing. Each run
// ends with exactly one event per service, and none per row.
func TestSQLSinkIdempotent(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			cfg := b.Config(t)
			ctx := context.Background()
			dir := t.TempDir()
			dataset(t, dir, true)
			counts := func() []int {
				return []int{count(t, cfg, "inventory", "titles"), count(t, cfg, "inventory", "title_akas"), count(t, cfg, "inventory", "title_genres"),
					count(t, cfg, "actor", "people"), count(t, cfg, "actor", "credits"), count(t, cfg, "actor", "person_professions")}
			}
			versions := func() []int {
				return []int{sum(t, cfg, "inventory", "SELECT SUM(version) FROM titles"), sum(t, cfg, "actor", "SELECT SUM(version) FROM people")}
			}
			var first []int
			for run := 1; run <= 2; run++ {
				sink, err := imdb.OpenSQLSink(ctx, cfg, app.CatalogStores)
				require.NoError(t, err)
				_, log, err := importDir(t, ctx, dir, sink, imdb.Options{})
				require.NoError(t, err, log)
				require.NoError(t, sink.Close())
				require.Equal(t, []int{3, 3, 8, 4, 5, 8}, counts())
				if run == 1 {
					first = versions()
				}
				require.Equal(t, first, versions(), "run %d", run)
				require.Equal(t, run, sum(t, cfg, "inventory", "SELECT COUNT(*) FROM outbox WHERE topic = 'title.updated' AND msg_key = '*'"))
				require.Equal(t, run, sum(t, cfg, "actor", "SELECT COUNT(*) FROM outbox WHERE topic = 'credits.changed' AND msg_key = '*'"))
				require.Equal(t, run, count(t, cfg, "inventory", "outbox"), "one event per import")
				require.Equal(t, run, count(t, cfg, "actor", "outbox"), "one event per import")
			}
			_, err := imdb.OpenSQLSink(ctx, cfg, imdb.Stores{})
			require.ErrorContains(t, err, "not wired")
		})
	}
}

// The credits of directors and writers, whom title.crew and
// title.principals both list (and here disagree on), converge in the
// stores: one credit each, title.crew's order, whichever file is loaded
// first and however often.
func TestSQLSinkCrewAndPrincipalsConverge(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			crewDisagreement(t, dir)
			load := func(cfg db.Config, files []string) {
				t.Helper()
				sink, err := imdb.OpenSQLSink(ctx, cfg, app.CatalogStores)
				require.NoError(t, err)
				defer sink.Close()
				_, log, err := importDir(t, ctx, dir, sink, imdb.Options{Tables: files})
				require.NoError(t, err, log)
			}
			cfg := b.Config(t)
			for run := 1; run <= 2; run++ {
				load(cfg, nil)
				require.Equal(t, crewDisagreementCredits, storedCredits(t, cfg), "run %d", run)
			}
			cfg = b.Config(t)
			for _, files := range [][]string{{imdb.TitlePrincipals}, {imdb.TitleCrew}, nil} {
				load(cfg, files)
			}
			require.Equal(t, crewDisagreementCredits, storedCredits(t, cfg), "principals loaded first")
		})
	}
}

// storedCredits lists the actor database's credits as "title person job order".
func storedCredits(t testing.TB, cfg db.Config) []string {
	t.Helper()
	d, err := db.Open(context.Background(), cfg, "actor")
	require.NoError(t, err)
	defer d.Close()
	rows, err := d.Reader().Query("SELECT title_id, person_id, job, ord FROM credits ORDER BY title_id, person_id, job")
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var title, person, job string
		var ord int
		require.NoError(t, rows.Scan(&title, &person, &job, &ord))
		out = append(out, fmt.Sprintf("%s %s %s %d", title, person, job, ord))
	}
	require.NoError(t, rows.Err())
	return out
}

func sum(t testing.TB, cfg db.Config, service, query string) int {
	t.Helper()
	d, err := db.Open(context.Background(), cfg, service)
	require.NoError(t, err)
	defer d.Close()
	var n int
	require.NoError(t, d.Reader().QueryRow(query).Scan(&n))
	return n
}

// TestImportThroughput measures the import on SQLite through the real
// stores: CDLC_IMDB_BENCH_TITLES=400000 go test -run TestImportThroughput -v
// ./internal/imdb (about ten rows per title over the seven files;
// CDLC_IMDB_BENCH_TWICE=1 measures a re-import as well,
// CDLC_IMDB_BENCH_DRIVER=mysql runs it on MariaDB/MySQL).
func TestImportThroughput(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("CDLC_IMDB_BENCH_TITLES"))
	if n == 0 {
		t.Skip("set CDLC_IMDB_BENCH_TITLES to measure the import speed")
	}
	dir := t.TempDir()
	start := time.Now()
	rows, err := imdbtest.Synth(dir, n, true)
	require.NoError(t, err)
	t.Logf("generated %d rows in %s", rows, time.Since(start).Round(time.Millisecond))

	// CDLC_IMDB_BENCH_DRIVER=mysql measures it on MySQL/MariaDB
	// (CDLC_TEST_MYSQL_DSN, by default root@127.0.0.1:3306).
	cfg := dbtest.SQLiteConfig(t)
	if os.Getenv("CDLC_IMDB_BENCH_DRIVER") == "mysql" {
		cfg = dbtest.MySQLConfig(t)
		if v := os.Getenv("CDLC_IMDB_BENCH_DSN_EXTRA"); v != "" {
			cfg.DSN += v
		}
	}
	t.Logf("driver %s", cfg.Driver)
	sink, err := imdb.OpenSQLSink(context.Background(), cfg, app.CatalogStores)
	require.NoError(t, err)
	defer sink.Close()
	// CDLC_IMDB_BENCH_DISCARD=1 measures the reading alone.
	var s imdb.Sink = sink
	if os.Getenv("CDLC_IMDB_BENCH_DISCARD") != "" {
		s = &imdbtest.Discard{}
	}
	// CDLC_IMDB_BENCH_TWICE=1 imports the same files again: a re-import,
	// which finds every row in place.
	runs := 1
	if os.Getenv("CDLC_IMDB_BENCH_TWICE") != "" {
		runs = 2
	}
	defer imdb.TuneGC()() // as cdlc import does
	// CDLC_IMDB_BENCH_BATCH sets the rows per transaction.
	batch, _ := strconv.Atoi(os.Getenv("CDLC_IMDB_BENCH_BATCH"))
	for run := 1; run <= runs; run++ {
		sum, _, err := importDir(t, context.Background(), dir, s, imdb.Options{BatchSize: batch})
		require.NoError(t, err)
		var b strings.Builder
		sum.Print(&b)
		t.Logf("run %d:\n%s", run, b.String())
		read, _, _ := sum.Totals()
		t.Logf("run %d: %d rows in %s: %.0f rows/s; peak RSS %s", run, read, sum.Elapsed.Round(time.Millisecond),
			float64(read)/sum.Elapsed.Seconds(), peakRSS())
	}
	files, _ := filepath.Glob(filepath.Join(cfg.Dir, "*.db"))
	for _, f := range files {
		if info, err := os.Stat(f); err == nil {
			t.Logf("%s: %d MiB", filepath.Base(f), info.Size()>>20)
		}
	}
}

// peakRSS reads the process's peak resident memory (Linux).
func peakRSS() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "unknown"
}
