package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Upsert is an INSERT that replaces the non-key columns of rows whose key
// already exists, written once for both dialects (SQLite's ON CONFLICT,
// MySQL's ON DUPLICATE KEY UPDATE). It inserts many rows per statement,
// which is what makes bulk loads fast.
type Upsert struct {
	Table string
	// Cols are every column written; Key the columns of the unique key.
	Cols []string
	Key  []string
}

// maxParams keeps a statement under SQLite's parameter limit (32766).
const maxParams = 30000

// SQL returns the statement for n rows.
func (u Upsert) SQL(d Dialect, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", u.Table, strings.Join(u.Cols, ", "))
	row := "(" + Placeholders(len(u.Cols)) + ")"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	var set []string
	for _, c := range u.Cols {
		if slices.Contains(u.Key, c) {
			continue
		}
		if d == MySQL {
			set = append(set, fmt.Sprintf("%s = VALUES(%s)", c, c))
		} else {
			set = append(set, fmt.Sprintf("%s = excluded.%s", c, c))
		}
	}
	switch {
	case d == MySQL && len(set) == 0:
		// Nothing to update: keep the row (a no-op assignment).
		fmt.Fprintf(&b, " ON DUPLICATE KEY UPDATE %s = %s", u.Key[0], u.Key[0])
	case d == MySQL:
		b.WriteString(" ON DUPLICATE KEY UPDATE " + strings.Join(set, ", "))
	case len(set) == 0:
		fmt.Fprintf(&b, " ON CONFLICT (%s) DO NOTHING", strings.Join(u.Key, ", "))
	default:
		fmt.Fprintf(&b, " ON CONFLICT (%s) DO UPDATE SET %s", strings.Join(u.Key, ", "), strings.Join(set, ", "))
	}
	return b.String()
}

// InsertMissingSQL returns, for n rows, an INSERT of the rows whose key
// does not exist yet that leaves the rows whose key exists as they are
// (SQLite's DO NOTHING; on MySQL a no-op assignment rather than INSERT
// IGNORE, which would also swallow errors such as truncation).
func (u Upsert) InsertMissingSQL(d Dialect, n int) string {
	q := u.SQL(d, n)
	if d == MySQL {
		q = q[:strings.Index(q, " ON DUPLICATE KEY UPDATE ")]
		return q + fmt.Sprintf(" ON DUPLICATE KEY UPDATE %s = %s", u.Key[0], u.Key[0])
	}
	q = q[:strings.Index(q, " ON CONFLICT ")]
	return q + fmt.Sprintf(" ON CONFLICT (%s) DO NOTHING", strings.Join(u.Key, ", "))
}

// Exec writes rows (each len(Cols) values) through q, in as few statements
// as the parameter limit allows.
func (u Upsert) Exec(ctx context.Context, q Querier, d Dialect, rows [][]any) error {
	per := max(1, maxParams/len(u.Cols))
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		args := make([]any, 0, (end-start)*len(u.Cols))
		for _, r := range rows[start:end] {
			if len(r) != len(u.Cols) {
				return fmt.Errorf("upsert %s: row has %d values for %d columns", u.Table, len(r), len(u.Cols))
			}
			args = append(args, r...)
		}
		if _, err := q.ExecContext(ctx, u.SQL(d, end-start), args...); err != nil {
			return fmt.Errorf("upsert %s: %w", u.Table, err)
		}
	}
	return nil
}
