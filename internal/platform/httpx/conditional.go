package httpx

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Conditional requests, shared by every service: ETags name a version
// ("3" after a write, "3-<hash>" for a rendering of version 3), If-None-Match
// answers 304, If-Match guards writes with optimistic concurrency.

// ETag is the ETag of version v of a resource, as a write answers it: "3".
func ETag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// ContentETag is the ETag of a rendering of version v (0 for a rendering
// of no single version): "3-<hash of body>". The same content has the same
// tag on every instance, and If-Match reads the version in it.
func ContentETag(v int64, body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + strconv.FormatInt(v, 10) + "-" + hex.EncodeToString(sum[:6]) + `"`
}

// RenderedHeaders are the headers of a rendered response; an output type
// embeds them (huma finds headers in embedded structs) beside its own
// Status and Body, which huma wants at the top level.
type RenderedHeaders struct {
	ETag         string `header:"ETag"`
	CacheControl string `header:"Cache-Control"`
	ContentType  string `header:"Content-Type"`
}

// Conditional answers a rendered JSON body with its ETag: 200 with the
// body, or 304 without it when If-None-Match names the ETag.
func Conditional(ifNoneMatch, etag string, body []byte, cacheControl string) (status int, h RenderedHeaders, out []byte) {
	h = RenderedHeaders{ETag: etag, CacheControl: cacheControl}
	if ETagMatches(ifNoneMatch, etag) {
		return http.StatusNotModified, h, nil
	}
	h.ContentType = "application/json"
	return http.StatusOK, h, body
}

// ETagMatches reports whether an If-None-Match header names etag (or *).
func ETagMatches(ifNoneMatch, etag string) bool {
	if ifNoneMatch == "" {
		return false
	}
	for _, t := range strings.Split(ifNoneMatch, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// IfMatchVersion reads the version an If-Match header names: the ETag of
// a read or a write, weak or strong (a "v" prefix, which older releases
// wrote, is still accepted). It is
// nil when the header is absent; a version below min, or anything that is
// not a version, is an Invalid error on header.If-Match.
func IfMatchVersion(header string, min int64) (*int64, error) {
	if header == "" {
		return nil, nil
	}
	t := strings.Trim(strings.TrimPrefix(strings.TrimSpace(header), "W/"), `"`)
	t, _, _ = strings.Cut(strings.TrimPrefix(t, "v"), "-")
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v < min {
		return nil, errs.Invalid("header.If-Match", "must be the ETag of a read of this resource, such as \"3\"; got %q", header)
	}
	return &v, nil
}

// JSONResponses documents an operation that writes pre-encoded JSON of
// type t (the cached renderings), and its 304.
func JSONResponses(api huma.API, t reflect.Type, what string) map[string]*huma.Response {
	return map[string]*huma.Response{
		"200": {Description: what, Content: map[string]*huma.MediaType{
			"application/json": {Schema: api.OpenAPI().Components.Schemas.Schema(t, true, "")},
		}},
		"304": {Description: "Not modified since the ETag given in If-None-Match"},
	}
}

// TypeOf is the reflect.Type of T, for schemas of hand-written responses.
func TypeOf[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }
