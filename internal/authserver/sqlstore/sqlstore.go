// Package sqlstore keeps the authorization server's state in SQL (SQLite
// or MySQL/MariaDB through platform/db): authserver.Store. Times are Unix
// milliseconds, compared in SQL the same way on both engines. Writes that
// publish an event commit it through the outbox in their own transaction.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/authserver"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the schema of the auth database.
var Migrations = db.Migrations{Name: "auth", FS: db.MustSub(migrationsFS, "migrations")}

// Store implements authserver.Store.
type Store struct {
	db *db.DB
}

var _ authserver.Store = (*Store)(nil)

// New wraps a database migrated with Migrations and events.Migrations.
func New(d *db.DB) *Store { return &Store{db: d} }

// DB is the underlying database.
func (s *Store) DB() *db.DB { return s.db }

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

func now() int64 { return time.Now().UnixMilli() }

func joinList(v []string) string { return strings.Join(v, " ") }

func splitList(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Fields(s)
}

func enqueue(ctx context.Context, tx *sql.Tx, msgs []events.Message) error {
	for _, m := range msgs {
		if err := events.Enqueue(ctx, tx, m); err != nil {
			return err
		}
	}
	return nil
}

// --- users

const userCols = "id, email, name, password_hash, roles, email_verified, created_at"

func scanUser(row db.Scanner) (authserver.User, error) {
	var u authserver.User
	var roles string
	var created int64
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PasswordHash, &roles, &u.EmailVerified, &created); err != nil {
		return authserver.User{}, err
	}
	u.Roles, u.CreatedAt = splitList(roles), fromMS(created)
	return u, nil
}

// CreateUser implements authserver.Store.
func (s *Store) CreateUser(ctx context.Context, u authserver.User, token *authserver.UserToken, msgs ...events.Message) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "INSERT INTO auth_users ("+userCols+", updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
			u.ID, u.Email, u.Name, u.PasswordHash, joinList(u.Roles), u.EmailVerified, ms(u.CreatedAt), ms(u.CreatedAt))
		if db.IsDuplicate(err) {
			return errs.Conflict("an account with this e-mail address already exists")
		}
		if err != nil {
			return fmt.Errorf("insert user: %w", err)
		}
		if token != nil {
			if err := insertUserToken(ctx, tx, *token); err != nil {
				return err
			}
		}
		return enqueue(ctx, tx, msgs)
	})
}

func (s *Store) user(ctx context.Context, where string, arg any, notFound error) (authserver.User, error) {
	u, err := scanUser(s.db.Writer().QueryRowContext(ctx, "SELECT "+userCols+" FROM auth_users WHERE "+where+" = ?", arg))
	if errors.Is(err, sql.ErrNoRows) {
		return authserver.User{}, notFound
	}
	return u, err
}

// UserByEmail implements authserver.Store.
func (s *Store) UserByEmail(ctx context.Context, email string) (authserver.User, error) {
	return s.user(ctx, "email", email, errs.NotFound("user"))
}

// UserByID implements authserver.Store.
func (s *Store) UserByID(ctx context.Context, id string) (authserver.User, error) {
	return s.user(ctx, "id", id, errs.NotFound("user %s", id))
}

// ListUsers implements authserver.Store.
func (s *Store) ListUsers(ctx context.Context, after string, limit int) ([]authserver.User, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT "+userCols+" FROM auth_users WHERE id > ? ORDER BY id LIMIT ?", after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []authserver.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// DeleteUser implements authserver.Store.
func (s *Store) DeleteUser(ctx context.Context, id string, deleted events.Message) (bool, error) {
	var found bool
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM auth_users WHERE id = ?", id)
		if err != nil {
			return fmt.Errorf("delete user %s: %w", id, err)
		}
		n, _ := res.RowsAffected()
		if _, err := tx.ExecContext(ctx, "UPDATE auth_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0", now(), id); err != nil {
			return err
		}
		for _, q := range []string{"DELETE FROM auth_sessions WHERE user_id = ?", "DELETE FROM auth_user_tokens WHERE user_id = ?"} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		if found = n > 0; !found {
			return nil
		}
		return events.Enqueue(ctx, tx, deleted)
	})
	return found, err
}

// --- clients

