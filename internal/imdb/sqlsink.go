package imdb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/resilience"
)

// TitleStore is what the importer needs of the inventory's store: bulk,
// idempotent writes, each one transaction. The semantics are those of the
// Sink methods of the same name (see Sink).
type TitleStore interface {
	UpsertTitles(ctx context.Context, titles []inventory.Title) error
	UpsertEpisodes(ctx context.Context, episodes []Episode) error
	UpsertAkas(ctx context.Context, akas []TitleAka) error
	UpsertRatings(ctx context.Context, ratings []TitleRating) error
}

// PersonStore is what the importer needs of the actor service's store.
type PersonStore interface {
	UpsertPeople(ctx context.Context, people []actor.Record) error
	UpsertCredits(ctx context.Context, set, add []actor.Credit) error
}

// Finisher is implemented by a store that has work to do once a bulk load
// ends (rebuild a search index, publish one "imported" event rather than
// millions of row events, drop caches).
type Finisher interface {
	FinishImport(ctx context.Context) error
}

// Stores says how to build the two services' stores on their databases;
// it is how the importer is wired to inventory/sqlstore and actor/sqlstore
// without importing them.
type Stores struct {
	// InventoryMigrations and ActorMigrations are the services' migration
	// sets, applied before writing (as `cdlc migrate` would).
	InventoryMigrations []db.Migrations
	ActorMigrations     []db.Migrations
	Titles              func(*db.DB) (TitleStore, error)
	People              func(*db.DB) (PersonStore, error)
}

// SQLSink writes straight into the databases of the inventory and actor
// services, through their stores. It is for an operator's bulk load: the
// stores' bulk methods skip the per-row outbox events and leave one
// FinishImport at the end.
type SQLSink struct {
	inv, act *db.DB
	titles   TitleStore
	people   PersonStore
}

var _ ConcurrentSink = (*SQLSink)(nil)

// mysqlWriters is how many batches SQLSink writes at once on MySQL: the
// server runs each transaction on one thread, so two keep a second core
// busy while the first waits on the client or the disk. (SQLite has one
// writer: one at a time.)
const mysqlWriters = 2

// Writers implements ConcurrentSink.
func (s *SQLSink) Writers() int {
	if s.inv.Dialect() == db.MySQL {
		return mysqlWriters
	}
	return 1
}

// retried runs one batch's write again when the engine rolled it back for
// a deadlock or a lock wait, which concurrent batches may cause (the whole
// transaction is gone: writing it again is safe, the writes being
// idempotent).
func retried(ctx context.Context, write func(ctx context.Context) error) error {
	return resilience.Retry(ctx, resilience.RetryPolicy{
		Initial: 10 * time.Millisecond, Max: 500 * time.Millisecond, MaxAttempts: 5, Retryable: db.IsDeadlock,
	}, write)
}

// OpenSQLSink opens and migrates the two databases and builds the stores.
func OpenSQLSink(ctx context.Context, cfg db.Config, st Stores) (*SQLSink, error) {
	if st.Titles == nil || st.People == nil {
		return nil, errors.New("the inventory and actor stores are not wired into this build")
	}
	s := &SQLSink{}
	var err error
	if s.inv, err = open(ctx, cfg, "inventory", st.InventoryMigrations); err != nil {
		return nil, err
	}
	if s.act, err = open(ctx, cfg, "actor", st.ActorMigrations); err != nil {
		s.inv.Close()
		return nil, err
	}
	if s.titles, err = st.Titles(s.inv); err == nil {
		s.people, err = st.People(s.act)
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func open(ctx context.Context, cfg db.Config, service string, sets []db.Migrations) (*db.DB, error) {
	d, err := db.Open(ctx, cfg, service)
	if err != nil {
		return nil, fmt.Errorf("database of %s: %w", service, err)
	}
	if err := d.Migrate(sets...); err != nil {
		d.Close()
		return nil, err
	}
	if d.Dialect() == db.SQLite {
		// Settings of the writer for a bulk session (one connection that
		// stays open, so they hold for the session). Durability is
		// unchanged: WAL with synchronous=NORMAL, a committed batch
		// survives a crash of the process.
		for _, p := range importPragmas {
			if _, err := d.Writer().ExecContext(ctx, "PRAGMA "+p); err != nil {
				d.Close()
				return nil, fmt.Errorf("database of %s: %s: %w", service, p, err)
			}
		}
	}
	return d, nil
}

// importPragmas tune the SQLite writer of an import.
var importPragmas = []string{
	// Statement journals (each multi-row statement keeps one to undo
	// itself) in memory rather than in temporary files: they only serve
	// a statement that fails, never recovery.
	"temp_store = MEMORY",
	// A larger page cache: loads update indexes all over the file, and a
	// transaction larger than the cache spills to the WAL and reads back.
	// Two databases: twice this, within the 1 GiB an import may use.
	"cache_size = -65536",
	// Checkpoint every 40 MiB of WAL rather than 4: a page changed by
	// many batches is copied into the database once rather than each time.
	"wal_autocheckpoint = 10000",
}

// Close closes both databases.
func (s *SQLSink) Close() error {
	return errors.Join(s.inv.Close(), s.act.Close())
}

// Titles implements Sink.
func (s *SQLSink) Titles(ctx context.Context, b []inventory.Title) error {
	return retried(ctx, func(ctx context.Context) error { return s.titles.UpsertTitles(ctx, b) })
}

// Episodes implements Sink.
func (s *SQLSink) Episodes(ctx context.Context, b []Episode) error {
	return retried(ctx, func(ctx context.Context) error { return s.titles.UpsertEpisodes(ctx, b) })
}

// Akas implements Sink.
func (s *SQLSink) Akas(ctx context.Context, b []TitleAka) error {
	return retried(ctx, func(ctx context.Context) error { return s.titles.UpsertAkas(ctx, b) })
}

// Ratings implements Sink.
func (s *SQLSink) Ratings(ctx context.Context, b []TitleRating) error {
	return retried(ctx, func(ctx context.Context) error { return s.titles.UpsertRatings(ctx, b) })
}

// People implements Sink.
func (s *SQLSink) People(ctx context.Context, b []actor.Person) error {
	rs := make([]actor.Record, len(b))
	for i, p := range b {
		rs[i] = actor.Record{Person: p}
	}
	return retried(ctx, func(ctx context.Context) error { return s.people.UpsertPeople(ctx, rs) })
}

// Credits implements Sink.
func (s *SQLSink) Credits(ctx context.Context, set, add []actor.Credit) error {
	return retried(ctx, func(ctx context.Context) error { return s.people.UpsertCredits(ctx, set, add) })
}

// Finish implements Sink: it lets each store that wants to finish a bulk load.
func (s *SQLSink) Finish(ctx context.Context) error {
	var err error
	for _, st := range []any{s.titles, s.people} {
		if f, ok := st.(Finisher); ok {
			err = errors.Join(err, f.FinishImport(ctx))
		}
	}
	return err
}
