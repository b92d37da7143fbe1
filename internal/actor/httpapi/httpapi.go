// Package httpapi serves the actor service's REST API under /api/v1:
// people, their filmographies, the credits of titles, people search, and
// the operators' write API (scope catalog:write).
//
// Reads are public and cacheable: person, filmography and title credits
// answer with an ETag (a person's carries its version) and
// Cache-Control, and with 304 to a matching If-None-Match. A person
// merged into another answers 301 with Location naming the survivor and a
// problem body whose merged_into names it too.
package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/catalogid"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/httpx"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

const (
	base = "/api/v1"
	tag  = "People"
	// cacheControl lets clients and proxies reuse a read briefly and then
	// revalidate it with its ETag.
	cacheControl = "public, max-age=30, stale-while-revalidate=60"
)

// Handler holds what the operations need.
type Handler struct {
	svc *actor.Server
}

// Register mounts the API on api.
func Register(api huma.API, svc *actor.Server) *Handler {
	h := &Handler{svc: svc}
	h.register(api)
	return h
}

// MovedProblem answers a read of a person merged into another: 301 with
// Location naming the survivor, as a problem+json body.
type MovedProblem struct {
	httpx.Problem
	MergedInto string `json:"merged_into"`
	location   string
}

// GetStatus implements huma.StatusError.
func (m *MovedProblem) GetStatus() int { return http.StatusMovedPermanently }

// GetHeaders sends Location.
func (m *MovedProblem) GetHeaders() http.Header { return http.Header{"Location": {m.location}} }

// moved maps a *actor.MergedError to a MovedProblem whose Location is path
// with the survivor's id in place of the old one (query kept).
func moved(ctx context.Context, err error, path, query string) error {
	var m *actor.MergedError
	if !errors.As(err, &m) {
		return err
	}
	loc := strings.Replace(path, m.ID, m.Into, 1)
	if query != "" {
		loc += "?" + query
	}
	return &MovedProblem{
		Problem: httpx.Problem{Type: "urn:cdlc:problem:merged", Title: http.StatusText(http.StatusMovedPermanently), Status: http.StatusMovedPermanently,
			Detail: m.Error(), Instance: path, RequestID: telemetry.RequestID(ctx)},
		MergedInto: m.Into, location: loc,
	}
}

type rawOut struct {
	Status int
	httpx.RenderedHeaders
	Body []byte
}

func raw(r actor.Rendered, ifNoneMatch string) *rawOut {
	out := &rawOut{}
	out.Status, out.RenderedHeaders, out.Body = httpx.Conditional(ifNoneMatch, r.ETag, r.Body, cacheControl)
	return out
}

// personID and titleID are path parameters whose schema, and so huma's
// validation, carries the id's pattern from catalogid (a struct tag cannot
// name a constant).
type (
	personID string
	titleID  string
)

// Schema implements huma.SchemaProvider.
func (personID) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeString, Pattern: catalogid.PersonPattern}
}

// Schema implements huma.SchemaProvider.
func (titleID) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeString, Pattern: catalogid.TitlePattern}
}

type personIn struct {
	ID          personID `path:"id" doc:"Person id: nm… (IMDb) or cp… (created here)"`
	Append      string   `query:"append" doc:"Comma-separated related resources to include: credits, images, external_ids"`
	IfNoneMatch string   `header:"If-None-Match"`
}

type idIn struct {
	ID          personID `path:"id"`
	IfNoneMatch string   `header:"If-None-Match"`
}

type titleIn struct {
	ID          titleID `path:"id" doc:"Title id: tt… (IMDb) or ct…"`
	IfNoneMatch string  `header:"If-None-Match"`
}

type batchIn struct {
	IDs string `query:"ids" required:"true" doc:"Comma-separated person ids, at most 100; the answer keeps their order"`
}

type batchOut struct {
	Body actor.Batch
}

