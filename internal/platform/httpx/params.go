package httpx

import (
	"slices"
	"strings"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// CommaList splits a comma-separated query value (ids=a,b, append=x,y):
// values are trimmed and empty ones dropped, so "a, b,," is [a b].
func CommaList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Appends reads a TMDB-style append parameter: a comma-separated list of
// the related resources to include in the response, each one of allowed.
// It returns them sorted and without repeats (a cache key that does not
// depend on how the caller spelled the list), or Invalid naming field
// (query.append) at the first unknown value.
func Appends(field, s string, allowed []string) ([]string, error) {
	out := CommaList(s)
	for _, v := range out {
		if !slices.Contains(allowed, v) {
			return nil, errs.Invalid(field, "unknown value %q; append takes %s", v, strings.Join(allowed, ", "))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}
