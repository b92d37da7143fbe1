package authserver

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

//go:embed templates/*.html
var templateFS embed.FS

const (
	sessionCookie = "cdlc_sid"
	csrfCookie    = "cdlc_csrf"
)

// pages are the server-rendered sign-in, registration, consent, device,
// e-mail verification and password reset pages under /id/. Every form
// carries a CSRF token matched against a cookie (double submit), and the
// whole tree sits behind net/http's CrossOriginProtection (Fetch metadata).
type pages struct {
	s      *Service
	tmpl   map[string]*template.Template
	secure bool
	dummy  func() string
}

func newPages(s *Service, _ []byte) *pages {
	p := &pages{s: s, tmpl: map[string]*template.Template{}, secure: strings.HasPrefix(s.issuer, "https://")}
	for _, name := range []string{"login", "register", "consent", "device", "reset", "verify", "message"} {
		p.tmpl[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	// A sign-in for an unknown address checks this hash, so that it takes
	// as long as a wrong password (no account enumeration by timing).
	p.dummy = sync.OnceValue(func() string { return s.cfg.Argon2.HashPassword("cdlc-no-such-account") })
	return p
}

type view struct {
	Title, Error, Message           string
	CSRF, AuthRequestID, Next       string
	Email, Name, ClientName, Action string
	// Query carries the request's hidden fields into the pages' links; a
	// template.URL, built only by url.Values.Encode, so that html/template
	// keeps its = and & (a plain string would be escaped whole).
	Query           template.URL
	UserCode, Token string
	ScopeText       []string
	Done            bool
}

func (p *pages) register(mux *http.ServeMux) {
	cop := http.NewCrossOriginProtection()
	h := func(pattern string, f http.HandlerFunc) { mux.Handle(pattern, cop.Handler(p.noStore(f))) }
	h("GET /id/login", p.loginPage)
	h("POST /id/login", p.login)
	h("GET /id/register", p.registerPage)
	h("POST /id/register", p.registerUser)
	h("GET /id/consent", p.consentPage)
	h("POST /id/consent", p.consent)
	h("GET /id/device", p.devicePage)
	h("POST /id/device", p.device)
	h("GET /id/verify-email", p.verifyPage)
	h("POST /id/verify-email", p.verify)
	h("GET /id/reset-password", p.resetPage)
	h("POST /id/reset-password", p.reset)
	h("GET /id/logged-out", func(w http.ResponseWriter, r *http.Request) {
		p.render(w, r, http.StatusOK, "message", view{Title: "Signed out", Message: "You are signed out."})
	})
}

func (p *pages) noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Frame-Options", "DENY")
		w.Header().Set("Content-Security-Policy", pageCSP(""))
		next.ServeHTTP(w, r)
	})
}

// pageCSP is the pages' Content-Security-Policy. A browser applies
// form-action to the redirects that follow a form's submission too, so a
// page that finishes an authorization request also allows the origin of
// its redirect URI (which op matched exactly against the client's): the
// web app on another origin (the vite dev server) gets its code.
func pageCSP(redirectOrigin string) string {
	formAction := "'self'"
	if redirectOrigin != "" {
		formAction += " " + redirectOrigin
	}
	return "default-src 'none'; style-src 'unsafe-inline'; form-action " + formAction + "; frame-ancestors 'none'"
}

func (p *pages) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.CSRF = p.csrf(w, r)
	if v.Query == "" {
		q := url.Values{}
		if v.AuthRequestID != "" {
			q.Set("authRequestID", v.AuthRequestID)
		}
		if v.Next != "" {
			q.Set("next", v.Next)
		}
		v.Query = template.URL(q.Encode())
	}
	if v.AuthRequestID != "" {
		if ar, err := p.s.authRequest(r.Context(), v.AuthRequestID); err == nil {
			if u, err := url.Parse(ar.RedirectURI); err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http") {
				w.Header().Set("Content-Security-Policy", pageCSP(u.Scheme+"://"+u.Host))
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := p.tmpl[name].ExecuteTemplate(w, name+".html", v); err != nil {
		p.s.log.Error("render page", "page", name, "err", err)
	}
}

// csrf returns the CSRF token of the browser, setting one if it has none.
func (p *pages) csrf(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	t := randomToken(32)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: t, Path: "/id/", HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteStrictMode})
	r.AddCookie(&http.Cookie{Name: csrfCookie, Value: t})
	return t
}

