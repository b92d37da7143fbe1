package httpx

import (
	"net/http"

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
	return humago.New(mux, cfg)
}
