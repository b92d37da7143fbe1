package bench

import "net/http"

// The sanity floor: GET /healthz does no work beyond the server's
// middleware, so its ratio to the baseline is what the HTTP stack alone
// (router, request id, access log, metrics) costs.
func init() {
	Register(Scenario{
		Name:        "healthz",
		Description: "GET /healthz, the cost of the middleware alone",
		Build: func(env Env) Request {
			return Request{Method: http.MethodGet, URL: env.BaseURL + "/healthz"}
		},
		Status: http.StatusOK,
	})
}
