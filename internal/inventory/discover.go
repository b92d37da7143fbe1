package inventory

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Page sizes of discover.
const (
	DefaultLimit = 20
	MaxLimit     = 100
)

// DiscoverParams are discover's query parameters as given; Discover
// validates them, naming the parameter at fault.
type DiscoverParams struct {
	Kind          string
	Genre         string
	Year          string
	YearFrom      string
	YearTo        string
	DateFrom      string
	DateTo        string
	RatingMin     string
	RatingMax     string
	VotesMin      string
	Language      string
	OriginalLang  string
	Country       string
	Certification string
	RuntimeMin    string
	RuntimeMax    string
	WithPerson    string
	WithoutPerson string
	Sort          string
	Cursor        string
	Limit         string
}

// DiscoverPage is one page of discover.
type DiscoverPage struct {
	Results    []Listed `json:"results"`
	Limit      int      `json:"limit" doc:"The page size applied (at most 100)"`
	Sort       string   `json:"sort" doc:"The order applied, e.g. popularity.desc"`
	NextCursor string   `json:"next_cursor,omitempty" doc:"Pass as cursor for the next page; absent on the last page"`
}

func list(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func intParam(field, s string, lo, hi int) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo || n > hi {
		return 0, errs.Invalid(field, "must be an integer from %d to %d, got %q", lo, hi, s)
	}
	return n, nil
}

func floatParam(field, s string, lo, hi float64) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < lo || f > hi || f != f {
		return nil, errs.Invalid(field, "must be a number from %g to %g, got %q", lo, hi, s)
	}
	return &f, nil
}

// ParseDiscover validates p into a query (without resolving people).
func ParseDiscover(p DiscoverParams) (DiscoverQuery, error) {
	var q DiscoverQuery
	var err error
	for _, k := range list(p.Kind) {
		if !slices.Contains(Kinds, Kind(k)) {
			return q, errs.Invalid("query.kind", "unknown kind %q; kinds are %s", k, kindList())
		}
		q.Kinds = append(q.Kinds, Kind(k))
	}
	if g := strings.TrimSpace(p.Genre); g != "" {
		sep := ","
		q.AllGenres = true
		if strings.Contains(g, "|") {
			if strings.Contains(g, ",") {
				return q, errs.Invalid("query.genre", "use commas (every genre) or pipes (any genre), not both")
			}
			sep, q.AllGenres = "|", false
		}
		for _, x := range strings.Split(g, sep) {
			x = strings.ToLower(strings.TrimSpace(x))
			if !genrePattern.MatchString(x) {
				return q, errs.Invalid("query.genre", "%q is not a genre slug", x)
			}
			q.Genres = append(q.Genres, x)
		}
		if len(q.Genres) > 20 {
			return q, errs.Invalid("query.genre", "at most 20 genres")
		}
	}
	if p.Year != "" {
		if p.YearFrom != "" || p.YearTo != "" {
			return q, errs.Invalid("query.year", "give year or year_from/year_to, not both")
		}
		p.YearFrom, p.YearTo = p.Year, p.Year
		if q.YearFrom, err = intParam("query.year", p.Year, 1870, 2100); err != nil {
			return q, err
		}
		q.YearTo = q.YearFrom
	} else {
		if q.YearFrom, err = intParam("query.year_from", p.YearFrom, 1870, 2100); err != nil {
			return q, err
		}
		if q.YearTo, err = intParam("query.year_to", p.YearTo, 1870, 2100); err != nil {
			return q, err
		}
		if q.YearTo != 0 && q.YearTo < q.YearFrom {
			return q, errs.Invalid("query.year_to", "must not be before year_from")
		}
	}
	if p.DateFrom != "" && !ValidDate(p.DateFrom) {
		return q, errs.Invalid("query.release_from", "must be a date YYYY-MM-DD")
	}
	if p.DateTo != "" && !ValidDate(p.DateTo) {
		return q, errs.Invalid("query.release_to", "must be a date YYYY-MM-DD")
	}
	if p.DateFrom != "" && p.DateTo != "" && p.DateTo < p.DateFrom {
		return q, errs.Invalid("query.release_to", "must not be before release_from")
	}
	q.DateFrom, q.DateTo = p.DateFrom, p.DateTo
	if q.RatingMin, err = floatParam("query.rating_min", p.RatingMin, 0, 10); err != nil {
		return q, err
	}
	if q.RatingMax, err = floatParam("query.rating_max", p.RatingMax, 0, 10); err != nil {
		return q, err
	}
	if q.RatingMin != nil && q.RatingMax != nil && *q.RatingMax < *q.RatingMin {
		return q, errs.Invalid("query.rating_max", "must not be below rating_min")
	}
	votes, err := intParam("query.votes_min", p.VotesMin, 0, 1<<31-1)
	if err != nil {
		return q, err
	}
	q.VotesMin = int64(votes)
	for _, l := range list(p.Language) {
		l = strings.ToLower(l)
		if !languagePattern.MatchString(l) {
			return q, errs.Invalid("query.language", "%q is not an ISO 639-1 code", l)
		}
		q.Languages = append(q.Languages, l)
	}
	if p.OriginalLang != "" {
		q.OriginalLang = strings.ToLower(strings.TrimSpace(p.OriginalLang))
		if !languagePattern.MatchString(q.OriginalLang) {
			return q, errs.Invalid("query.original_language", "%q is not an ISO 639-1 code", p.OriginalLang)
		}
	}
	for _, c := range list(p.Country) {
		c = strings.ToUpper(c)
		if !countryPattern.MatchString(c) {
			return q, errs.Invalid("query.country", "%q is not an ISO 3166-1 alpha-2 code", c)
		}
		q.Countries = append(q.Countries, c)
	}
	for _, c := range list(p.Certification) {
		country, cert, ok := strings.Cut(c, ":")
		country = strings.ToUpper(country)
		if !ok || !countryPattern.MatchString(country) || cert == "" || len(cert) > 32 {
			return q, errs.Invalid("query.certification", "%q is not country:certification, such as US:PG-13", c)
		}
		q.Certifications = append(q.Certifications, Certification{Country: country, Certification: cert})
	}
	if q.RuntimeMin, err = intParam("query.runtime_min", p.RuntimeMin, 0, 10000); err != nil {
		return q, err
	}
	if q.RuntimeMax, err = intParam("query.runtime_max", p.RuntimeMax, 0, 10000); err != nil {
		return q, err
	}
	if q.RuntimeMax != 0 && q.RuntimeMax < q.RuntimeMin {
		return q, errs.Invalid("query.runtime_max", "must not be below runtime_min")
	}
	q.Sort, q.Desc = SortPopularity, true
	if p.Sort != "" {
		key, dir, _ := strings.Cut(p.Sort, ".")
		if !slices.Contains([]string{SortPopularity, SortRating, SortReleaseDate, SortTitle}, key) || (dir != "asc" && dir != "desc" && dir != "") {
			return q, errs.Invalid("query.sort", "must be popularity, rating, release_date or title, with .asc or .desc, got %q", p.Sort)
		}
		q.Sort = key
		q.Desc = dir == "desc" || (dir == "" && key != SortTitle)
	}
	q.Limit = DefaultLimit
	if p.Limit != "" {
		n, err := strconv.Atoi(strings.TrimSpace(p.Limit))
		if err != nil || n < 1 {
			return q, errs.Invalid("query.limit", "must be a positive integer (at most %d is applied), got %q", MaxLimit, p.Limit)
		}
		q.Limit = min(n, MaxLimit)
	}
	if p.Cursor != "" {
		pos, err := decodeCursor(p.Cursor)
		if err != nil || pos.Sort != q.Sort || pos.Desc != q.Desc || !TitleID.MatchString(pos.ID) {
			return q, errs.Invalid("query.cursor", "is not a cursor of this sort order; pass next_cursor from the previous page unchanged")
		}
		q.After = &pos
	}
	return q, nil
}

