package authserver

import (
	"context"
	"database/sql"
	"time"

	"github.com/cdlc/cdlc/internal/platform/db"
)

// The sign-in throttle counts failures per key ("account:<email>",
// "ip:<address>") in a fixed window, in the service's own database: every
// replica sharing the database shares the counts, and nothing is lost on a
// restart. It is written here (a dozen lines of SQL) rather than taken
// from a rate-limit library because it counts failures, not requests, and
// must live in the store the service already has on every backend.

// throttled reports whether key has failed limit times in the window, and
// when the window ends.
func (s *Store) throttled(ctx context.Context, key string, limit int, window time.Duration) (bool, time.Duration, error) {
	var start int64
	var n int
	err := s.db.Writer().QueryRowContext(ctx, "SELECT window_start, failures FROM auth_login_failures WHERE throttle_key = ?", key).Scan(&start, &n)
	if err == sql.ErrNoRows {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	end := fromMS(start).Add(window)
	if time.Now().After(end) {
		return false, 0, nil
	}
	return n >= limit, time.Until(end), nil
}

// recordFailure counts one failure for key.
func (s *Store) recordFailure(ctx context.Context, key string, window time.Duration) error {
	now := time.Now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE auth_login_failures SET failures = failures + 1 WHERE throttle_key = ? AND window_start > ?", key, ms(now.Add(-window)))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM auth_login_failures WHERE throttle_key = ?", key); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO auth_login_failures (throttle_key, window_start, failures) VALUES (?, ?, 1)", key, ms(now))
		if db.IsDuplicate(err) {
			// Another sign-in started the window at the same moment.
			_, err = tx.ExecContext(ctx, "UPDATE auth_login_failures SET failures = failures + 1 WHERE throttle_key = ?", key)
		}
		return err
	})
}

// clearFailures forgets key's failures (after a successful sign-in).
func (s *Store) clearFailures(ctx context.Context, key string) error {
	_, err := s.db.Writer().ExecContext(ctx, "DELETE FROM auth_login_failures WHERE throttle_key = ?", key)
	return err
}
