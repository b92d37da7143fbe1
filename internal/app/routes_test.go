package app_test

import (
	"net/http/httptest"
	"regexp"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/app/apptest"
	"github.com/cdlc/cdlc/internal/gateway"
	"github.com/cdlc/cdlc/internal/platform/auth"
)

// Every operation the process publishes in /openapi.json has a gateway
// route, served by a service of the table that declares it: an unrouted
// path would skip the edge's scope checks and rate limits.
func TestEveryPublishedPathHasAGatewayRoute(t *testing.T) {
	i := apptest.Start(t, map[string]string{"target": "all"})
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	res := i.Do("GET", "/openapi.json", nil)
	require.Equal(t, 200, res.Status)
	res.JSON(t, &doc)
	require.NotEmpty(t, doc.Paths)

	g, err := gateway.New(gateway.Options{Config: gateway.Defaults(), Routes: app.Routes(), Verifier: &auth.Chain{}})
	require.NoError(t, err)
	var names []string
	for _, s := range i.App.Services() {
		names = append(names, s.Name)
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	for path, ops := range doc.Paths {
		concrete := param.ReplaceAllString(path, "x1")
		for method := range ops {
			switch method {
			case "get", "put", "post", "patch", "delete", "head", "options":
			default:
				continue
			}
			rt := g.Route(httptest.NewRequest(method, concrete, nil))
			require.NotNil(t, rt, "%s %s has no gateway route", method, path)
			require.Contains(t, names, rt.Service, "%s %s", method, path)
		}
	}
}

// The route table is derived from the service table: each route names the
// entry that declares it, and no path is declared twice.
func TestRoutesComeFromTheServiceTable(t *testing.T) {
	seen := map[string]string{}
	for _, r := range app.Routes() {
		require.NotEmpty(t, r.Service, r.Path)
		prev, dup := seen[r.Path]
		require.False(t, dup, "%s declared by %s and %s", r.Path, prev, r.Service)
		seen[r.Path] = r.Service
	}
	require.Equal(t, "inventory", seen["/api/v1/titles/"])
	require.Equal(t, "actor", seen["/api/v1/titles/{id}/credits"])
	require.True(t, slices.ContainsFunc(app.Routes(), func(r gateway.Route) bool { return r.Path == "/oauth2/token" && r.Class == gateway.ClassToken }))
}

// A method a path does not take is a 405 problem that lists the methods it
// does take, not a 404 (nor the web app).
func TestUnknownMethodIs405WithAllow(t *testing.T) {
	i := apptest.Start(t, map[string]string{"target": "all"})
	res := i.Do("PATCH", "/api/v1/search/titles?q=x", nil)
	require.Equal(t, 405, res.Status, string(res.Body))
	require.Equal(t, "application/problem+json", res.Header.Get("Content-Type"))
	require.Contains(t, res.Header.Get("Allow"), "GET")
	require.Contains(t, string(res.Body), "PATCH is not allowed")
	require.Equal(t, 404, i.Do("GET", "/api/v1/nowhere", nil).Status, "an unknown path stays a 404")
}
