package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/web"
)

var notFound = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(http.StatusNotFound)
	_, _ = io.WriteString(w, `{"status":404}`)
})

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := zw.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return b.Bytes()
}

func built(t testing.TB) fstest.MapFS {
	return fstest.MapFS{
		"index.html":                {Data: []byte("<html>app</html>")},
		"favicon.svg":               {Data: []byte("<svg/>")},
		"assets/index-abc123.js":    {Data: []byte("console.log('app')")},
		"assets/index-abc123.js.gz": {Data: gz(t, "console.log('app')")},
		"placeholder.html":          {Data: []byte("run make web")},
	}
}

func get(h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestHandler(t *testing.T) {
	h := web.New(built(t), notFound)
	tests := []struct {
		name, method, target string
		status               int
		body, cache          string
	}{
		{"root is the app", "GET", "/", 200, "<html>app</html>", "no-cache"},
		{"client-side route falls back to index.html", "GET", "/title/tt0068646", 200, "<html>app</html>", "no-cache"},
		{"auth callback is the app's", "GET", "/auth/callback?code=x&state=y", 200, "<html>app</html>", "no-cache"},
		{"HEAD works too", "HEAD", "/search", 200, "", "no-cache"},
		{"hashed asset is immutable", "GET", "/assets/index-abc123.js", 200, "console.log('app')", "public, max-age=31536000, immutable"},
		{"other static file", "GET", "/favicon.svg", 200, "<svg/>", "public, max-age=3600"},
		{"missing asset is 404, not index.html", "GET", "/assets/index-old.js", 404, `{"status":404}`, ""},
		{"missing file with an extension is 404", "GET", "/robots.txt", 404, `{"status":404}`, ""},
		{"unknown API path is the API's 404", "GET", "/api/v1/nope", 404, `{"status":404}`, ""},
		{"provider paths are not the app's", "GET", "/.well-known/openid-configuration", 404, `{"status":404}`, ""},
		{"login pages are not the app's", "GET", "/id/login", 404, `{"status":404}`, ""},
		{"probes are not the app's", "GET", "/readyz/x", 404, `{"status":404}`, ""},
		{"POST is not the app's", "POST", "/", 404, `{"status":404}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := get(h, tt.method, tt.target)
			require.Equal(t, tt.status, w.Code)
			require.Equal(t, tt.body, w.Body.String())
			require.Equal(t, tt.cache, w.Header().Get("Cache-Control"))
		})
	}
}

func TestPrecompressed(t *testing.T) {
	h := web.New(built(t), notFound)

	w := get(h, "GET", "/assets/index-abc123.js", "Accept-Encoding", "br, gzip")
	require.Equal(t, 200, w.Code)
	require.Equal(t, "gzip", w.Header().Get("Content-Encoding"))
	require.Contains(t, w.Header().Get("Content-Type"), "javascript")
	require.Equal(t, "Accept-Encoding", w.Header().Get("Vary"))
	zr, err := gzip.NewReader(w.Body)
	require.NoError(t, err)
	plain, err := io.ReadAll(zr)
	require.NoError(t, err)
	require.Equal(t, "console.log('app')", string(plain))

	w = get(h, "GET", "/assets/index-abc123.js", "Accept-Encoding", "gzip;q=0")
	require.Empty(t, w.Header().Get("Content-Encoding"))
	require.Equal(t, "console.log('app')", w.Body.String())

	// The compressed siblings are not served under their own name.
	require.Equal(t, 404, get(h, "GET", "/assets/index-abc123.js.gz").Code)
}

func TestPlaceholderWithoutBuild(t *testing.T) {
	h := web.New(fstest.MapFS{"placeholder.html": {Data: []byte("run make web")}}, notFound)
	for _, target := range []string{"/", "/title/tt1", "/index.html"} {
		w := get(h, "GET", target)
		require.Equal(t, 200, w.Code, target)
		require.Equal(t, "run make web", w.Body.String(), target)
	}
	require.Equal(t, 404, get(h, "GET", "/api/v1/x").Code)
}

// The embedded build (or placeholder) is always there: a fresh clone builds
// and serves a page.
func TestEmbedded(t *testing.T) {
	w := get(web.Handler(notFound), "GET", "/")
	require.Equal(t, 200, w.Code)
	require.Contains(t, w.Header().Get("Content-Type"), "text/html")
	if !web.Built() {
		require.Contains(t, w.Body.String(), "make web")
	}
}
