// Package dbtest opens throwaway databases on every backend this machine can
// start, so one test body runs against SQLite and MariaDB/MySQL alike.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/testenv"
)

// MySQLDSN is the server the MySQL backend uses; CDLC_TEST_MYSQL_DSN overrides it.
func MySQLDSN() string {
	return testenv.Get("CDLC_TEST_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/")
}

// Backend is one engine a test can run on.
type Backend struct {
	Name string
	// Config returns a configuration with a fresh, empty database per
	// service; it is dropped when the test ends.
	Config func(t testing.TB) db.Config
}

// Backends lists SQLite and MySQL.
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite", Config: SQLiteConfig},
		{Name: "mysql", Config: MySQLConfig},
	}
}

// SQLiteConfig returns a configuration whose files live in a temporary directory.
func SQLiteConfig(t testing.TB) db.Config {
	return db.Config{Driver: "sqlite", Dir: t.TempDir()}
}

// MySQLConfig returns a configuration on a uniquely named schema per
// service, dropped at the end of the test. It skips (or fails in CI) when
// the server is not reachable.
func MySQLConfig(t testing.TB) db.Config {
	t.Helper()
	base, err := mysql.ParseDSN(MySQLDSN())
	if err != nil {
		t.Fatalf("CDLC_TEST_MYSQL_DSN: %v", err)
	}
	base.DBName = ""
	conn, err := mysql.NewConnector(base)
	if err != nil {
		t.Fatal(err)
	}
	admin := sql.OpenDB(conn)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		admin.Close()
		testenv.Missing(t, "MySQL/MariaDB at "+base.Addr, err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "t" + hex.EncodeToString(b[:]) + "_"
	t.Cleanup(func() {
		defer admin.Close()
		rows, err := admin.Query("SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE ?", prefix+"%")
		if err != nil {
			return
		}
		var names []string
		for rows.Next() {
			var n string
			if rows.Scan(&n) == nil {
				names = append(names, n)
			}
		}
		rows.Close()
		for _, n := range names {
			_, _ = admin.Exec("DROP DATABASE `" + n + "`")
		}
	})
	cfg := *base
	cfg.DBName = prefix + "{service}"
	return db.Config{Driver: "mysql", DSN: cfg.FormatDSN()}
}

// Open opens service's database on the backend for the length of the test.
func Open(t testing.TB, cfg db.Config, service string) *db.DB {
	t.Helper()
	d, err := db.Open(context.Background(), cfg, service)
	if err != nil {
		t.Fatalf("open %s database: %v", cfg.Driver, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Each runs fn once per backend, as a subtest named after it.
func Each(t *testing.T, service string, fn func(t *testing.T, d *db.DB)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, Open(t, b.Config(t), service))
		})
	}
}
