package httpx

import (
	"net/http"
	"path"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
)

// NewAPI returns the process's REST API on mux. Services register their
// operations on it with huma.Register; huma validates input against the Go
// types and generates the OpenAPI 3.1 document served at /openapi.json and
// /openapi.yaml, with a reference page at /docs.
//
// We chose huma because the OpenAPI document is derived from the handlers'
// own types (it cannot drift), it speaks RFC 9457 problems natively, and it
// rides on the standard library's ServeMux instead of its own router.
func NewAPI(mux *http.ServeMux, title, version string) huma.API {
	cfg := huma.DefaultConfig(title, version)
	cfg.Info.Description = "The cdlc platform API. Errors are RFC 9457 problem details (application/problem+json)."
	cfg.OpenAPIPath = "/openapi"
	cfg.DocsPath = "/docs"
	cfg.SchemasPath = "/schemas"
	// Responses need no $schema link back to the server.
	cfg.CreateHooks = nil
	cfg.Components.Schemas = huma.NewMapRegistry("#/components/schemas/", uniqueNames(schemaName))
	return humago.New(mux, cfg)
}

// schemaName names a Go type's schema in the shared OpenAPI document. Every
// service registers on one API, and two domains may both have an Image: a
// domain type is named after its package too (InventoryImage, ActorImage).
// Request and response wrappers of the httpapi packages keep huma's names.
func schemaName(t reflect.Type, hint string) string {
	name := huma.DefaultSchemaNamer(t, hint)
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	pkg := t.PkgPath()
	if !strings.HasPrefix(pkg, "github.com/cdlc/cdlc/") || t.Name() == "" {
		return name
	}
	base := path.Base(pkg)
	if base == "httpapi" || strings.HasPrefix(strings.ToLower(name), base) {
		return name
	}
	return strings.ToUpper(base[:1]) + base[1:] + name
}

// uniqueNames keeps schema names unique across services: an unnamed body
// struct is named after its wrapper (SearchOutBody), and two services may
// both have one. The second gets a numbered name instead of a panic.
func uniqueNames(namer func(reflect.Type, string) string) func(reflect.Type, string) string {
	var mu sync.Mutex
	seen := map[string]reflect.Type{}
	return func(t reflect.Type, hint string) string {
		mu.Lock()
		defer mu.Unlock()
		base := namer(t, hint)
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		name := base
		for i := 2; ; i++ {
			prev, taken := seen[name]
			if !taken || prev == t {
				break
			}
			name = base + strconv.Itoa(i)
		}
		seen[name] = t
		return name
	}
}
