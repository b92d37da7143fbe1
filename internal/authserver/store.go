package authserver

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/authserver/authevents"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the schema of the auth database.
var Migrations = db.Migrations{Name: "auth", FS: db.MustSub(migrationsFS, "migrations")}

// Store keeps users, clients, keys, grants and tokens in the service's
// database (SQLite or MySQL/MariaDB through platform/db). Its methods are
// what the op.Storage adapter, the pages, the API and the cdlc commands
// share.
type Store struct {
	db *db.DB
}

// NewStore wraps a migrated auth database.
func NewStore(d *db.DB) *Store { return &Store{db: d} }

// DB is the underlying database.
func (s *Store) DB() *db.DB { return s.db }

// --- users

const userCols = "id, email, name, password_hash, roles, email_verified, created_at"

func scanUser(row db.Scanner) (User, error) {
	var u User
	var roles string
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.passwordHash, &roles, &u.EmailVerified, &created); err != nil {
		return User{}, err
	}
	u.Roles = splitList(roles)
	u.CreatedAt = fromMS(created)
	return u, nil
}

// NormalizeEmail lower-cases and trims an address, and checks its shape.
func NormalizeEmail(field, e string) (string, error) {
	e = strings.ToLower(strings.TrimSpace(e))
	at := strings.LastIndexByte(e, '@')
	if len(e) > 254 || at < 1 || at == len(e)-1 || strings.ContainsAny(e, " \t\r\n<>\"") || !strings.Contains(e[at:], ".") {
		return "", errs.Invalid(field, "must be an e-mail address")
	}
	return e, nil
}

// NewUserInput is what creating a user needs.
type NewUserInput struct {
	Email, Name, Password string
	Roles                 []string
	EmailVerified         bool
}

// CreateUser stores a user and enqueues user.registered in the same
// transaction. The password must already be validated; hash is its argon2id hash.
func (s *Store) CreateUser(ctx context.Context, in NewUserInput, hash string, extra func(tx *sql.Tx, u User) error) (User, error) {
	email, err := NormalizeEmail("email", in.Email)
	if err != nil {
		return User{}, err
	}
	if len(in.Roles) == 0 {
		in.Roles = []string{RoleCustomer}
	}
	for _, r := range in.Roles {
		if _, ok := roleScopes[r]; !ok {
			return User{}, errs.Invalid("role", "must be one of customer, operator, admin; got %q", r)
		}
	}
	if len(in.Name) > 200 {
		return User{}, errs.Invalid("name", "must be at most 200 characters")
	}
	now := time.Now().UTC()
	u := User{ID: events.NewID(), Email: email, Name: strings.TrimSpace(in.Name), Roles: in.Roles, EmailVerified: in.EmailVerified, CreatedAt: now.Truncate(time.Millisecond)}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO auth_users ("+userCols+", updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			u.ID, u.Email, u.Name, hash, joinList(u.Roles), u.EmailVerified, ms(now), ms(now))
		if db.IsDuplicate(err) {
			return errs.Conflict("an account with this e-mail address already exists")
		}
		if err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		if err := events.Enqueue(ctx, tx, authevents.UserRegistered.MustMessage(u.ID, authevents.User{Subject: u.ID, Email: u.Email, Roles: u.Roles})); err != nil {
			return err
		}
		if extra != nil {
			return extra(tx, u)
		}
		return nil
	})
	return u, err
}

// UserByEmail returns NotFound when no account has the address.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	u, err := scanUser(s.db.Writer().QueryRowContext(ctx, "SELECT "+userCols+" FROM auth_users WHERE email = ?", strings.ToLower(strings.TrimSpace(email))))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errs.NotFound("user")
	}
	return u, err
}

// UserByID returns NotFound when the user does not exist.
func (s *Store) UserByID(ctx context.Context, id string) (User, error) {
	u, err := scanUser(s.db.Writer().QueryRowContext(ctx, "SELECT "+userCols+" FROM auth_users WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errs.NotFound("user %s", id)
	}
	return u, err
}

// ListUsers pages users by id, after the cursor.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]User, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT "+userCols+" FROM auth_users WHERE id > ? ORDER BY id LIMIT ?", after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteUser removes a user, everything issued to them, and enqueues
// user.deleted, in tx. It reports whether the user existed.
func (s *Store) DeleteUser(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	res, err := tx.ExecContext(ctx, "DELETE FROM auth_users WHERE id = ?", id)
	if err != nil {
		return false, fmt.Errorf("delete user %s: %w", id, err)
	}
	n, _ := res.RowsAffected()
	now := ms(time.Now())
	for _, q := range []string{
		"UPDATE auth_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0",
	} {
		if _, err := tx.ExecContext(ctx, q, now, id); err != nil {
			return false, err
		}
	}
	for _, q := range []string{
		"DELETE FROM auth_sessions WHERE user_id = ?",
		"DELETE FROM auth_user_tokens WHERE user_id = ?",
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return false, err
		}
	}
	if n == 0 {
		return false, nil
	}
	return true, events.Enqueue(ctx, tx, authevents.UserDeleted.MustMessage(id, authevents.User{Subject: id}))
}