type findIn struct {
	IMDbID string `query:"imdb_id" doc:"An IMDb person id (nm…)"`
	TMDBID int64  `query:"tmdb_id" minimum:"0" doc:"A TMDB person id"`
}

type personOut struct {
	ETag     string `header:"ETag"`
	Location string `header:"Location"`
	Body     actor.Person
}

type searchIn struct {
	Q            string `query:"q" required:"true" maxLength:"200" doc:"Words of the name; punctuation and query syntax are plain text"`
	Limit        int    `query:"limit" minimum:"1" default:"20" doc:"Results wanted; more than 50 is capped at 50 (the applied limit is in the answer)"`
	Autocomplete bool   `query:"autocomplete" doc:"Treat the last word as a prefix (search as you type)"`
}

type searchOut struct {
	Body struct {
		Results []actor.PersonHit `json:"results"`
		Limit   int               `json:"limit" doc:"The limit applied"`
	}
}

type writeIn struct {
	Body actor.PersonInput
}

type updateIn struct {
	ID      personID `path:"id"`
	IfMatch string   `header:"If-Match" doc:"The ETag of the version the change is based on; 412 if the person moved on"`
	Body    actor.PersonInput
}

type deleteIn struct {
	ID      personID `path:"id"`
	IfMatch string   `header:"If-Match"`
}

type mergeIn struct {
	ID      personID `path:"id" doc:"The survivor"`
	IfMatch string   `header:"If-Match" doc:"The survivor's ETag"`
	Body    struct {
		From string `json:"from" doc:"The duplicate to fold into the survivor; it is deleted and its id redirects to the survivor"`
	}
}

type creditsIn struct {
	Body struct {
		Credits []actor.Credit `json:"credits" maxItems:"1000"`
	}
}

type titleCreditsIn struct {
	ID   titleID `path:"id"`
	Body struct {
		Credits []actor.Credit `json:"credits" maxItems:"1000" doc:"The title's whole list; title_id may be left out"`
	}
}

type titleCreditsOut struct {
	Body actor.TitleCredits
}

type removeCreditIn struct {
	ID       titleID  `path:"id"`
	PersonID personID `path:"person_id"`
	Job      string   `query:"job" maxLength:"100" doc:"Remove this job only; all of the person's credits on the title when absent"`
}