const clientCols = "id, name, secret_hash, redirect_uris, post_logout_redirect_uris, grant_types, scopes, trusted, created_at"

func scanClient(row db.Scanner) (authserver.Client, error) {
	var c authserver.Client
	var ru, plu, gt, sc string
	var created int64
	if err := row.Scan(&c.ID, &c.Name, &c.SecretHash, &ru, &plu, &gt, &sc, &c.Trusted, &created); err != nil {
		return authserver.Client{}, err
	}
	c.RedirectURIs, c.PostLogoutRedirectURIs, c.GrantTypes, c.Scopes = splitList(ru), splitList(plu), splitList(gt), splitList(sc)
	c.Public = c.SecretHash == ""
	c.CreatedAt = fromMS(created)
	return c, nil
}

// ClientByID implements authserver.Store.
func (s *Store) ClientByID(ctx context.Context, id string) (authserver.Client, error) {
	c, err := scanClient(s.db.Reader().QueryRowContext(ctx, "SELECT "+clientCols+" FROM auth_clients WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return authserver.Client{}, errs.NotFound("client %s", id)
	}
	return c, err
}

// ListClients implements authserver.Store.
func (s *Store) ListClients(ctx context.Context) ([]authserver.Client, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT "+clientCols+" FROM auth_clients ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []authserver.Client{}
	for rows.Next() {
		c, err := scanClient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// PutClient implements authserver.Store.
func (s *Store) PutClient(ctx context.Context, c authserver.Client, replace bool) error {
	args := []any{c.ID, c.Name, c.SecretHash, joinList(c.RedirectURIs), joinList(c.PostLogoutRedirectURIs), joinList(c.GrantTypes), joinList(c.Scopes), c.Trusted, ms(c.CreatedAt)}
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

// DeleteClient implements authserver.Store.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM auth_clients WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.NotFound("client %s", id)
		}
		_, err = tx.ExecContext(ctx, "UPDATE auth_grants SET revoked_at = ? WHERE client_id = ? AND revoked_at = 0", now(), id)
		return err
	})
}

// --- authorization requests

const authReqCols = "id, client_id, redirect_uri, state, nonce, scopes, response_type, response_mode, code_challenge, code_method, prompt, user_id, auth_time, done"

func scanAuthRequest(row db.Scanner) (authserver.AuthRequest, error) {
	var a authserver.AuthRequest
	var scopes, prompt string
	var at int64
	if err := row.Scan(&a.ID, &a.ClientID, &a.RedirectURI, &a.State, &a.Nonce, &scopes, &a.ResponseType, &a.ResponseMode, &a.CodeChallenge, &a.CodeMethod, &prompt, &a.UserID, &at, &a.IsDone); err != nil {
		return authserver.AuthRequest{}, err
	}
	a.Scopes, a.Prompt, a.AuthTime = splitList(scopes), splitList(prompt), fromMS(at)
	return a, nil
}

// CreateAuthRequest implements authserver.Store.
func (s *Store) CreateAuthRequest(ctx context.Context, a authserver.AuthRequest, expires time.Time) error {
	_, err := s.db.Writer().ExecContext(ctx, "INSERT INTO auth_requests ("+authReqCols+", created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0, 0, ?, ?)",
		a.ID, a.ClientID, a.RedirectURI, a.State, a.Nonce, joinList(a.Scopes), a.ResponseType, a.ResponseMode, a.CodeChallenge, a.CodeMethod, joinList(a.Prompt),
		now(), ms(expires))
	if err != nil {
		return fmt.Errorf("store auth request: %w", err)
	}
	return nil
}

// AuthRequest implements authserver.Store.
func (s *Store) AuthRequest(ctx context.Context, id string) (authserver.AuthRequest, error) {
	a, err := scanAuthRequest(s.db.Writer().QueryRowContext(ctx, "SELECT "+authReqCols+" FROM auth_requests WHERE id = ? AND expires_at > ?", id, now()))
	if errors.Is(err, sql.ErrNoRows) {
		return a, errs.NotFound("sign-in request (it may have expired; start again from the application)")
	}
	return a, err
}

