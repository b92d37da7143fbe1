package gateway

import (
	"net/http"
	"time"
)

// Access is what a request must carry to pass the edge.
type Access struct {
	// Anonymous lets requests without a token through (a token, when sent,
	// is still verified).
	Anonymous bool
	// Scopes must all be held.
	Scopes []string
	// Roles: at least one must be held, when any are listed.
	Roles []string
}

// Route sends the requests matching Path to one upstream service.
type Route struct {
	// Path is an http.ServeMux path pattern (no method): "/api/v1/titles/"
	// matches the subtree, "/api/v1/titles/{id}/credits" one path.
	Path string
	// Service is the target name of the upstream ("inventory"); in-process
	// when that target runs here, else proxied to peers.<service>.
	Service string
	// Read applies to GET, HEAD and OPTIONS; Write to every other method.
	Read, Write Access
	// Class picks the rate limits (ClassDefault, ClassToken, ClassLogin).
	Class string
	// Timeout bounds the upstream call; 0 means Config.Timeout, negative
	// means none (long polls and streams, bounded by the server's write
	// timeout).
	Timeout time.Duration
	// ClientAuth marks the provider's protocol endpoints, where the
	// Authorization header may carry OAuth client authentication (HTTP
	// Basic client_id:client_secret, RFC 6749 §2.3.1) rather than a bearer
	// token: such a header passes to the upstream untouched, which checks
	// it. A bearer token there is still verified at the edge.
	ClientAuth bool
	// NoRetry marks reads that are not safe to repeat: the protocol
	// endpoints and pages of the provider, whose GETs start logins, consume
	// codes or set cookies. Other reads (GET, HEAD, OPTIONS) are retried
	// when a remote upstream answers 502, 503 or 504 or cannot be reached;
	// writes never are.
	NoRetry bool
}

// access returns the rule for r's method.
func (rt *Route) access(method string) Access {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return rt.Read
	}
	return rt.Write
}

var (
	public      = Access{Anonymous: true}
	catalogEdit = Access{Scopes: []string{"catalog:write"}}
	account     = Access{Scopes: []string{"account"}}
	operators   = Access{Roles: []string{"operator", "admin"}}
)

// subtree is a route for base and everything below it.
func subtree(base, service string, read, write Access) []Route {
	return []Route{
		{Path: base, Service: service, Read: read, Write: write},
		{Path: base + "/", Service: service, Read: read, Write: write},
	}
}

// Routes is the gateway's one route table: every public path of every
// service, which target serves it, and what a caller needs. Paths not in
// the table (probes, /metrics, /docs, /openapi.json, the web app, gRPC
// between services) are served by the process itself.
func Routes() []Route {
	var rs []Route
	add := func(r ...Route) { rs = append(rs, r...) }

	// auth: the OpenID provider. Its protocol endpoints authenticate their
	// callers themselves (client credentials, cookies, PKCE).
	add(Route{Path: "/.well-known/openid-configuration", Service: "auth", Read: public, Write: public})
	add(Route{Path: "/oauth2/", Service: "auth", Read: public, Write: public, ClientAuth: true, NoRetry: true})
	add(Route{Path: "/oauth2/keys", Service: "auth", Read: public, Write: public})
	add(Route{Path: "/oauth2/token", Service: "auth", Read: public, Write: public, Class: ClassToken, ClientAuth: true, NoRetry: true})
	add(Route{Path: "/oauth2/device_authorization", Service: "auth", Read: public, Write: public, Class: ClassToken, ClientAuth: true, NoRetry: true})
	add(Route{Path: "/id/", Service: "auth", Read: public, Write: public, NoRetry: true})
	for _, p := range []string{"/id/login", "/id/register", "/id/reset-password", "/id/device"} {
		add(Route{Path: p, Service: "auth", Read: public, Write: public, Class: ClassLogin, NoRetry: true})
	}
	add(subtree("/api/v1/auth", "auth", operators, operators)...)

	// customer: every call acts on the caller's own account.
	add(subtree("/api/v1/account", "customer", account, account)...)

	// inventory: the catalog reads are public, edits need catalog:write.
	add(subtree("/api/v1/titles", "inventory", public, catalogEdit)...)
	add(subtree("/api/v1/discover/titles", "inventory", public, catalogEdit)...)
	add(subtree("/api/v1/search/titles", "inventory", public, catalogEdit)...)
	add(subtree("/api/v1/search/multi", "inventory", public, catalogEdit)...)
	add(subtree("/api/v1/genres", "inventory", public, catalogEdit)...)

	// actor: people and credits, including a title's credits.
	add(subtree("/api/v1/people", "actor", public, catalogEdit)...)
	add(subtree("/api/v1/credits", "actor", public, catalogEdit)...)
	add(subtree("/api/v1/titles/{id}/credits", "actor", public, catalogEdit)...)
	add(subtree("/api/v1/search/people", "actor", public, catalogEdit)...)

	// config: the configurations server (its watch is a long poll).
	for _, r := range subtree("/api/v1/config", "config",
		Access{Scopes: []string{"config:read"}}, Access{Scopes: []string{"config:write"}}) {
		r.Timeout = -1
		add(r)
	}
	for i := range rs {
		if rs[i].Class == "" {
			rs[i].Class = ClassDefault
		}
	}
	return rs
}
