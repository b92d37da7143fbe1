package httpx

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Conditional requests, shared by every service: ETags name a version
// ("3", "v3", or "3-<hash>" for a rendering of version 3), If-None-Match
// answers 304, If-Match guards writes with optimistic concurrency.

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
// a read or a write, weak or strong, with or without a "v" prefix. It is
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
