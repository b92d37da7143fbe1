// Package db is the platform's relational store: SQLite (the embedded
// default, one file per service) and MySQL/MariaDB (at scale), behind one
// handle with a transaction helper, reads routable to replicas, and versioned
// migrations embedded in the binary.
//
// Both dialects take `?` placeholders, so most SQL is shared; where the two
// differ (upserts, DDL) a service keeps one migration directory per dialect
// and asks Dialect.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Dialect names the SQL engine behind a DB.
type Dialect string

// The dialects.
const (
	SQLite Dialect = "sqlite"
	MySQL  Dialect = "mysql"
)

// Config selects and tunes the engine. One Config serves every service of a
// process; each service gets its own database (a file, or a MySQL schema).
type Config struct {
	// Driver is "sqlite" or "mysql".
	Driver string `koanf:"driver"`
	// Dir holds the SQLite files, one per service: <dir>/<service>.db.
	Dir string `koanf:"dir"`
	// DSN is the MySQL data source name (go-sql-driver format). "{service}"
	// in it is replaced by the service name, so each service has its schema.
	DSN string `koanf:"dsn" secret:"true"`
	// Replicas are read-replica DSNs (MySQL), same placeholder rule.
	Replicas []string `koanf:"replicas" secret:"true"`
	// MaxOpenConns bounds the reader pool (and the MySQL writer pool).
	MaxOpenConns int `koanf:"max_open_conns"`
	// BusyTimeout is how long a SQLite writer waits for the lock.
	BusyTimeout time.Duration `koanf:"busy_timeout"`
}

// Validate reports the first bad setting, naming its key under prefix.
func (c Config) Validate(prefix string) error {
	switch c.Driver {
	case string(SQLite):
		if c.Dir == "" {
			return errs.Invalid(prefix+".dir", "must name a directory for the SQLite files")
		}
	case string(MySQL):
		if c.DSN == "" {
			return errs.Invalid(prefix+".dsn", "must be set when driver is mysql")
		}
		if _, err := mysql.ParseDSN(strings.ReplaceAll(c.DSN, "{service}", "x")); err != nil {
			return errs.Invalid(prefix+".dsn", "%v", err)
		}
		for i, r := range c.Replicas {
			if _, err := mysql.ParseDSN(strings.ReplaceAll(r, "{service}", "x")); err != nil {
				return errs.Invalid(fmt.Sprintf("%s.replicas[%d]", prefix, i), "%v", err)
			}
		}
	default:
		return errs.Invalid(prefix+".driver", "must be sqlite or mysql, got %q", c.Driver)
	}
	if c.MaxOpenConns < 0 {
		return errs.Invalid(prefix+".max_open_conns", "must not be negative")
	}
	if c.BusyTimeout < 0 {
		return errs.Invalid(prefix+".busy_timeout", "must not be negative")
	}
	return nil
}

// Querier is what *sql.DB and *sql.Tx have in common; repository functions
// take it so that they run alone or inside a transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

var (
	_ Querier = (*sql.DB)(nil)
	_ Querier = (*sql.Tx)(nil)
)

// DB is one service's database: a writer pool and reader pools.
//
// On SQLite the writer is a single connection (SQLite allows one writer at a
// time; queueing in Go beats spinning on SQLITE_BUSY) and the readers are a
// separate pool reading the WAL concurrently. On MySQL the writer is the
// primary and the readers are the replicas, or the primary when none is set.
type DB struct {
	dialect Dialect
	service string
	writer  *sql.DB
	readers []*sql.DB
	next    atomic.Uint64
	// Name is where the data lives (file path or schema), for messages.
	name string
}

// Open connects the database of service. It verifies the connection, and
// for MySQL creates the service's schema when it does not exist yet.
func Open(ctx context.Context, cfg Config, service string) (*DB, error) {
	switch cfg.Driver {
	case string(SQLite):
		return openSQLite(ctx, cfg, service)
	case string(MySQL):
		return openMySQL(ctx, cfg, service)
	default:
		return nil, errs.Invalid("db.driver", "must be sqlite or mysql, got %q", cfg.Driver)
	}
}

func openSQLite(ctx context.Context, cfg Config, service string) (*DB, error) {
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", cfg.Dir, err)
	}
	path := filepath.Join(cfg.Dir, service+".db")
	busy := cfg.BusyTimeout
	if busy == 0 {
		busy = 5 * time.Second
	}
	// _txlock=immediate makes every write transaction take the write lock at
	// BEGIN, so two transactions never deadlock upgrading a read lock.
	base := fmt.Sprintf("file:%s?_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_time_format=sqlite",
		path, busy.Milliseconds())
	w, err := sql.Open("sqlite", base+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, err
	}
	n := cfg.MaxOpenConns
	if n == 0 {
		n = 8
	}
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	d := &DB{dialect: SQLite, service: service, writer: w, readers: []*sql.DB{r}, name: path}
	if err := d.Ping(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return d, nil
}

