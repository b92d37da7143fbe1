package authserver

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/cdlc/cdlc/internal/authserver/authevents"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// What the sign-in pages (package pages) ask of the provider: accounts,
// sign-in with its throttle, browser sessions, mailed links, and the
// authorization and device requests they finish.

// NewUserInput is what creating a user needs.
type NewUserInput struct {
	Email, Name, Password string
	Roles                 []string
	EmailVerified         bool
}

// newUser validates in and makes the user (hash: the password's argon2id
// hash) with its user.registered event.
func newUser(in NewUserInput, hash string) (User, events.Message, error) {
	email, err := NormalizeEmail("email", in.Email)
	if err != nil {
		return User{}, events.Message{}, err
	}
	if len(in.Roles) == 0 {
		in.Roles = []string{RoleCustomer}
	}
	for _, r := range in.Roles {
		if _, ok := roleScopes[r]; !ok {
			return User{}, events.Message{}, errs.Invalid("role", "must be one of customer, operator, admin; got %q", r)
		}
	}
	if len(in.Name) > 200 {
		return User{}, events.Message{}, errs.Invalid("name", "must be at most 200 characters")
	}
	u := User{ID: events.NewID(), Email: email, Name: strings.TrimSpace(in.Name), Roles: in.Roles, EmailVerified: in.EmailVerified,
		CreatedAt: time.Now().UTC().Truncate(time.Millisecond), PasswordHash: hash}
	return u, authevents.UserRegistered.MustMessage(u.ID, authevents.User{Subject: u.ID, Email: u.Email, Roles: u.Roles}), nil
}

// CreateUser stores a user and publishes user.registered (through the
// outbox, in the same transaction). The password must already be
// validated; hash is its argon2id hash. Conflict when the address is taken.
func CreateUser(ctx context.Context, st Store, in NewUserInput, hash string) (User, error) {
	u, registered, err := newUser(in, hash)
	if err != nil {
		return User{}, err
	}
	return u, st.CreateUser(ctx, u, nil, registered)
}

// SignUp registers a customer from the sign-up page and mails them a link
// to confirm their address.
func (s *Service) SignUp(ctx context.Context, in NewUserInput) (User, error) {
	in.Roles, in.EmailVerified = []string{RoleCustomer}, false
	u, registered, err := newUser(in, s.cfg.Argon2.HashPassword(in.Password))
	if err != nil {
		return User{}, err
	}
	token, mail := s.mailLink(u, "verify")
	if err := s.store.CreateUser(ctx, u, &token, registered, mail); err != nil {
		return User{}, err
	}
	s.kick()
	return u, nil
}

// mailLink makes a single-use link for purpose ("verify" or "reset") and
// the e-mail that carries it.
func (s *Service) mailLink(u User, purpose string) (UserToken, events.Message) {
	t := randomToken(32)
	ttl, path, subject, text := s.cfg.VerifyEmailTTL, "/id/verify-email", "Confirm your e-mail address", "Confirm your e-mail address for cdlc: "
	if purpose == "reset" {
		ttl, path, subject, text = s.cfg.ResetPasswordTTL, "/id/reset-password", "Reset your password", "Someone asked to reset your cdlc password. If it was you: "
	}
	link := s.issuer + path + "?token=" + t
	return UserToken{TokenHash: hashToken(t), UserID: u.ID, Purpose: purpose, ExpiresAt: time.Now().Add(ttl)},
		authevents.Email.MustMessage(u.ID, Email{To: u.Email, Subject: subject, Text: text + link, Template: "auth." + purpose, Link: link})
}

// VerifyEmail spends a mailed confirmation link. NotFound when it is
// unknown, spent or expired.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	return s.store.VerifyEmail(ctx, hashToken(token))
}

// RequestPasswordReset mails a reset link when an account has the
// address, and does nothing otherwise (the caller answers the same).
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	u, err := s.store.UserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if errs.Is(err, errs.KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	token, mail := s.mailLink(u, "reset")
	if err := s.store.AddUserToken(ctx, token, mail); err != nil {
		return err
	}
	s.kick()
	return nil
}

// ResetPassword spends a reset link: the password changes and the user is
// signed out everywhere. Invalid for a password out of policy; NotFound
// for a bad link.
func (s *Service) ResetPassword(ctx context.Context, token, password string) error {
	if err := ValidatePassword("password", password); err != nil {
		return err
	}
	return s.store.ResetPassword(ctx, hashToken(token), s.cfg.Argon2.HashPassword(password))
}

// ThrottledError is a sign-in refused because of too many failures; Wait
// is how long until the window ends.
type ThrottledError struct{ Wait time.Duration }

func (e *ThrottledError) Error() string { return "too many failed sign-ins" }

// ErrBadCredentials is a wrong address or password (which, not said).
var ErrBadCredentials = errs.Unauthorized("the e-mail address or the password is wrong")

