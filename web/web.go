// Package web serves the single-page web app built into web/dist by
// `make web` (Vite), embedded in the binary with go:embed.
//
// A fresh clone has no build, only the committed dist/placeholder.html; the
// binary then still builds and serves a page that says how to build the app.
package web

import (
	"embed"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed all:dist
var dist embed.FS

// Reserved are the path prefixes that belong to the platform's services,
// never to the app: a request there that no service answered is a 404
// problem, not the app's index.html.
var Reserved = []string{
	"/api/", "/oauth2/", "/id/", "/.well-known/", "/admin/",
	"/docs", "/openapi", "/schemas/", "/healthz", "/readyz", "/metrics",
}

const (
	indexFile       = "index.html"
	placeholderFile = "placeholder.html"
	// Vite names what it writes under assets/ by content hash, so these
	// never change under their name.
	assetsDir = "assets/"
)

// Handler serves the embedded app; notFound answers what is not the app's
// (reserved paths, other methods, missing assets).
func Handler(notFound http.Handler) http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return New(sub, notFound)
}

// New serves the app in fsys (the contents of a Vite build): the file at the
// path when there is one, else index.html (client-side routes). Hashed
// assets are cached for a year, index.html is revalidated every time, and a
// precompressed .br or .gz sibling is sent when the client accepts it.
func New(fsys fs.FS, notFound http.Handler) http.Handler {
	index := indexFile
	if _, err := fs.Stat(fsys, indexFile); err != nil {
		index = placeholderFile
	}
	return &handler{fsys: fsys, index: index, notFound: notFound}
}

// Built reports whether fsys holds a built app rather than the placeholder.
func Built() bool {
	_, err := fs.Stat(dist, "dist/"+indexFile)
	return err == nil
}

type handler struct {
	fsys     fs.FS
	index    string
	notFound http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.notFound.ServeHTTP(w, r)
		return
	}
	p := r.URL.Path
	for _, prefix := range Reserved {
		if strings.HasPrefix(p, prefix) {
			h.notFound.ServeHTTP(w, r)
			return
		}
	}
	name := strings.TrimPrefix(path.Clean("/"+p), "/")
	if name == "" || name == indexFile || name == placeholderFile {
		h.serveIndex(w, r)
		return
	}
	if st, err := fs.Stat(h.fsys, name); err == nil && !st.IsDir() && !isCompressed(name) {
		if strings.HasPrefix(name, assetsDir) {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "public, max-age=3600")
		}
		h.serveFile(w, r, name)
		return
	}
	if strings.HasPrefix(name, assetsDir) || path.Ext(name) != "" {
		// A missing file (an old asset hash after a deploy, a typo) is a 404:
		// index.html in its place would fail as a script with a confusing error.
		h.notFound.ServeHTTP(w, r)
		return
	}
	h.serveIndex(w, r)
}

func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-cache")
	h.serveFile(w, r, h.index)
}

// serveFile sends name, or its precompressed sibling when the client
// accepts that encoding. http.ServeContent handles ranges, HEAD and
// If-Modified-Since (embedded files have no modification time, so no
// Last-Modified is sent; index.html is small and revalidated by no-cache).
func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Add("Vary", "Accept-Encoding")
	file := name
	for _, enc := range []struct{ token, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
		if !accepts(r.Header.Get("Accept-Encoding"), enc.token) {
			continue
		}
		if _, err := fs.Stat(h.fsys, name+enc.ext); err == nil {
			file = name + enc.ext
			w.Header().Set("Content-Encoding", enc.token)
			break
		}
	}
	f, err := h.fsys.Open(file)
	if err != nil {
		h.notFound.ServeHTTP(w, r)
		return
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		http.Error(w, "embedded file not seekable", http.StatusInternalServerError)
		return
	}
	http.ServeContent(w, r, "", time.Time{}, rs)
}

func isCompressed(name string) bool {
	return strings.HasSuffix(name, ".br") || strings.HasSuffix(name, ".gz")
}

// accepts reports whether an Accept-Encoding header allows token (q=0
// refuses it).
func accepts(header, token string) bool {
	for _, part := range strings.Split(header, ",") {
		enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(enc), token) {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