func (h *Handler) register(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "person-get", Method: http.MethodGet, Path: base + "/people/{id}", Tags: []string{tag},
		Summary: "Read a person",
		Description: "append adds related resources in the same response: credits (the combined filmography), images, external_ids. " +
			"A person merged into another answers 301 with Location naming the survivor. Supports If-None-Match.",
		Responses: httpx.JSONResponses(api, httpx.TypeOf[actor.Details](), "The person"),
	}, func(ctx context.Context, in *personIn) (*rawOut, error) {
		appends, err := httpx.Appends("query.append", in.Append, actor.Appends)
		if err != nil {
			return nil, err
		}
		r, err := h.svc.PersonJSON(ctx, string(in.ID), appends)
		if err != nil {
			q := ""
			if in.Append != "" {
				q = "append=" + strings.Join(appends, ",")
			}
			return nil, moved(ctx, err, base+"/people/"+string(in.ID), q)
		}
		return raw(r, in.IfNoneMatch), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "people-batch", Method: http.MethodGet, Path: base + "/people", Tags: []string{tag},
		Summary:     "Read many people at once",
		Description: "Up to 100 ids in one call, answered in the order asked. Ids that name no one are listed in missing; merged ids answer with their survivor and are listed in merged_into.",
	}, func(ctx context.Context, in *batchIn) (*batchOut, error) {
		ids := httpx.CommaList(in.IDs)
		b, err := h.svc.People(ctx, ids)
		if err != nil {
			return nil, err
		}
		return &batchOut{Body: b}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "person-find", Method: http.MethodGet, Path: base + "/people/find", Tags: []string{tag},
		Summary: "Find a person by external id (imdb_id or tmdb_id)",
	}, func(ctx context.Context, in *findIn) (*personOut, error) {
		var p actor.Person
		var err error
		switch {
		case in.IMDbID != "" && in.TMDBID != 0:
			return nil, errs.Invalid("query.tmdb_id", "give imdb_id or tmdb_id, not both")
		case in.IMDbID != "":
			if !strings.HasPrefix(in.IMDbID, "nm") || !actor.PersonID.MatchString(in.IMDbID) {
				return nil, errs.Invalid("query.imdb_id", "must be an IMDb person id such as nm0000199, got %q", in.IMDbID)
			}
			p, err = h.svc.Find(ctx, "imdb", in.IMDbID)
		case in.TMDBID > 0:
			p, err = h.svc.Find(ctx, "tmdb", strconv.FormatInt(in.TMDBID, 10))
		default:
			return nil, errs.Invalid("query.imdb_id", "give imdb_id or tmdb_id")
		}
		if err != nil {
			return nil, err
		}
		return &personOut{ETag: httpx.ETag(p.Version), Body: p}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "person-credits", Method: http.MethodGet, Path: base + "/people/{id}/credits", Tags: []string{tag},
		Summary: "A person's combined filmography",
		Description: "Cast credits and crew credits grouped by department and job, each newest first with unknown dates last. " +
			"Titles' names, kinds and years come from the inventory; when it cannot be asked, titles_resolved is false and credits carry title ids only.",
		Responses: httpx.JSONResponses(api, httpx.TypeOf[actor.Filmography](), "The filmography"),
	}, func(ctx context.Context, in *idIn) (*rawOut, error) {
		r, err := h.svc.FilmographyJSON(ctx, string(in.ID))
		if err != nil {
			return nil, moved(ctx, err, base+"/people/"+string(in.ID)+"/credits", "")
		}
		return raw(r, in.IfNoneMatch), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "title-credits", Method: http.MethodGet, Path: base + "/titles/{id}/credits", Tags: []string{tag},
		Summary:     "A title's cast and crew",
		Description: "Cast by billing order; crew grouped by department. A title without credits has empty lists.",
		Responses:   httpx.JSONResponses(api, httpx.TypeOf[actor.TitleCredits](), "The credits"),
	}, func(ctx context.Context, in *titleIn) (*rawOut, error) {
		r, err := h.svc.TitleCreditsJSON(ctx, string(in.ID))
		if err != nil {
			return nil, err
		}
		return raw(r, in.IfNoneMatch), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "people-search", Method: http.MethodGet, Path: base + "/search/people", Tags: []string{tag},
		Summary: "Search people by name (autocomplete=true for search as you type)",
	}, func(ctx context.Context, in *searchIn) (*searchOut, error) {
		hits, err := h.svc.Search(ctx, actor.SearchQuery{Text: in.Q, Limit: in.Limit, Autocomplete: in.Autocomplete})
		if err != nil {
			return nil, err
		}
		out := &searchOut{}
		out.Body.Results, out.Body.Limit = hits, actor.SearchLimit(in.Limit)
		return out, nil
	})

	// --- operators ---

	huma.Register(api, huma.Operation{
		OperationID: "person-create", Method: http.MethodPost, Path: base + "/people", Tags: []string{tag},
		Summary: "Create a person (scope catalog:write)", DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *writeIn) (*personOut, error) {
		if _, err := auth.Require(ctx, actor.ScopeWrite); err != nil {
			return nil, err
		}
		p, err := h.svc.Create(ctx, in.Body)
		if err != nil {
			return nil, err
		}
		return &personOut{ETag: httpx.ETag(p.Version), Location: base + "/people/" + p.ID, Body: p}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "person-update", Method: http.MethodPut, Path: base + "/people/{id}", Tags: []string{tag},
		Summary: "Replace a person (scope catalog:write)", Description: "With If-Match, fails with 412 unless the person is still at that version.",
	}, func(ctx context.Context, in *updateIn) (*personOut, error) {
		if _, err := auth.Require(ctx, actor.ScopeWrite); err != nil {
			return nil, err
		}
		ifv, err := httpx.IfMatchVersion(in.IfMatch, 1)
		if err != nil {
			return nil, err
		}
		p, err := h.svc.Update(ctx, string(in.ID), in.Body, ifv)
		if err != nil {
			return nil, err
		}
		return &personOut{ETag: httpx.ETag(p.Version), Body: p}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "person-delete", Method: http.MethodDelete, Path: base + "/people/{id}", Tags: []string{tag},
		Summary: "Delete a person and their credits (scope catalog:write)", DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *deleteIn) (*struct{}, error) {
		if _, err := auth.Require(ctx, actor.ScopeWrite); err != nil {
			return nil, err
		}
		ifv, err := httpx.IfMatchVersion(in.IfMatch, 1)
		if err != nil {
			return nil, err
		}
		return nil, h.svc.Delete(ctx, string(in.ID), ifv)
	})

	huma.Register(api, huma.Operation{
		OperationID: "person-merge", Method: http.MethodPost, Path: base + "/people/{id}/merge", Tags: []string{tag},
		Summary: "Merge a duplicate person into this one (scope catalog:write)",
		Description: "Moves the duplicate's credits, also-known-as names, external ids and images to this person, fills this person's empty fields from it, " +
			"deletes it, and redirects its id here: reads of it answer 301, re-imports of it update this person. One transaction, with person.merged, person.updated and credits.changed events.",
	}, func(ctx context.Context, in *mergeIn) (*personOut, error) {
		if _, err := auth.Require(ctx, actor.ScopeWrite); err != nil {
			return nil, err
		}
		ifv, err := httpx.IfMatchVersion(in.IfMatch, 1)
		if err != nil {
			return nil, err
		}
		p, err := h.svc.Merge(ctx, string(in.ID), in.Body.From, ifv)
		if err != nil {
			return nil, err
		}
		return &personOut{ETag: httpx.ETag(p.Version), Body: p}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "credits-put", Method: http.MethodPost, Path: base + "/credits", Tags: []string{tag},
		Summary:       "Add or update credits (scope catalog:write)",
		Description:   "A credit whose (title_id, person_id, job) exists is updated. Every person must exist. All or nothing.",
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *creditsIn) (*struct{}, error) {
		if _, err := auth.Require(ctx, actor.ScopeWrite); err != nil {
			return nil, err
		}
		return nil, h.svc.PutCredits(ctx, in.Body.Credits)
	})

	huma.Register(api, huma.Operation{
		OperationID: "title-credits-replace", Method: http.MethodPut, Path: base + "/titles/{id}/credits", Tags: []string{tag},
		Summary: "Replace a title's credits (scope catalog:write)",
	}, func(ctx context.Context, in *titleCreditsIn) (*titleCreditsOut, error) {
		if _, err := auth.Require(ctx, actor.ScopeWrite); err != nil {
			return nil, err
		}
		if err := h.svc.ReplaceTitleCredits(ctx, string(in.ID), in.Body.Credits); err != nil {
			return nil, err
		}
		tc, err := h.svc.TitleCredits(ctx, string(in.ID))
		if err != nil {
			return nil, err
		}
		return &titleCreditsOut{Body: tc}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "title-credit-remove", Method: http.MethodDelete, Path: base + "/titles/{id}/credits/{person_id}", Tags: []string{tag},
		Summary: "Remove a person's credits on a title (scope catalog:write)", DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *removeCreditIn) (*struct{}, error) {
		if _, err := auth.Require(ctx, actor.ScopeWrite); err != nil {
			return nil, err
		}
		return nil, h.svc.RemoveCredits(ctx, string(in.ID), string(in.PersonID), in.Job)
	})
}
