// Package httpapi serves the inventory's REST API under /api/v1: titles
// (with TMDB-style append), batches, seasons and episodes, lookup by
// external id, discover, search and autocomplete, and the operators'
// write API (scope catalog:write).
package httpapi

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/httpx"
)

const (
	base = "/api/v1"
	tag  = "Titles"
	// readCache lets browsers and proxies keep a read a minute and serve
	// it stale while they revalidate (the ETag makes that cheap).
	readCache = "public, max-age=60, stale-while-revalidate=300"
	// degradedCache is a read without its credits: kept, but checked
	// again on every use (the ETag changes once the credits are back).
	degradedCache = "max-age=0, must-revalidate"
)

// Handler holds what the operations need.
type Handler struct {
	svc *inventory.Catalog
	// people resolves with_person; nil (or returning nil) when the actor
	// service is not reachable from this process.
	people func() inventory.PersonTitles
}

// Register mounts the API on api.
func Register(api huma.API, svc *inventory.Catalog, people func() inventory.PersonTitles) *Handler {
	if people == nil {
		people = func() inventory.PersonTitles { return nil }
	}
	h := &Handler{svc: svc, people: people}
	h.register(api)
	return h
}

type rawOut struct {
	Status int
	httpx.RenderedHeaders
	Location           string `header:"Content-Location"`
	CreditsUnavailable string `header:"X-Credits-Unavailable" doc:"Set when credits were appended and the actor service is not configured or is unavailable: what is missing and why (credits.reason)"`
	Body               []byte
}

func raw(r inventory.Rendered, ifNoneMatch string) *rawOut {
	out := &rawOut{}
	out.Status, out.RenderedHeaders, out.Body = httpx.Conditional(ifNoneMatch, r.ETag, r.Body, readCache)
	if r.Partial != "" {
		out.CreditsUnavailable = headerSafe(r.Partial)
		out.CacheControl = degradedCache
	}
	return out
}

type titleIn struct {
	ID          string `path:"id" doc:"Title id: tt… (IMDb) or ct… (created here)"`
	Append      string `query:"append" doc:"Comma-separated: credits, images, akas, seasons, similar, external_ids"`
	IfNoneMatch string `header:"If-None-Match"`
}

type batchIn struct {
	IDs string `query:"ids" required:"true" doc:"Comma-separated title ids, at most 100"`
}

type findIn struct {
	IMDbID      string `query:"imdb_id" doc:"An IMDb title id (tt…)"`
	TMDBID      string `query:"tmdb_id" doc:"A TMDB id"`
	Append      string `query:"append"`
	IfNoneMatch string `header:"If-None-Match"`
}

type seasonIn struct {
	ID          string `path:"id"`
	Season      int    `path:"season" minimum:"0"`
	IfNoneMatch string `header:"If-None-Match"`
}

type episodeIn struct {
	ID          string `path:"id"`
	Season      int    `path:"season" minimum:"0"`
	Episode     int    `path:"episode" minimum:"0"`
	Append      string `query:"append"`
	IfNoneMatch string `header:"If-None-Match"`
}

type discoverIn struct {
	Kind          string `query:"kind" doc:"Comma-separated kinds (any)"`
	Genre         string `query:"genre" doc:"Genres: a,b (every one) or a|b (any)"`
	Year          string `query:"year" doc:"Release year (first year of a series)"`
	YearFrom      string `query:"year_from"`
	YearTo        string `query:"year_to"`
	DateFrom      string `query:"release_from" doc:"Earliest release date, YYYY-MM-DD"`
	DateTo        string `query:"release_to"`
	RatingMin     string `query:"rating_min" doc:"0 to 10"`
	RatingMax     string `query:"rating_max"`
	VotesMin      string `query:"votes_min"`
	Language      string `query:"language" doc:"Spoken languages, comma-separated ISO 639-1 (any)"`
	OriginalLang  string `query:"original_language"`
	Country       string `query:"country" doc:"Production countries, comma-separated ISO 3166-1 (any)"`
	Certification string `query:"certification" doc:"country:certification, comma-separated (any), e.g. US:R"`
	RuntimeMin    string `query:"runtime_min" doc:"Minutes"`
	RuntimeMax    string `query:"runtime_max"`
	WithPerson    string `query:"with_person" doc:"Person ids, comma-separated: titles crediting every one (needs the actor service, else 503)"`
	WithoutPerson string `query:"without_person" doc:"Person ids: titles crediting none of them"`
	Sort          string `query:"sort" doc:"popularity, rating, release_date or title, with .asc or .desc (default popularity.desc; title defaults to asc). Ties break on id."`
	Cursor        string `query:"cursor" doc:"next_cursor of the previous page"`
	Limit         string `query:"limit" doc:"Page size, default 20; more than 100 is capped at 100 (the applied limit is in the answer)"`
}