func (p *pages) csrfOK(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	form := r.PostFormValue("csrf")
	return err == nil && c.Value != "" && form != "" && subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) == 1
}

// formView is the view a POST re-renders with (its hidden fields kept).
func formView(r *http.Request, title string) view {
	return view{Title: title, AuthRequestID: r.FormValue("authRequestID"), Next: safeNext(r.FormValue("next"))}
}

// safeNext keeps only the provider's own pages as a place to go back to.
func safeNext(n string) string {
	if strings.HasPrefix(n, "/id/") && !strings.HasPrefix(n, "//") && !strings.ContainsAny(n, "\\\r\n") {
		return n
	}
	return ""
}

func (p *pages) badForm(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusForbidden, "message", view{Title: "Form expired", Error: "The form expired or was sent from another site. Go back, reload the page and try again."})
}

// --- sessions

type session struct {
	user     User
	authTime time.Time
}

func (p *pages) session(r *http.Request) (session, bool) { return p.s.browserSession(r) }

func (p *pages) startSession(w http.ResponseWriter, r *http.Request, u User) (session, error) {
	t := randomToken(32)
	now := time.Now()
	if _, err := p.s.store.db.Writer().ExecContext(r.Context(), "INSERT INTO auth_sessions (id_hash, user_id, auth_time, expires_at) VALUES (?, ?, ?, ?)",
		hashToken(t), u.ID, ms(now), ms(now.Add(p.s.cfg.SessionTTL))); err != nil {
		return session{}, err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: t, Path: "/", HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(p.s.cfg.SessionTTL.Seconds())})
	return session{user: u, authTime: now.Truncate(time.Millisecond)}, nil
}

// endSession ends the browser's session at the provider, then lets op
// finish RP-initiated logout (id_token_hint, post_logout_redirect_uri).
func (p *pages) endSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
			_, _ = p.s.store.db.Writer().ExecContext(r.Context(), "DELETE FROM auth_sessions WHERE id_hash = ?", hashToken(c.Value))
		}
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode, MaxAge: -1})
		next.ServeHTTP(w, r)
	})
}

// --- sign in

func (p *pages) loginPage(w http.ResponseWriter, r *http.Request) {
	v := view{Title: "Sign in", AuthRequestID: r.URL.Query().Get("authRequestID"), Next: safeNext(r.URL.Query().Get("next"))}
	if v.AuthRequestID != "" {
		ar, err := p.s.authRequest(r.Context(), v.AuthRequestID)
		if err != nil {
			p.render(w, r, http.StatusNotFound, "message", view{Title: "Sign in", Error: "This sign-in request has expired. Start again from the application."})
			return
		}
		// prompt=create (OpenID Connect Prompt Create 1.0): the client asks
		// for the sign-up page; the registration then finishes this same
		// request. The page's "sign in instead" link comes back with
		// signin=1, so that it is not sent to the sign-up page again.
		if slices.Contains(ar.Prompt, "create") && r.URL.Query().Get("signin") == "" {
			http.Redirect(w, r, "/id/register?authRequestID="+url.QueryEscape(ar.ID), http.StatusSeeOther)
			return
		}
		sess, ok := p.session(r)
		if ok && !slices.Contains(ar.Prompt, "login") {
			p.afterLogin(w, r, sess, v.AuthRequestID, "")
			return
		}
		if slices.Contains(ar.Prompt, "none") {
			// Silent authentication without a session (OIDC Core §3.1.2.6).
			p.redirectError(w, r, ar, oidc.ErrLoginRequired())
			return
		}
	}
	p.render(w, r, http.StatusOK, "login", v)
}

