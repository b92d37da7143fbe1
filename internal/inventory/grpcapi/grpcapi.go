// Package grpcapi serves inventory.Service over gRPC (connect-go), and is
// its client: a Client is an inventory.Service too, so a caller in another
// process uses it exactly as it would the in-process service.
package grpcapi

import (
	"context"
	"net/http"

	"connectrpc.com/connect"

	catalogv1 "github.com/cdlc/cdlc/api/gen/cdlc/catalog/v1"
	"github.com/cdlc/cdlc/api/gen/cdlc/catalog/v1/catalogv1connect"
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/rpc"
)

// MaxIDs bounds one batch lookup (the service's own bound: it answers
// Invalid past it, in process and over the wire alike).
const MaxIDs = inventory.MaxBatch

// Server adapts an inventory.Service to the gRPC handler. It checks
// nothing itself: the service validates, so a caller gets the same
// answer, and the same errors, in process and over gRPC.
type Server struct {
	svc inventory.Service
}

var _ catalogv1connect.InventoryServiceHandler = (*Server)(nil)

// Handler returns the mount path and handler serving svc.
func Handler(svc inventory.Service) (string, http.Handler) {
	return catalogv1connect.NewInventoryServiceHandler(&Server{svc: svc}, rpc.HandlerOptions()...)
}

// GetTitles implements the RPC.
func (s *Server) GetTitles(ctx context.Context, req *connect.Request[catalogv1.GetTitlesRequest]) (*connect.Response[catalogv1.GetTitlesResponse], error) {
	ids := req.Msg.GetIds()
	sums, err := s.svc.Summaries(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := &catalogv1.GetTitlesResponse{}
	found := make(map[string]bool, len(sums))
	for _, t := range sums {
		found[t.ID] = true
		out.Titles = append(out.Titles, &catalogv1.TitleSummary{
			Id: t.ID, Kind: string(t.Kind), Title: t.Title, StartYear: int32(t.StartYear),
			RatingAverage: t.Rating.Average, RatingVotes: t.Rating.Votes, Popularity: t.Popularity, Poster: t.Poster,
		})
	}
	for _, id := range ids {
		if !found[id] {
			out.Missing = append(out.Missing, id)
		}
	}
	return connect.NewResponse(out), nil
}

// Client is inventory.Service over gRPC.
type Client struct {
	c catalogv1connect.InventoryServiceClient
}

var _ inventory.Service = (*Client)(nil)

// NewClient calls the inventory service at baseURL (http://host:port).
// opts add to the client (the peer's resilience: rpc.Peer.ClientOptions).
func NewClient(hc connect.HTTPClient, baseURL string, opts ...connect.ClientOption) *Client {
	return &Client{c: catalogv1connect.NewInventoryServiceClient(hc, baseURL, opts...)}
}

// Summaries implements inventory.Service.
func (c *Client) Summaries(ctx context.Context, ids []string) ([]inventory.Summary, error) {
	res, err := c.c.GetTitles(ctx, connect.NewRequest(&catalogv1.GetTitlesRequest{Ids: ids}))
	if err != nil {
		return nil, rpc.FromConnect(err)
	}
	out := make([]inventory.Summary, 0, len(res.Msg.GetTitles()))
	for _, t := range res.Msg.GetTitles() {
		out = append(out, inventory.Summary{
			ID: t.GetId(), Kind: inventory.Kind(t.GetKind()), Title: t.GetTitle(), StartYear: int(t.GetStartYear()),
			Rating: inventory.Rating{Average: t.GetRatingAverage(), Votes: t.GetRatingVotes()}, Popularity: t.GetPopularity(), Poster: t.GetPoster(),
		})
	}
	return out, nil
}