// CompleteAuthRequest implements authserver.Store.
func (s *Store) CompleteAuthRequest(ctx context.Context, id, userID string, authTime time.Time, scopes []string) error {
	_, err := s.db.Writer().ExecContext(ctx, "UPDATE auth_requests SET user_id = ?, auth_time = ?, done = 1, scopes = ? WHERE id = ? AND done = 0",
		userID, ms(authTime), joinList(scopes), id)
	return err
}

// SaveAuthCode implements authserver.Store.
func (s *Store) SaveAuthCode(ctx context.Context, id, codeHash string) error {
	_, err := s.db.Writer().ExecContext(ctx, "UPDATE auth_requests SET code_hash = ? WHERE id = ? AND done = 1", codeHash, id)
	return err
}

// RedeemCode implements authserver.Store: the UPDATE decides the one
// first use among concurrent ones.
func (s *Store) RedeemCode(ctx context.Context, codeHash string) (authserver.AuthRequest, bool, error) {
	w := s.db.Writer()
	res, err := w.ExecContext(ctx, "UPDATE auth_requests SET code_used = 1 WHERE code_hash = ? AND code_used = 0 AND expires_at > ?", codeHash, now())
	if err != nil {
		return authserver.AuthRequest{}, false, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		a, err := scanAuthRequest(w.QueryRowContext(ctx, "SELECT "+authReqCols+" FROM auth_requests WHERE code_hash = ?", codeHash))
		return a, err == nil, err
	}
	a, err := scanAuthRequest(w.QueryRowContext(ctx, "SELECT "+authReqCols+" FROM auth_requests WHERE code_hash = ? AND code_used = 1", codeHash))
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, errs.NotFound("authorization code")
	}
	return a, false, err
}

// DeleteAuthRequest implements authserver.Store.
func (s *Store) DeleteAuthRequest(ctx context.Context, id string) error {
	_, err := s.db.Writer().ExecContext(ctx, "DELETE FROM auth_requests WHERE id = ? AND code_used = 0", id)
	return err
}

// --- grants and tokens

func insertGrant(ctx context.Context, q db.Querier, g authserver.Grant) error {
	_, err := q.ExecContext(ctx, "INSERT INTO auth_grants (id, client_id, user_id, scopes, auth_time, amr, revoked_at, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
		g.ID, g.ClientID, g.UserID, joinList(g.Scopes), ms(g.AuthTime), joinList(g.AMR), now(), ms(g.ExpiresAt))
	return err
}

// CreateGrant implements authserver.Store.
func (s *Store) CreateGrant(ctx context.Context, g authserver.Grant) error {
	return insertGrant(ctx, s.db.Writer(), g)
}

// Grant implements authserver.Store.
func (s *Store) Grant(ctx context.Context, id string) (authserver.Grant, error) {
	var g authserver.Grant
	var sc, amr string
	var at, rev, exp int64
	err := s.db.Writer().QueryRowContext(ctx, "SELECT id, client_id, user_id, scopes, auth_time, amr, revoked_at, expires_at FROM auth_grants WHERE id = ?", id).
		Scan(&g.ID, &g.ClientID, &g.UserID, &sc, &at, &amr, &rev, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return g, errs.NotFound("grant")
	}
	g.Scopes, g.AMR, g.AuthTime, g.Revoked, g.ExpiresAt = splitList(sc), splitList(amr), fromMS(at), rev != 0, fromMS(exp)
	return g, err
}

// RevokeGrant implements authserver.Store.
func (s *Store) RevokeGrant(ctx context.Context, id string) error {
	_, err := s.db.Writer().ExecContext(ctx, "UPDATE auth_grants SET revoked_at = ? WHERE id = ? AND revoked_at = 0", now(), id)
	return err
}

// RevokeUserGrants implements authserver.Store.
func (s *Store) RevokeUserGrants(ctx context.Context, userID, clientID string) error {
	q := "UPDATE auth_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0"
	args := []any{now(), userID}
	if clientID != "" {
		q += " AND client_id = ?"
		args = append(args, clientID)
	}
	_, err := s.db.Writer().ExecContext(ctx, q, args...)
	return err
}