func (p *pages) login(w http.ResponseWriter, r *http.Request) {
	v := formView(r, "Sign in")
	if !p.csrfOK(r) {
		p.badForm(w, r)
		return
	}
	ctx := r.Context()
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	password := r.PostFormValue("password")
	v.Email = email
	th := p.s.cfg.Throttle
	acctKey, ipKey := "account:"+email, "ip:"+clientIP(r)
	for _, k := range []struct {
		key   string
		limit int
	}{{acctKey, th.AccountFailures}, {ipKey, th.IPFailures}} {
		blocked, wait, err := p.s.store.throttled(ctx, k.key, k.limit, th.Window)
		if err != nil {
			p.fail(w, r, err)
			return
		}
		if blocked {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			v.Error = "Too many failed attempts. Try again later."
			p.render(w, r, http.StatusTooManyRequests, "login", v)
			return
		}
	}
	u, err := p.s.store.UserByEmail(ctx, email)
	ok := false
	if err == nil {
		ok = CheckPassword(u.passwordHash, password)
	} else {
		CheckPassword(p.dummy(), password) // same time whether or not the account exists
	}
	if !ok {
		if err := errors.Join(p.s.store.recordFailure(ctx, acctKey, th.Window), p.s.store.recordFailure(ctx, ipKey, th.Window)); err != nil {
			p.fail(w, r, err)
			return
		}
		v.Error = "The e-mail address or the password is wrong."
		p.render(w, r, http.StatusUnauthorized, "login", v)
		return
	}
	_ = p.s.store.clearFailures(ctx, acctKey)
	sess, err := p.startSession(w, r, u)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.afterLogin(w, r, sess, v.AuthRequestID, v.Next)
}

func (p *pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	p.s.log.Error("auth page failed", "path", r.URL.Path, "err", err)
	p.render(w, r, http.StatusInternalServerError, "message", view{Title: "Something went wrong", Error: "Something went wrong on our side. Try again in a moment."})
}