// SetPassword replaces a user's password hash and ends their sessions and grants.
func (s *Store) setPassword(ctx context.Context, tx *sql.Tx, userID, hash string) error {
	now := ms(time.Now())
	if _, err := tx.ExecContext(ctx, "UPDATE auth_users SET password_hash = ?, updated_at = ? WHERE id = ?", hash, now, userID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM auth_sessions WHERE user_id = ?", userID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "UPDATE auth_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0", now, userID)
	return err
}

// --- clients

const clientCols = "id, name, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, scopes, trusted, created_at"

func scanClient(row db.Scanner) (Client, error) {
	var c Client
	var ru, plu, gt, sc string
	var created int64
	if err := row.Scan(&c.ID, &c.Name, &c.secretHash, &ru, &plu, &gt, &sc, &c.Trusted, &created); err != nil {
		return Client{}, err
	}
	c.RedirectURIs, c.PostLogoutRedirectURIs, c.GrantTypes, c.Scopes = splitList(ru), splitList(plu), splitList(gt), splitList(sc)
	c.Public = c.secretHash == ""
	c.CreatedAt = fromMS(created)
	return c, nil
}

// ClientByID returns NotFound for an unknown client.
func (s *Store) ClientByID(ctx context.Context, id string) (Client, error) {
	c, err := scanClient(s.db.Reader().QueryRowContext(ctx, "SELECT "+clientCols+" FROM auth_clients WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return Client{}, errs.NotFound("client %s", id)
	}
	return c, err
}

// ListClients lists every client by id.
func (s *Store) ListClients(ctx context.Context) ([]Client, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT "+clientCols+" FROM auth_clients ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Client{}
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutClient inserts c (secretHash empty: public), or replaces it when
// replace is set. Conflict when it exists and replace is not set.
func (s *Store) putClient(ctx context.Context, c Client, replace bool) error {
	args := []any{c.ID, c.Name, c.secretHash, joinList(c.RedirectURIs), joinList(c.PostLogoutRedirectURIs), joinList(c.GrantTypes), joinList(c.Scopes), c.Trusted, ms(c.CreatedAt)}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if replace {
			if _, err := tx.ExecContext(ctx, "DELETE FROM auth_clients WHERE id = ?", c.ID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO auth_clients ("+clientCols+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", args...)
		if db.IsDuplicate(err) {
			return errs.Conflict("client %s already exists", c.ID)
		}
		return err
	})
}

// DeleteClient removes a client and revokes its grants; NotFound if absent.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM auth_clients WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.NotFound("client %s", id)
		}
		_, err = tx.ExecContext(ctx, "UPDATE auth_grants SET revoked_at = ? WHERE client_id = ? AND revoked_at = 0", ms(time.Now()), id)
		return err
	})
}

// --- grants

type grant struct {
	ID, ClientID, UserID string
	Scopes, AMR          []string
	AuthTime             time.Time
	Revoked              bool
	ExpiresAt            time.Time
}

func (s *Store) insertGrant(ctx context.Context, tx *sql.Tx, g grant) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO auth_grants (id, client_id, user_id, scopes, auth_time, amr, revoked_at, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
		g.ID, g.ClientID, g.UserID, joinList(g.Scopes), ms(g.AuthTime), joinList(g.AMR), ms(time.Now()), ms(g.ExpiresAt))
	return err
}

func (s *Store) grantByID(ctx context.Context, q db.Querier, id string) (grant, error) {
	var g grant
	var sc, amr string
	var at, rev, exp int64
	err := q.QueryRowContext(ctx, "SELECT id, client_id, user_id, scopes, auth_time, amr, revoked_at, expires_at FROM auth_grants WHERE id = ?", id).
		Scan(&g.ID, &g.ClientID, &g.UserID, &sc, &at, &amr, &rev, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return grant{}, errs.NotFound("grant")
	}
	g.Scopes, g.AMR, g.AuthTime, g.Revoked, g.ExpiresAt = splitList(sc), splitList(amr), fromMS(at), rev != 0, fromMS(exp)
	return g, err
}

// RevokeGrant revokes a grant and so every token issued from it.
func (s *Store) revokeGrant(ctx context.Context, q db.Querier, id string) error {
	_, err := q.ExecContext(ctx, "UPDATE auth_grants SET revoked_at = ? WHERE id = ? AND revoked_at = 0", ms(time.Now()), id)
	return err
}

// RevokeUserGrants revokes every grant of a user (optionally of one client).
func (s *Store) revokeUserGrants(ctx context.Context, userID, clientID string) error {
	q := "UPDATE auth_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0"
	args := []any{ms(time.Now()), userID}
	if clientID != "" {
		q += " AND client_id = ?"
		args = append(args, clientID)
	}
	_, err := s.db.Writer().ExecContext(ctx, q, args...)
	return err
}

// --- revoked access tokens

func (s *Store) revokeAccessToken(ctx context.Context, jti string, exp time.Time) error {
	_, err := s.db.Writer().ExecContext(ctx, "INSERT INTO auth_revoked_tokens (jti, expires_at) VALUES (?, ?)", jti, ms(exp))
	if db.IsDuplicate(err) {
		return nil
	}
	return err
}

func (s *Store) accessTokenRevoked(ctx context.Context, jti string) (bool, error) {
	var n int
	err := s.db.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM auth_revoked_tokens WHERE jti = ?", jti).Scan(&n)
	return n > 0, err
}

// Prune deletes what has expired (auth requests, devices, sessions,
// one-time tokens, refresh tokens and grants, revoked-token records).
func (s *Store) Prune(ctx context.Context, now time.Time) error {
	t := ms(now)
	for _, q := range []string{
		"DELETE FROM auth_requests WHERE expires_at < ?",
		"DELETE FROM auth_devices WHERE expires_at < ?",
		"DELETE FROM auth_sessions WHERE expires_at < ?",
		"DELETE FROM auth_user_tokens WHERE expires_at < ?",
		"DELETE FROM auth_refresh_tokens WHERE expires_at < ?",
		"DELETE FROM auth_grants WHERE expires_at < ?",
		"DELETE FROM auth_revoked_tokens WHERE expires_at < ?",
	} {
		if _, err := s.db.Writer().ExecContext(ctx, q, t); err != nil {
			return err
		}
	}
	return nil
}
