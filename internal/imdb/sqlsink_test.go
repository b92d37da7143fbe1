package imdb_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/imdb"
	"github.com/cdlc/cdlc/internal/imdb/imdbtest"
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/db"
)

// The stores below stand in for inventory/sqlstore and actor/sqlstore until
// those exist: the same bulk methods on a schema of the same shape, so that
// SQLSink is tested end to end and the import's speed is measured on SQLite.

var standInInventory = db.Migrations{Name: "inventory_standin", FS: fstest.MapFS{
	"sqlite/0001_titles.up.sql": {Data: []byte(`
CREATE TABLE titles (id TEXT PRIMARY KEY, kind TEXT NOT NULL, title TEXT NOT NULL, original_title TEXT NOT NULL,
  adult INTEGER NOT NULL, start_year INTEGER NOT NULL, end_year INTEGER NOT NULL, runtime_minutes INTEGER NOT NULL,
  genres TEXT NOT NULL, parent_id TEXT NOT NULL DEFAULT '', season_number INTEGER NOT NULL DEFAULT 0,
  episode_number INTEGER NOT NULL DEFAULT 0, rating_average REAL NOT NULL DEFAULT 0, rating_votes INTEGER NOT NULL DEFAULT 0);
CREATE TABLE akas (title_id TEXT NOT NULL, ordering INTEGER NOT NULL, title TEXT NOT NULL, region TEXT NOT NULL,
  language TEXT NOT NULL, types TEXT NOT NULL, attributes TEXT NOT NULL, original INTEGER NOT NULL, PRIMARY KEY (title_id, ordering));`)},
	"sqlite/0001_titles.down.sql": {Data: []byte(`DROP TABLE akas; DROP TABLE titles;`)},
}}

var standInActor = db.Migrations{Name: "actor_standin", FS: fstest.MapFS{
	"sqlite/0001_people.up.sql": {Data: []byte(`
CREATE TABLE people (id TEXT PRIMARY KEY, name TEXT NOT NULL, birth_date TEXT NOT NULL, death_date TEXT NOT NULL,
  professions TEXT NOT NULL, known_for TEXT NOT NULL);
CREATE TABLE credits (title_id TEXT NOT NULL, person_id TEXT NOT NULL, department TEXT NOT NULL, job TEXT NOT NULL,
  characters TEXT NOT NULL, ord INTEGER NOT NULL, PRIMARY KEY (title_id, person_id, department));
CREATE INDEX credits_person ON credits (person_id);`)},
	"sqlite/0001_people.down.sql": {Data: []byte(`DROP TABLE credits; DROP TABLE people;`)},
}}

type standInTitles struct{ d *db.DB }

func jsonList(s []string) string {
	if len(s) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(s)
	return string(b)
}

func upsert(ctx context.Context, d *db.DB, u db.Upsert, rows [][]any) error {
	return d.Tx(ctx, func(tx *sql.Tx) error { return u.Exec(ctx, tx, d.Dialect(), rows) })
}

var titleUpsert = db.Upsert{Table: "titles", Key: []string{"id"},
	Cols: []string{"id", "kind", "title", "original_title", "adult", "start_year", "end_year", "runtime_minutes", "genres"}}

func (s standInTitles) UpsertTitles(ctx context.Context, b []inventory.Title) error {
	rows := make([][]any, len(b))
	for i, t := range b {
		rows[i] = []any{t.ID, string(t.Kind), t.Title, t.OriginalTitle, t.Adult, t.StartYear, t.EndYear, t.RuntimeMinutes, jsonList(t.Genres)}
	}
	return upsert(ctx, s.d, titleUpsert, rows)
}