type discoverOut struct {
	CacheControl string `header:"Cache-Control"`
	Body         inventory.DiscoverPage
}

type searchIn struct {
	Q     string `query:"q" doc:"The text; any characters, taken literally"`
	Kind  string `query:"kind" doc:"Comma-separated kinds"`
	Year  string `query:"year"`
	Limit string `query:"limit" doc:"Default 20 (10 for autocomplete); more than 50 is capped at 50 (the applied limit is in the answer)"`
}

type searchOut struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		Results []inventory.SearchHit `json:"results"`
		Limit   int                   `json:"limit"`
	}
}

type multiIn struct {
	Q     string `query:"q" doc:"The text; any characters, taken literally"`
	Kind  string `query:"kind" doc:"Comma-separated title kinds (filters titles; people are matched by text alone)"`
	Year  string `query:"year" doc:"Release year (filters titles)"`
	Limit string `query:"limit" doc:"Default 10; more than 50 is capped at 50 (the applied limit is in the answer)"`
}

type multiOut struct {
	CacheControl string `header:"Cache-Control"`
	Body         inventory.MultiResult
}

type writeOut struct {
	Status   int
	ETag     string `header:"ETag"`
	Location string `header:"Location"`
	Body     inventory.TitleView
}

type createIn struct {
	Body inventory.TitleFields
}

type patchIn struct {
	ID      string `path:"id"`
	IfMatch string `header:"If-Match" doc:"The ETag of a read; the write fails with 412 if the title changed since"`
	Body    inventory.TitleFields
}

type deleteIn struct {
	ID      string `path:"id"`
	IfMatch string `header:"If-Match"`
}

func jsonResponse[T any](api huma.API, desc string) map[string]*huma.Response {
	t := reflect.TypeOf((*T)(nil)).Elem()
	return map[string]*huma.Response{
		"200": {Description: desc, Content: map[string]*huma.MediaType{
			"application/json": {Schema: api.OpenAPI().Components.Schemas.Schema(t, true, "")},
		}},
		"304": {Description: "Not modified since the ETag given in If-None-Match"},
	}
}

// BatchResponse documents GET /titles?ids=.
type BatchResponse struct {
	Titles  []inventory.TitleView `json:"titles" doc:"The titles found, in the order asked"`
	Missing []string              `json:"missing" doc:"The ids asked for that are not titles"`
}

// parseAppend reads the append parameter of the title reads.
func parseAppend(s string) (inventory.Append, error) {
	names, err := httpx.Appends("query.append", s, inventory.AppendNames)
	return inventory.AppendOf(names), err
}

