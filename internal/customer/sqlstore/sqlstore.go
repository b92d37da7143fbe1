// Package sqlstore keeps the customer service's accounts, profiles and
// preferences in SQL (SQLite or MySQL/MariaDB through platform/db). Every
// write commits its outbox events in its own transaction.
//
// Concurrency: writes to one account lock its accounts row first (FOR
// UPDATE on MySQL; SQLite has one writer), so the profile limit and the
// last-profile rule hold under concurrent requests, and the account's
// events are enqueued in commit order.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/authserver/authevents"
	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the schema of the store.
var Migrations = db.Migrations{Name: "customer", FS: db.MustSub(migrationsFS, "migrations")}

// Store implements customer.Store.
type Store struct {
	db *db.DB
}

var _ customer.Store = (*Store)(nil)

// New returns a store on d (migrated with Migrations and events.Migrations).
func New(d *db.DB) *Store { return &Store{db: d} }

const profileCols = `id, subject, name, avatar, language, kids, maturity_limit, version, created_at`

func scanProfile(sc interface{ Scan(...any) error }) (customer.Profile, string, error) {
	var p customer.Profile
	var subject string
	var limit string
	err := sc.Scan(&p.ID, &subject, &p.Name, &p.Avatar, &p.Language, &p.Kids, &limit, &p.Version, &p.CreatedAt)
	p.MaturityLimit = customer.Maturity(limit)
	p.CreatedAt = p.CreatedAt.UTC()
	return p, subject, err
}

const prefsCols = `favourite_genres, languages, maturity_rating, notify_email, notify_push, notify_newsletter, version`

type prefsRow struct {
	genres, langs, rating string
	p                     customer.Preferences
}

func (r *prefsRow) dest() []any {
	return []any{&r.genres, &r.langs, &r.rating, &r.p.Notifications.Email, &r.p.Notifications.Push, &r.p.Notifications.Newsletter, &r.p.Version}
}

func (r *prefsRow) prefs() (customer.Preferences, error) {
	r.p.MaturityRating = customer.Maturity(r.rating)
	if err := json.Unmarshal([]byte(r.genres), &r.p.FavouriteGenres); err != nil {
		return r.p, fmt.Errorf("decode favourite genres: %w", err)
	}
	if err := json.Unmarshal([]byte(r.langs), &r.p.Languages); err != nil {
		return r.p, fmt.Errorf("decode languages: %w", err)
	}
	if r.p.FavouriteGenres == nil {
		r.p.FavouriteGenres = []string{}
	}
	if r.p.Languages == nil {
		r.p.Languages = []string{}
	}
	return r.p, nil
}

func list(ss []string) string {
	if ss == nil {
		ss = []string{}
	}
	b, _ := json.Marshal(ss)
	return string(b)
}

// enqueue records an event of the account subject in tx's outbox.
func enqueue[T any](ctx context.Context, tx *sql.Tx, topic events.Topic[T], subject string, payload T) error {
	m, err := topic.Message(subject, payload)
	if err != nil {
		return err
	}
	return events.Enqueue(ctx, tx, m)
}

// lockAccount locks subject's account row for the rest of tx. Returns
// NotFound.
func (s *Store) lockAccount(ctx context.Context, tx *sql.Tx, subject string) error {
	var got string
	err := tx.QueryRowContext(ctx, `SELECT subject FROM accounts WHERE subject = ?`+s.db.ForUpdate(), subject).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.NotFound("account %s", subject)
	}
	if err != nil {
		return fmt.Errorf("lock account: %w", err)
	}
	return nil
}