// afterLogin continues what the sign-in was for: an authorization request
// (consent, unless the client is the platform's own), a page of ours, or
// nothing.
func (p *pages) afterLogin(w http.ResponseWriter, r *http.Request, sess session, authReqID, next string) {
	if authReqID == "" {
		if next != "" {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		p.render(w, r, http.StatusOK, "message", view{Title: "Signed in", Message: "You are signed in as " + sess.user.Email + "."})
		return
	}
	ar, err := p.s.authRequest(r.Context(), authReqID)
	if err != nil {
		p.render(w, r, http.StatusNotFound, "message", view{Title: "Sign in", Error: "This sign-in request has expired. Start again from the application."})
		return
	}
	c, err := p.s.store.ClientByID(r.Context(), ar.ClientID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if c.Trusted && !slices.Contains(ar.Prompt, "consent") {
		p.complete(w, r, ar, c, sess)
		return
	}
	if slices.Contains(ar.Prompt, "none") {
		p.redirectError(w, r, ar, errConsentRequired())
		return
	}
	http.Redirect(w, r, "/id/consent?authRequestID="+url.QueryEscape(ar.ID), http.StatusSeeOther)
}

// redirectError ends an authorization request with an error sent back to
// its redirect URI (matched exactly when the request was made), with its
// state, where op sends its own errors: the query, or the fragment when
// the request asked for response_mode=fragment.
func (p *pages) redirectError(w http.ResponseWriter, r *http.Request, ar *authRequest, e *oidc.Error) {
	_, _ = p.s.store.db.Writer().ExecContext(r.Context(), "DELETE FROM auth_requests WHERE id = ?", ar.ID)
	op.AuthRequestError(w, r, ar, e, p.s.provider)
}

// complete records who signed in, with the scopes they may have, and
// hands back to op, which issues the code.
func (p *pages) complete(w http.ResponseWriter, r *http.Request, ar *authRequest, c Client, sess session) {
	scopes := grantedScopes(ar.Scopes, append(c.Scopes, "openid"), sess.user.Roles, true)
	_, err := p.s.store.db.Writer().ExecContext(r.Context(), "UPDATE auth_requests SET user_id = ?, auth_time = ?, done = 1, scopes = ? WHERE id = ? AND done = 0",
		sess.user.ID, ms(sess.authTime), joinList(scopes), ar.ID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/oauth2/authorize/callback?id="+url.QueryEscape(ar.ID), http.StatusSeeOther)
}

// --- consent

var scopeText = map[string]string{
	"openid": "know who you are", "profile": "see your name", "email": "see your e-mail address",
	"offline_access": "stay signed in", "account": "manage your account and profiles", "catalog:write": "edit the catalog",
	"admin": "administer the platform", "config:read": "read the configuration", "config:write": "change the configuration",
	"config:secrets": "read configuration secrets",
}

func describeScopes(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		if t, ok := scopeText[s]; ok {
			out = append(out, t)
		}
	}
	return out
}

func (p *pages) consentPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	sess, ok := p.session(r)
	if !ok {
		http.Redirect(w, r, "/id/login?authRequestID="+url.QueryEscape(id), http.StatusSeeOther)
		return
	}
	ar, err := p.s.authRequest(r.Context(), id)
	if err != nil {
		p.render(w, r, http.StatusNotFound, "message", view{Title: "Consent", Error: "This sign-in request has expired. Start again from the application."})
		return
	}
	c, err := p.s.store.ClientByID(r.Context(), ar.ClientID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	scopes := grantedScopes(ar.Scopes, append(c.Scopes, "openid"), sess.user.Roles, true)
	p.render(w, r, http.StatusOK, "consent", view{Title: "Allow access?", AuthRequestID: id, ClientName: c.Name, ScopeText: describeScopes(scopes), Action: "/id/consent"})
}

func (p *pages) consent(w http.ResponseWriter, r *http.Request) {
	if !p.csrfOK(r) {
		p.badForm(w, r)
		return
	}
	sess, ok := p.session(r)
	id := r.PostFormValue("authRequestID")
	if !ok {
		http.Redirect(w, r, "/id/login?authRequestID="+url.QueryEscape(id), http.StatusSeeOther)
		return
	}
	ar, err := p.s.authRequest(r.Context(), id)
	if err != nil {
		p.render(w, r, http.StatusNotFound, "message", view{Title: "Consent", Error: "This sign-in request has expired. Start again from the application."})
		return
	}
	c, err := p.s.store.ClientByID(r.Context(), ar.ClientID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if r.PostFormValue("decision") != "allow" {
		p.redirectError(w, r, ar, oidc.ErrAccessDenied())
		return
	}
	p.complete(w, r, ar, c, sess)
}

// --- registration

func (p *pages) registerPage(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, "register", view{Title: "Create your account", AuthRequestID: r.URL.Query().Get("authRequestID"), Next: safeNext(r.URL.Query().Get("next"))})
}

func (p *pages) registerUser(w http.ResponseWriter, r *http.Request) {
	v := formView(r, "Create your account")
	if !p.csrfOK(r) {
		p.badForm(w, r)
		return
	}
	v.Email, v.Name = r.PostFormValue("email"), r.PostFormValue("name")
	password := r.PostFormValue("password")
	if err := ValidatePassword("password", password); err != nil {
		v.Error = "The password must be 10 to 256 characters."
		p.render(w, r, http.StatusBadRequest, "register", v)
		return
	}
	u, err := p.s.store.CreateUser(r.Context(), NewUserInput{Email: v.Email, Name: v.Name, Password: password, Roles: []string{RoleCustomer}},
		p.s.cfg.Argon2.HashPassword(password), func(tx *sql.Tx, u User) error {
			return p.s.mailToken(r.Context(), tx, u, "verify")
		})
	switch {
	case errs.Is(err, errs.KindInvalid):
		v.Error = "Enter a valid e-mail address and a name of at most 200 characters."
		p.render(w, r, http.StatusBadRequest, "register", v)
		return
	case errs.Is(err, errs.KindConflict):
		v.Error = "An account with this e-mail address already exists. Sign in, or reset your password."
		p.render(w, r, http.StatusConflict, "register", v)
		return
	case err != nil:
		p.fail(w, r, err)
		return
	}
	p.s.kick()
	sess, err := p.startSession(w, r, u)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.afterLogin(w, r, sess, v.AuthRequestID, v.Next)
}

// mailToken makes a single-use token for purpose ("verify" or "reset"),
// kept hashed, and enqueues the e-mail carrying it, in tx.
func (s *Service) mailToken(ctx context.Context, tx *sql.Tx, u User, purpose string) error {
	t := randomToken(32)
	ttl, path, subject, text := s.cfg.VerifyEmailTTL, "/id/verify-email", "Confirm your e-mail address", "Confirm your e-mail address for cdlc: "
	if purpose == "reset" {
		ttl, path, subject, text = s.cfg.ResetPasswordTTL, "/id/reset-password", "Reset your password", "Someone asked to reset your cdlc password. If it was you: "
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO auth_user_tokens (token_hash, user_id, purpose, used_at, expires_at) VALUES (?, ?, ?, 0, ?)",
		hashToken(t), u.ID, purpose, ms(time.Now().Add(ttl))); err != nil {
		return err
	}
	link := s.issuer + path + "?token=" + t
	payload, _ := json.Marshal(Email{To: u.Email, Subject: subject, Text: text + link, Template: "auth." + purpose, Link: link})
	return events.Enqueue(ctx, tx, events.Message{Topic: TopicEmail, Key: u.ID, Payload: payload})
}

// consumeToken spends a single-use token; NotFound when it is unknown,
// spent or expired.
func (s *Service) consumeToken(ctx context.Context, tx *sql.Tx, token, purpose string) (string, error) {
	h := hashToken(token)
	res, err := tx.ExecContext(ctx, "UPDATE auth_user_tokens SET used_at = ? WHERE token_hash = ? AND purpose = ? AND used_at = 0 AND expires_at > ?", ms(time.Now()), h, purpose, ms(time.Now()))
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return "", errs.NotFound("link")
	}
	var uid string
	err = tx.QueryRowContext(ctx, "SELECT user_id FROM auth_user_tokens WHERE token_hash = ?", h).Scan(&uid)
	return uid, err
}

// --- e-mail verification

func (p *pages) verifyPage(w http.ResponseWriter, r *http.Request) {
	// Confirming takes a POST, so that a mail scanner following the link
	// does not spend it.
	p.render(w, r, http.StatusOK, "verify", view{Title: "Confirm your e-mail address", Token: r.URL.Query().Get("token")})
}

func (p *pages) verify(w http.ResponseWriter, r *http.Request) {
	if !p.csrfOK(r) {
		p.badForm(w, r)
		return
	}
	err := p.s.store.db.Tx(r.Context(), func(tx *sql.Tx) error {
		uid, err := p.s.consumeToken(r.Context(), tx, r.PostFormValue("token"), "verify")
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(r.Context(), "UPDATE auth_users SET email_verified = 1, updated_at = ? WHERE id = ?", ms(time.Now()), uid)
		return err
	})
	if errs.Is(err, errs.KindNotFound) {
		p.render(w, r, http.StatusBadRequest, "message", view{Title: "Confirm your e-mail address", Error: "This link is invalid, expired or already used."})
		return
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "message", view{Title: "E-mail address confirmed", Message: "Thank you: your e-mail address is confirmed."})
}

// --- password reset

func (p *pages) resetPage(w http.ResponseWriter, r *http.Request) {
	p.render(w, r, http.StatusOK, "reset", view{Title: "Reset your password", Token: r.URL.Query().Get("token")})
}

func (p *pages) reset(w http.ResponseWriter, r *http.Request) {
	if !p.csrfOK(r) {
		p.badForm(w, r)
		return
	}
	ctx := r.Context()
	if token := r.PostFormValue("token"); token != "" {
		password := r.PostFormValue("password")
		if err := ValidatePassword("password", password); err != nil {
			p.render(w, r, http.StatusBadRequest, "reset", view{Title: "Reset your password", Token: token, Error: "The password must be 10 to 256 characters."})
			return
		}
		hash := p.s.cfg.Argon2.HashPassword(password)
		err := p.s.store.db.Tx(ctx, func(tx *sql.Tx) error {
			uid, err := p.s.consumeToken(ctx, tx, token, "reset")
			if err != nil {
				return err
			}
			return p.s.store.setPassword(ctx, tx, uid, hash)
		})
		if errs.Is(err, errs.KindNotFound) {
			p.render(w, r, http.StatusBadRequest, "reset", view{Title: "Reset your password", Error: "This link is invalid, expired or already used. Ask for a new one."})
			return
		}
		if err != nil {
			p.fail(w, r, err)
			return
		}
		p.render(w, r, http.StatusOK, "reset", view{Title: "Password changed", Message: "Your password is changed; you are signed out everywhere.", Done: true})
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	if u, err := p.s.store.UserByEmail(ctx, email); err == nil {
		if err := p.s.store.db.Tx(ctx, func(tx *sql.Tx) error { return p.s.mailToken(ctx, tx, u, "reset") }); err != nil {
			p.fail(w, r, err)
			return
		}
		p.s.kick()
	}
	// The same answer whether or not the account exists.
	p.render(w, r, http.StatusOK, "reset", view{Title: "Check your mail", Message: "If an account has this address, a link to reset its password is on its way.", Done: true})
}

// --- device authorization (RFC 8628 user side)

// normalizeUserCode accepts the code as typed: any case, with or without
// the dash or spaces.
func normalizeUserCode(c string) string {
	c = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(c)))
	if len(c) == 8 {
		return c[:4] + "-" + c[4:]
	}
	return c
}

