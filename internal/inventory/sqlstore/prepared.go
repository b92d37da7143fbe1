package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"sync"

	"github.com/cdlc/cdlc/internal/platform/db"
)

// The bulk paths send many rows per statement. Parsing a statement of
// hundreds of rows costs about as much as running it, so every statement
// of a bulk path has one of a few shapes (maxRows rows, or a power of two
// below), prepared once on the writer and reused. The actor store has the
// same helper.

// maxRows is the most rows (or ids of an IN list) one bulk statement carries.
const maxRows = 256

// sizes cuts n into statement sizes: maxRows while they fit, then the
// binary digits of the rest.
func sizes(n int) []int {
	var out []int
	for ; n >= maxRows; n -= maxRows {
		out = append(out, maxRows)
	}
	for n > 0 {
		k := 1 << (bits.Len(uint(n)) - 1)
		out = append(out, k)
		n -= k
	}
	return out
}

// shapes lists every size sizes returns.
func shapes() []int {
	var out []int
	for k := maxRows; k > 0; k >>= 1 {
		out = append(out, k)
	}
	return out
}

// idChunks cuts ids into IN lists of maxRows, the last padded (with its
// last id repeated) to a power of two: every list has a prepared shape.
func idChunks(ids []string) [][]any {
	var out [][]any
	for start := 0; start < len(ids); start += maxRows {
		chunk := ids[start:min(start+maxRows, len(ids))]
		n := 1 << bits.Len(uint(len(chunk)-1))
		args := make([]any, n)
		for i := range args {
			args[i] = chunk[min(i, len(chunk)-1)]
		}
		out = append(out, args)
	}
	return out
}

// shape is a statement written for n rows (or n ids), in each dialect,
// its texts made once.
type shape struct {
	make func(d db.Dialect, n int) string
	once sync.Once
	text map[db.Dialect]map[int]string
}

func newShape(f func(d db.Dialect, n int) string) *shape { return &shape{make: f} }

// inShape is a statement whose "%s" is an IN list.
func inShape(q string) *shape {
	return newShape(func(_ db.Dialect, n int) string { return fmt.Sprintf(q, placeholders(n)) })
}

func (s *shape) sql(d db.Dialect, n int) string {
	s.once.Do(func() {
		s.text = map[db.Dialect]map[int]string{}
		for _, dl := range []db.Dialect{db.SQLite, db.MySQL} {
			s.text[dl] = map[int]string{}
			for _, k := range shapes() {
				s.text[dl][k] = s.make(dl, k)
			}
		}
	})
	if q, ok := s.text[d][n]; ok {
		return q
	}
	return s.make(d, n)
}

// stmtCache holds statements prepared on the writer pool. Preparing must
// happen outside a transaction: on SQLite the writer is one connection,
// which a transaction holds.
type stmtCache struct {
	mu    sync.Mutex
	m     map[string]*sql.Stmt
	ready bool
}

// prepare prepares every shape of ss once. A failure is not an error: the
// statement then runs unprepared.
func (c *stmtCache) prepare(ctx context.Context, d *db.DB, ss []*shape) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready {
		return
	}
	c.ready = true
	c.m = map[string]*sql.Stmt{}
	for _, s := range ss {
		for _, n := range shapes() {
			q := s.sql(d.Dialect(), n)
			if st, err := d.Writer().PrepareContext(ctx, q); err == nil {
				c.m[q] = st
			}
		}
	}
}

func (c *stmtCache) stmt(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	c.mu.Lock()
	st := c.m[q]
	c.mu.Unlock()
	if st == nil {
		return nil
	}
	return tx.StmtContext(ctx, st)
}

// exec runs q in tx, through its prepared statement when there is one.
func (c *stmtCache) exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, tx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// query is exec for a SELECT.
func (c *stmtCache) query(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, tx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// rows writes rows (each the same number of values) with statements of s.
func (c *stmtCache) rows(ctx context.Context, tx *sql.Tx, d db.Dialect, s *shape, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	args := make([]any, 0, min(len(rows), maxRows)*len(rows[0]))
	i := 0
	for _, n := range sizes(len(rows)) {
		args = args[:0]
		for _, r := range rows[i : i+n] {
			args = append(args, r...)
		}
		i += n
		if _, err := c.exec(ctx, tx, s.sql(d, n), args...); err != nil {
			return err
		}
	}
	return nil
}

// scan runs the SELECT s (an inShape) for every chunk of ids and calls fn
// for each row.
func (c *stmtCache) scan(ctx context.Context, tx *sql.Tx, d db.Dialect, s *shape, ids []string, fn func(scanner) error) error {
	for _, args := range idChunks(ids) {
		rows, err := c.query(ctx, tx, s.sql(d, len(args)), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := fn(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