// IssueRefreshToken implements authserver.Store.
func (s *Store) IssueRefreshToken(ctx context.Context, rt authserver.RefreshToken, newGrant *authserver.Grant, replaces string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if replaces != "" {
			if _, err := tx.ExecContext(ctx, "UPDATE auth_refresh_tokens SET used_at = ? WHERE id = ? AND used_at = 0", now(), replaces); err != nil {
				return err
			}
		}
		if newGrant != nil {
			if err := insertGrant(ctx, tx, *newGrant); err != nil {
				return fmt.Errorf("store grant: %w", err)
			}
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO auth_refresh_tokens (id, grant_id, secret_hash, scopes, used_at, created_at, expires_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
			rt.ID, rt.GrantID, rt.SecretHash, joinList(rt.Scopes), now(), ms(rt.ExpiresAt))
		return err
	})
}

// RefreshToken implements authserver.Store.
func (s *Store) RefreshToken(ctx context.Context, id string) (authserver.RefreshToken, error) {
	rt := authserver.RefreshToken{ID: id}
	var sc string
	var used, exp int64
	err := s.db.Writer().QueryRowContext(ctx, "SELECT grant_id, secret_hash, scopes, used_at, expires_at FROM auth_refresh_tokens WHERE id = ?", id).
		Scan(&rt.GrantID, &rt.SecretHash, &sc, &used, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return rt, errs.NotFound("refresh token")
	}
	rt.Scopes, rt.UsedAt, rt.ExpiresAt = splitList(sc), fromMS(used), fromMS(exp)
	return rt, err
}

// RevokeAccessToken implements authserver.Store.
func (s *Store) RevokeAccessToken(ctx context.Context, jti string, expires time.Time) error {
	_, err := s.db.Writer().ExecContext(ctx, "INSERT INTO auth_revoked_tokens (jti, expires_at) VALUES (?, ?)", jti, ms(expires))
	if db.IsDuplicate(err) {
		return nil
	}
	return err
}

// AccessTokenRevoked implements authserver.Store.
func (s *Store) AccessTokenRevoked(ctx context.Context, jti string) (bool, error) {
	var n int
	err := s.db.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM auth_revoked_tokens WHERE jti = ?", jti).Scan(&n)
	return n > 0, err
}

// --- devices

const deviceCols = "device_hash, user_code, client_id, scopes, state, user_id, auth_time, expires_at"

func scanDevice(row db.Scanner) (authserver.Device, error) {
	var d authserver.Device
	var sc string
	var at, exp int64
	if err := row.Scan(&d.DeviceHash, &d.UserCode, &d.ClientID, &sc, &d.State, &d.UserID, &at, &exp); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return d, errs.NotFound("device authorization")
		}
		return d, err
	}
	d.Scopes, d.AuthTime, d.ExpiresAt = splitList(sc), fromMS(at), fromMS(exp)
	return d, nil
}

// CreateDevice implements authserver.Store.
func (s *Store) CreateDevice(ctx context.Context, d authserver.Device) error {
	_, err := s.db.Writer().ExecContext(ctx, "INSERT INTO auth_devices ("+deviceCols+") VALUES (?, ?, ?, ?, ?, '', 0, ?)",
		d.DeviceHash, d.UserCode, d.ClientID, joinList(d.Scopes), authserver.DevicePending, ms(d.ExpiresAt))
	if db.IsDuplicate(err) {
		return errs.Conflict("user code %s is taken", d.UserCode)
	}
	return err
}

// Device implements authserver.Store.
func (s *Store) Device(ctx context.Context, deviceHash string) (authserver.Device, error) {
	return scanDevice(s.db.Writer().QueryRowContext(ctx, "SELECT "+deviceCols+" FROM auth_devices WHERE device_hash = ?", deviceHash))
}

// PendingDevice implements authserver.Store.
func (s *Store) PendingDevice(ctx context.Context, userCode string) (authserver.Device, error) {
	return scanDevice(s.db.Writer().QueryRowContext(ctx, "SELECT "+deviceCols+" FROM auth_devices WHERE user_code = ? AND state = ? AND expires_at > ?",
		userCode, authserver.DevicePending, now()))
}

// ApproveDevice implements authserver.Store.
func (s *Store) ApproveDevice(ctx context.Context, userCode, userID string, authTime time.Time, scopes []string) error {
	_, err := s.db.Writer().ExecContext(ctx, "UPDATE auth_devices SET state = ?, user_id = ?, auth_time = ?, scopes = ? WHERE user_code = ? AND state = ?",
		authserver.DeviceApproved, userID, ms(authTime), joinList(scopes), userCode, authserver.DevicePending)
	return err
}