func (s *Store) insertProfile(ctx context.Context, tx *sql.Tx, subject string, p customer.Profile, prefs customer.Preferences) error {
	t := p.CreatedAt
	_, err := tx.ExecContext(ctx, `INSERT INTO profiles (id, subject, name, name_key, avatar, language, kids, maturity_limit, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, subject, p.Name, customer.NameKey(p.Name), p.Avatar, p.Language, p.Kids, string(p.MaturityLimit), p.Version, t, t)
	if db.IsDuplicate(err) {
		return errs.Conflict("the account already has a profile named %q (names are compared without case)", p.Name)
	}
	if err != nil {
		return fmt.Errorf("insert profile: %w", err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO preferences (profile_id, `+prefsCols+`, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, list(prefs.FavouriteGenres), list(prefs.Languages), string(prefs.MaturityRating),
		prefs.Notifications.Email, prefs.Notifications.Push, prefs.Notifications.Newsletter, prefs.Version, t)
	if err != nil {
		return fmt.Errorf("insert preferences: %w", err)
	}
	return enqueue(ctx, tx, customer.ProfileCreated, subject, customer.ProfileEvent{Subject: subject, Profile: p})
}

// EnsureAccount implements customer.Store. Of concurrent creations, the
// first insert of the accounts row wins; the others wait for its commit,
// fail on the primary key, roll back and read what it wrote.
func (s *Store) EnsureAccount(ctx context.Context, subject string, first customer.Profile, prefs customer.Preferences) (customer.Account, error) {
	t := db.Now()
	first.CreatedAt, first.Version, prefs.Version = t, 1, 1
	errExists := errors.New("account exists")
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO accounts (subject, created_at) VALUES (?, ?)`, subject, t)
		if db.IsDuplicate(err) {
			return errExists
		}
		if err != nil {
			return fmt.Errorf("insert account: %w", err)
		}
		return s.insertProfile(ctx, tx, subject, first, prefs)
	})
	if err != nil && !errors.Is(err, errExists) {
		return customer.Account{}, err
	}
	// The writer sees the winner's commit at once (a replica may lag).
	return s.account(ctx, s.db.Writer(), subject)
}

// Account implements customer.Store.
func (s *Store) Account(ctx context.Context, subject string) (customer.Account, error) {
	return s.account(ctx, s.db.Reader(), subject)
}