// SignIn checks a password, under the throttle (failures per account and
// per client IP in a window): *ThrottledError while it holds, even for
// the right password; ErrBadCredentials, in the same time whether or not
// the account exists.
func (s *Service) SignIn(ctx context.Context, email, password, ip string) (User, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	th := s.cfg.Throttle
	keys := []struct {
		key   string
		limit int
	}{{"account:" + email, th.AccountFailures}, {"ip:" + ip, th.IPFailures}}
	for _, k := range keys {
		start, n, err := s.store.LoginFailures(ctx, k.key)
		if err != nil {
			return User{}, err
		}
		if end := start.Add(th.Window); n >= k.limit && time.Now().Before(end) {
			return User{}, &ThrottledError{Wait: time.Until(end)}
		}
	}
	u, err := s.store.UserByEmail(ctx, email)
	ok := false
	if err == nil {
		ok = CheckPassword(u.PasswordHash, password)
	} else {
		CheckPassword(s.dummyHash(), password) // same time whether or not the account exists
	}
	if !ok {
		if err := errors.Join(s.store.RecordLoginFailure(ctx, keys[0].key, th.Window), s.store.RecordLoginFailure(ctx, keys[1].key, th.Window)); err != nil {
			return User{}, err
		}
		return User{}, ErrBadCredentials
	}
	_ = s.store.ClearLoginFailures(ctx, keys[0].key)
	return u, nil
}

// SessionCookie is the cookie that holds a browser's sign-in session.
const SessionCookie = "cdlc_sid"

// BrowserSession is a browser signed in at the provider.
type BrowserSession struct {
	User     User
	AuthTime time.Time
}

// StartSession signs a browser in as u: it returns the session's secret
// (the SessionCookie's value; stored hashed).
func (s *Service) StartSession(ctx context.Context, u User) (string, BrowserSession, error) {
	t := randomToken(32)
	now := time.Now().Truncate(time.Millisecond)
	if err := s.store.CreateSession(ctx, Session{IDHash: hashToken(t), UserID: u.ID, AuthTime: now, ExpiresAt: now.Add(s.cfg.SessionTTL)}); err != nil {
		return "", BrowserSession{}, err
	}
	return t, BrowserSession{User: u, AuthTime: now}, nil
}

// Session is the browser session whose secret r's cookie carries, if it
// is current and its user exists.
func (s *Service) Session(r *http.Request) (BrowserSession, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return BrowserSession{}, false
	}
	se, err := s.store.Session(r.Context(), hashToken(c.Value))
	if err != nil {
		return BrowserSession{}, false
	}
	u, err := s.store.UserByID(r.Context(), se.UserID)
	if err != nil {
		return BrowserSession{}, false
	}
	return BrowserSession{User: u, AuthTime: se.AuthTime}, true
}

// EndSession ends the session whose secret r's cookie carries.
func (s *Service) EndSession(r *http.Request) error {
	if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
		return s.store.DeleteSession(r.Context(), hashToken(c.Value))
	}
	return nil
}

// AuthRequest is a pending authorization request (NotFound when it is
// unknown or expired).
func (s *Service) AuthRequest(ctx context.Context, id string) (AuthRequest, error) {
	return s.store.AuthRequest(ctx, id)
}

// Client returns a registered client (NotFound).
func (s *Service) Client(ctx context.Context, id string) (Client, error) {
	return s.store.ClientByID(ctx, id)
}

// CompleteAuthRequest records who signed in for ar, with the scopes they
// may have, and returns where the browser goes for op to issue the code.
func (s *Service) CompleteAuthRequest(ctx context.Context, ar AuthRequest, c Client, sess BrowserSession) (string, error) {
	scopes := GrantedScopes(ar.Scopes, c.Scopes, sess.User.Roles)
	if err := s.store.CompleteAuthRequest(ctx, ar.ID, sess.User.ID, sess.AuthTime, scopes); err != nil {
		return "", err
	}
	return "/oauth2/authorize/callback?id=" + url.QueryEscape(ar.ID), nil
}

// Authorization errors the pages end a request with.
var (
	ErrLoginRequired   = oidc.ErrLoginRequired
	ErrConsentRequired = errConsentRequired
	ErrAccessDenied    = oidc.ErrAccessDenied
)

// FailAuthRequest ends ar with e, sent back to its redirect URI (matched
// exactly when the request was made) with its state, where op sends its
// own errors: the query, or the fragment when the request asked for
// response_mode=fragment.
func (s *Service) FailAuthRequest(w http.ResponseWriter, r *http.Request, ar AuthRequest, e *oidc.Error) {
	_ = s.store.DeleteAuthRequest(r.Context(), ar.ID)
	op.AuthRequestError(w, r, &ar, e, s.provider)
}

// PendingDevice is the pending device authorization of a user code as
// typed (any case, with or without the dash); NotFound.
func (s *Service) PendingDevice(ctx context.Context, userCode string) (Device, error) {
	return s.store.PendingDevice(ctx, NormalizeUserCode(userCode))
}

// DecideDevice approves (with the scopes the user may grant) or denies a
// pending device authorization.
func (s *Service) DecideDevice(ctx context.Context, d Device, sess BrowserSession, allow bool) error {
	if !allow {
		return s.store.DenyDevice(ctx, d.UserCode)
	}
	c, err := s.store.ClientByID(ctx, d.ClientID)
	if err != nil {
		return err
	}
	return s.store.ApproveDevice(ctx, d.UserCode, sess.User.ID, sess.AuthTime, GrantedScopes(d.Scopes, c.Scopes, sess.User.Roles))
}

// NormalizeUserCode accepts a device's user code as typed: any case, with
// or without the dash or spaces.
func NormalizeUserCode(c string) string {
	c = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(c)))
	if len(c) == 8 {
		return c[:4] + "-" + c[4:]
	}
	return c
}

// dummyHash is checked for a sign-in of an unknown address, so that it
// takes as long as a wrong password (no account enumeration by timing).
func (s *Service) dummyHash() string {
	s.dummyOnce.Do(func() { s.dummy = s.cfg.Argon2.HashPassword("cdlc-no-such-account") })
	return s.dummy
}
