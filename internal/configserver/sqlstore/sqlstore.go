// Package sqlstore keeps the configuration server's versions in SQL
// (SQLite or MySQL/MariaDB through platform/db).
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/cdlc/cdlc/internal/configserver"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the schema of the store.
var Migrations = db.Migrations{Name: "config", FS: db.MustSub(migrationsFS, "migrations")}

// Store implements configserver.Store.
type Store struct {
	db *db.DB
}

var _ configserver.Store = (*Store)(nil)

// New returns a store on d (migrated with Migrations and events.Migrations).
func New(d *db.DB) *Store { return &Store{db: d} }

const cols = "revision, app, profile, version, doc, author, message, rollback_of, created_at"

func scan(row interface{ Scan(...any) error }) (configserver.Version, error) {
	var v configserver.Version
	var doc string
	if err := row.Scan(&v.Revision, &v.App, &v.Profile, &v.Version, &doc, &v.Author, &v.Message, &v.RollbackOf, &v.CreatedAt); err != nil {
		return v, err
	}
	if err := json.Unmarshal([]byte(doc), &v.Values); err != nil {
		return v, fmt.Errorf("decode %s/%s version %d: %w", v.App, v.Profile, v.Version, err)
	}
	v.CreatedAt = v.CreatedAt.UTC()
	return v, nil
}

// Head implements configserver.Store. Reads go to the writer: a process
// that just wrote must see its write, and heads are small.
func (s *Store) Head(ctx context.Context, app, profile string, at int64) (configserver.Version, error) {
	q := "SELECT " + cols + " FROM config_versions WHERE app = ? AND profile = ?"
	args := []any{app, profile}
	if at > 0 {
		q += " AND revision <= ?"
		args = append(args, at)
	}
	q += " ORDER BY version DESC LIMIT 1"
	v, err := scan(s.db.Writer().QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, errs.NotFound("configuration %s/%s", app, profile)
	}
	return v, err
}

// Get implements configserver.Store.
func (s *Store) Get(ctx context.Context, app, profile string, version int64) (configserver.Version, error) {
	v, err := scan(s.db.Writer().QueryRowContext(ctx, "SELECT "+cols+" FROM config_versions WHERE app = ? AND profile = ? AND version = ?", app, profile, version))
	if errors.Is(err, sql.ErrNoRows) {
		return v, errs.NotFound("version %d of configuration %s/%s", version, app, profile)
	}
	return v, err
}

// History implements configserver.Store.
func (s *Store) History(ctx context.Context, app, profile string, before int64, limit int) ([]configserver.Version, error) {
	q := "SELECT " + cols + " FROM config_versions WHERE app = ? AND profile = ?"
	args := []any{app, profile}
	if before > 0 {
		q += " AND version < ?"
		args = append(args, before)
	}
	q += " ORDER BY version DESC LIMIT ?"
	args = append(args, limit)
	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []configserver.Version
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Append implements configserver.Store.
func (s *Store) Append(ctx context.Context, v configserver.Version, expect int64, event func(configserver.Version) events.Message) (configserver.Version, error) {
	doc, err := json.Marshal(v.Values)
	if err != nil {
		return v, err
	}
	v.CreatedAt = db.Now()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var head int64
		err := tx.QueryRowContext(ctx, "SELECT version FROM config_heads WHERE app = ? AND profile = ?"+s.db.ForUpdate(), v.App, v.Profile).Scan(&head)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if expect >= 0 && head != expect {
			return errs.Conflict("%s/%s changed meanwhile (now at version %d); read it again and retry", v.App, v.Profile, head)
		}
		v.Version = head + 1
		res, err := tx.ExecContext(ctx, "INSERT INTO config_versions (app, profile, version, doc, author, message, rollback_of, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			v.App, v.Profile, v.Version, string(doc), v.Author, v.Message, v.RollbackOf, v.CreatedAt)
		if db.IsDuplicate(err) {
			return errs.Conflict("%s/%s changed meanwhile; read it again and retry", v.App, v.Profile)
		}
		if err != nil {
			return err
		}
		if v.Revision, err = res.LastInsertId(); err != nil {
			return err
		}
		if head == 0 {
			_, err = tx.ExecContext(ctx, "INSERT INTO config_heads (app, profile, version, revision, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)",
				v.App, v.Profile, v.Version, v.Revision, v.CreatedAt, v.Author)
		} else {
			_, err = tx.ExecContext(ctx, "UPDATE config_heads SET version = ?, revision = ?, updated_at = ?, updated_by = ? WHERE app = ? AND profile = ?",
				v.Version, v.Revision, v.CreatedAt, v.Author, v.App, v.Profile)
		}
		if db.IsDuplicate(err) {
			return errs.Conflict("%s/%s changed meanwhile; read it again and retry", v.App, v.Profile)
		}
		if err != nil {
			return err
		}
		return events.Enqueue(ctx, tx, event(v))
	})
	return v, err
}

// List implements configserver.Store.
func (s *Store) List(ctx context.Context) ([]configserver.DocumentRef, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT app, profile, version, revision, updated_at, updated_by FROM config_heads ORDER BY app, profile")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []configserver.DocumentRef{}
	for rows.Next() {
		var d configserver.DocumentRef
		if err := rows.Scan(&d.App, &d.Profile, &d.Version, &d.Revision, &d.UpdatedAt, &d.UpdatedBy); err != nil {
			return nil, err
		}
		d.UpdatedAt = d.UpdatedAt.UTC()
		out = append(out, d)
	}
	return out, rows.Err()
}
