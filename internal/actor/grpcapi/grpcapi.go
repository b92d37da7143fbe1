// Package grpcapi serves actor.Service over gRPC (connect-go), and is its
// client: a Client is an actor.Service too.
package grpcapi

import (
	"context"
	"net/http"

	"connectrpc.com/connect"

	catalogv1 "github.com/cdlc/cdlc/api/gen/cdlc/catalog/v1"
	"github.com/cdlc/cdlc/api/gen/cdlc/catalog/v1/catalogv1connect"
	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/rpc"
)

// MaxIDs bounds one batch lookup.
const MaxIDs = 100

// Server adapts an actor.Service to the gRPC handler.
type Server struct {
	svc actor.Service
}

var _ catalogv1connect.ActorServiceHandler = (*Server)(nil)

// Handler returns the mount path and handler serving svc.
func Handler(svc actor.Service) (string, http.Handler) {
	return catalogv1connect.NewActorServiceHandler(&Server{svc: svc}, rpc.HandlerOptions()...)
}

// GetPeople implements the RPC.
func (s *Server) GetPeople(ctx context.Context, req *connect.Request[catalogv1.GetPeopleRequest]) (*connect.Response[catalogv1.GetPeopleResponse], error) {
	ids := req.Msg.GetIds()
	if len(ids) > MaxIDs {
		return nil, errs.Invalid("ids", "at most %d ids per call, got %d", MaxIDs, len(ids))
	}
	b, err := s.svc.People(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := &catalogv1.GetPeopleResponse{Missing: b.Missing}
	for _, p := range b.People {
		out.People = append(out.People, &catalogv1.PersonSummary{Id: p.ID, Name: p.Name, Professions: p.Professions, Popularity: p.Popularity})
	}
	return connect.NewResponse(out), nil
}

// GetTitleCredits implements the RPC.
func (s *Server) GetTitleCredits(ctx context.Context, req *connect.Request[catalogv1.GetTitleCreditsRequest]) (*connect.Response[catalogv1.GetTitleCreditsResponse], error) {
	if req.Msg.GetTitleId() == "" {
		return nil, errs.Invalid("title_id", "is required")
	}
	credits, err := s.svc.CreditsOfTitle(ctx, req.Msg.GetTitleId())
	if err != nil {
		return nil, err
	}
	out := &catalogv1.GetTitleCreditsResponse{}
	for _, c := range credits {
		out.Credits = append(out.Credits, &catalogv1.Credit{
			TitleId: c.TitleID, PersonId: c.PersonID, Department: string(c.Department), Job: c.Job,
			Characters: c.Characters, Order: int32(c.Order),
		})
	}
	return connect.NewResponse(out), nil
}

// GetPersonTitles implements the RPC.
func (s *Server) GetPersonTitles(ctx context.Context, req *connect.Request[catalogv1.GetPersonTitlesRequest]) (*connect.Response[catalogv1.GetPersonTitlesResponse], error) {
	ids, err := s.svc.TitlesOfPerson(ctx, req.Msg.GetPersonId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&catalogv1.GetPersonTitlesResponse{TitleIds: ids}), nil
}

// SearchPeople implements the RPC.
func (s *Server) SearchPeople(ctx context.Context, req *connect.Request[catalogv1.SearchPeopleRequest]) (*connect.Response[catalogv1.SearchPeopleResponse], error) {
	hits, err := s.svc.Search(ctx, actor.SearchQuery{Text: req.Msg.GetText(), Limit: int(req.Msg.GetLimit()), Autocomplete: req.Msg.GetAutocomplete()})
	if err != nil {
		return nil, err
	}
	out := &catalogv1.SearchPeopleResponse{Hits: make([]*catalogv1.PersonHit, 0, len(hits))}
	for _, h := range hits {
		out.Hits = append(out.Hits, &catalogv1.PersonHit{
			Id: h.ID, Name: h.Name, Professions: h.Professions, KnownFor: h.KnownFor,
			Popularity: h.Popularity, Score: h.Score, Normalized: h.Normalized,
		})
	}
	return connect.NewResponse(out), nil
}

// Client is actor.Service over gRPC.
type Client struct {
	c catalogv1connect.ActorServiceClient
}

var _ actor.Service = (*Client)(nil)

// NewClient calls the actor service at baseURL (http://host:port).
// opts add to the client (the peer's resilience: rpc.Peer.ClientOptions).
func NewClient(hc connect.HTTPClient, baseURL string, opts ...connect.ClientOption) *Client {
	return &Client{c: catalogv1connect.NewActorServiceClient(hc, baseURL, opts...)}
}

// CreditsOfTitle implements actor.Service.
func (c *Client) CreditsOfTitle(ctx context.Context, titleID string) ([]actor.Credit, error) {
	res, err := c.c.GetTitleCredits(ctx, connect.NewRequest(&catalogv1.GetTitleCreditsRequest{TitleId: titleID}))
	if err != nil {
		return nil, rpc.FromConnect(err)
	}
	out := make([]actor.Credit, 0, len(res.Msg.GetCredits()))
	for _, m := range res.Msg.GetCredits() {
		out = append(out, actor.Credit{
			TitleID: m.GetTitleId(), PersonID: m.GetPersonId(), Department: actor.Department(m.GetDepartment()),
			Job: m.GetJob(), Characters: m.GetCharacters(), Order: int(m.GetOrder()),
		})
	}
	return out, nil
}

// TitlesOfPerson implements actor.Service.
func (c *Client) TitlesOfPerson(ctx context.Context, personID string) ([]string, error) {
	res, err := c.c.GetPersonTitles(ctx, connect.NewRequest(&catalogv1.GetPersonTitlesRequest{PersonId: personID}))
	if err != nil {
		return nil, rpc.FromConnect(err)
	}
	return res.Msg.GetTitleIds(), nil
}

// People implements actor.Service. The people carry the summary fields
// (id, name, professions, popularity).
func (c *Client) People(ctx context.Context, ids []string) (actor.Batch, error) {
	res, err := c.c.GetPeople(ctx, connect.NewRequest(&catalogv1.GetPeopleRequest{Ids: ids}))
	if err != nil {
		return actor.Batch{}, rpc.FromConnect(err)
	}
	out := actor.Batch{People: []actor.Person{}, Missing: res.Msg.GetMissing()}
	for _, p := range res.Msg.GetPeople() {
		out.People = append(out.People, actor.Person{ID: p.GetId(), Name: p.GetName(), Professions: p.GetProfessions(), Popularity: p.GetPopularity()})
	}
	if out.Missing == nil {
		out.Missing = []string{}
	}
	return out, nil
}

// Search implements actor.Service.
func (c *Client) Search(ctx context.Context, q actor.SearchQuery) ([]actor.PersonHit, error) {
	res, err := c.c.SearchPeople(ctx, connect.NewRequest(&catalogv1.SearchPeopleRequest{
		Text: q.Text, Limit: int32(min(max(q.Limit, 0), actor.MaxSearchLimit+1)), Autocomplete: q.Autocomplete,
	}))
	if err != nil {
		return nil, rpc.FromConnect(err)
	}
	out := make([]actor.PersonHit, 0, len(res.Msg.GetHits()))
	for _, h := range res.Msg.GetHits() {
		out = append(out, actor.PersonHit{
			ID: h.GetId(), Name: h.GetName(), Professions: nonNil(h.GetProfessions()), KnownFor: nonNil(h.GetKnownFor()),
			Popularity: h.GetPopularity(), Score: h.GetScore(), Normalized: h.GetNormalized(),
		})
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
