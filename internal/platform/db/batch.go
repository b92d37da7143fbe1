package db

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"
	"sync"
)

// Batched statements. A bulk path sends many rows per statement, and
// parsing a statement of hundreds of rows costs about as much as running
// it, so every statement of a bulk path has one of a few shapes
// (MaxBatchRows rows, or a power of two below), prepared once on the writer
// and reused through a StmtCache.

// MaxBatchRows is the most rows (or ids of an IN list) one bulk statement carries.
const MaxBatchRows = 256

// BatchSizes cuts n into statement sizes: MaxBatchRows while they fit, then the
// binary digits of the rest.
func BatchSizes(n int) []int {
	var out []int
	for ; n >= MaxBatchRows; n -= MaxBatchRows {
		out = append(out, MaxBatchRows)
	}
	for n > 0 {
		k := 1 << (bits.Len(uint(n)) - 1)
		out = append(out, k)
		n -= k
	}
	return out
}

// batchShapes lists every size BatchSizes returns.
func batchShapes() []int {
	var out []int
	for k := MaxBatchRows; k > 0; k >>= 1 {
		out = append(out, k)
	}
	return out
}

// IDChunks cuts ids into IN lists of MaxBatchRows, the last padded (with its
// last id repeated) to a power of two: every list has a prepared shape.
func IDChunks(ids []string) [][]any {
	var out [][]any
	for start := 0; start < len(ids); start += MaxBatchRows {
		chunk := ids[start:min(start+MaxBatchRows, len(ids))]
		n := 1 << bits.Len(uint(len(chunk)-1))
		args := make([]any, n)
		for i := range args {
			args[i] = chunk[min(i, len(chunk)-1)]
		}
		out = append(out, args)
	}
	return out
}

// Shape is a statement written for n rows (or n ids), in each dialect,
// its texts made once.
type Shape struct {
	make func(d Dialect, n int) string
	once sync.Once
	text map[Dialect]map[int]string
}

// NewShape makes a Shape whose text for n rows in dialect d is f(d, n).
func NewShape(f func(d Dialect, n int) string) *Shape { return &Shape{make: f} }

// InShape is a statement whose "%s" is an IN list.
func InShape(q string) *Shape {
	return NewShape(func(_ Dialect, n int) string { return fmt.Sprintf(q, Placeholders(n)) })
}

// SQL returns the text for n rows in dialect d.
func (s *Shape) SQL(d Dialect, n int) string {
	s.once.Do(func() {
		s.text = map[Dialect]map[int]string{}
		for _, dl := range []Dialect{SQLite, MySQL} {
			s.text[dl] = map[int]string{}
			for _, k := range batchShapes() {
				s.text[dl][k] = s.make(dl, k)
			}
		}
	})
	if q, ok := s.text[d][n]; ok {
		return q
	}
	return s.make(d, n)
}

// StmtCache holds statements prepared on the writer pool. Preparing must
// happen outside a transaction: on SQLite the writer is one connection,
// which a transaction holds.
type StmtCache struct {
	mu    sync.Mutex
	m     map[string]*sql.Stmt
	ready bool
}

// Prepare prepares every shape of ss once. A failure is not an error: the
// statement then runs unprepared.
func (c *StmtCache) Prepare(ctx context.Context, d *DB, ss []*Shape) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ready {
		return
	}
	c.ready = true
	c.m = map[string]*sql.Stmt{}
	for _, s := range ss {
		for _, n := range batchShapes() {
			q := s.SQL(d.Dialect(), n)
			if st, err := d.Writer().PrepareContext(ctx, q); err == nil {
				c.m[q] = st
			}
		}
	}
}

func (c *StmtCache) stmt(ctx context.Context, tx *sql.Tx, q string) *sql.Stmt {
	c.mu.Lock()
	st := c.m[q]
	c.mu.Unlock()
	if st == nil {
		return nil
	}
	return tx.StmtContext(ctx, st)
}

// Exec runs q in tx, through its prepared statement when there is one.
func (c *StmtCache) Exec(ctx context.Context, tx *sql.Tx, q string, args ...any) (sql.Result, error) {
	if st := c.stmt(ctx, tx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return tx.ExecContext(ctx, q, args...)
}

// Query is Exec for a SELECT.
func (c *StmtCache) Query(ctx context.Context, tx *sql.Tx, q string, args ...any) (*sql.Rows, error) {
	if st := c.stmt(ctx, tx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return tx.QueryContext(ctx, q, args...)
}

// Rows writes rows (each the same number of values) with statements of s.
func (c *StmtCache) Rows(ctx context.Context, tx *sql.Tx, d Dialect, s *Shape, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	args := make([]any, 0, min(len(rows), MaxBatchRows)*len(rows[0]))
	i := 0
	for _, n := range BatchSizes(len(rows)) {
		args = args[:0]
		for _, r := range rows[i : i+n] {
			args = append(args, r...)
		}
		i += n
		if _, err := c.Exec(ctx, tx, s.SQL(d, n), args...); err != nil {
			return err
		}
	}
	return nil
}

// IDs runs s (an InShape) for every chunk of ids.
func (c *StmtCache) IDs(ctx context.Context, tx *sql.Tx, d Dialect, s *Shape, ids []string) error {
	for _, args := range IDChunks(ids) {
		if _, err := c.Exec(ctx, tx, s.SQL(d, len(args)), args...); err != nil {
			return err
		}
	}
	return nil
}

// Scan runs the SELECT s (an InShape) for every chunk of ids and calls fn
// for each row.
func (c *StmtCache) Scan(ctx context.Context, tx *sql.Tx, d Dialect, s *Shape, ids []string, fn func(Scanner) error) error {
	for _, args := range IDChunks(ids) {
		rows, err := c.Query(ctx, tx, s.SQL(d, len(args)), args...)
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

// Scanner is what Scan hands each row as (*sql.Rows).
type Scanner interface{ Scan(...any) error }