func (p *pages) devicePage(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("user_code")
	if _, ok := p.session(r); !ok {
		next := "/id/device"
		if code != "" {
			next += "?user_code=" + url.QueryEscape(code)
		}
		http.Redirect(w, r, "/id/login?next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	p.render(w, r, http.StatusOK, "device", view{Title: "Connect a device", UserCode: code})
}

func (p *pages) device(w http.ResponseWriter, r *http.Request) {
	if !p.csrfOK(r) {
		p.badForm(w, r)
		return
	}
	ctx := r.Context()
	sess, ok := p.session(r)
	if !ok {
		http.Redirect(w, r, "/id/login?next="+url.QueryEscape("/id/device"), http.StatusSeeOther)
		return
	}
	code := normalizeUserCode(r.PostFormValue("user_code"))
	var clientID, scopes string
	err := p.s.store.db.Writer().QueryRowContext(ctx, "SELECT client_id, scopes FROM auth_devices WHERE user_code = ? AND state = 'pending' AND expires_at > ?", code, ms(time.Now())).Scan(&clientID, &scopes)
	if err != nil {
		p.render(w, r, http.StatusBadRequest, "device", view{Title: "Connect a device", Error: "This code is not valid or has expired. Check the code on your device."})
		return
	}
	c, err := p.s.store.ClientByID(ctx, clientID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	granted := grantedScopes(splitList(scopes), append(c.Scopes, "openid"), sess.user.Roles, true)
	switch r.PostFormValue("decision") {
	case "":
		p.render(w, r, http.StatusOK, "consent", view{Title: "Connect this device?", ClientName: c.Name, ScopeText: describeScopes(granted), Action: "/id/device", UserCode: code})
		return
	case "allow":
		_, err = p.s.store.db.Writer().ExecContext(ctx, "UPDATE auth_devices SET state = 'approved', user_id = ?, auth_time = ?, scopes = ? WHERE user_code = ? AND state = 'pending'",
			sess.user.ID, ms(sess.authTime), joinList(granted), code)
	default:
		_, err = p.s.store.db.Writer().ExecContext(ctx, "UPDATE auth_devices SET state = 'denied' WHERE user_code = ? AND state = 'pending'", code)
	}
	if err != nil {
		p.fail(w, r, err)
		return
	}
	if r.PostFormValue("decision") == "allow" {
		p.render(w, r, http.StatusOK, "message", view{Title: "Device connected", Message: "You can go back to your device now."})
		return
	}
	p.render(w, r, http.StatusOK, "message", view{Title: "Device not connected", Message: "The device was refused."})
}
