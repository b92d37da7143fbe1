package httpx_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/danielgtaylor/huma/v2"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/httpx"
)

type renderedIn struct {
	IfNoneMatch string `header:"If-None-Match"`
}

// renderedOut is how a service answers a rendering: its own Status and
// Body, the shared headers embedded, and a header of its own.
type renderedOut struct {
	Status int
	httpx.RenderedHeaders
	Extra string `header:"X-Extra"`
	Body  []byte
}

func TestConditionalAnswers304OnIfNoneMatch(t *testing.T) {
	body := []byte(`{"id":"a"}`)
	etag := httpx.ContentETag(4, body)
	mux := http.NewServeMux()
	api := httpx.NewAPI(mux, "test", "1")
	huma.Register(api, huma.Operation{
		OperationID: "rendered", Method: http.MethodGet, Path: "/rendered",
		Responses: httpx.JSONResponses(api, httpx.TypeOf[struct {
			ID string `json:"id"`
		}](), "A rendering"),
	}, func(_ context.Context, in *renderedIn) (*renderedOut, error) {
		out := &renderedOut{Extra: "kept"}
		out.Status, out.RenderedHeaders, out.Body = httpx.Conditional(in.IfNoneMatch, etag, body, "public, max-age=60")
		return out, nil
	})

	for _, tc := range []struct {
		name, ifNoneMatch string
		status            int
	}{
		{"no header", "", 200},
		{"another tag", `"3-000000000000"`, 200},
		{"the tag", etag, 304},
		{"weak", "W/" + etag, 304},
		{"in a list", `"1-abc", ` + etag, 304},
		{"any", "*", 304},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.ifNoneMatch != "" {
				hdr = []string{"If-None-Match", tc.ifNoneMatch}
			}
			res := do(t, mux, "GET", "/rendered", "", hdr...)
			got, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			require.Equal(t, tc.status, res.StatusCode)
			require.Equal(t, etag, res.Header.Get("ETag"))
			require.Equal(t, "public, max-age=60", res.Header.Get("Cache-Control"))
			require.Equal(t, "kept", res.Header.Get("X-Extra"))
			if tc.status == 304 {
				require.Empty(t, got)
				return
			}
			require.Equal(t, "application/json", res.Header.Get("Content-Type"))
			require.Equal(t, body, got)
		})
	}
}

// TestOneETagFormat: a write's ETag and a rendering's name the version the
// same way, and If-Match reads it from both (and from the "v3" of older
// releases).
func TestOneETagFormat(t *testing.T) {
	require.Equal(t, `"3"`, httpx.ETag(3))
	tag := httpx.ContentETag(3, []byte("x"))
	require.Regexp(t, `^"3-[0-9a-f]{12}"$`, tag)
	require.Equal(t, tag, httpx.ContentETag(3, []byte("x")))
	require.NotEqual(t, tag, httpx.ContentETag(3, []byte("y")))
	for _, h := range []string{httpx.ETag(3), tag, "W/" + tag, `"v3"`} {
		v, err := httpx.IfMatchVersion(h, 1)
		require.NoError(t, err, h)
		require.Equal(t, int64(3), *v, h)
	}
}
