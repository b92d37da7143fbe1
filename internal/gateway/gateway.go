// Package gateway is the edge of cdlc (target "gateway"): one route table
// that sends every public path to the service that owns it — in process
// when that service runs here, over HTTP to its peer URL when it runs
// elsewhere — after checking the caller's token, the route's scopes and
// roles, and the rate limits, with a circuit breaker, a timeout and (for
// idempotent requests) retries in front of each upstream. It strips the
// identity headers a client may forge and sets the security headers of
// every response.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/httpx"
	"github.com/cdlc/cdlc/internal/platform/resilience"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

// Options are what a gateway is built from.
type Options struct {
	Config Config
	// Routes is the route table: every service's routes (see the service
	// table in internal/app).
	Routes []Route
	// Verifier checks bearer tokens.
	Verifier auth.Verifier
	// Local is this process's own handler: the services running here, and
	// everything outside the route table (probes, docs, the web app).
	Local http.Handler
	// InProcess reports whether a service runs in this process.
	InProcess func(service string) bool
	// Peers are the base URLs of services running elsewhere.
	Peers map[string]string
	// Limiter holds the rate-limit buckets; nil means a LocalLimiter.
	Limiter Limiter
	Log     *slog.Logger
	// Breakers, when set, exports the upstream breakers' states.
	Breakers *resilience.BreakerMetrics
}

// Gateway is the edge handler.
type Gateway struct {
	cfg       Config
	mux       *http.ServeMux
	routes    map[string]*Route
	verifier  auth.Verifier
	local     http.Handler
	limiter   Limiter
	log       *slog.Logger
	trusted   []netip.Prefix
	upstreams map[string]*upstream
	hsts      string
}

var _ http.Handler = (*Gateway)(nil)

// New builds a gateway. A route whose service neither runs here nor has a
// peer URL answers 503.
func New(opts Options) (*Gateway, error) {
	if err := opts.Config.Validate(); err != nil {
		return nil, err
	}
	if opts.Limiter == nil {
		opts.Limiter = NewLocalLimiter()
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	if opts.InProcess == nil {
		opts.InProcess = func(string) bool { return false }
	}
	trusted, err := parsePrefixes(opts.Config.TrustedProxies)
	if err != nil {
		return nil, err
	}
	g := &Gateway{
		cfg: opts.Config, mux: http.NewServeMux(), routes: map[string]*Route{},
		verifier: opts.Verifier, local: opts.Local, limiter: opts.Limiter, log: opts.Log,
		trusted: trusted, upstreams: map[string]*upstream{},
	}
	if opts.Config.HSTSMaxAge > 0 {
		g.hsts = "max-age=" + strconv.Itoa(int(opts.Config.HSTSMaxAge.Seconds())) + "; includeSubDomains"
	}
	transport := newTransport(opts.Config)
	for i := range opts.Routes {
		rt := &opts.Routes[i]
		if rt.Class == "" {
			rt.Class = ClassDefault
		}
		if _, dup := g.routes[rt.Path]; dup {
			return nil, fmt.Errorf("gateway: route %s listed twice", rt.Path)
		}
		g.routes[rt.Path] = rt
		// The mux only matches; the gateway does the rest.
		g.mux.Handle(rt.Path, http.NotFoundHandler())
		if _, ok := g.upstreams[rt.Service]; ok {
			continue
		}
		u := &upstream{name: rt.Service, local: opts.Local, breaker: resilience.NewBreaker("upstream:"+rt.Service, resilience.BreakerOptions{
			FailureThreshold: opts.Config.Breaker.FailureThreshold, OpenTimeout: opts.Config.Breaker.OpenTimeout,
			IsFailure: isUpstreamFailure, Metrics: opts.Breakers,
			OnStateChange: func(name string, from, to resilience.State) {
				opts.Log.Warn("upstream circuit breaker changed state", "breaker", name, "from", string(from), "to", string(to))
			},
		})}
		switch {
		case opts.InProcess(rt.Service):
			u.inProcess = true
		case opts.Peers[rt.Service] != "":
			if u.proxy, err = newProxy(opts.Peers[rt.Service], u, transport, opts.Config); err != nil {
				return nil, errs.Invalid("peers."+rt.Service, "%v", err)
			}
		}
		g.upstreams[rt.Service] = u
	}
	return g, nil
}

// Route returns the route r matches, nil when it is not in the table.
func (g *Gateway) Route(r *http.Request) *Route {
	_, pattern := g.mux.Handler(r)
	return g.routes[pattern]
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	clientIP, viaTLS := g.sanitize(r)
	g.securityHeaders(w, r, viaTLS)
	rt := g.Route(r)
	var limits ClassLimits
	if rt != nil {
		httpx.SetRoute(r.Context(), rt.Path)
		limits = g.cfg.Limits.of(rt.Class)
		// The address bucket comes before the token check, so that a flood
		// of forged tokens costs no signature checks.
		if !g.allow(w, r, "ip:"+rt.Class+":"+clientIP, limits.IP) {
			return
		}
	}
	var p auth.Principal
	var ok bool
	if rt == nil || !rt.ClientAuth || isBearer(r.Header.Get("Authorization")) {
		var err error
		if p, ok, err = auth.Authenticate(r, g.verifier); err != nil {
			auth.WriteChallenge(w, r, err)
			return
		}
	}
	// The request is copied once, in serve, with everything its context
	// needs: each copy is an allocation of the whole request.
	ctx := r.Context()
	if ok {
		ctx = auth.WithPrincipal(ctx, p)
	}
	if rt == nil {
		g.local.ServeHTTP(w, r.WithContext(ctx))
		return
	}
	if !g.permit(w, r, rt.Rule(r.Method), p, ok) {
		return
	}
	if ok {
		who := p.ClientID
		if who == "" {
			who = p.Subject
		}
		if !g.allow(w, r, "client:"+rt.Class+":"+who, limits.Client) {
			return
		}
	}
	timeout := rt.Timeout
	if timeout == 0 {
		timeout = g.cfg.Timeout
	}
	if rt.NoRetry {
		ctx = context.WithValue(ctx, noRetryKey{}, true)
	}
	g.upstreams[rt.Service].serve(ctx, w, r, timeout)
}

// isBearer reports whether an Authorization header value is of the Bearer
// scheme (case-insensitive, RFC 9110 §11.1).
func isBearer(h string) bool {
	scheme, _, _ := strings.Cut(h, " ")
	return strings.EqualFold(scheme, "Bearer")
}

// noRetryKey marks a request of a NoRetry route for the transport.
type noRetryKey struct{}

// permit enforces the route's access rule: 401 with a Bearer challenge
// when a token is needed and missing, 403 when a scope or role is.
func (g *Gateway) permit(w http.ResponseWriter, r *http.Request, a Access, p auth.Principal, authenticated bool) bool {
	if !authenticated {
		if a.Anonymous {
			return true
		}
		challenge := `Bearer realm="cdlc"`
		if len(a.Scopes) > 0 {
			challenge += `, scope="` + strings.Join(a.Scopes, " ") + `"`
		}
		w.Header().Set("WWW-Authenticate", challenge)
		httpx.WriteProblem(w, r, errs.Unauthorized("%s %s needs a bearer token", r.Method, r.URL.Path))
		return false
	}
	for _, s := range a.Scopes {
		if !p.Has(s) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cdlc", error="insufficient_scope", scope="`+strings.Join(a.Scopes, " ")+`"`)
			httpx.WriteProblem(w, r, errs.Forbidden("the token lacks scope %s", s))
			return false
		}
	}
	if len(a.Roles) == 0 {
		return true
	}
	for _, role := range a.Roles {
		if p.HasRole(role) {
			return true
		}
	}
	httpx.WriteProblem(w, r, errs.Forbidden("%s %s needs role %s", r.Method, r.URL.Path, strings.Join(a.Roles, " or ")))
	return false
}

