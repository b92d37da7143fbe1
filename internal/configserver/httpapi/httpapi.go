// Package httpapi serves the configuration server's REST API under
// /api/v1/config, and its change stream as server-sent events.
package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cdlc/cdlc/internal/configserver"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/httpx"
)

const (
	base    = "/api/v1/config"
	docPath = base + "/{app}/{profile}"
	tag     = "Configuration"
	// namePattern mirrors configserver.ValidateName for the OpenAPI schema.
	namePattern = "^[a-z0-9][a-z0-9_-]{0,62}$"
)

// Handler holds what the operations need.
type Handler struct {
	svc *configserver.Service
	// done closes when the server shuts down, ending watch streams and
	// long polls so that shutdown is not held up by them.
	done <-chan struct{}
	// Heartbeat is the interval of keep-alive comments on watch streams.
	Heartbeat time.Duration
	// MaxStream bounds the life of one watch stream: when it is up the
	// server sends the event reconnect and closes the stream, and the
	// client resumes with Last-Event-ID (or since). Bounded streams spread
	// across instances again after a deploy or a scale-out, and no
	// connection is held for ever. 0 means DefaultMaxStream.
	MaxStream time.Duration
}

// DefaultMaxStream is how long a watch stream lives unless configured.
const DefaultMaxStream = 10 * time.Minute

// Register mounts the API on api and the watch stream on mux.
func Register(api huma.API, mux *http.ServeMux, svc *configserver.Service, done <-chan struct{}) *Handler {
	h := &Handler{svc: svc, done: done, Heartbeat: 15 * time.Second, MaxStream: DefaultMaxStream}
	h.register(api, mux)
	return h
}

// DocIn names a document in the path.
type DocIn struct {
	App     string `path:"app" pattern:"^[a-z0-9][a-z0-9_-]{0,62}$" doc:"Application name; 'application' holds what every application shares"`
	Profile string `path:"profile" pattern:"^[a-z0-9][a-z0-9_-]{0,62}$" doc:"Environment profile: default, dev, prod..."`
}

type documentOut struct {
	ETag string `header:"ETag"`
	Body configserver.Document
}

type writeBody struct {
	Values  map[string]any `json:"values" doc:"The document. Write a secret as {\"$secret\": \"value\"}; it is stored encrypted."`
	Message string         `json:"message,omitempty" maxLength:"500" doc:"Why the change was made"`
}

type writeIn struct {
	DocIn
	IfMatch string `header:"If-Match" doc:"The version the change is based on, as the ETag of a read (\"3\"); the write fails with 412 if the document moved on"`
	Body    writeBody
}

type rollbackIn struct {
	DocIn
	IfMatch string `header:"If-Match"`
	Body    struct {
		Version int64  `json:"version" minimum:"1" doc:"The version to write again"`
		Message string `json:"message,omitempty" maxLength:"500"`
	}
}

type versionIn struct {
	DocIn
	Version int64 `path:"version" minimum:"1"`
}

type historyIn struct {
	DocIn
	Before int64 `query:"before" minimum:"0" doc:"Cursor: list versions older than this one (the next_before of the previous page)"`
	Limit  int   `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size (at most 200)"`
}

type historyOut struct {
	Body struct {
		Versions   []configserver.Document `json:"versions"`
		NextBefore int64                   `json:"next_before,omitempty" doc:"Pass as before for the next page; absent on the last page"`
		Limit      int                     `json:"limit" doc:"The page size applied"`
	}
}

type diffIn struct {
	DocIn
	From int64 `query:"from" required:"true" minimum:"1"`
	To   int64 `query:"to" required:"true" minimum:"1"`
}

type diffOut struct {
	Body struct {
		From    int64                 `json:"from"`
		To      int64                 `json:"to"`
		Changes []configserver.Change `json:"changes"`
	}
}

type effectiveIn struct {
	DocIn
	IfNoneMatch string `header:"If-None-Match"`
}

type effectiveOut struct {
	Status int
	httpx.RenderedHeaders
	Body []byte
}

type changesIn struct {
	DocIn
	Since int64  `query:"since" minimum:"0" doc:"The revision the caller holds (from effective or a previous change set)"`
	Wait  string `query:"wait" doc:"Long poll: wait up to this long (e.g. 30s, at most 55s) for a change before answering with an empty change set"`
}