func (s *Store) account(ctx context.Context, q db.Querier, subject string) (customer.Account, error) {
	a := customer.Account{Subject: subject, Profiles: []customer.Profile{}}
	err := q.QueryRowContext(ctx, `SELECT created_at FROM accounts WHERE subject = ?`, subject).Scan(&a.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return a, errs.NotFound("account %s", subject)
	}
	if err != nil {
		return a, fmt.Errorf("read account: %w", err)
	}
	a.CreatedAt = a.CreatedAt.UTC()
	rows, err := q.QueryContext(ctx, `SELECT `+profileCols+` FROM profiles WHERE subject = ? ORDER BY created_at, id`, subject)
	if err != nil {
		return a, fmt.Errorf("read profiles: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p, _, err := scanProfile(rows)
		if err != nil {
			return a, fmt.Errorf("read profiles: %w", err)
		}
		a.Profiles = append(a.Profiles, p)
	}
	return a, rows.Err()
}

// CreateProfile implements customer.Store.
func (s *Store) CreateProfile(ctx context.Context, subject string, p customer.Profile, prefs customer.Preferences) (customer.Profile, error) {
	p.CreatedAt, p.Version, prefs.Version = db.Now(), 1, 1
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockAccount(ctx, tx, subject); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM profiles WHERE subject = ?`, subject).Scan(&n); err != nil {
			return fmt.Errorf("count profiles: %w", err)
		}
		if n >= customer.MaxProfiles {
			return customer.ErrFull()
		}
		return s.insertProfile(ctx, tx, subject, p, prefs)
	})
	if err != nil {
		return customer.Profile{}, err
	}
	return p, nil
}

// Profile implements customer.Store.
func (s *Store) Profile(ctx context.Context, subject, id string) (customer.Profile, error) {
	return s.profile(ctx, s.db.Reader(), subject, id, "")
}

func (s *Store) profile(ctx context.Context, q db.Querier, subject, id, lock string) (customer.Profile, error) {
	p, _, err := scanProfile(q.QueryRowContext(ctx, `SELECT `+profileCols+` FROM profiles WHERE id = ? AND subject = ?`+lock, id, subject))
	if errors.Is(err, sql.ErrNoRows) {
		return p, errs.NotFound("profile %s", id)
	}
	if err != nil {
		return p, fmt.Errorf("read profile %s: %w", id, err)
	}
	return p, nil
}

func (s *Store) prefs(ctx context.Context, q db.Querier, id, lock string) (customer.Preferences, error) {
	var r prefsRow
	err := q.QueryRowContext(ctx, `SELECT `+prefsCols+` FROM preferences WHERE profile_id = ?`+lock, id).Scan(r.dest()...)
	if errors.Is(err, sql.ErrNoRows) {
		return r.p, errs.NotFound("preferences of profile %s", id)
	}
	if err != nil {
		return r.p, fmt.Errorf("read preferences of %s: %w", id, err)
	}
	return r.prefs()
}

func stale(what string, expect *int64, have int64) error {
	if expect != nil && *expect != have {
		return errs.Precondition("the %s changed since version %d (now %d); read it again and retry", what, *expect, have)
	}
	return nil
}

// writePrefs stores prefs as the next version and enqueues preferences.updated.
func (s *Store) writePrefs(ctx context.Context, tx *sql.Tx, subject, id string, prefs *customer.Preferences) error {
	prefs.Version++
	_, err := tx.ExecContext(ctx, `UPDATE preferences SET favourite_genres = ?, languages = ?, maturity_rating = ?,
		notify_email = ?, notify_push = ?, notify_newsletter = ?, version = ?, updated_at = ? WHERE profile_id = ?`,
		list(prefs.FavouriteGenres), list(prefs.Languages), string(prefs.MaturityRating),
		prefs.Notifications.Email, prefs.Notifications.Push, prefs.Notifications.Newsletter, prefs.Version, db.Now(), id)
	if err != nil {
		return fmt.Errorf("update preferences of %s: %w", id, err)
	}
	return enqueue(ctx, tx, customer.PreferencesUpdated, subject, customer.PreferencesEvent{Subject: subject, ProfileID: id, Preferences: *prefs})
}

// UpdateProfile implements customer.Store.
func (s *Store) UpdateProfile(ctx context.Context, subject, id string, expect *int64, apply func(p *customer.Profile, prefs *customer.Preferences) error) (customer.Profile, error) {
	var out customer.Profile
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockAccount(ctx, tx, subject); err != nil {
			return err
		}
		p, err := s.profile(ctx, tx, subject, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if err := stale("profile", expect, p.Version); err != nil {
			return err
		}
		prefs, err := s.prefs(ctx, tx, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		before, beforePrefs := p, prefs
		if err := apply(&p, &prefs); err != nil {
			return err
		}
		if p == before {
			out = p
			return nil
		}
		p.Version++
		_, err = tx.ExecContext(ctx, `UPDATE profiles SET name = ?, name_key = ?, avatar = ?, language = ?, kids = ?, maturity_limit = ?,
			version = ?, updated_at = ? WHERE id = ?`,
			p.Name, customer.NameKey(p.Name), p.Avatar, p.Language, p.Kids, string(p.MaturityLimit), p.Version, db.Now(), id)
		if db.IsDuplicate(err) {
			return errs.Conflict("the account already has a profile named %q (names are compared without case)", p.Name)
		}
		if err != nil {
			return fmt.Errorf("update profile %s: %w", id, err)
		}
		if err := enqueue(ctx, tx, customer.ProfileUpdated, subject, customer.ProfileEvent{Subject: subject, Profile: p}); err != nil {
			return err
		}
		if prefs.MaturityRating != beforePrefs.MaturityRating {
			if err := s.writePrefs(ctx, tx, subject, id, &prefs); err != nil {
				return err
			}
		}
		out = p
		return nil
	})
	return out, err
}

// DeleteProfile implements customer.Store.
func (s *Store) DeleteProfile(ctx context.Context, subject, id string, expect *int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockAccount(ctx, tx, subject); err != nil {
			return err
		}
		p, err := s.profile(ctx, tx, subject, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if err := stale("profile", expect, p.Version); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM profiles WHERE subject = ?`, subject).Scan(&n); err != nil {
			return fmt.Errorf("count profiles: %w", err)
		}
		if n <= 1 {
			return errs.Conflict("profile %s is the account's last; an account keeps at least one profile (delete the account instead)", id)
		}
		// The preferences go with the profile (ON DELETE CASCADE).
		if _, err := tx.ExecContext(ctx, `DELETE FROM profiles WHERE id = ?`, id); err != nil {
			return fmt.Errorf("delete profile %s: %w", id, err)
		}
		return enqueue(ctx, tx, customer.ProfileDeleted, subject, customer.ProfileEvent{Subject: subject, Profile: customer.Profile{ID: id, Version: p.Version}})
	})
}

// Preferences implements customer.Store.
func (s *Store) Preferences(ctx context.Context, subject, id string) (customer.Profile, customer.Preferences, error) {
	q := s.db.Reader()
	p, err := s.profile(ctx, q, subject, id, "")
	if err != nil {
		return p, customer.Preferences{}, err
	}
	prefs, err := s.prefs(ctx, q, id, "")
	return p, prefs, err
}