// SortName is how a page reports its order.
func (q DiscoverQuery) SortName() string {
	if q.Desc {
		return q.Sort + ".desc"
	}
	return q.Sort + ".asc"
}

func encodeCursor(p Position) string {
	b, _ := json.Marshal(p)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(s string) (Position, error) {
	var p Position
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return p, err
	}
	err = json.Unmarshal(b, &p)
	return p, err
}

// Discover lists titles by filters in a stable order, a page at a time.
// with_person and without_person need the actor service (PersonTitles):
// a page filtered without them would be wrong, not degraded, so when the
// service is not configured (people is nil) or is unavailable, they answer
// Unavailable (503) alike, naming the parameter (and keeping the cause,
// an open breaker's Retry-After with it).
func (c *Catalog) Discover(ctx context.Context, p DiscoverParams, people PersonTitles) (DiscoverPage, error) {
	q, err := ParseDiscover(p)
	if err != nil {
		return DiscoverPage{}, err
	}
	resolve := func(field, s string) ([]string, error) {
		ids := list(s)
		if len(ids) == 0 {
			return nil, nil
		}
		for _, id := range ids {
			if !actor.PersonID.MatchString(id) {
				return nil, errs.Invalid(field, "%q is not a person id", id)
			}
		}
		name := strings.TrimPrefix(field, "query.")
		if people == nil {
			return nil, errs.Unavailable(nil, "%s needs the actor service, which is not configured for this process", name)
		}
		var out []string
		for i, id := range ids {
			ts, err := people.TitlesOfPerson(ctx, id)
			if errs.Is(err, errs.KindUnavailable) {
				return nil, errs.Unavailable(err, "%s needs the actor service, which is unavailable", name)
			}
			if err != nil {
				return nil, err
			}
			if field == "query.with_person" && i > 0 {
				// Every person given: keep the titles they share.
				out = slices.DeleteFunc(out, func(t string) bool { return !slices.Contains(ts, t) })
				continue
			}
			out = append(out, ts...)
		}
		if out == nil {
			out = []string{}
		}
		return out, nil
	}
	if q.WithTitles, err = resolve("query.with_person", p.WithPerson); err != nil {
		return DiscoverPage{}, err
	}
	if q.WithoutTitles, err = resolve("query.without_person", p.WithoutPerson); err != nil {
		return DiscoverPage{}, err
	}
	limit := q.Limit
	q.Limit++
	rows, err := c.store.Discover(ctx, q)
	if err != nil {
		return DiscoverPage{}, err
	}
	page := DiscoverPage{Limit: limit, Sort: q.SortName()}
	if len(rows) > limit {
		rows = rows[:limit]
		page.NextCursor = encodeCursor(rows[len(rows)-1].Pos())
	}
	page.Results = rows
	return page, nil
}
