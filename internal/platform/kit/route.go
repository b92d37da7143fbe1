package kit

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

// The access rules most routes use.
var (
	// Public lets anyone in.
	Public = Access{Anonymous: true}
	// Scoped needs every scope listed.
	Scoped = func(scopes ...string) Access { return Access{Scopes: scopes} }
	// Operators needs the operator or the admin role.
	Operators = Access{Roles: []string{"operator", "admin"}}
)

// Rate-limit classes of routes.
const (
	ClassDefault = "default"
	ClassToken   = "token"
	ClassLogin   = "login"
)

// Route sends the requests matching Path to one service, under an access
// rule. The gateway's route table is every service's Routes.
type Route struct {
	// Path is an http.ServeMux path pattern (no method): "/api/v1/titles/"
	// matches the subtree, "/api/v1/titles/{id}/credits" one path.
	Path string
	// Service is the target that serves it; in process when that target
	// runs here, else proxied to peers.<service>. The table fills it with
	// the entry's name.
	Service string
	// Read applies to GET, HEAD and OPTIONS; Write to every other method.
	Read, Write Access
	// Class picks the rate limits (ClassDefault, ClassToken, ClassLogin);
	// empty means ClassDefault.
	Class string
	// Timeout bounds the upstream call; 0 means the gateway's timeout,
	// negative means none (long polls and streams, bounded by the server's
	// write timeout).
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

// Rule returns the access rule for a request method.
func (rt *Route) Rule(method string) Access {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return rt.Read
	}
	return rt.Write
}

// Subtree is a route for base and everything below it.
func Subtree(base string, read, write Access) []Route {
	return []Route{
		{Path: base, Read: read, Write: write},
		{Path: base + "/", Read: read, Write: write},
	}
}

// Routes joins route lists.
func Routes(lists ...[]Route) []Route {
	var out []Route
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