// DenyDevice implements authserver.Store.
func (s *Store) DenyDevice(ctx context.Context, userCode string) error {
	_, err := s.db.Writer().ExecContext(ctx, "UPDATE auth_devices SET state = ? WHERE user_code = ? AND state = ?", authserver.DeviceDenied, userCode, authserver.DevicePending)
	return err
}

// SpendDevice implements authserver.Store.
func (s *Store) SpendDevice(ctx context.Context, deviceHash string) (bool, error) {
	res, err := s.db.Writer().ExecContext(ctx, "UPDATE auth_devices SET state = ? WHERE device_hash = ? AND state = ?", authserver.DeviceSpent, deviceHash, authserver.DeviceApproved)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// --- sessions

// CreateSession implements authserver.Store.
func (s *Store) CreateSession(ctx context.Context, se authserver.Session) error {
	_, err := s.db.Writer().ExecContext(ctx, "INSERT INTO auth_sessions (id_hash, user_id, auth_time, expires_at) VALUES (?, ?, ?, ?)",
		se.IDHash, se.UserID, ms(se.AuthTime), ms(se.ExpiresAt))
	return err
}

// Session implements authserver.Store.
func (s *Store) Session(ctx context.Context, idHash string) (authserver.Session, error) {
	se := authserver.Session{IDHash: idHash}
	var at, exp int64
	err := s.db.Writer().QueryRowContext(ctx, "SELECT user_id, auth_time, expires_at FROM auth_sessions WHERE id_hash = ? AND expires_at > ?", idHash, now()).Scan(&se.UserID, &at, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return se, errs.NotFound("session")
	}
	se.AuthTime, se.ExpiresAt = fromMS(at), fromMS(exp)
	return se, err
}

// DeleteSession implements authserver.Store.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	_, err := s.db.Writer().ExecContext(ctx, "DELETE FROM auth_sessions WHERE id_hash = ?", idHash)
	return err
}

// UserGrantIDs implements authserver.Store.
func (s *Store) UserGrantIDs(ctx context.Context, userID, clientID string) ([]string, error) {
	q := "SELECT id FROM auth_grants WHERE user_id = ? AND revoked_at = 0"
	args := []any{userID}
	if clientID != "" {
		q += " AND client_id = ?"
		args = append(args, clientID)
	}
	rows, err := s.db.Writer().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// Publish implements authserver.Store.
func (s *Store) Publish(ctx context.Context, msgs ...events.Message) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error { return events.Enqueue(ctx, tx, msgs...) })
}

// DeleteUserSessions implements authserver.Store.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := s.db.Writer().ExecContext(ctx, "DELETE FROM auth_sessions WHERE user_id = ?", userID)
	return err
}

// --- mailed links

func insertUserToken(ctx context.Context, tx *sql.Tx, t authserver.UserToken) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO auth_user_tokens (token_hash, user_id, purpose, used_at, expires_at) VALUES (?, ?, ?, 0, ?)",
		t.TokenHash, t.UserID, t.Purpose, ms(t.ExpiresAt))
	return err
}

// AddUserToken implements authserver.Store.
func (s *Store) AddUserToken(ctx context.Context, t authserver.UserToken, msgs ...events.Message) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := insertUserToken(ctx, tx, t); err != nil {
			return err
		}
		return enqueue(ctx, tx, msgs)
	})
}

// consumeToken spends a link in tx and returns its user.
func consumeToken(ctx context.Context, tx *sql.Tx, tokenHash, purpose string) (string, error) {
	res, err := tx.ExecContext(ctx, "UPDATE auth_user_tokens SET used_at = ? WHERE token_hash = ? AND purpose = ? AND used_at = 0 AND expires_at > ?", now(), tokenHash, purpose, now())
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", errs.NotFound("link")
	}
	var uid string
	err = tx.QueryRowContext(ctx, "SELECT user_id FROM auth_user_tokens WHERE token_hash = ?", tokenHash).Scan(&uid)
	return uid, err
}

// VerifyEmail implements authserver.Store.
func (s *Store) VerifyEmail(ctx context.Context, tokenHash string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		uid, err := consumeToken(ctx, tx, tokenHash, "verify")
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE auth_users SET email_verified = 1, updated_at = ? WHERE id = ?", now(), uid)
		return err
	})
}

