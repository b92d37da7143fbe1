package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor/httpapi"
	"github.com/cdlc/cdlc/internal/platform/catalogid"
	"github.com/cdlc/cdlc/internal/platform/httpx"
)

// TestPathIDsCarryCatalogPatterns: the id parameters are checked, and
// documented, with the patterns of package catalogid; a bad id never
// reaches the service (there is none here).
func TestPathIDsCarryCatalogPatterns(t *testing.T) {
	mux := http.NewServeMux()
	api := httpx.NewAPI(mux, "test", "1")
	httpapi.Register(api, nil)

	for _, path := range []string{"/api/v1/people/xyz", "/api/v1/people/tt0068646/credits", "/api/v1/titles/nm0000199/credits"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		require.Equal(t, http.StatusBadRequest, rec.Code, "%s: %s", path, rec.Body)
		require.Contains(t, rec.Body.String(), "path.id", path)
	}

	params := map[string]string{}
	for _, item := range api.OpenAPI().Paths {
		for _, op := range []any{item.Get, item.Put, item.Delete, item.Post} {
			b, err := json.Marshal(op)
			require.NoError(t, err)
			var o struct {
				OperationID string `json:"operationId"`
				Parameters  []struct {
					Name   string `json:"name"`
					In     string `json:"in"`
					Schema struct {
						Pattern string `json:"pattern"`
					} `json:"schema"`
				} `json:"parameters"`
			}
			require.NoError(t, json.Unmarshal(b, &o))
			for _, p := range o.Parameters {
				if p.In == "path" {
					params[o.OperationID+" "+p.Name] = p.Schema.Pattern
				}
			}
		}
	}
	require.Equal(t, catalogid.PersonPattern, params["person-get id"])
	for k, pattern := range params {
		require.Contains(t, []string{catalogid.PersonPattern, catalogid.TitlePattern}, pattern, k)
	}
}
