package db_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
)

func TestPlaceholdersAndArgs(t *testing.T) {
	require.Equal(t, "", db.Placeholders(0))
	require.Equal(t, "?", db.Placeholders(1))
	require.Equal(t, "?, ?, ?", db.Placeholders(3))
	require.Equal(t, []any{"a", "b"}, db.Args([]string{"a", "b"}))
	require.Equal(t, []any{1, 2}, db.Args([]int{1, 2}))
	require.Empty(t, db.Args[string](nil))
}

func TestInChunksCutsAtMaxInList(t *testing.T) {
	for _, n := range []int{0, 1, db.MaxInList, db.MaxInList + 1, 3*db.MaxInList - 1} {
		vs := make([]int, n)
		for i := range vs {
			vs[i] = i
		}
		var got []any
		calls := 0
		require.NoError(t, db.InChunks(vs, func(list string, args []any) error {
			calls++
			require.LessOrEqual(t, len(args), db.MaxInList)
			require.Equal(t, db.Placeholders(len(args)), list)
			got = append(got, args...)
			return nil
		}))
		require.Equal(t, (n+db.MaxInList-1)/db.MaxInList, calls, "n=%d", n)
		require.Equal(t, db.Args(vs), append([]any{}, got...), "n=%d", n)
	}
	stop := fmt.Errorf("stop")
	calls := 0
	require.ErrorIs(t, db.InChunks(make([]int, 2*db.MaxInList), func(string, []any) error { calls++; return stop }), stop)
	require.Equal(t, 1, calls, "the first error stops the loop")
}

// TestSQLHelpers runs the helpers against every engine: reads by more ids
// than one IN list takes, the locking clause inside a transaction, insert
// or skip, and a row time that reads back as written.
func TestSQLHelpers(t *testing.T) {
	dbtest.Each(t, "helpers", func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		datetime := "DATETIME" // as the services' schemas declare row times
		if d.Dialect() == db.MySQL {
			datetime = "DATETIME(6)"
		}
		_, err := d.Writer().ExecContext(ctx, "CREATE TABLE things (id VARCHAR(20) PRIMARY KEY, n INTEGER NOT NULL, at "+datetime+" NOT NULL)")
		require.NoError(t, err)
		at := db.Now()
		require.Equal(t, time.UTC, at.Location())
		require.Zero(t, at.Nanosecond()%1000, "microseconds")
		rows := make([][]any, 1200)
		ids := make([]string, 0, 1300)
		for i := range rows {
			rows[i] = []any{fmt.Sprintf("id%04d", i), i, at}
			ids = append(ids, fmt.Sprintf("id%04d", i))
		}
		require.NoError(t, db.Upsert{Table: "things", Cols: []string{"id", "n", "at"}, Key: []string{"id"}}.Exec(ctx, d.Writer(), d.Dialect(), rows))
		for i := range 100 {
			ids = append(ids, fmt.Sprintf("none%d", i)) // ids that are not there
		}

		sum, count := 0, 0
		require.NoError(t, db.EachIn(ctx, d.Reader(), "SELECT n, at FROM things WHERE id IN (%s)", ids, func(r db.Scanner) error {
			var n int
			var got time.Time
			if err := r.Scan(&n, &got); err != nil {
				return err
			}
			require.True(t, at.Equal(got), "the row time reads back as written: %v, %v", at, got)
			sum += n
			count++
			return nil
		}))
		require.Equal(t, 1200, count, "every chunk was read")
		require.Equal(t, 1199*1200/2, sum)

		// ForUpdate is valid SQL on the engine, inside a write transaction.
		require.NoError(t, d.Tx(ctx, func(tx *sql.Tx) error {
			var n int
			return tx.QueryRowContext(ctx, "SELECT n FROM things WHERE id = ?"+d.ForUpdate(), "id0007").Scan(&n)
		}))

		// InsertIgnore skips the existing key and adds the new one.
		_, err = d.Writer().ExecContext(ctx, d.InsertIgnore()+" things (id, n, at) VALUES (?, ?, ?), (?, ?, ?)", "id0001", -1, at, "new", 5, at)
		require.NoError(t, err)
		var n1, nNew int
		require.NoError(t, d.Reader().QueryRowContext(ctx, "SELECT n FROM things WHERE id = ?", "id0001").Scan(&n1))
		require.NoError(t, d.Reader().QueryRowContext(ctx, "SELECT n FROM things WHERE id = ?", "new").Scan(&nNew))
		require.Equal(t, []int{1, 5}, []int{n1, nNew})
	})
}
