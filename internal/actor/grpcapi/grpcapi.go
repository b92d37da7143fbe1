// Package grpcapi serves actor.Service over gRPC (connect-go), and is its
// client: a Client is an actor.Service too.
package grpcapi

import (
	"context"
	"net/http"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/types/known/timestamppb"

	catalogv1 "github.com/cdlc/cdlc/api/gen/cdlc/catalog/v1"
	"github.com/cdlc/cdlc/api/gen/cdlc/catalog/v1/catalogv1connect"
	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/rpc"
)

// MaxIDs bounds one batch lookup (the service's own bound: it answers
// Invalid past it, in process and over the wire alike).
const MaxIDs = actor.MaxBatch

// Server adapts an actor.Service to the gRPC handler. It checks nothing
// itself: the service validates, so a caller gets the same answer, and
// the same errors, in process and over gRPC.
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
	b, err := s.svc.People(ctx, req.Msg.GetIds())
	if err != nil {
		return nil, err
	}
	out := &catalogv1.GetPeopleResponse{Missing: b.Missing, MergedInto: b.MergedInto, People: make([]*catalogv1.Person, 0, len(b.People))}
	for _, p := range b.People {
		out.People = append(out.People, &catalogv1.Person{
			Id: p.ID, Name: p.Name, AlsoKnownAs: p.AlsoKnownAs, BirthDate: p.BirthDate, DeathDate: p.DeathDate,
			BirthPlace: p.BirthPlace, DeathPlace: p.DeathPlace, Professions: p.Professions, Biography: p.Biography,
			KnownFor: p.KnownFor, Popularity: p.Popularity, UpdatedAt: timestamp(p.UpdatedAt), Version: p.Version,
		})
	}
	return connect.NewResponse(out), nil
}

// timestamp encodes t, the zero time as no timestamp.
func timestamp(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

// GetTitleCredits implements the RPC.
func (s *Server) GetTitleCredits(ctx context.Context, req *connect.Request[catalogv1.GetTitleCreditsRequest]) (*connect.Response[catalogv1.GetTitleCreditsResponse], error) {
	credits, err := s.svc.CreditsOfTitle(ctx, req.Msg.GetTitleId())
	if err != nil {
		return nil, err
	}
	out := &catalogv1.GetTitleCreditsResponse{Credits: make([]*catalogv1.Credit, 0, len(credits))}
	for _, c := range credits {
		out.Credits = append(out.Credits, &catalogv1.Credit{
			TitleId: c.TitleID, PersonId: c.PersonID, Department: string(c.Department), Job: c.Job,
			Characters: c.Characters, Order: int32(c.Order), Name: c.Name,
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
			Job: m.GetJob(), Characters: m.GetCharacters(), Order: int(m.GetOrder()), Name: m.GetName(),
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
	return nonNil(res.Msg.GetTitleIds()), nil
}

// People implements actor.Service.
func (c *Client) People(ctx context.Context, ids []string) (actor.Batch, error) {
	res, err := c.c.GetPeople(ctx, connect.NewRequest(&catalogv1.GetPeopleRequest{Ids: ids}))
	if err != nil {
		return actor.Batch{}, rpc.FromConnect(err)
	}
	out := actor.Batch{People: make([]actor.Person, 0, len(res.Msg.GetPeople())), Missing: nonNil(res.Msg.GetMissing())}
	if m := res.Msg.GetMergedInto(); len(m) > 0 {
		out.MergedInto = m
	}
	for _, p := range res.Msg.GetPeople() {
		person := actor.Person{
			ID: p.GetId(), Name: p.GetName(), AlsoKnownAs: nonNil(p.GetAlsoKnownAs()), BirthDate: p.GetBirthDate(), DeathDate: p.GetDeathDate(),
			BirthPlace: p.GetBirthPlace(), DeathPlace: p.GetDeathPlace(), Professions: nonNil(p.GetProfessions()), Biography: p.GetBiography(),
			KnownFor: nonNil(p.GetKnownFor()), Popularity: p.GetPopularity(), Version: p.GetVersion(),
		}
		if p.GetUpdatedAt() != nil {
			person.UpdatedAt = p.GetUpdatedAt().AsTime()
		}
		out.People = append(out.People, person)
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
