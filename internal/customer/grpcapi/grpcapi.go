// Package grpcapi serves customer.Service over gRPC (connect-go), and is
// its client: a Client is a customer.Service too.
package grpcapi

import (
	"context"
	"net/http"

	"connectrpc.com/connect"

	customerv1 "github.com/cdlc/cdlc/api/gen/cdlc/customer/v1"
	"github.com/cdlc/cdlc/api/gen/cdlc/customer/v1/customerv1connect"
	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/platform/rpc"
)

// Server adapts a customer.Service to the gRPC handler.
type Server struct {
	svc customer.Service
}

var _ customerv1connect.CustomerServiceHandler = (*Server)(nil)

// Handler returns the mount path and handler serving svc.
func Handler(svc customer.Service) (string, http.Handler) {
	return customerv1connect.NewCustomerServiceHandler(&Server{svc: svc}, rpc.HandlerOptions()...)
}

// GetPreferences implements the RPC.
func (s *Server) GetPreferences(ctx context.Context, req *connect.Request[customerv1.GetPreferencesRequest]) (*connect.Response[customerv1.GetPreferencesResponse], error) {
	p, err := s.svc.PreferencesOf(ctx, req.Msg.GetProfileId())
	if err != nil {
		return nil, err
	}
	return connect.NewResponse(&customerv1.GetPreferencesResponse{Preferences: toProto(p)}), nil
}

// BatchGetPreferences implements the RPC.
func (s *Server) BatchGetPreferences(ctx context.Context, req *connect.Request[customerv1.BatchGetPreferencesRequest]) (*connect.Response[customerv1.BatchGetPreferencesResponse], error) {
	b, err := s.svc.PreferencesOfMany(ctx, req.Msg.GetProfileIds())
	if err != nil {
		return nil, err
	}
	out := &customerv1.BatchGetPreferencesResponse{Missing: b.Missing}
	for _, p := range b.Preferences {
		out.Preferences = append(out.Preferences, toProto(p))
	}
	return connect.NewResponse(out), nil
}

func toProto(p customer.ProfilePreferences) *customerv1.ProfilePreferences {
	return &customerv1.ProfilePreferences{
		ProfileId: p.ProfileID, Subject: p.Subject, Kids: p.Kids, MaturityLimit: string(p.MaturityLimit), Language: p.Language,
		FavouriteGenres: p.FavouriteGenres, Languages: p.Languages, MaturityRating: string(p.MaturityRating),
		Notifications: &customerv1.Notifications{Email: p.Notifications.Email, Push: p.Notifications.Push, Newsletter: p.Notifications.Newsletter},
		Version:       p.Version,
	}
}

func fromProto(m *customerv1.ProfilePreferences) customer.ProfilePreferences {
	n := m.GetNotifications()
	p := customer.ProfilePreferences{
		ProfileID: m.GetProfileId(), Subject: m.GetSubject(), Kids: m.GetKids(), MaturityLimit: customer.Maturity(m.GetMaturityLimit()), Language: m.GetLanguage(),
		Preferences: customer.Preferences{
			FavouriteGenres: m.GetFavouriteGenres(), Languages: m.GetLanguages(), MaturityRating: customer.Maturity(m.GetMaturityRating()),
			Notifications: customer.Notifications{Email: n.GetEmail(), Push: n.GetPush(), Newsletter: n.GetNewsletter()},
			Version:       m.GetVersion(),
		},
	}
	if p.FavouriteGenres == nil {
		p.FavouriteGenres = []string{}
	}
	if p.Languages == nil {
		p.Languages = []string{}
	}
	return p
}

// Client is customer.Service over gRPC.
type Client struct {
	c customerv1connect.CustomerServiceClient
}

var _ customer.Service = (*Client)(nil)

// NewClient calls the customer service at baseURL (http://host:port).
// opts add to the client (the peer's resilience: rpc.Peer.ClientOptions).
func NewClient(hc connect.HTTPClient, baseURL string, opts ...connect.ClientOption) *Client {
	return &Client{c: customerv1connect.NewCustomerServiceClient(hc, baseURL, opts...)}
}

// PreferencesOf implements customer.Service.
func (c *Client) PreferencesOf(ctx context.Context, profileID string) (customer.ProfilePreferences, error) {
	res, err := c.c.GetPreferences(ctx, connect.NewRequest(&customerv1.GetPreferencesRequest{ProfileId: profileID}))
	if err != nil {
		return customer.ProfilePreferences{}, rpc.FromConnect(err)
	}
	return fromProto(res.Msg.GetPreferences()), nil
}

// PreferencesOfMany implements customer.Service.
func (c *Client) PreferencesOfMany(ctx context.Context, ids []string) (customer.PreferencesBatch, error) {
	res, err := c.c.BatchGetPreferences(ctx, connect.NewRequest(&customerv1.BatchGetPreferencesRequest{ProfileIds: ids}))
	if err != nil {
		return customer.PreferencesBatch{}, rpc.FromConnect(err)
	}
	out := customer.PreferencesBatch{Preferences: []customer.ProfilePreferences{}, Missing: res.Msg.GetMissing()}
	for _, m := range res.Msg.GetPreferences() {
		out.Preferences = append(out.Preferences, fromProto(m))
	}
	if out.Missing == nil {
		out.Missing = []string{}
	}
	return out, nil
}