type changesOut struct {
	Body configserver.ChangeSet
}

type listOut struct {
	Body struct {
		Documents []configserver.DocumentRef `json:"documents"`
	}
}

func (h *Handler) register(api huma.API, mux *http.ServeMux) {
	huma.Register(api, huma.Operation{
		OperationID: "config-list", Method: http.MethodGet, Path: base, Tags: []string{tag},
		Summary: "List configuration documents",
	}, func(ctx context.Context, _ *struct{}) (*listOut, error) {
		if _, err := auth.Require(ctx, configserver.ScopeRead); err != nil {
			return nil, err
		}
		docs, err := h.svc.List(ctx)
		if err != nil {
			return nil, err
		}
		out := &listOut{}
		out.Body.Documents = docs
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "config-get", Method: http.MethodGet, Path: docPath, Tags: []string{tag},
		Summary: "Read a document's newest version (one layer, not merged)",
	}, func(ctx context.Context, in *DocIn) (*documentOut, error) {
		p, err := auth.Require(ctx, configserver.ScopeRead)
		if err != nil {
			return nil, err
		}
		d, err := h.svc.Get(ctx, in.App, in.Profile, 0, p.Has(configserver.ScopeSecrets))
		if err != nil {
			return nil, err
		}
		return &documentOut{ETag: httpx.ETag(d.Version), Body: d}, nil
	})

	write := func(patch bool) func(ctx context.Context, in *writeIn) (*documentOut, error) {
		return func(ctx context.Context, in *writeIn) (*documentOut, error) {
			p, err := auth.Require(ctx, configserver.ScopeWrite)
			if err != nil {
				return nil, err
			}
			ifv, err := httpx.IfMatchVersion(in.IfMatch, 0)
			if err != nil {
				return nil, err
			}
			w := configserver.Write{App: in.App, Profile: in.Profile, Values: in.Body.Values, Author: p.Subject, Message: in.Body.Message,
				IfVersion: ifv, Reveal: p.Has(configserver.ScopeSecrets)}
			var d configserver.Document
			if patch {
				d, err = h.svc.Patch(ctx, w)
			} else {
				d, err = h.svc.Put(ctx, w)
			}
			if err != nil {
				return nil, err
			}
			return &documentOut{ETag: httpx.ETag(d.Version), Body: d}, nil
		}
	}
	huma.Register(api, huma.Operation{
		OperationID: "config-put", Method: http.MethodPut, Path: docPath, Tags: []string{tag},
		Summary:     "Replace a document (a new version)",
		Description: "Stores values as the document's next version, recording the caller as author. Watchers of the application are told at once.",
	}, write(false))
	huma.Register(api, huma.Operation{
		OperationID: "config-patch", Method: http.MethodPatch, Path: docPath, Tags: []string{tag},
		Summary:     "Change part of a document (a new version)",
		Description: "Applies values as an RFC 7396 JSON merge patch to the newest version: objects merge, null removes a key.",
	}, write(true))

	huma.Register(api, huma.Operation{
		OperationID: "config-effective", Method: http.MethodGet, Path: docPath + "/effective", Tags: []string{tag},
		Summary:     "Read the effective configuration",
		Description: "Merges application/default < application/{profile} < {app}/default < {app}/{profile}. Secrets are shown only with the config:secrets scope. Supports If-None-Match.",
		Responses:   httpx.JSONResponses(api, httpx.TypeOf[configserver.Effective](), "The merged configuration"),
	}, func(ctx context.Context, in *effectiveIn) (*effectiveOut, error) {
		p, err := auth.Require(ctx, configserver.ScopeRead)
		if err != nil {
			return nil, err
		}
		r, err := h.svc.EffectiveJSON(ctx, in.App, in.Profile, p.Has(configserver.ScopeSecrets))
		if err != nil {
			return nil, err
		}
		out := &effectiveOut{}
		out.Status, out.RenderedHeaders, out.Body = httpx.Conditional(in.IfNoneMatch, r.ETag, r.Body, "private, no-cache")
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "config-history", Method: http.MethodGet, Path: docPath + "/versions", Tags: []string{tag},
		Summary: "List a document's versions, newest first",
	}, func(ctx context.Context, in *historyIn) (*historyOut, error) {
		if _, err := auth.Require(ctx, configserver.ScopeRead); err != nil {
			return nil, err
		}
		vs, err := h.svc.History(ctx, in.App, in.Profile, in.Before, in.Limit+1)
		if err != nil {
			return nil, err
		}
		out := &historyOut{}
		out.Body.Limit = in.Limit
		if len(vs) > in.Limit {
			vs = vs[:in.Limit]
			out.Body.NextBefore = vs[len(vs)-1].Version
		}
		out.Body.Versions = vs
		if out.Body.Versions == nil {
			out.Body.Versions = []configserver.Document{}
		}
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "config-version", Method: http.MethodGet, Path: docPath + "/versions/{version}", Tags: []string{tag},
		Summary: "Read one version of a document",
	}, func(ctx context.Context, in *versionIn) (*documentOut, error) {
		p, err := auth.Require(ctx, configserver.ScopeRead)
		if err != nil {
			return nil, err
		}
		d, err := h.svc.Get(ctx, in.App, in.Profile, in.Version, p.Has(configserver.ScopeSecrets))
		if err != nil {
			return nil, err
		}
		return &documentOut{ETag: httpx.ETag(d.Version), Body: d}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "config-diff", Method: http.MethodGet, Path: docPath + "/diff", Tags: []string{tag},
		Summary: "Compare two versions of a document",
	}, func(ctx context.Context, in *diffIn) (*diffOut, error) {
		p, err := auth.Require(ctx, configserver.ScopeRead)
		if err != nil {
			return nil, err
		}
		cs, err := h.svc.DiffVersions(ctx, in.App, in.Profile, in.From, in.To, p.Has(configserver.ScopeSecrets))
		if err != nil {
			return nil, err
		}
		out := &diffOut{}
		out.Body.From, out.Body.To, out.Body.Changes = in.From, in.To, cs
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "config-rollback", Method: http.MethodPost, Path: docPath + "/rollback", Tags: []string{tag},
		Summary: "Roll a document back to an earlier version (written again as a new version)",
	}, func(ctx context.Context, in *rollbackIn) (*documentOut, error) {
		p, err := auth.Require(ctx, configserver.ScopeWrite)
		if err != nil {
			return nil, err
		}
		ifv, err := httpx.IfMatchVersion(in.IfMatch, 0)
		if err != nil {
			return nil, err
		}
		d, err := h.svc.Rollback(ctx, configserver.Write{App: in.App, Profile: in.Profile, Author: p.Subject, Message: in.Body.Message,
			IfVersion: ifv, Reveal: p.Has(configserver.ScopeSecrets)}, in.Body.Version)
		if err != nil {
			return nil, err
		}
		return &documentOut{ETag: httpx.ETag(d.Version), Body: d}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "config-changes", Method: http.MethodGet, Path: docPath + "/changes", Tags: []string{tag},
		Summary: "What changed in the effective configuration since a revision (long poll)",
		Description: "Returns only the keys that changed since the revision the caller holds. With wait, holds the request until a change arrives or the wait ends. " +
			"A since above the configuration's revision (never handed out for it, as after a restore from a backup) is answered at once with reset: true, the real revision and the whole configuration as changes; the caller replaces what it holds.",
	}, func(ctx context.Context, in *changesIn) (*changesOut, error) {
		p, err := auth.Require(ctx, configserver.ScopeRead)
		if err != nil {
			return nil, err
		}
		wait := time.Duration(0)
		if in.Wait != "" {
			if wait, err = time.ParseDuration(in.Wait); err != nil || wait < 0 || wait > 55*time.Second {
				return nil, errs.Invalid("query.wait", "must be a duration from 0s to 55s, such as 30s")
			}
		}
		show := p.Has(configserver.ScopeSecrets)
		// Listen before reading, so a change between the read and the wait is not missed.
		wake, cancel := h.svc.Watch(in.App)
		defer cancel()
		cs, err := h.svc.Changes(ctx, in.App, in.Profile, in.Since, show)
		if err != nil || len(cs.Changes) > 0 || cs.Reset || wait == 0 {
			return &changesOut{Body: cs}, err
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		for {
			select {
			case <-wake:
				if cs, err = h.svc.Changes(ctx, in.App, in.Profile, in.Since, show); err != nil || len(cs.Changes) > 0 {
					return &changesOut{Body: cs}, err
				}
			case <-timer.C:
				return &changesOut{Body: cs}, nil
			case <-h.done:
				return &changesOut{Body: cs}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	})

	mux.HandleFunc("GET "+docPath+"/watch", h.watch)
	api.OpenAPI().AddOperation(&huma.Operation{
		OperationID: "config-watch", Method: http.MethodGet, Path: docPath + "/watch", Tags: []string{tag},
		Summary: "Stream changes to the effective configuration (server-sent events)",
		Description: "Sends an event `change` whose data is a ChangeSet (only the keys changed since the revision held) each time the effective configuration changes, " +
			"first at once if it changed since `since`. The event id is the new revision: a reconnecting client's Last-Event-ID resumes where it stopped. " +
			"Comments are sent as heartbeats. A stream lives at most config_server.watch_max_duration (10 minutes by default): then the event `reconnect` is sent and the stream closed, " +
			"and the client reconnects with Last-Event-ID (or since) to resume. A since above the server's revision (a restore from a backup) is answered with a change set marked reset holding the whole configuration.",
		Parameters: []*huma.Param{
			{Name: "app", In: "path", Required: true, Schema: &huma.Schema{Type: "string", Pattern: namePattern}},
			{Name: "profile", In: "path", Required: true, Schema: &huma.Schema{Type: "string", Pattern: namePattern}},
			{Name: "since", In: "query", Schema: &huma.Schema{Type: "integer", Minimum: ptr(0.0)}},
		},
		Responses: map[string]*huma.Response{"200": {Description: "An event stream", Content: map[string]*huma.MediaType{
			"text/event-stream": {Schema: api.OpenAPI().Components.Schemas.Schema(httpx.TypeOf[configserver.ChangeSet](), true, "")},
		}}},
	})
}

// watch streams ChangeSets as server-sent events.
func (h *Handler) watch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, err := auth.Require(ctx, configserver.ScopeRead)
	if err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	app, profile := r.PathValue("app"), r.PathValue("profile")
	if err := configserver.ValidateName("path.app", app); err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	if err := configserver.ValidateName("path.profile", profile); err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	since := int64(0)
	s := r.URL.Query().Get("since")
	if le := r.Header.Get("Last-Event-ID"); le != "" {
		s = le
	}
	if s != "" {
		if since, err = strconv.ParseInt(s, 10, 64); err != nil || since < 0 {
			httpx.WriteProblem(w, r, errs.Invalid("query.since", "must be a non-negative integer revision, got %q", s))
			return
		}
	}
	show := p.Has(configserver.ScopeSecrets)
	wake, cancel := h.svc.Watch(app)
	defer cancel()
	// Validate the document before committing to a stream.
	cs, err := h.svc.Changes(ctx, app, profile, since, show)
	if err != nil {
		httpx.WriteProblem(w, r, err)
		return
	}
	rc := http.NewResponseController(w)
	// A stream outlives the server's write timeout by design.
	_ = rc.SetWriteDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(cs configserver.ChangeSet) error {
		b, _ := json.Marshal(cs)
		if _, err := fmt.Fprintf(w, "id: %d\nevent: change\ndata: %s\n\n", cs.Revision, b); err != nil {
			return err
		}
		return rc.Flush()
	}
	if len(cs.Changes) > 0 || cs.Reset {
		if send(cs) != nil {
			return
		}
	}
	if _, err := fmt.Fprint(w, ": watching\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	since = cs.Revision
	beat := time.NewTicker(h.Heartbeat)
	defer beat.Stop()
	life := h.MaxStream
	if life <= 0 {
		life = DefaultMaxStream
	}
	end := time.NewTimer(life)
	defer end.Stop()
	for {
		select {
		case <-end.C:
			// Tell the client this is the limit, not a failure: it resumes
			// at once from the last event id.
			_, _ = fmt.Fprintf(w, "event: reconnect\ndata: {\"revision\":%d}\n\n", since)
			_ = rc.Flush()
			return
		case <-wake:
			cs, err := h.svc.Changes(ctx, app, profile, since, show)
			if err != nil {
				// Transient (the database blinked): the next wake or the
				// client's reconnect with Last-Event-ID catches up.
				continue
			}
			if len(cs.Changes) == 0 {
				continue
			}
			if send(cs) != nil {
				return
			}
			since = cs.Revision
		case <-beat.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-h.done:
			return
		case <-ctx.Done():
			return
		}
	}
}

func ptr[T any](v T) *T { return &v }
