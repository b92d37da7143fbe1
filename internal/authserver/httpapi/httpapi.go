// Package httpapi is the authorization server's operator API under
// /api/v1/auth/ (clients and users; scope admin), on huma.
package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/cdlc/cdlc/internal/authserver"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

// The operator API under /api/v1/auth/: clients and users, scope admin.

type clientsOut struct {
	Body struct {
		Clients []authserver.Client `json:"clients"`
	}
}

type clientIn struct {
	Body authserver.ClientInput
}

type createdClientOut struct {
	Body struct {
		Client authserver.Client `json:"client"`
		// Secret is shown once; only its hash is kept.
		Secret string `json:"client_secret,omitempty"`
	}
}

type idIn struct {
	ID string `path:"id" maxLength:"64"`
}

type usersIn struct {
	After string `query:"after" maxLength:"64" doc:"cursor: the last id of the previous page"`
	Limit int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type usersOut struct {
	Body struct {
		Users []authserver.User `json:"users"`
		Next  string            `json:"next,omitempty"`
	}
}

type userIn struct {
	Body struct {
		Email         string   `json:"email" maxLength:"254"`
		Name          string   `json:"name,omitempty" maxLength:"200"`
		Password      string   `json:"password" minLength:"10" maxLength:"256"`
		Roles         []string `json:"roles,omitempty" doc:"customer, operator, admin (default customer)"`
		EmailVerified bool     `json:"email_verified,omitempty"`
	}
}

type userOut struct {
	Body authserver.User
}

// Register adds the operator API of the provider s to api.
func Register(api huma.API, s *authserver.Service) {
	st := s.Store()
	const tag = "auth"
	admin := func(ctx context.Context) error { _, err := auth.Require(ctx, "admin"); return err }
	huma.Register(api, huma.Operation{OperationID: "auth-clients-list", Method: http.MethodGet, Path: "/api/v1/auth/clients", Tags: []string{tag}, Summary: "List OAuth clients"},
		func(ctx context.Context, _ *struct{}) (*clientsOut, error) {
			if err := admin(ctx); err != nil {
				return nil, err
			}
			cs, err := st.ListClients(ctx)
			if err != nil {
				return nil, err
			}
			out := &clientsOut{}
			out.Body.Clients = cs
			return out, nil
		})
	huma.Register(api, huma.Operation{OperationID: "auth-clients-create", Method: http.MethodPost, Path: "/api/v1/auth/clients", Tags: []string{tag}, DefaultStatus: http.StatusCreated,
		Summary: "Register an OAuth client", Description: "A confidential client's secret is in the answer, once."},
		func(ctx context.Context, in *clientIn) (*createdClientOut, error) {
			if err := admin(ctx); err != nil {
				return nil, err
			}
			c, secret, err := authserver.CreateClient(ctx, st, in.Body)
			if err != nil {
				return nil, err
			}
			out := &createdClientOut{}
			out.Body.Client, out.Body.Secret = c, secret
			return out, nil
		})
	huma.Register(api, huma.Operation{OperationID: "auth-clients-delete", Method: http.MethodDelete, Path: "/api/v1/auth/clients/{id}", Tags: []string{tag}, DefaultStatus: http.StatusNoContent,
		Summary: "Delete an OAuth client (its grants are revoked)"},
		func(ctx context.Context, in *idIn) (*struct{}, error) {
			if err := admin(ctx); err != nil {
				return nil, err
			}
			if in.ID == authserver.WebClientID {
				return nil, errs.Conflict("%s is the platform's web app; it is recreated at every start", authserver.WebClientID)
			}
			return nil, st.DeleteClient(ctx, in.ID)
		})
	huma.Register(api, huma.Operation{OperationID: "auth-users-list", Method: http.MethodGet, Path: "/api/v1/auth/users", Tags: []string{tag}, Summary: "List users"},
		func(ctx context.Context, in *usersIn) (*usersOut, error) {
			if err := admin(ctx); err != nil {
				return nil, err
			}
			us, err := st.ListUsers(ctx, in.After, in.Limit)
			if err != nil {
				return nil, err
			}
			out := &usersOut{}
			out.Body.Users = us
			if len(us) == in.Limit {
				out.Body.Next = us[len(us)-1].ID
			}
			return out, nil
		})
	huma.Register(api, huma.Operation{OperationID: "auth-users-create", Method: http.MethodPost, Path: "/api/v1/auth/users", Tags: []string{tag}, DefaultStatus: http.StatusCreated, Summary: "Create a user"},
		func(ctx context.Context, in *userIn) (*userOut, error) {
			if err := admin(ctx); err != nil {
				return nil, err
			}
			if err := authserver.ValidatePassword("body.password", in.Body.Password); err != nil {
				return nil, err
			}
			u, err := authserver.CreateUser(ctx, st, authserver.NewUserInput{Email: in.Body.Email, Name: in.Body.Name, Password: in.Body.Password, Roles: in.Body.Roles, EmailVerified: in.Body.EmailVerified},
				s.Config().Argon2.HashPassword(in.Body.Password))
			if err != nil {
				return nil, err
			}
			s.Kick()
			return &userOut{Body: u}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "auth-users-get", Method: http.MethodGet, Path: "/api/v1/auth/users/{id}", Tags: []string{tag}, Summary: "Read a user"},
		func(ctx context.Context, in *idIn) (*userOut, error) {
			if err := admin(ctx); err != nil {
				return nil, err
			}
			u, err := st.UserByID(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			return &userOut{Body: u}, nil
		})
	huma.Register(api, huma.Operation{OperationID: "auth-users-delete", Method: http.MethodDelete, Path: "/api/v1/auth/users/{id}", Tags: []string{tag}, DefaultStatus: http.StatusNoContent,
		Summary: "Delete a user (sessions and tokens revoked; user.deleted is published)"},
		func(ctx context.Context, in *idIn) (*struct{}, error) {
			if err := admin(ctx); err != nil {
				return nil, err
			}
			found, err := s.DeleteUser(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			if !found {
				return nil, errs.NotFound("user %s", in.ID)
			}
			s.Kick()
			return nil, nil
		})
}