// ResetPassword implements authserver.Store.
func (s *Store) ResetPassword(ctx context.Context, tokenHash, passwordHash string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		uid, err := consumeToken(ctx, tx, tokenHash, "reset")
		if err != nil {
			return err
		}
		t := now()
		if _, err := tx.ExecContext(ctx, "UPDATE auth_users SET password_hash = ?, updated_at = ? WHERE id = ?", passwordHash, t, uid); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM auth_sessions WHERE user_id = ?", uid); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "UPDATE auth_grants SET revoked_at = ? WHERE user_id = ? AND revoked_at = 0", t, uid)
		return err
	})
}

// --- sign-in throttle

// LoginFailures implements authserver.Store.
func (s *Store) LoginFailures(ctx context.Context, key string) (time.Time, int, error) {
	var start int64
	var n int
	err := s.db.Writer().QueryRowContext(ctx, "SELECT window_start, failures FROM auth_login_failures WHERE throttle_key = ?", key).Scan(&start, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, 0, nil
	}
	return fromMS(start), n, err
}

// RecordLoginFailure implements authserver.Store.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, window time.Duration) error {
	t := time.Now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE auth_login_failures SET failures = failures + 1 WHERE throttle_key = ? AND window_start > ?", key, ms(t.Add(-window)))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM auth_login_failures WHERE throttle_key = ?", key); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "INSERT INTO auth_login_failures (throttle_key, window_start, failures) VALUES (?, ?, 1)", key, ms(t))
		if db.IsDuplicate(err) {
			// Another sign-in started the window at the same moment.
			_, err = tx.ExecContext(ctx, "UPDATE auth_login_failures SET failures = failures + 1 WHERE throttle_key = ?", key)
		}
		return err
	})
}

// ClearLoginFailures implements authserver.Store.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.db.Writer().ExecContext(ctx, "DELETE FROM auth_login_failures WHERE throttle_key = ?", key)
	return err
}

// --- signing keys

// SigningKeys implements authserver.Store.
func (s *Store) SigningKeys(ctx context.Context, at time.Time) ([]authserver.StoredKey, error) {
	rows, err := s.db.Writer().QueryContext(ctx, "SELECT kid, alg, private_sealed, public_pem, created_at, publish_until FROM auth_keys WHERE publish_until > ? ORDER BY created_at DESC, kid DESC", ms(at))
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	defer rows.Close()
	var out []authserver.StoredKey
	for rows.Next() {
		var k authserver.StoredKey
		var created, until int64
		if err := rows.Scan(&k.KID, &k.Alg, &k.PrivateSealed, &k.PublicPEM, &created, &until); err != nil {
			return nil, err
		}
		k.CreatedAt, k.PublishUntil = fromMS(created), fromMS(until)
		out = append(out, k)
	}
	return out, rows.Err()
}

// AddSigningKeys implements authserver.Store.
func (s *Store) AddSigningKeys(ctx context.Context, retireAt time.Time, keys ...authserver.StoredKey) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE auth_keys SET publish_until = ? WHERE publish_until > ?", ms(retireAt), ms(retireAt)); err != nil {
			return err
		}
		for _, k := range keys {
			if _, err := tx.ExecContext(ctx, "INSERT INTO auth_keys (kid, alg, private_sealed, public_pem, created_at, publish_until) VALUES (?, ?, ?, ?, ?, ?)",
				k.KID, k.Alg, k.PrivateSealed, k.PublicPEM, ms(k.CreatedAt), ms(k.PublishUntil)); err != nil {
				return err
			}
		}
		return nil
	})
}

// --- housekeeping

// Prune implements authserver.Store.
func (s *Store) Prune(ctx context.Context, at time.Time) error {
	t := ms(at)
	for _, table := range []string{"auth_requests", "auth_devices", "auth_sessions", "auth_user_tokens", "auth_refresh_tokens", "auth_grants", "auth_revoked_tokens"} {
		if _, err := s.db.Writer().ExecContext(ctx, "DELETE FROM "+table+" WHERE expires_at < ?", t); err != nil {
			return err
		}
	}
	return nil
}

// Ping implements authserver.Store.
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }
