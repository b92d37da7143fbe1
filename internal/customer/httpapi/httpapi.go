// Package httpapi serves the customer service's REST API under
// /api/v1/account: the caller's account, its profiles and their
// preferences, the export of everything, and the deletion of the account.
//
// Every operation needs a token with scope account and acts on the
// account of the token's subject, created on its first use. Profiles and
// preferences answer with an ETag (their version); PATCH, PUT and DELETE
// take it in If-Match and fail with 412 when the resource moved on.
package httpapi

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/httpx"
)

const (
	base = "/api/v1/account"
	tag  = "Account"
	// Scope is what every operation needs.
	Scope = "account"
	// private keeps account data out of shared caches and makes clients
	// revalidate.
	private = "private, no-cache"
)

// Handler holds what the operations need.
type Handler struct {
	svc *customer.Server
}

// Register mounts the API on api.
func Register(api huma.API, svc *customer.Server) *Handler {
	h := &Handler{svc: svc}
	h.register(api)
	describeAvatarPresets(api)
	return h
}

// AvatarPresetSchema names the schema of the preset avatar keys in the
// OpenAPI document.
const AvatarPresetSchema = "CustomerAvatarPreset"

// describeAvatarPresets publishes customer.Avatars as an enum schema, so
// that clients generated from the document offer exactly the presets the
// service accepts. The avatar fields stay plain strings (an https URL is
// allowed too), and customer.CleanAvatar remains what validates them.
func describeAvatarPresets(api huma.API) {
	presets := make([]any, len(customer.Avatars))
	for i, a := range customer.Avatars {
		presets[i] = a
	}
	api.OpenAPI().Components.Schemas.Map()[AvatarPresetSchema] = &huma.Schema{
		Type:        huma.TypeString,
		Enum:        presets,
		Description: "The preset avatar keys; a profile's avatar is one of them or an https URL",
	}
}

// owner is the caller, who must hold scope account. Access tokens carry
// no name or e-mail (see the token contract), so the first profile is
// "Profile 1" unless the principal says more.
func owner(ctx context.Context) (customer.Owner, error) {
	p, err := auth.Require(ctx, Scope)
	if err != nil {
		return customer.Owner{}, err
	}
	return customer.Owner{Subject: p.Subject}, nil
}

type accountOut struct {
	CacheControl string `header:"Cache-Control"`
	Body         customer.Account
}

type exportOut struct {
	ContentDisposition string `header:"Content-Disposition"`
	ContentType        string `header:"Content-Type"`
	CacheControl       string `header:"Cache-Control"`
	Body               []byte
}

type profilesOut struct {
	CacheControl string `header:"Cache-Control"`
	Body         struct {
		Profiles []customer.Profile `json:"profiles"`
		Max      int                `json:"max" doc:"How many profiles an account may have"`
	}
}

type idIn struct {
	ID string `path:"id" pattern:"^pf[0-9a-z]{26}$" doc:"Profile id"`
}

type createIn struct {
	Body customer.ProfileInput
}

type profileOut struct {
	ETag         string `header:"ETag"`
	Location     string `header:"Location"`
	CacheControl string `header:"Cache-Control"`
	Body         customer.Profile
}

type patchIn struct {
	ID      string `path:"id" pattern:"^pf[0-9a-z]{26}$"`
	IfMatch string `header:"If-Match" doc:"The ETag of the version the change is based on; 412 if the profile moved on"`
	Body    customer.ProfileInput
}

type deleteIn struct {
	ID      string `path:"id" pattern:"^pf[0-9a-z]{26}$"`
	IfMatch string `header:"If-Match" doc:"The profile's ETag; 412 if it moved on"`
}

type prefsOut struct {
	ETag         string `header:"ETag"`
	CacheControl string `header:"Cache-Control"`
	Body         customer.Preferences
}

type putPrefsIn struct {
	ID      string `path:"id" pattern:"^pf[0-9a-z]{26}$"`
	IfMatch string `header:"If-Match" doc:"The preferences' ETag; 412 if they moved on"`
	Body    customer.PreferencesInput
}

