package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Small pieces of SQL every store writes: argument lists, the row time,
// the dialect's locking and insert-or-skip clauses, and reads by many ids
// cut into IN lists of a bounded length.

// Placeholders is "?, ?, ..." for n values.
func Placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// Args is vs as the arguments of a query.
func Args[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// Now is the time a store writes into a row: UTC, to the microsecond, which
// is what MySQL's DATETIME(6) keeps, so a row reads back as it was written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// ForUpdate is the clause that locks the rows a read inside a write
// transaction returns: " FOR UPDATE" on MySQL, nothing on SQLite, whose
// single writer already holds the database lock.
func (d *DB) ForUpdate() string {
	if d.dialect == MySQL {
		return " FOR UPDATE"
	}
	return ""
}

// InsertIgnore starts an INSERT that skips the rows whose key exists.
func (d *DB) InsertIgnore() string {
	if d.dialect == MySQL {
		return "INSERT IGNORE INTO"
	}
	return "INSERT OR IGNORE INTO"
}

// Each runs query and calls fn for every row, stopping at fn's first error.
func Each(ctx context.Context, q Querier, query string, args []any, fn func(Scanner) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// MaxInList is the most values one IN list of InChunks carries: far below
// every engine's limit on parameters, large enough that a page of ids is
// one statement.
const MaxInList = 500

// InChunks calls fn for vs cut into chunks of at most MaxInList, with the
// chunk's "?, ?, ..." list and its arguments; nothing for no values.
func InChunks[T any](vs []T, fn func(list string, args []any) error) error {
	for start := 0; start < len(vs); start += MaxInList {
		chunk := vs[start:min(start+MaxInList, len(vs))]
		if err := fn(Placeholders(len(chunk)), Args(chunk)); err != nil {
			return err
		}
	}
	return nil
}

// EachIn runs query, whose one %s is the list of an IN (%s), for vs in
// chunks of at most MaxInList, and calls fn for every row.
func EachIn[T any](ctx context.Context, q Querier, query string, vs []T, fn func(Scanner) error) error {
	return InChunks(vs, func(list string, args []any) error {
		return Each(ctx, q, fmt.Sprintf(query, list), args, fn)
	})
}