// allow draws from one bucket; a refusal answers 429 with Retry-After. The
// RateLimit-* headers (IETF draft) tell the caller where it stands. When
// the shared store fails, the request passes: an outage of Redis must not
// become an outage of the platform.
func (g *Gateway) allow(w http.ResponseWriter, r *http.Request, key string, l Limit) bool {
	if l.Rate <= 0 {
		return true
	}
	d, err := g.limiter.Allow(r.Context(), key, l)
	if err != nil {
		g.log.WarnContext(r.Context(), "rate limiter unavailable; letting the request through", "err", err)
		return true
	}
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(d.ResetAfter)))
	if d.Allowed {
		return true
	}
	httpx.WriteProblem(w, r, &httpx.Problem{
		Type: "urn:cdlc:problem:" + string(errs.KindTooMany), Title: http.StatusText(http.StatusTooManyRequests),
		Status: http.StatusTooManyRequests, RetryAfter: max(ceilSeconds(d.RetryAfter), 1),
		Detail:    "too many requests; retry after the time in Retry-After",
		RequestID: telemetry.RequestID(r.Context()),
	})
	return false
}

func ceilSeconds(d time.Duration) int { return int(math.Ceil(d.Seconds())) }

// forwardedHeaders are believed only from trusted proxies.
var forwardedHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto",
	"X-Forwarded-Port", "X-Forwarded-Prefix", "X-Real-Ip"}

// sanitize drops the headers a client could use to pose as someone else —
// every X-Cdlc-* header, and the X-Forwarded-* family unless the direct
// peer is a trusted proxy — and returns the client's address and whether
// the client's connection is TLS.
func (g *Gateway) sanitize(r *http.Request) (clientIP string, viaTLS bool) {
	for k := range r.Header {
		if len(k) > 7 && strings.EqualFold(k[:7], "X-Cdlc-") {
			delete(r.Header, k)
		}
	}
	peer := remoteAddr(r.RemoteAddr)
	viaTLS = r.TLS != nil
	if !g.isTrusted(peer) {
		for _, h := range forwardedHeaders {
			r.Header.Del(h)
		}
		return peer.String(), viaTLS
	}
	if strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		viaTLS = true
	}
	// The client is the right-most address that is not one of ours.
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !g.isTrusted(a.Unmap()) {
			return a.Unmap().String(), viaTLS
		}
		peer = a.Unmap()
	}
	return peer.String(), viaTLS
}

