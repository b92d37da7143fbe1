// Package pages is the authorization server's sign-in pages under /id/:
// sign-in, registration, consent, device, e-mail verification and password
// reset, server-rendered. Every form carries a CSRF token matched against
// a cookie (double submit), and the whole tree sits behind net/http's
// CrossOriginProtection (Fetch metadata). What the pages do is the
// provider's (authserver.Service); this package is their HTTP.
package pages

import (
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/cdlc/cdlc/internal/authserver"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

//go:embed templates/*.html
var templateFS embed.FS

const csrfCookie = "cdlc_csrf"

type pages struct {
	s      *authserver.Service
	tmpl   map[string]*template.Template
	secure bool
}

// Register mounts the pages of the provider s on mux.
func Register(mux *http.ServeMux, s *authserver.Service) {
	p := &pages{s: s, tmpl: map[string]*template.Template{}, secure: strings.HasPrefix(s.Issuer(), "https://")}
	for _, name := range []string{"login", "register", "consent", "device", "reset", "verify", "message"} {
		p.tmpl[name] = template.Must(template.ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	p.register(mux)
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
		if ar, err := p.s.AuthRequest(r.Context(), v.AuthRequestID); err == nil {
			if u, err := url.Parse(ar.RedirectURI); err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http") {
				w.Header().Set("Content-Security-Policy", pageCSP(u.Scheme+"://"+u.Host))
			}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := p.tmpl[name].ExecuteTemplate(w, name+".html", v); err != nil {
		p.s.Log().Error("render page", "page", name, "err", err)
	}
}

// csrf returns the CSRF token of the browser, setting one if it has none.
func (p *pages) csrf(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 43 {
		return c.Value
	}
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	t := base64.RawURLEncoding.EncodeToString(b)
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

func (p *pages) startSession(w http.ResponseWriter, r *http.Request, u authserver.User) (authserver.BrowserSession, error) {
	t, sess, err := p.s.StartSession(r.Context(), u)
	if err != nil {
		return sess, err
	}
	ttl := p.s.Config().SessionTTL
	http.SetCookie(w, &http.Cookie{Name: authserver.SessionCookie, Value: t, Path: "/", HttpOnly: true, Secure: p.secure, SameSite: http.SameSiteLaxMode, MaxAge: int(ttl.Seconds())})
	return sess, nil
}

// clientIP is the peer address (the gateway, when one is in front, is
// trusted to be the only peer and forward nothing else).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// --- sign in

func (p *pages) session(r *http.Request) (authserver.BrowserSession, bool) { return p.s.Session(r) }

func (p *pages) expired(w http.ResponseWriter, r *http.Request, title string) {
	p.render(w, r, http.StatusNotFound, "message", view{Title: title, Error: "This sign-in request has expired. Start again from the application."})
}

func (p *pages) loginPage(w http.ResponseWriter, r *http.Request) {
	v := view{Title: "Sign in", AuthRequestID: r.URL.Query().Get("authRequestID"), Next: safeNext(r.URL.Query().Get("next"))}
	if v.AuthRequestID != "" {
		ar, err := p.s.AuthRequest(r.Context(), v.AuthRequestID)
		if err != nil {
			p.expired(w, r, "Sign in")
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
		if ok && !slices.Contains(ar.Prompt, oidc.PromptLogin) {
			p.afterLogin(w, r, sess, v.AuthRequestID, "")
			return
		}
		if slices.Contains(ar.Prompt, oidc.PromptNone) {
			// Silent authentication without a session (OIDC Core §3.1.2.6);
			// the authorization endpoint answers it first.
			p.s.FailAuthRequest(w, r, ar, authserver.ErrLoginRequired())
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
	v.Email = strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	u, err := p.s.SignIn(r.Context(), v.Email, r.PostFormValue("password"), clientIP(r))
	var throttled *authserver.ThrottledError
	switch {
	case errors.As(err, &throttled):
		w.Header().Set("Retry-After", strconv.Itoa(int(throttled.Wait.Seconds())+1))
		v.Error = "Too many failed attempts. Try again later."
		p.render(w, r, http.StatusTooManyRequests, "login", v)
		return
	case errors.Is(err, authserver.ErrBadCredentials):
		v.Error = "The e-mail address or the password is wrong."
		p.render(w, r, http.StatusUnauthorized, "login", v)
		return
	case err != nil:
		p.fail(w, r, err)
		return
	}
	p.signedIn(w, r, u, v)
}

// signedIn starts the session of u, who just signed in or up with the
// form of v, and continues what the sign-in was for.
func (p *pages) signedIn(w http.ResponseWriter, r *http.Request, u authserver.User, v view) {
	sess, err := p.startSession(w, r, u)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.afterLogin(w, r, sess, v.AuthRequestID, v.Next)
}

func (p *pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	p.s.Log().Error("auth page failed", "path", r.URL.Path, "err", err)
	p.render(w, r, http.StatusInternalServerError, "message", view{Title: "Something went wrong", Error: "Something went wrong on our side. Try again in a moment."})
}

// afterLogin continues what the sign-in was for: an authorization request
// (consent, unless the client is the platform's own), a page of ours, or
// nothing.
func (p *pages) afterLogin(w http.ResponseWriter, r *http.Request, sess authserver.BrowserSession, authReqID, next string) {
	if authReqID == "" {
		if next != "" {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
		p.render(w, r, http.StatusOK, "message", view{Title: "Signed in", Message: "You are signed in as " + sess.User.Email + "."})
		return
	}
	ar, c, ok := p.request(w, r, authReqID, "Sign in")
	if !ok {
		return
	}
	if c.Trusted && !slices.Contains(ar.Prompt, oidc.PromptConsent) {
		p.complete(w, r, ar, c, sess)
		return
	}
	if slices.Contains(ar.Prompt, oidc.PromptNone) {
		p.s.FailAuthRequest(w, r, ar, authserver.ErrConsentRequired())
		return
	}
	http.Redirect(w, r, "/id/consent?authRequestID="+url.QueryEscape(ar.ID), http.StatusSeeOther)
}

// request is a pending authorization request with its client; it answers
// the browser itself when there is none.
func (p *pages) request(w http.ResponseWriter, r *http.Request, id, title string) (authserver.AuthRequest, authserver.Client, bool) {
	ar, err := p.s.AuthRequest(r.Context(), id)
	if err != nil {
		p.expired(w, r, title)
		return ar, authserver.Client{}, false
	}
	c, err := p.s.Client(r.Context(), ar.ClientID)
	if err != nil {
		p.fail(w, r, err)
		return ar, c, false
	}
	return ar, c, true
}

// complete records who signed in and hands back to op, which issues the code.
func (p *pages) complete(w http.ResponseWriter, r *http.Request, ar authserver.AuthRequest, c authserver.Client, sess authserver.BrowserSession) {
	next, err := p.s.CompleteAuthRequest(r.Context(), ar, c, sess)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
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
	ar, c, ok := p.request(w, r, id, "Consent")
	if !ok {
		return
	}
	scopes := authserver.GrantedScopes(ar.Scopes, c.Scopes, sess.User.Roles)
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
	ar, c, ok := p.request(w, r, id, "Consent")
	if !ok {
		return
	}
	if r.PostFormValue("decision") != "allow" {
		p.s.FailAuthRequest(w, r, ar, authserver.ErrAccessDenied())
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
	if err := authserver.ValidatePassword("password", password); err != nil {
		v.Error = "The password must be 10 to 256 characters."
		p.render(w, r, http.StatusBadRequest, "register", v)
		return
	}
	u, err := p.s.SignUp(r.Context(), authserver.NewUserInput{Email: v.Email, Name: v.Name, Password: password})
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
	p.signedIn(w, r, u, v)
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
	err := p.s.VerifyEmail(r.Context(), r.PostFormValue("token"))
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
		err := p.s.ResetPassword(ctx, token, r.PostFormValue("password"))
		switch {
		case errs.Is(err, errs.KindInvalid):
			p.render(w, r, http.StatusBadRequest, "reset", view{Title: "Reset your password", Token: token, Error: "The password must be 10 to 256 characters."})
		case errs.Is(err, errs.KindNotFound):
			p.render(w, r, http.StatusBadRequest, "reset", view{Title: "Reset your password", Error: "This link is invalid, expired or already used. Ask for a new one."})
		case err != nil:
			p.fail(w, r, err)
		default:
			p.render(w, r, http.StatusOK, "reset", view{Title: "Password changed", Message: "Your password is changed; you are signed out everywhere.", Done: true})
		}
		return
	}
	if err := p.s.RequestPasswordReset(ctx, r.PostFormValue("email")); err != nil {
		p.fail(w, r, err)
		return
	}
	// The same answer whether or not the account exists.
	p.render(w, r, http.StatusOK, "reset", view{Title: "Check your mail", Message: "If an account has this address, a link to reset its password is on its way.", Done: true})
}

// --- device authorization (RFC 8628 user side)

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
	d, err := p.s.PendingDevice(ctx, r.PostFormValue("user_code"))
	if err != nil {
		p.render(w, r, http.StatusBadRequest, "device", view{Title: "Connect a device", Error: "This code is not valid or has expired. Check the code on your device."})
		return
	}
	c, err := p.s.Client(ctx, d.ClientID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	decision := r.PostFormValue("decision")
	if decision == "" {
		granted := authserver.GrantedScopes(d.Scopes, c.Scopes, sess.User.Roles)
		p.render(w, r, http.StatusOK, "consent", view{Title: "Connect this device?", ClientName: c.Name, ScopeText: describeScopes(granted), Action: "/id/device", UserCode: d.UserCode})
		return
	}
	if err := p.s.DecideDevice(ctx, d, sess, decision == "allow"); err != nil {
		p.fail(w, r, err)
		return
	}
	if decision == "allow" {
		p.render(w, r, http.StatusOK, "message", view{Title: "Device connected", Message: "You can go back to your device now."})
		return
	}
	p.render(w, r, http.StatusOK, "message", view{Title: "Device not connected", Message: "The device was refused."})
}
