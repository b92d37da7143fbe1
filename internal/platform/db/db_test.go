package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
)

func set(t testing.TB, name, dir string) db.Migrations {
	sub, err := fs.Sub(os.DirFS("testdata"), dir)
	require.NoError(t, err)
	return db.Migrations{Name: name, FS: sub}
}

func TestMigrateTxAndDuplicates(t *testing.T) {
	dbtest.Each(t, "items", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		good := set(t, "items", "good")
		require.NoError(t, d.Migrate(good))
		require.NoError(t, d.Migrate(good), "a second run is a no-op")
		v, dirty, err := d.MigrationVersion(good)
		require.NoError(t, err)
		require.Equal(t, uint(1), v)
		require.False(t, dirty)

		require.NoError(t, d.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO items (id, name) VALUES (?, ?)", 1, "one")
			return err
		}))

		// A failing transaction leaves nothing behind.
		boom := errors.New("boom")
		err = d.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO items (id, name) VALUES (?, ?)", 2, "two"); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		var n int
		require.NoError(t, d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM items").Scan(&n))
		require.Equal(t, 1, n)

		// A panic rolls back too, and goes on up.
		require.Panics(t, func() {
			_ = d.Tx(ctx, func(tx *sql.Tx) error {
				_, _ = tx.ExecContext(ctx, "INSERT INTO items (id, name) VALUES (?, ?)", 3, "three")
				panic("mid-way")
			})
		})
		require.NoError(t, d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM items").Scan(&n))
		require.Equal(t, 1, n)

		_, err = d.Writer().ExecContext(ctx, "INSERT INTO items (id, name) VALUES (?, ?)", 4, "one")
		require.Error(t, err)
		require.True(t, db.IsDuplicate(err), "unique violation: %v", err)
		require.False(t, db.IsDuplicate(boom))
	})
}

func TestDirtyMigrationIsRefusedWithVersion(t *testing.T) {
	for _, b := range dbtest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			cfg := b.Config(t)
			d := dbtest.Open(t, cfg, "dirty")
			bad := set(t, "items", "bad")
			err := d.Migrate(bad)
			require.Error(t, err)

			// golang-migrate marks version 2 dirty before running it; the
			// next start refuses with the version named.
			var dirty *db.DirtyError
			err = d.Migrate(bad)
			require.ErrorAs(t, err, &dirty)
			require.Equal(t, uint(2), dirty.Version)
			require.Contains(t, err.Error(), "version 2 is dirty")
			require.Contains(t, err.Error(), "cdlc migrate force")
			if b.Name == "sqlite" {
				// SQLite ran the migration in a transaction: nothing of it is left.
				var n int
				require.NoError(t, d.Reader().QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'").Scan(&n))
				require.Zero(t, n)
			}
			require.NoError(t, d.ForceMigrationVersion(bad, 1))
			v, isDirty, err := d.MigrationVersion(bad)
			require.NoError(t, err)
			require.Equal(t, uint(1), v)
			require.False(t, isDirty)
		})
	}
}

func TestSQLiteReadersAreReadOnlyAndConcurrent(t *testing.T) {
	d := dbtest.Open(t, dbtest.SQLiteConfig(t), "ro")
	ctx := context.Background()
	require.NoError(t, d.Migrate(set(t, "items", "good")))
	_, err := d.Reader().ExecContext(ctx, "INSERT INTO items (id, name) VALUES (1, 'x')")
	require.Error(t, err, "readers are query-only")

	// Many writers at once queue on the single writer connection instead of
	// failing with SQLITE_BUSY.
	var wg sync.WaitGroup
	errc := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- d.Tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "INSERT INTO items (id, name) VALUES (?, ?)", i+10, "n"+string(rune('a'+i%26))+string(rune('a'+i/26)))
				return err
			})
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
	var n int
	require.NoError(t, d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM items").Scan(&n))
	require.Equal(t, 50, n)
}

func TestConfigValidateNamesTheKey(t *testing.T) {
	cases := []struct {
		cfg db.Config
		key string
	}{
		{db.Config{Driver: "oracle"}, "db.driver"},
		{db.Config{Driver: "sqlite"}, "db.dir"},
		{db.Config{Driver: "mysql"}, "db.dsn"},
		{db.Config{Driver: "mysql", DSN: "no-slash"}, "db.dsn"},
		{db.Config{Driver: "sqlite", Dir: "x", MaxOpenConns: -1}, "db.max_open_conns"},
	}
	for _, c := range cases {
		err := c.cfg.Validate("db")
		require.Error(t, err)
		require.Contains(t, err.Error(), c.key)
	}
	require.NoError(t, db.Config{Driver: "sqlite", Dir: "x"}.Validate("db"))
}