func (s standInTitles) update(ctx context.Context, q string, n int, args func(i int) []any) error {
	return s.d.Tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range n {
			if _, err := st.ExecContext(ctx, args(i)...); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s standInTitles) SetEpisodes(ctx context.Context, b []imdb.Episode) error {
	return s.update(ctx, "UPDATE titles SET parent_id = ?, season_number = ?, episode_number = ? WHERE id = ?", len(b),
		func(i int) []any { return []any{b[i].ParentID, b[i].Season, b[i].Number, b[i].ID} })
}

func (s standInTitles) SetRatings(ctx context.Context, b []imdb.TitleRating) error {
	return s.update(ctx, "UPDATE titles SET rating_average = ?, rating_votes = ? WHERE id = ?", len(b),
		func(i int) []any { return []any{b[i].Average, b[i].Votes, b[i].TitleID} })
}

var akaUpsert = db.Upsert{Table: "akas", Key: []string{"title_id", "ordering"},
	Cols: []string{"title_id", "ordering", "title", "region", "language", "types", "attributes", "original"}}

func (s standInTitles) UpsertAkas(ctx context.Context, b []imdb.TitleAka) error {
	rows := make([][]any, len(b))
	for i, a := range b {
		rows[i] = []any{a.TitleID, a.Ordering, a.Title, a.Region, a.Language, jsonList(a.Types), jsonList(a.Attributes), a.Original}
	}
	return upsert(ctx, s.d, akaUpsert, rows)
}

type standInPeople struct{ d *db.DB }

var personUpsert = db.Upsert{Table: "people", Key: []string{"id"},
	Cols: []string{"id", "name", "birth_date", "death_date", "professions", "known_for"}}

func (s standInPeople) UpsertPeople(ctx context.Context, b []actor.Person) error {
	rows := make([][]any, len(b))
	for i, p := range b {
		rows[i] = []any{p.ID, p.Name, p.BirthDate, p.DeathDate, jsonList(p.Professions), jsonList(p.KnownFor)}
	}
	return upsert(ctx, s.d, personUpsert, rows)
}

var creditUpsert = db.Upsert{Table: "credits", Key: []string{"title_id", "person_id", "department"},
	Cols: []string{"title_id", "person_id", "department", "job", "characters", "ord"}}

func (s standInPeople) UpsertCredits(ctx context.Context, b []actor.Credit) error {
	rows := make([][]any, len(b))
	for i, c := range b {
		rows[i] = []any{c.TitleID, c.PersonID, string(c.Department), c.Job, jsonList(c.Characters), c.Order}
	}
	return upsert(ctx, s.d, creditUpsert, rows)
}

var standIns = imdb.Stores{
	InventoryMigrations: []db.Migrations{standInInventory},
	ActorMigrations:     []db.Migrations{standInActor},
	Titles:              func(d *db.DB) (imdb.TitleStore, error) { return standInTitles{d}, nil },
	People:              func(d *db.DB) (imdb.PersonStore, error) { return standInPeople{d}, nil },
}

func count(t testing.TB, cfg db.Config, service, table string) int {
	t.Helper()
	d, err := db.Open(context.Background(), cfg, service)
	require.NoError(t, err)
	defer d.Close()
	var n int
	require.NoError(t, d.Reader().QueryRow("SELECT COUNT(*) FROM "+table).Scan(&n))
	return n
}

func TestSQLSinkIdempotent(t *testing.T) {
	cfg := db.Config{Driver: "sqlite", Dir: t.TempDir()}
	ctx := context.Background()
	dir := t.TempDir()
	dataset(t, dir, true)
	counts := func() []int {
		return []int{count(t, cfg, "inventory", "titles"), count(t, cfg, "inventory", "akas"),
			count(t, cfg, "actor", "people"), count(t, cfg, "actor", "credits")}
	}
	for range 2 {
		sink, err := imdb.OpenSQLSink(ctx, cfg, standIns)
		require.NoError(t, err)
		_, log, err := importDir(t, ctx, dir, sink, imdb.Options{})
		require.NoError(t, err, log)
		require.NoError(t, sink.Close())
		require.Equal(t, []int{3, 3, 4, 5}, counts())
	}
	_, err := imdb.OpenSQLSink(ctx, cfg, imdb.Stores{})
	require.ErrorContains(t, err, "not wired")
}

// TestImportThroughput measures the import on SQLite with the stand-in
// stores: CDLC_IMDB_BENCH_TITLES=400000 go test -run TestImportThroughput -v
// ./internal/imdb (about ten rows per title over the seven files).
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

	cfg := db.Config{Driver: "sqlite", Dir: t.TempDir()}
	sink, err := imdb.OpenSQLSink(context.Background(), cfg, standIns)
	require.NoError(t, err)
	defer sink.Close()
	// CDLC_IMDB_BENCH_DISCARD=1 measures the reading alone.
	var s imdb.Sink = sink
	if os.Getenv("CDLC_IMDB_BENCH_DISCARD") != "" {
		s = &imdbtest.Discard{}
	}
	sum, _, err := importDir(t, context.Background(), dir, s, imdb.Options{})
	require.NoError(t, err)
	var b strings.Builder
	sum.Print(&b)
	t.Logf("\n%s", b.String())
	read, _, _ := sum.Totals()
	t.Logf("%d rows in %s: %.0f rows/s; peak RSS %s", read, sum.Elapsed.Round(time.Millisecond),
		float64(read)/sum.Elapsed.Seconds(), peakRSS())
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