func (h *Handler) register(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "title-get", Method: http.MethodGet, Path: base + "/titles/{id}", Tags: []string{tag},
		Summary:     "Read a title, with related resources appended",
		Description: "append adds related resources in the same response: " + inventory.AppendValues + ". Unknown ids are 404; unknown append values 400. Supports If-None-Match.",
		Responses:   jsonResponse[inventory.TitleView](api, "The title"),
	}, func(ctx context.Context, in *titleIn) (*rawOut, error) {
		a, err := parseAppend(in.Append)
		if err != nil {
			return nil, err
		}
		r, err := h.svc.TitleJSON(ctx, in.ID, a)
		if err != nil {
			return nil, err
		}
		return raw(r, in.IfNoneMatch), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "titles-batch", Method: http.MethodGet, Path: base + "/titles", Tags: []string{tag},
		Summary:     "Read many titles at once",
		Description: "Up to 100 ids; titles come in the order asked, ids that are not titles are listed in missing.",
		Responses:   map[string]*huma.Response{"200": jsonResponse[BatchResponse](api, "The titles")["200"]},
	}, func(ctx context.Context, in *batchIn) (*rawOut, error) {
		ids := httpx.CommaList(in.IDs)
		b, err := h.svc.TitlesJSON(ctx, ids)
		if err != nil {
			return nil, err
		}
		return &rawOut{Status: http.StatusOK, RenderedHeaders: httpx.RenderedHeaders{CacheControl: readCache, ContentType: "application/json"}, Body: b}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "title-find", Method: http.MethodGet, Path: base + "/titles/find", Tags: []string{tag},
		Summary:     "Find a title by its IMDb or TMDB id",
		Description: "Answers the title as GET /titles/{id} does, with Content-Location naming it. People (nm…) are found by the actor service.",
		Responses:   jsonResponse[inventory.TitleView](api, "The title"),
	}, func(ctx context.Context, in *findIn) (*rawOut, error) {
		a, err := parseAppend(in.Append)
		if err != nil {
			return nil, err
		}
		id, err := h.svc.Find(ctx, in.IMDbID, in.TMDBID)
		if err != nil {
			return nil, err
		}
		r, err := h.svc.TitleJSON(ctx, id, a)
		if err != nil {
			return nil, err
		}
		out := raw(r, in.IfNoneMatch)
		out.Location = base + "/titles/" + id
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "title-season", Method: http.MethodGet, Path: base + "/titles/{id}/seasons/{season}", Tags: []string{tag},
		Summary:     "Read a season of a series with its episodes",
		Description: "Seasons are derived from the season numbers of the series' episodes.",
		Responses:   jsonResponse[inventory.SeasonDetails](api, "The season"),
	}, func(ctx context.Context, in *seasonIn) (*rawOut, error) {
		r, err := h.svc.SeasonJSON(ctx, in.ID, in.Season)
		if err != nil {
			return nil, err
		}
		return raw(r, in.IfNoneMatch), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "title-episode", Method: http.MethodGet, Path: base + "/titles/{id}/seasons/{season}/episodes/{episode}", Tags: []string{tag},
		Summary:   "Read an episode of a series by its numbers",
		Responses: jsonResponse[inventory.TitleView](api, "The episode"),
	}, func(ctx context.Context, in *episodeIn) (*rawOut, error) {
		a, err := parseAppend(in.Append)
		if err != nil {
			return nil, err
		}
		id, err := h.svc.EpisodeID(ctx, in.ID, in.Season, in.Episode)
		if err != nil {
			return nil, err
		}
		r, err := h.svc.TitleJSON(ctx, id, a)
		if err != nil {
			return nil, err
		}
		out := raw(r, in.IfNoneMatch)
		out.Location = base + "/titles/" + id
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "titles-discover", Method: http.MethodGet, Path: base + "/discover/titles", Tags: []string{tag},
		Summary: "Discover titles by filters, a page at a time",
		Description: "Filters combine with AND. Pages follow each other by cursor (next_cursor) in a stable order, ties broken by id, with no depth limit. " +
			"Titles without a release date sort as the earliest. Bad filters, sort keys or limits are 400 naming the parameter.",
	}, func(ctx context.Context, in *discoverIn) (*discoverOut, error) {
		page, err := h.svc.Discover(ctx, inventory.DiscoverParams{
			Kind: in.Kind, Genre: in.Genre, Year: in.Year, YearFrom: in.YearFrom, YearTo: in.YearTo, DateFrom: in.DateFrom, DateTo: in.DateTo,
			RatingMin: in.RatingMin, RatingMax: in.RatingMax, VotesMin: in.VotesMin, Language: in.Language, OriginalLang: in.OriginalLang,
			Country: in.Country, Certification: in.Certification, RuntimeMin: in.RuntimeMin, RuntimeMax: in.RuntimeMax,
			WithPerson: in.WithPerson, WithoutPerson: in.WithoutPerson, Sort: in.Sort, Cursor: in.Cursor, Limit: in.Limit,
		}, h.people())
		if err != nil {
			return nil, err
		}
		return &discoverOut{CacheControl: readCache, Body: page}, nil
	})

	search := func(autocomplete bool) func(ctx context.Context, in *searchIn) (*searchOut, error) {
		return func(ctx context.Context, in *searchIn) (*searchOut, error) {
			q := inventory.SearchQuery{Text: in.Q, Autocomplete: autocomplete, Limit: inventory.DefaultLimit}
			if autocomplete {
				q.Limit = 10
			}
			if in.Limit != "" {
				n, err := strconv.Atoi(in.Limit)
				if err != nil || n < 1 {
					return nil, errs.Invalid("query.limit", "must be a positive integer (at most %d is applied), got %q", inventory.SearchMaxLimit, in.Limit)
				}
				q.Limit = min(n, inventory.SearchMaxLimit)
			}
			for _, k := range strings.Split(in.Kind, ",") {
				if k = strings.TrimSpace(k); k != "" {
					q.Kinds = append(q.Kinds, k)
				}
			}
			if in.Year != "" {
				y, err := strconv.Atoi(in.Year)
				if err != nil || y < 1870 || y > 2100 {
					return nil, errs.Invalid("query.year", "must be a year from 1870 to 2100, got %q", in.Year)
				}
				q.YearFrom, q.YearTo = y, y
			}
			hits, err := h.svc.Search(ctx, q)
			if err != nil {
				return nil, err
			}
			out := &searchOut{CacheControl: "public, max-age=30"}
			out.Body.Results, out.Body.Limit = hits, q.Limit
			return out, nil
		}
	}
	huma.Register(api, huma.Operation{
		OperationID: "titles-search", Method: http.MethodGet, Path: base + "/search/titles", Tags: []string{tag},
		Summary:     "Search titles by text",
		Description: "Ranked by relevance, then popularity. The text is taken literally: SQL and query-syntax characters are just text.",
	}, search(false))
	huma.Register(api, huma.Operation{
		OperationID: "titles-autocomplete", Method: http.MethodGet, Path: base + "/search/titles/autocomplete", Tags: []string{tag},
		Summary: "Complete a title from its first letters",
	}, search(true))

	h.registerMulti(api)
	h.registerWrites(api)
}

