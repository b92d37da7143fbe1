package authserver

import (
	"context"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// Store keeps the provider's state: users, clients, authorization
// requests, grants and their tokens, device authorizations, sign-in
// sessions, one-time links, the sign-in throttle and the signing keys.
// Implementations: sqlstore (SQLite, MySQL/MariaDB); authstoretest is the
// contract every implementation passes. Secrets (passwords, codes,
// tokens, session ids) reach the store already hashed. Errors are of the
// platform's vocabulary: NotFound, Conflict.
type Store interface {
	// CreateUser stores u (PasswordHash set; email normalized) with token
	// (optional: a mailed link), and enqueues msgs, in one transaction.
	// Conflict when the e-mail address is taken.
	CreateUser(ctx context.Context, u User, token *UserToken, msgs ...events.Message) error
	// UserByID and UserByEmail return NotFound when there is no such user.
	UserByID(ctx context.Context, id string) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	// ListUsers pages users by id, after the cursor.
	ListUsers(ctx context.Context, after string, limit int) ([]User, error)
	// DeleteUser removes a user with their sessions and links and revokes
	// their grants; when the user existed, it enqueues deleted in the same
	// transaction and reports true. Deleting an absent user changes nothing.
	DeleteUser(ctx context.Context, id string, deleted events.Message) (bool, error)

	// ClientByID returns NotFound for an unknown client.
	ClientByID(ctx context.Context, id string) (Client, error)
	// ListClients lists every client by id.
	ListClients(ctx context.Context) ([]Client, error)
	// PutClient inserts c, or replaces it when replace is set. Conflict
	// when it exists and replace is not set.
	PutClient(ctx context.Context, c Client, replace bool) error
	// DeleteClient removes a client and revokes its grants; NotFound if absent.
	DeleteClient(ctx context.Context, id string) error

	// CreateAuthRequest stores an authorization request until expires.
	CreateAuthRequest(ctx context.Context, a AuthRequest, expires time.Time) error
	// AuthRequest returns a request that has not expired; NotFound otherwise.
	AuthRequest(ctx context.Context, id string) (AuthRequest, error)
	// CompleteAuthRequest records who signed in for a request not yet done.
	CompleteAuthRequest(ctx context.Context, id, userID string, authTime time.Time, scopes []string) error
	// SaveAuthCode gives a done request its code.
	SaveAuthCode(ctx context.Context, id, codeHash string) error
	// RedeemCode spends a code once: the first call returns its request
	// and true; later calls return the request (its ID at least) and false.
	// NotFound for an unknown or expired code.
	RedeemCode(ctx context.Context, codeHash string) (AuthRequest, bool, error)
	// DeleteAuthRequest deletes a request whose code was not redeemed (a
	// redeemed one stays until it expires, to recognise a replay).
	DeleteAuthRequest(ctx context.Context, id string) error

	// CreateGrant stores a grant.
	CreateGrant(ctx context.Context, g Grant) error
	// Grant returns NotFound for an unknown grant.
	Grant(ctx context.Context, id string) (Grant, error)
	// RevokeGrant revokes a grant (and so every token issued from it).
	RevokeGrant(ctx context.Context, id string) error
	// RevokeUserGrants revokes a user's grants (of one client, when set).
	RevokeUserGrants(ctx context.Context, userID, clientID string) error
	// UserGrantIDs lists a user's grants not revoked yet (of one client,
	// when set).
	UserGrantIDs(ctx context.Context, userID, clientID string) ([]string, error)
	// Publish records events in the outbox (in a transaction of their own).
	Publish(ctx context.Context, msgs ...events.Message) error
	// IssueRefreshToken stores rt in one transaction with, when set, the
	// new grant it belongs to, and spends the token it replaces (its first
	// use is kept).
	IssueRefreshToken(ctx context.Context, rt RefreshToken, newGrant *Grant, replaces string) error
	// RefreshToken returns NotFound for an unknown token.
	RefreshToken(ctx context.Context, id string) (RefreshToken, error)
	// RevokeAccessToken lists an access token's jti as revoked until
	// expires; AccessTokenRevoked reports whether it is listed.
	RevokeAccessToken(ctx context.Context, jti string, expires time.Time) error
	AccessTokenRevoked(ctx context.Context, jti string) (bool, error)

	// CreateDevice stores a pending device authorization. Conflict when
	// its user code is taken.
	CreateDevice(ctx context.Context, d Device) error
	// Device returns a device authorization by its code's hash; NotFound.
	Device(ctx context.Context, deviceHash string) (Device, error)
	// PendingDevice returns the pending, current authorization of a user
	// code; NotFound.
	PendingDevice(ctx context.Context, userCode string) (Device, error)
	// ApproveDevice and DenyDevice decide a pending authorization.
	ApproveDevice(ctx context.Context, userCode, userID string, authTime time.Time, scopes []string) error
	DenyDevice(ctx context.Context, userCode string) error
	// SpendDevice hands an approved authorization out once: true the first time.
	SpendDevice(ctx context.Context, deviceHash string) (bool, error)

	// CreateSession stores a sign-in session.
	CreateSession(ctx context.Context, s Session) error
	// Session returns a current session; NotFound otherwise.
	Session(ctx context.Context, idHash string) (Session, error)
	// DeleteSession ends one session; DeleteUserSessions all of a user's.
	DeleteSession(ctx context.Context, idHash string) error
	DeleteUserSessions(ctx context.Context, userID string) error

	// AddUserToken stores a mailed link and enqueues msgs, in one transaction.
	AddUserToken(ctx context.Context, t UserToken, msgs ...events.Message) error
	// VerifyEmail spends a "verify" link and marks its user's address
	// verified. NotFound when the link is unknown, spent or expired.
	VerifyEmail(ctx context.Context, tokenHash string) error
	// ResetPassword spends a "reset" link, sets its user's password hash
	// and ends their sessions and grants. NotFound as VerifyEmail.
	ResetPassword(ctx context.Context, tokenHash, passwordHash string) error

	// LoginFailures returns the failures counted for key in the window
	// that started at start (zero when none).
	LoginFailures(ctx context.Context, key string) (start time.Time, n int, err error)
	// RecordLoginFailure counts a failure for key, in the current window
	// or in a new one starting now when it is older than window.
	RecordLoginFailure(ctx context.Context, key string, window time.Duration) error
	// ClearLoginFailures forgets key's failures.
	ClearLoginFailures(ctx context.Context, key string) error

	// SigningKeys lists the keys published at now, newest first.
	SigningKeys(ctx context.Context, now time.Time) ([]StoredKey, error)
	// AddSigningKeys stores keys, and ends the publication of the keys
	// published beyond retireAt at retireAt, in one transaction.
	AddSigningKeys(ctx context.Context, retireAt time.Time, keys ...StoredKey) error

	// Prune deletes what expired before now.
	Prune(ctx context.Context, now time.Time) error
	// Ping checks the store can be reached.
	Ping(ctx context.Context) error
}

// AuthRequest is an authorization request from its arrival to its code's
// redemption.
type AuthRequest struct {
	ID, ClientID, RedirectURI, State, Nonce string
	Scopes                                  []string
	ResponseType, ResponseMode              string
	CodeChallenge, CodeMethod               string
	Prompt                                  []string
	UserID                                  string
	AuthTime                                time.Time
	IsDone                                  bool
}

// Grant is one authorization of a client by a user (a code or device
// flow): its refresh tokens are one family, and its access tokens' jti
// start with its ID.
type Grant struct {
	ID, ClientID, UserID string
	Scopes, AMR          []string
	AuthTime             time.Time
	Revoked              bool
	ExpiresAt            time.Time
}

// RefreshToken is a stored refresh token (its secret hashed).
type RefreshToken struct {
	ID, GrantID, SecretHash string
	Scopes                  []string
	// UsedAt is its first use (zero: unused).
	UsedAt, ExpiresAt time.Time
}

// Device states.
const (
	DevicePending  = "pending"
	DeviceApproved = "approved"
	DeviceDenied   = "denied"
	DeviceSpent    = "spent"
)

// Device is a device authorization (RFC 8628).
type Device struct {
	DeviceHash, UserCode, ClientID string
	Scopes                         []string
	State                          string
	UserID                         string
	AuthTime, ExpiresAt            time.Time
}

// Session is a browser's sign-in at the provider.
type Session struct {
	IDHash, UserID      string
	AuthTime, ExpiresAt time.Time
}

// UserToken is a mailed single-use link ("verify" or "reset").
type UserToken struct {
	TokenHash, UserID, Purpose string
	ExpiresAt                  time.Time
}

// StoredKey is a signing key as stored: its private half sealed.
type StoredKey struct {
	KID, Alg                 string
	PrivateSealed, PublicPEM string
	CreatedAt, PublishUntil  time.Time
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
