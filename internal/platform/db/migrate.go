package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"

	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	migratemysql "github.com/golang-migrate/migrate/v4/database/mysql"
	migratesqlite "github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

// Migrations is one versioned set of migrations embedded in the binary, such
// as a service's schema or the platform's outbox tables. FS holds one
// directory per dialect ("sqlite", "mysql") of golang-migrate files:
// 0001_name.up.sql, 0001_name.down.sql, ...
//
// We use golang-migrate because it is the migration library most Go teams
// run in production: it locks MySQL with GET_LOCK so replicas starting
// together do not race, and it records a dirty flag when a migration fails
// half-way (MySQL DDL is not transactional), which we refuse to start on.
type Migrations struct {
	// Name identifies the set; its state lives in table schema_migrations_<name>.
	Name string
	FS   fs.FS
}

// DirtyError reports a migration that failed half-way. The schema may hold
// part of it; an operator must repair it and then force the version.
type DirtyError struct {
	Service string
	Set     string
	Version uint
}

func (e *DirtyError) Error() string {
	prev := int(e.Version) - 1
	return fmt.Sprintf("database of %s: migration %s version %d is dirty (it failed half-way); repair the schema by hand, then run `cdlc migrate force --service %s --migrations %s --version %d`",
		e.Service, e.Set, e.Version, e.Service, e.Set, prev)
}

// Migrate applies every pending migration of each set, in order.
func (d *DB) Migrate(sets ...Migrations) error {
	for _, s := range sets {
		m, done, err := d.migrator(s)
		if err != nil {
			return err
		}
		err = m.Up()
		done()
		if errors.Is(err, migrate.ErrNoChange) {
			err = nil
		}
		var dirty migrate.ErrDirty
		if errors.As(err, &dirty) {
			err = &DirtyError{Service: d.service, Set: s.Name, Version: uint(dirty.Version)}
		}
		if err != nil {
			return fmt.Errorf("migrate %s/%s: %w", d.service, s.Name, err)
		}
	}
	return nil
}

// MigrationVersion reports the version of a set and whether it is dirty.
func (d *DB) MigrationVersion(s Migrations) (version uint, dirty bool, err error) {
	m, done, err := d.migrator(s)
	if err != nil {
		return 0, false, err
	}
	defer done()
	v, dirty, err := m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return v, dirty, err
}

// ForceMigrationVersion marks a set as being at version, clean, without
// running anything: the operator's way out of a dirty state once the schema
// is repaired. Version -1 means "nothing applied".
func (d *DB) ForceMigrationVersion(s Migrations, version int) error {
	m, done, err := d.migrator(s)
	if err != nil {
		return err
	}
	defer done()
	return m.Force(version)
}

// migrator builds a golang-migrate runner on this DB's writer. done releases
// what it holds without closing the pool (the library's Close would).
func (d *DB) migrator(s Migrations) (m *migrate.Migrate, done func(), err error) {
	src, err := iofs.New(s.FS, string(d.dialect))
	if err != nil {
		return nil, nil, fmt.Errorf("migrations %s for %s: %w", s.Name, d.dialect, err)
	}
	table := "schema_migrations_" + s.Name
	done = func() {}
	var drv database.Driver
	switch d.dialect {
	case SQLite:
		// golang-migrate wraps each SQLite migration in a transaction, so a
		// failed one leaves nothing behind.
		drv, err = migratesqlite.WithInstance(d.writer, &migratesqlite.Config{MigrationsTable: table})
	case MySQL:
		ctx := context.Background()
		var conn *sql.Conn
		if conn, err = d.writer.Conn(ctx); err != nil {
			return nil, nil, fmt.Errorf("migrations %s: %w", s.Name, err)
		}
		done = func() { _ = conn.Close() }
		drv, err = migratemysql.WithConnection(ctx, conn, &migratemysql.Config{MigrationsTable: table})
	}
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("migrations %s: %w", s.Name, err)
	}
	m, err = migrate.NewWithInstance("iofs", src, string(d.dialect), drv)
	if err != nil {
		done()
		return nil, nil, err
	}
	return m, done, nil
}

// MustSub returns the subtree dir of an embedded file system, for
// Migrations declared as package variables; a wrong dir is a programming
// error caught at start-up.
func MustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return sub
}