func (h *Handler) registerWrites(api huma.API) {
	security := []map[string][]string{{"bearer": {inventory.ScopeWrite}}}
	huma.Register(api, huma.Operation{
		OperationID: "title-create", Method: http.MethodPost, Path: base + "/titles", Tags: []string{tag}, DefaultStatus: http.StatusCreated,
		Summary:     "Create a title (operators, scope catalog:write)",
		Description: "The title gets a ct… id. A title.created event is published. Input that fails validation changes nothing.",
		Security:    security,
	}, func(ctx context.Context, in *createIn) (*writeOut, error) {
		if _, err := auth.Require(ctx, inventory.ScopeWrite); err != nil {
			return nil, err
		}
		d, err := h.svc.Create(ctx, in.Body)
		if err != nil {
			return nil, err
		}
		return &writeOut{Status: http.StatusCreated, ETag: httpx.ETag(d.Version), Location: base + "/titles/" + d.ID, Body: inventory.ViewOf(d)}, nil
	})

	patch := func(ctx context.Context, in *patchIn) (*writeOut, error) {
		if _, err := auth.Require(ctx, inventory.ScopeWrite); err != nil {
			return nil, err
		}
		v, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		d, err := h.svc.Update(ctx, in.ID, v, in.Body)
		if err != nil {
			return nil, err
		}
		return &writeOut{Status: http.StatusOK, ETag: httpx.ETag(d.Version), Body: inventory.ViewOf(d)}, nil
	}
	huma.Register(api, huma.Operation{
		OperationID: "title-update", Method: http.MethodPatch, Path: base + "/titles/{id}", Tags: []string{tag},
		Summary:     "Change a title (operators, scope catalog:write)",
		Description: "Merge semantics: fields given replace the stored ones, absent fields stay; a list given replaces the stored list ([] clears it). With If-Match, fails with 412 if the title changed since. A title.updated event is published.",
		Security:    security,
	}, patch)

	// Replacing one list is a PATCH that gives only that list, spelled as
	// a PUT on the list's own resource.
	type listBody[T any] struct {
		ID      string `path:"id"`
		IfMatch string `header:"If-Match"`
		Body    []T
	}
	replace := func(name string) {
		op := huma.Operation{
			OperationID: "title-replace-" + name, Method: http.MethodPut, Path: base + "/titles/{id}/" + name, Tags: []string{tag},
			Summary: "Replace a title's " + name + " (operators, scope catalog:write)", Security: security,
		}
		switch name {
		case "akas":
			huma.Register(api, op, func(ctx context.Context, in *listBody[inventory.Aka]) (*writeOut, error) {
				f := inventory.TitleFields{Akas: nonNil(in.Body)}
				return relist(name)(patch(ctx, &patchIn{ID: in.ID, IfMatch: in.IfMatch, Body: f}))
			})
		case "genres":
			huma.Register(api, op, func(ctx context.Context, in *listBody[string]) (*writeOut, error) {
				f := inventory.TitleFields{Genres: nonNil(in.Body)}
				return relist(name)(patch(ctx, &patchIn{ID: in.ID, IfMatch: in.IfMatch, Body: f}))
			})
		case "images":
			huma.Register(api, op, func(ctx context.Context, in *listBody[inventory.Image]) (*writeOut, error) {
				f := inventory.TitleFields{Images: nonNil(in.Body)}
				return relist(name)(patch(ctx, &patchIn{ID: in.ID, IfMatch: in.IfMatch, Body: f}))
			})
		case "releases":
			huma.Register(api, op, func(ctx context.Context, in *listBody[inventory.Release]) (*writeOut, error) {
				f := inventory.TitleFields{Releases: nonNil(in.Body)}
				return relist(name)(patch(ctx, &patchIn{ID: in.ID, IfMatch: in.IfMatch, Body: f}))
			})
		case "certifications":
			huma.Register(api, op, func(ctx context.Context, in *listBody[inventory.Certification]) (*writeOut, error) {
				f := inventory.TitleFields{Certifications: nonNil(in.Body)}
				return relist(name)(patch(ctx, &patchIn{ID: in.ID, IfMatch: in.IfMatch, Body: f}))
			})
		}
	}
	for _, n := range []string{"akas", "genres", "images", "releases", "certifications"} {
		replace(n)
	}

	huma.Register(api, huma.Operation{
		OperationID: "title-delete", Method: http.MethodDelete, Path: base + "/titles/{id}", Tags: []string{tag}, DefaultStatus: http.StatusNoContent,
		Summary:     "Delete a title (operators, scope catalog:write)",
		Description: "Its episodes stay, unlinked. A title.deleted event is published.",
		Security:    security,
	}, func(ctx context.Context, in *deleteIn) (*struct{}, error) {
		if _, err := auth.Require(ctx, inventory.ScopeWrite); err != nil {
			return nil, err
		}
		v, err := ifMatch(in.IfMatch)
		if err != nil {
			return nil, err
		}
		return nil, h.svc.Delete(ctx, in.ID, v)
	})
}