// Reads go to the replicas when some are configured; writes to the primary.
func TestReadsRouteToReplicas(t *testing.T) {
	cfg := dbtest.MySQLConfig(t)
	// The same server plays the replica: what matters is the routing.
	cfg.Replicas = []string{cfg.DSN, cfg.DSN}
	d := dbtest.Open(t, cfg, "replicated")
	require.NoError(t, d.Migrate(set(t, "items", "good")))
	seen := map[*sql.DB]bool{}
	for range 4 {
		r := d.Reader()
		require.NotSame(t, d.Writer(), r)
		seen[r] = true
		var n int
		require.NoError(t, r.QueryRow("SELECT COUNT(*) FROM items").Scan(&n))
	}
	require.Len(t, seen, 2, "reads spread over both replicas")

	single := dbtest.Open(t, dbtest.MySQLConfig(t), "single")
	require.Same(t, single.Writer(), single.Reader(), "without replicas the primary serves reads")
}

func TestUpsertInsertsAndReplaces(t *testing.T) {
	dbtest.Each(t, "upsert", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		require.NoError(t, d.Migrate(set(t, "items", "good")))
		u := db.Upsert{Table: "items", Cols: []string{"id", "name"}, Key: []string{"id"}}
		require.NoError(t, u.Exec(ctx, d.Writer(), d.Dialect(), [][]any{{1, "a"}, {2, "b"}}))
		require.NoError(t, u.Exec(ctx, d.Writer(), d.Dialect(), [][]any{{2, "B"}, {3, "c"}}))
		var names []string
		rows, err := d.Reader().QueryContext(ctx, "SELECT name FROM items ORDER BY id")
		require.NoError(t, err)
		for rows.Next() {
			var n string
			require.NoError(t, rows.Scan(&n))
			names = append(names, n)
		}
		require.NoError(t, rows.Close())
		require.Equal(t, []string{"a", "B", "c"}, names)
		require.Error(t, u.Exec(ctx, d.Writer(), d.Dialect(), [][]any{{4}}))

		// Many rows split across statements under the parameter limit.
		many := make([][]any, 20000)
		for i := range many {
			many[i] = []any{i + 100, fmt.Sprintf("n%d", i)}
		}
		require.NoError(t, u.Exec(ctx, d.Writer(), d.Dialect(), many))
		var n int
		require.NoError(t, d.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM items").Scan(&n))
		require.Equal(t, 20003, n)

		// InsertMissingSQL adds new keys and leaves existing rows alone.
		_, err = d.Writer().ExecContext(ctx, u.InsertMissingSQL(d.Dialect(), 2), 1, "changed", 5, "e")
		require.NoError(t, err)
		var first, fifth string
		require.NoError(t, d.Reader().QueryRowContext(ctx, "SELECT name FROM items WHERE id = 1").Scan(&first))
		require.NoError(t, d.Reader().QueryRowContext(ctx, "SELECT name FROM items WHERE id = 5").Scan(&fifth))
		require.Equal(t, []string{"a", "e"}, []string{first, fifth})
	})
}

func TestBatchShapesCoverEveryCount(t *testing.T) {
	for _, n := range []int{0, 1, 3, 255, 256, 257, 1000} {
		total := 0
		for _, k := range db.BatchSizes(n) {
			require.LessOrEqual(t, k, db.MaxBatchRows)
			require.Zero(t, k&(k-1), "%d is a power of two", k)
			total += k
		}
		require.Equal(t, n, total)
	}
	chunks := db.IDChunks([]string{"a", "b", "c"})
	require.Equal(t, [][]any{{"a", "b", "c", "c"}}, chunks, "padded to a prepared shape with its last id")
	require.Len(t, db.IDChunks(make([]string, 300)), 2)
	require.Equal(t, "SELECT x FROM t WHERE id IN (?, ?)", db.InShape("SELECT x FROM t WHERE id IN (%s)").SQL(db.SQLite, 2))
}