func (h *Handler) register(api huma.API) {
	huma.Register(api, huma.Operation{
		OperationID: "account-get", Method: http.MethodGet, Path: base, Tags: []string{tag},
		Summary:     "Read my account",
		Description: "The caller's account with its profiles, created on the first call with one profile.",
	}, func(ctx context.Context, _ *struct{}) (*accountOut, error) {
		o, err := owner(ctx)
		if err != nil {
			return nil, err
		}
		a, err := h.svc.Account(ctx, o)
		if err != nil {
			return nil, err
		}
		return &accountOut{CacheControl: private, Body: a}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "account-delete", Method: http.MethodDelete, Path: base, Tags: []string{tag},
		Summary:       "Delete my account",
		Description:   "Deletes the account, its profiles and preferences, and publishes account.deleted: every service deletes the user's data, and the auth service the user. 404 when there is no account.",
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, _ *struct{}) (*struct{}, error) {
		o, err := owner(ctx)
		if err != nil {
			return nil, err
		}
		return nil, h.svc.DeleteAccount(ctx, o.Subject)
	})

	huma.Register(api, huma.Operation{
		OperationID: "account-export", Method: http.MethodGet, Path: base + "/export", Tags: []string{tag},
		Summary:     "Download all my data",
		Description: "The account, every profile and its preferences, as a JSON file (Content-Disposition: attachment).",
		Responses: map[string]*huma.Response{"200": {Description: "The export", Content: map[string]*huma.MediaType{
			"application/json": {Schema: api.OpenAPI().Components.Schemas.Schema(httpx.TypeOf[customer.Export](), true, "")},
		}}},
	}, func(ctx context.Context, _ *struct{}) (*exportOut, error) {
		o, err := owner(ctx)
		if err != nil {
			return nil, err
		}
		e, err := h.svc.Export(ctx, o)
		if err != nil {
			return nil, err
		}
		body, err := json.MarshalIndent(e, "", "  ")
		if err != nil {
			return nil, err
		}
		return &exportOut{
			ContentDisposition: `attachment; filename="cdlc-account-export.json"`,
			ContentType:        "application/json", CacheControl: "private, no-store", Body: append(body, '\n'),
		}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "profile-list", Method: http.MethodGet, Path: base + "/profiles", Tags: []string{tag},
		Summary: "List my profiles",
	}, func(ctx context.Context, _ *struct{}) (*profilesOut, error) {
		o, err := owner(ctx)
		if err != nil {
			return nil, err
		}
		ps, err := h.svc.Profiles(ctx, o)
		if err != nil {
			return nil, err
		}
		out := &profilesOut{CacheControl: private}
		out.Body.Profiles, out.Body.Max = ps, customer.MaxProfiles
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "profile-create", Method: http.MethodPost, Path: base + "/profiles", Tags: []string{tag},
		Summary:       "Add a profile",
		Description:   "At most 5 profiles per account (409 beyond). Names are unique within the account, without regard to case (409).",
		DefaultStatus: http.StatusCreated,
	}, func(ctx context.Context, in *createIn) (*profileOut, error) {
		o, err := owner(ctx)
		if err != nil {
			return nil, err
		}
		p, err := h.svc.CreateProfile(ctx, o, in.Body)
		if err != nil {
			return nil, err
		}
		return &profileOut{ETag: httpx.ETag(p.Version), Location: base + "/profiles/" + p.ID, CacheControl: private, Body: p}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "profile-get", Method: http.MethodGet, Path: base + "/profiles/{id}", Tags: []string{tag},
		Summary: "Read a profile",
	}, func(ctx context.Context, in *idIn) (*profileOut, error) {
		o, err := owner(ctx)
		if err != nil {
			return nil, err
		}
		p, err := h.svc.Profile(ctx, o, in.ID)
		if err != nil {
			return nil, err
		}
		return &profileOut{ETag: httpx.ETag(p.Version), CacheControl: private, Body: p}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "profile-update", Method: http.MethodPatch, Path: base + "/profiles/{id}", Tags: []string{tag},
		Summary: "Change a profile",
		Description: "Changes the fields present. A kids profile's maturity_limit is at most 12; turning a profile into a kids one lowers its limit to 7 " +
			"unless one is given. A lowered limit lowers the preferences' maturity_rating with it. With If-Match, 412 unless the profile is still at that version.",
	}, func(ctx context.Context, in *patchIn) (*profileOut, error) {
		o, err := owner(ctx)
		if err != nil {
			return nil, err
		}
		ifv, err := httpx.IfMatchVersion(in.IfMatch, 1)
		if err != nil {
			return nil, err
		}
		p, err := h.svc.UpdateProfile(ctx, o, in.ID, in.Body, ifv)
		if err != nil {
			return nil, err
		}
		return &profileOut{ETag: httpx.ETag(p.Version), CacheControl: private, Body: p}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "profile-delete", Method: http.MethodDelete, Path: base + "/profiles/{id}", Tags: []string{tag},
		Summary:       "Delete a profile",
		Description:   "Deletes the profile and its preferences. The account's last profile cannot be deleted (409).",
		DefaultStatus: http.StatusNoContent,
	}, func(ctx context.Context, in *deleteIn) (*struct{}, error) {
		o, err := owner(ctx)
		if err != nil {
			return nil, err
		}
		ifv, err := httpx.IfMatchVersion(in.IfMatch, 1)
		if err != nil {
			return nil, err
		}
		return nil, h.svc.DeleteProfile(ctx, o, in.ID, ifv)
	})

	huma.Register(api, huma.Operation{
		OperationID: "preferences-get", Method: http.MethodGet, Path: base + "/profiles/{id}/preferences", Tags: []string{tag},
		Summary: "Read a profile's preferences",
	}, func(ctx context.Context, in *idIn) (*prefsOut, error) {
		o, err := owner(ctx)
		if err != nil {
			return nil, err
		}
		p, err := h.svc.Preferences(ctx, o, in.ID)
		if err != nil {
			return nil, err
		}
		return &prefsOut{ETag: httpx.ETag(p.Version), CacheControl: private, Body: p}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "preferences-put", Method: http.MethodPut, Path: base + "/profiles/{id}/preferences", Tags: []string{tag},
		Summary: "Replace a profile's preferences",
		Description: "Genres are slugs (at most 20), languages BCP 47 tags (at most 10); maturity_rating is at most the profile's maturity_limit " +
			"and defaults to it. With If-Match, 412 unless the preferences are still at that version.",
	}, func(ctx context.Context, in *putPrefsIn) (*prefsOut, error) {
		o, err := owner(ctx)
		if err != nil {
			return nil, err
		}
		ifv, err := httpx.IfMatchVersion(in.IfMatch, 1)
		if err != nil {
			return nil, err
		}
		p, err := h.svc.SetPreferences(ctx, o, in.ID, in.Body, ifv)
		if err != nil {
			return nil, err
		}
		return &prefsOut{ETag: httpx.ETag(p.Version), CacheControl: private, Body: p}, nil
	})
}