func openMySQL(ctx context.Context, cfg Config, service string) (*DB, error) {
	schema := "cdlc_" + service
	mcfg, err := mysqlConfig(cfg.DSN, service)
	if err != nil {
		return nil, errs.Invalid("db.dsn", "%v", err)
	}
	if mcfg.DBName == "" {
		mcfg.DBName = schema
	}
	if err := createSchema(ctx, *mcfg); err != nil {
		return nil, err
	}
	w, err := openMySQLPool(mcfg, cfg.MaxOpenConns)
	if err != nil {
		return nil, err
	}
	d := &DB{dialect: MySQL, service: service, writer: w, name: mcfg.Addr + "/" + mcfg.DBName}
	for i, dsn := range cfg.Replicas {
		rc, err := mysqlConfig(dsn, service)
		if err != nil {
			d.Close()
			return nil, errs.Invalid(fmt.Sprintf("db.replicas[%d]", i), "%v", err)
		}
		if rc.DBName == "" {
			rc.DBName = mcfg.DBName
		}
		r, err := openMySQLPool(rc, cfg.MaxOpenConns)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.readers = append(d.readers, r)
	}
	if len(d.readers) == 0 {
		d.readers = []*sql.DB{w}
	}
	if err := d.Ping(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("connect %s: %w", d.name, err)
	}
	return d, nil
}

func mysqlConfig(dsn, service string) (*mysql.Config, error) {
	c, err := mysql.ParseDSN(strings.ReplaceAll(dsn, "{service}", service))
	if err != nil {
		return nil, err
	}
	// The placeholder may have been path-escaped by a DSN formatter.
	c.DBName = strings.ReplaceAll(c.DBName, "{service}", service)
	c.ParseTime = true
	c.MultiStatements = true // migrations hold several statements per file
	c.Loc = time.UTC
	if c.Params == nil {
		c.Params = map[string]string{}
	}
	c.Params["time_zone"] = "'+00:00'"
	return c, nil
}

func createSchema(ctx context.Context, c mysql.Config) error {
	name := c.DBName
	c.DBName = ""
	conn, err := mysql.NewConnector(&c)
	if err != nil {
		return err
	}
	admin := sql.OpenDB(conn)
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE IF NOT EXISTS `"+strings.ReplaceAll(name, "`", "")+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		return fmt.Errorf("create schema %s on %s: %w", name, c.Addr, err)
	}
	return nil
}

func openMySQLPool(c *mysql.Config, max int) (*sql.DB, error) {
	conn, err := mysql.NewConnector(c)
	if err != nil {
		return nil, err
	}
	p := sql.OpenDB(conn)
	if max == 0 {
		max = 16
	}
	p.SetMaxOpenConns(max)
	p.SetMaxIdleConns(max)
	p.SetConnMaxLifetime(5 * time.Minute)
	return p, nil
}

// Dialect reports the engine.
func (d *DB) Dialect() Dialect { return d.dialect }

// Service reports whose database this is.
func (d *DB) Service() string { return d.service }

// Writer is the pool for writes and for reads that must see them at once.
func (d *DB) Writer() *sql.DB { return d.writer }

// Reader is a pool for reads that may lag behind writes (a replica when configured).
func (d *DB) Reader() *sql.DB {
	if len(d.readers) == 1 {
		return d.readers[0]
	}
	return d.readers[d.next.Add(1)%uint64(len(d.readers))]
}

// Ping checks the writer and every reader.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.writer.PingContext(ctx); err != nil {
		return err
	}
	for _, r := range d.readers {
		if err := r.PingContext(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Close closes every pool.
func (d *DB) Close() error {
	var err error
	for _, r := range d.readers {
		if r != d.writer {
			err = errors.Join(err, r.Close())
		}
	}
	return errors.Join(err, d.writer.Close())
}

// Tx runs fn in a transaction on the writer: committed when fn returns nil,
// rolled back when it returns an error or panics. Nothing fn wrote survives
// a failure, which is what "a failed write changes nothing" rests on.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	tx, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// IsDuplicate reports whether err is a unique or primary key violation.
func IsDuplicate(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code()
		return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	return false
}

// IsDeadlock reports whether err is a transaction the engine rolled back
// because it deadlocked or waited too long for a lock (MySQL 1213, 1205):
// running the whole transaction again is the remedy.
func IsDeadlock(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205
	}
	return false
}