// UpdatePreferences implements customer.Store.
func (s *Store) UpdatePreferences(ctx context.Context, subject, id string, expect *int64, apply func(p customer.Profile, prefs *customer.Preferences) error) (customer.Preferences, error) {
	var out customer.Preferences
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.lockAccount(ctx, tx, subject); err != nil {
			return err
		}
		p, err := s.profile(ctx, tx, subject, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		prefs, err := s.prefs(ctx, tx, id, s.db.ForUpdate())
		if err != nil {
			return err
		}
		if err := stale("preferences", expect, prefs.Version); err != nil {
			return err
		}
		if err := apply(p, &prefs); err != nil {
			return err
		}
		if err := s.writePrefs(ctx, tx, subject, id, &prefs); err != nil {
			return err
		}
		out = prefs
		return nil
	})
	return out, err
}

// Export implements customer.Store; it reads in one transaction, so the
// profiles and preferences agree.
func (s *Store) Export(ctx context.Context, subject string) (customer.Export, error) {
	var out customer.Export
	tx, err := s.db.Reader().BeginTx(ctx, nil)
	if err != nil {
		return out, fmt.Errorf("begin export: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // it only read
	a, err := s.account(ctx, tx, subject)
	if err != nil {
		return out, err
	}
	out = customer.Export{Subject: a.Subject, CreatedAt: a.CreatedAt, ExportedAt: time.Now().UTC(), Profiles: []customer.ExportProfile{}}
	for _, p := range a.Profiles {
		prefs, err := s.prefs(ctx, tx, p.ID, "")
		if err != nil {
			return out, err
		}
		out.Profiles = append(out.Profiles, customer.ExportProfile{Profile: p, Preferences: prefs})
	}
	return out, nil
}

// DeleteAccount implements customer.Store.
func (s *Store) DeleteAccount(ctx context.Context, subject string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		gone, err := s.DeleteAccountTx(ctx, tx, subject)
		if err == nil && !gone {
			err = errs.NotFound("account %s", subject)
		}
		return err
	})
}

// DeleteAccountTx deletes subject's account inside tx and enqueues
// account.deleted; it reports whether there was one (no account: nothing
// written, no event).
func (s *Store) DeleteAccountTx(ctx context.Context, tx *sql.Tx, subject string) (bool, error) {
	if err := s.lockAccount(ctx, tx, subject); errs.Is(err, errs.KindNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	// Profiles and preferences go with the account (ON DELETE CASCADE).
	if _, err := tx.ExecContext(ctx, `DELETE FROM accounts WHERE subject = ?`, subject); err != nil {
		return false, fmt.Errorf("delete account: %w", err)
	}
	return true, enqueue(ctx, tx, customer.AccountDeleted, subject, customer.AccountEvent{Subject: subject})
}

// UserDeletedHandler consumes the auth service's user.deleted: it deletes
// the user's account (with account.deleted, in the same transaction), once
// per message however often it is delivered, and acknowledges users that
// had no account.
func (s *Store) UserDeletedHandler() events.Handler {
	return events.Idempotent(s.db, "customer.delete-account", func(ctx context.Context, tx *sql.Tx, m events.Message) error {
		e, err := authevents.UserDeleted.Decode(m)
		if err == nil {
			err = customer.ValidSubject(e.Subject)
		}
		if err != nil {
			// A malformed message cannot succeed on a retry: acknowledge it.
			return nil
		}
		_, err = s.DeleteAccountTx(ctx, tx, e.Subject)
		return err
	})
}

// PreferencesOf implements customer.Store.
func (s *Store) PreferencesOf(ctx context.Context, ids []string) (customer.PreferencesBatch, error) {
	out := customer.PreferencesBatch{Preferences: []customer.ProfilePreferences{}, Missing: []string{}}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT p.id, p.subject, p.kids, p.maturity_limit, p.language, `+prefixed("r.", prefsCols)+`
		FROM profiles p JOIN preferences r ON r.profile_id = p.id WHERE p.id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`)`, args...)
	if err != nil {
		return out, fmt.Errorf("read preferences: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var pp customer.ProfilePreferences
		var limit string
		var r prefsRow
		if err := rows.Scan(append([]any{&pp.ProfileID, &pp.Subject, &pp.Kids, &limit, &pp.Language}, r.dest()...)...); err != nil {
			return out, fmt.Errorf("read preferences: %w", err)
		}
		pp.MaturityLimit = customer.Maturity(limit)
		if pp.Preferences, err = r.prefs(); err != nil {
			return out, err
		}
		out.Preferences = append(out.Preferences, pp)
	}
	return out, rows.Err()
}

func prefixed(p, cols string) string {
	parts := strings.Split(cols, ", ")
	for i := range parts {
		parts[i] = p + parts[i]
	}
	return strings.Join(parts, ", ")
}