// relist renames body.<list> to body in the field of a validation error
// of a list replaced on its own resource, whose body is the list.
func relist(name string) func(*writeOut, error) (*writeOut, error) {
	return func(out *writeOut, err error) (*writeOut, error) {
		var e *errs.Error
		if errors.As(err, &e) && strings.HasPrefix(e.Field, "body."+name) {
			e2 := *e
			e2.Field = "body" + strings.TrimPrefix(e.Field, "body."+name)
			return nil, &e2
		}
		return out, err
	}
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// ifMatch is the version If-Match names, 0 when absent (no precondition).
func ifMatch(header string) (int64, error) {
	v, err := httpx.IfMatchVersion(header, 1)
	if v == nil {
		return 0, err
	}
	return *v, nil
}

// registerMulti mounts the combined search across titles and people.
func (h *Handler) registerMulti(api huma.API) {
	multi := func(autocomplete bool) func(ctx context.Context, in *multiIn) (*multiOut, error) {
		return func(ctx context.Context, in *multiIn) (*multiOut, error) {
			q := inventory.MultiQuery{Text: in.Q, Autocomplete: autocomplete}
			if in.Limit != "" {
				n, err := strconv.Atoi(in.Limit)
				if err != nil || n < 1 {
					return nil, errs.Invalid("query.limit", "must be a positive integer (at most %d is applied), got %q", inventory.MultiMaxLimit, in.Limit)
				}
				q.Limit = min(n, inventory.MultiMaxLimit)
			}
			for _, k := range strings.Split(in.Kind, ",") {
				if k = strings.TrimSpace(k); k != "" {
					q.Kinds = append(q.Kinds, k)
				}
			}
			if in.Year != "" {
				y, err := strconv.Atoi(in.Year)
				if err != nil || y < 1870 || y > 2100 {
					return nil, errs.Invalid("query.year", "must be a year from 1870 to 2100, got %q", in.Year)
				}
				q.YearFrom, q.YearTo = y, y
			}
			res, err := h.svc.SearchMulti(ctx, q)
			if err != nil {
				return nil, err
			}
			out := &multiOut{CacheControl: "public, max-age=30", Body: res}
			if res.Partial {
				out.CacheControl = "no-store" // a partial answer must not outlive the outage
			}
			return out, nil
		}
	}
	huma.Register(api, huma.Operation{
		OperationID: "multi-search", Method: http.MethodGet, Path: base + "/search/multi", Tags: []string{"Search"},
		Summary: "Search titles and people together",
		Description: "Titles and people are searched at once and ranked together: relevance first, then popularity scaled to " +
			"each index so that titles and people compare fairly. kind and year filter the titles. The text is taken literally: " +
			"SQL and query-syntax characters are just text. When the actor service cannot be reached the answer holds titles " +
			"only and says so with partial: true.",
	}, multi(false))
	huma.Register(api, huma.Operation{
		OperationID: "multi-autocomplete", Method: http.MethodGet, Path: base + "/search/multi/autocomplete", Tags: []string{"Search"},
		Summary:     "Complete a title or a person's name from its first letters",
		Description: "As /search/multi, with the last word taken as a prefix (search as you type).",
	}, multi(true))
}

// headerSafe keeps s to the visible ASCII a header value may hold (the
// reason may quote a peer's error message).
func headerSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = ' '
		}
	}
	return string(b)
}