func remoteAddr(s string) netip.Addr {
	host, _, err := net.SplitHostPort(s)
	if err != nil {
		host = s
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.IPv4Unspecified()
	}
	return a.Unmap()
}

func (g *Gateway) isTrusted(a netip.Addr) bool {
	for _, p := range g.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// securityHeaders are set on every response. The API docs page loads its
// viewer from a CDN, so it alone goes without the CSP.
func (g *Gateway) securityHeaders(w http.ResponseWriter, r *http.Request, viaTLS bool) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	if g.cfg.ContentSecurityPolicy != "" && r.URL.Path != "/docs" {
		h.Set("Content-Security-Policy", g.cfg.ContentSecurityPolicy)
	}
	if viaTLS && g.hsts != "" {
		h.Set("Strict-Transport-Security", g.hsts)
	}
}

// upstream is one service behind the gateway.
type upstream struct {
	name      string
	inProcess bool
	local     http.Handler
	proxy     http.Handler
	breaker   *resilience.Breaker
}

// serve carries r to the service, with ctx (r's, with the principal).
func (u *upstream) serve(ctx context.Context, w http.ResponseWriter, r *http.Request, timeout time.Duration) {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	if u.proxy != nil && !u.inProcess {
		// The response's headers so far are the edge's (request id, CORS,
		// security, rate limits): the proxy drops the upstream's copies.
		ctx = context.WithValue(ctx, edgeHeaderKey{}, w.Header())
	}
	r = r.WithContext(ctx)
	switch {
	case u.inProcess:
		u.serveInProcess(w, r)
	case u.proxy != nil:
		u.proxy.ServeHTTP(w, r)
	default:
		httpx.WriteProblem(w, r, errs.Unavailable(nil, "the %s service is not deployed behind this gateway (set peers.%s)", u.name, u.name))
	}
}

// serveInProcess calls the service's handler directly, the principal in the
// context; no retries (there is no network to fail), but the breaker still
// counts its 5xx answers so that a service whose store is down is given
// room to recover.
func (u *upstream) serveInProcess(w http.ResponseWriter, r *http.Request) {
	rec := &httpx.StatusRecorder{ResponseWriter: w}
	err := u.breaker.Execute(r.Context(), func(ctx context.Context) error {
		u.local.ServeHTTP(rec, r)
		return upstreamFailure(ctx, rec.Status)
	})
	if err != nil && rec.Status == 0 {
		writeUpstreamError(w, r, u.name, err)
	}
}

// upstreamFailure is what the breaker is told of an answer with status
// code: context.Canceled when the caller hung up meanwhile, whatever the
// answer (a service whose store call was cut short by the hang-up answers
// 499 or 5xx; neither says anything about the service, and the breaker
// counts a cancelled call as neither success nor failure); else a
// statusError, which counts, for a 5xx, and nil for the rest.
func upstreamFailure(ctx context.Context, code int) error {
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		return ctx.Err()
	case code >= 500:
		return statusError(code)
	}
	return nil
}

// statusError is a 5xx answer, counted against the upstream.
type statusError int

func (e statusError) Error() string { return "upstream answered " + strconv.Itoa(int(e)) }

// isUpstreamFailure counts 5xx answers, timeouts and transport errors; a
// caller that went away says nothing about the upstream.
func isUpstreamFailure(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	return true
}

// writeUpstreamError answers for an upstream that could not: 503 with
// Retry-After for an open breaker, 504 for a timeout, 502 otherwise.
func writeUpstreamError(w http.ResponseWriter, r *http.Request, name string, err error) {
	if httpx.ClientGone(r.Context()) {
		return // the caller is gone; the access log records a 499
	}
	p := &httpx.Problem{RequestID: telemetry.RequestID(r.Context())}
	switch d, open := resilience.RetryAfter(err); {
	case open:
		p.Status, p.RetryAfter = http.StatusServiceUnavailable, max(ceilSeconds(d), 1)
		p.Detail = fmt.Sprintf("the %s service is unavailable (circuit open); retry after the time in Retry-After", name)
	case errors.Is(err, context.DeadlineExceeded):
		p.Status = http.StatusGatewayTimeout
		p.Detail = fmt.Sprintf("the %s service did not answer in time", name)
	default:
		p.Status = http.StatusBadGateway
		p.Detail = fmt.Sprintf("the %s service could not be reached", name)
	}
	p.Title = http.StatusText(p.Status)
	p.Type = "urn:cdlc:problem:" + string(errs.KindUnavailable)
	httpx.WriteProblem(w, r, p)
}
