package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/customer/httpapi"
)

// committedOpenAPI is the copy of the document the web app's API types
// are generated from.
var committedOpenAPI = filepath.Join("..", "..", "web", "src", "api", "openapi.json")

// TestCommittedOpenAPIIsCurrent fails when the API changed and the web
// app's copy of the document (and so its generated types) did not.
func TestCommittedOpenAPIIsCurrent(t *testing.T) {
	code, served, stderr := runCmd(t, context.Background(), "openapi")
	require.Equal(t, 0, code, stderr)
	require.Empty(t, stderr, "cdlc openapi writes the document and nothing else")
	committed, err := os.ReadFile(committedOpenAPI)
	require.NoError(t, err)
	// The version is the build's (git describe under make build), not the API's.
	differ := openAPIDifferences(t, []byte(served), committed)
	require.Empty(t, differ, "web/src/api/openapi.json differs from what target all serves at /openapi.json "+
		"(in the parts listed): run `make openapi` (cdlc openapi, then openapi-typescript) and commit web/src/api")
}

// TestOpenAPIPublishesTheAvatarPresets: the web app's avatar picker is
// typed by this enum, so it must be the list the service accepts.
func TestOpenAPIPublishesTheAvatarPresets(t *testing.T) {
	code, served, stderr := runCmd(t, context.Background(), "openapi")
	require.Equal(t, 0, code, stderr)
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Enum []string `json:"enum"`
			} `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal([]byte(served), &doc))
	require.Equal(t, customer.Avatars, doc.Components.Schemas[httpapi.AvatarPresetSchema].Enum)
	for _, a := range customer.Avatars {
		_, err := customer.CleanAvatar("avatar", a)
		require.NoError(t, err, a)
	}
}

// openAPIDifferences names the parts of two OpenAPI documents that differ
// (each path, each schema, each other top-level member), ignoring
// info.version; a short list instead of a diff of the whole document.
func openAPIDifferences(t *testing.T, a, b []byte) []string {
	t.Helper()
	parts := func(doc []byte) map[string]string {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(doc, &m))
		out := map[string]string{}
		for k, v := range m {
			var sub map[string]json.RawMessage
			switch k {
			case "paths":
				require.NoError(t, json.Unmarshal(v, &sub))
			case "components":
				var c map[string]json.RawMessage
				require.NoError(t, json.Unmarshal(v, &c))
				for ck, cv := range c {
					if ck != "schemas" {
						out["components."+ck] = compact(t, cv)
					}
				}
				require.NoError(t, json.Unmarshal(c["schemas"], &sub))
				k = "components.schemas"
			case "info":
				var info map[string]any
				require.NoError(t, json.Unmarshal(v, &info))
				delete(info, "version")
				raw, err := json.Marshal(info)
				require.NoError(t, err)
				out[k] = string(raw)
				continue
			default:
				out[k] = compact(t, v)
				continue
			}
			for sk, sv := range sub {
				out[k+" "+sk] = compact(t, sv)
			}
		}
		return out
	}
	pa, pb := parts(a), parts(b)
	var differ []string
	for k, v := range pa {
		if pb[k] != v {
			differ = append(differ, k)
		}
	}
	for k := range pb {
		if _, ok := pa[k]; !ok {
			differ = append(differ, k)
		}
	}
	sort.Strings(differ)
	return differ
}

// compact re-encodes JSON so that formatting does not count as a change.
func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	require.NoError(t, json.Unmarshal(raw, &v))
	out, err := json.Marshal(v)
	require.NoError(t, err)
	return string(out)
}
