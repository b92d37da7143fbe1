// Package catalogid holds the shapes of the catalog's ids: titles (owned by
// the inventory service) and people (owned by the actor service). Both
// cross service boundaries: credits name titles, discover filters by
// people, the importer writes both. They live here rather than in their
// owners' domain packages because the inventory's domain imports the
// actor's (a title's credits), so the actor's domain cannot import the
// inventory's to check a title id; a leaf package both import keeps one
// copy without a cycle.
package catalogid

import "regexp"

// The patterns, for regular expressions and for OpenAPI schemas.
const (
	// TitlePattern: IMDb's "tt0068646" for titles that came from IMDb, "ct"
	// and a random base32 string for titles created here. Keeping IMDb's id
	// as ours makes re-imports idempotent without a lookup table and lets
	// users paste the ids they already know.
	TitlePattern = `^(tt[0-9]{7,10}|ct[0-9a-z]{10,16})$`
	// PersonPattern: IMDb's "nm0000199", or "cp" and a random base32
	// string for people created here.
	PersonPattern = `^(nm[0-9]{7,10}|cp[0-9a-z]{10,16})$`
	// IMDbTitlePattern is an IMDb title id.
	IMDbTitlePattern = `^tt[0-9]{7,10}$`
	// IMDbPersonPattern is an IMDb person id.
	IMDbPersonPattern = `^nm[0-9]{7,10}$`
)

// The compiled patterns.
var (
	Title      = regexp.MustCompile(TitlePattern)
	Person     = regexp.MustCompile(PersonPattern)
	IMDbTitle  = regexp.MustCompile(IMDbTitlePattern)
	IMDbPerson = regexp.MustCompile(IMDbPersonPattern)
)
