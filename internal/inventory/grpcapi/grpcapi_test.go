package grpcapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/inventory/grpcapi"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

// catalog is a two-title inventory.Service for exercising the transport.
type catalog map[string]inventory.Summary

func (c catalog) Summaries(_ context.Context, ids []string) ([]inventory.Summary, error) {
	var out []inventory.Summary
	for _, id := range ids {
		if id == "boom" {
			return nil, errs.Unavailable(nil, "store down")
		}
		if s, ok := c[id]; ok {
			out = append(out, s)
		}
	}
	return out, nil
}

func TestClientAndServerAgree(t *testing.T) {
	svc := catalog{
		"tt0068646": {ID: "tt0068646", Kind: inventory.KindMovie, Title: "The Godfather", StartYear: 1972, Rating: inventory.Rating{Average: 9.2, Votes: 10}},
		"tt0071562": {ID: "tt0071562", Kind: inventory.KindMovie, Title: "The Godfather Part II", StartYear: 1974},
	}
	mux := http.NewServeMux()
	mux.Handle(grpcapi.Handler(svc))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := grpcapi.NewClient(srv.Client(), srv.URL)

	got, err := c.Summaries(context.Background(), []string{"tt0071562", "tt9999999", "tt0068646"})
	require.NoError(t, err)
	require.Equal(t, []inventory.Summary{svc["tt0071562"], svc["tt0068646"]}, got, "order kept, missing left out")

	_, err = c.Summaries(context.Background(), []string{"boom"})
	require.True(t, errs.Is(err, errs.KindUnavailable), "errors keep their kind across the wire: %v", err)

	many := make([]string, grpcapi.MaxIDs+1)
	_, err = c.Summaries(context.Background(), many)
	require.True(t, errs.Is(err, errs.KindInvalid), "%v", err)
}
