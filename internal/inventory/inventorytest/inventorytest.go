// Package inventorytest is the contract of inventory.Service: one suite
// that every implementation passes, the in-process Catalog and the gRPC
// client (grpcapi.Client) talking to it alike, so that a caller cannot
// tell where the inventory runs.
//
// The fixtures fill every field of every type that crosses the interface
// (rpctest.RequireFilled checks it), and the answers are compared whole,
// so a transport that drops or changes a field fails the suite.
package inventorytest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/inventory/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/rpc/rpctest"
)

// Subject is one inventory under test and the store it reads, which the
// suite seeds.
type Subject struct {
	Service inventory.Service
	Store   inventory.Store
}

// Wrap stands between the in-process service and whatever reaches it
// (the caller, or the gRPC handler): the suite passes one that makes the
// service fail, to see its errors reach the caller unchanged.
type Wrap func(inventory.Service) inventory.Service

// Local is the in-process catalog over a real store on a fresh SQLite
// database.
func Local(t *testing.T) (*inventory.Catalog, inventory.Store) {
	t.Helper()
	d := dbtest.Open(t, dbtest.SQLiteConfig(t), "inventory")
	require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
	c, err := cache.New(cache.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	store := sqlstore.New(d)
	return inventory.New(inventory.Options{Store: store, Cache: cache.NewLoader(c, cache.LoaderOptions{})}), store
}

// The fixtures: titles whose summaries fill every field, and one that
// fills none it need not.
var (
	godfather = inventory.Details{
		Title: inventory.Title{
			ID: "tt0068646", Kind: inventory.KindMovie, Title: "The Godfather", StartYear: 1972,
			Rating: inventory.Rating{Average: 9.2, Votes: 2_100_000}, Popularity: 88.5,
			Genres: []string{"crime", "drama"}, SpokenLangs: []string{"en", "it"}, Countries: []string{"US"},
		},
		Images: []inventory.Image{
			{Kind: "backdrop", Path: "/backdrops/godfather.jpg"},
			{Kind: "poster", Path: "/posters/godfather.jpg"},
		},
	}
	sopranos = inventory.Details{
		Title: inventory.Title{
			ID: "tt0141842", Kind: inventory.KindSeries, Title: "The Sopranos", StartYear: 1999, EndYear: 2007,
			Rating: inventory.Rating{Average: 9.25, Votes: 480_000}, Popularity: 41.75,
			Genres: []string{"crime"}, SpokenLangs: []string{"en"}, Countries: []string{"US"},
		},
		Images: []inventory.Image{{Kind: "poster", Path: "/posters/sopranos.jpg"}},
	}
	bare = inventory.Details{
		Title: inventory.Title{ID: "ct0000000000aa", Kind: inventory.KindShort, Title: "Untitled", Genres: []string{}, SpokenLangs: []string{}, Countries: []string{}},
	}
	nobody = "tt9999999"
)

func summaryOf(d inventory.Details) inventory.Summary {
	s := inventory.Summary{ID: d.ID, Kind: d.Kind, Title: d.Title.Title, StartYear: d.StartYear, Rating: d.Rating, Popularity: d.Popularity}
	for _, im := range d.Images {
		if im.Kind == "poster" {
			s.Poster = im.Path
			break
		}
	}
	return s
}

func seed(t *testing.T, s inventory.Store) {
	t.Helper()
	for _, d := range []inventory.Details{godfather, sopranos, bare} {
		_, err := s.Create(context.Background(), d, func(d inventory.Details) events.Message {
			return events.Message{Topic: inventory.TitleCreated.Name, Key: d.ID, Payload: []byte(`{}`)}
		})
		require.NoError(t, err)
	}
}

// Run runs the contract against the services newSubject builds; each
// call must give a fresh service over an empty store, with wrap applied
// to the in-process service before anything reaches it.
func Run(t *testing.T, newSubject func(t *testing.T, wrap Wrap) Subject) {
	ctx := context.Background()
	identity := func(s inventory.Service) inventory.Service { return s }

	t.Run("Summaries", func(t *testing.T) {
		sub := newSubject(t, identity)
		seed(t, sub.Store)
		want := []inventory.Summary{summaryOf(sopranos), summaryOf(godfather)}
		rpctest.RequireFilled(t, want)
		got, err := sub.Service.Summaries(ctx, []string{sopranos.ID, nobody, "bogus", godfather.ID, sopranos.ID})
		require.NoError(t, err)
		require.Equal(t, want, got, "in the order asked, duplicates once, unknown and malformed ids left out")

		got, err = sub.Service.Summaries(ctx, []string{bare.ID})
		require.NoError(t, err)
		require.Equal(t, []inventory.Summary{summaryOf(bare)}, got)

		for _, ids := range [][]string{nil, {}, {nobody}} {
			got, err = sub.Service.Summaries(ctx, ids)
			require.NoError(t, err)
			require.Equal(t, []inventory.Summary{}, got, "none found is an empty list")
		}

		many := make([]string, inventory.MaxBatch+1)
		for i := range many {
			many[i] = fmt.Sprintf("tt%07d", i+1)
		}
		_, err = sub.Service.Summaries(ctx, many)
		rpctest.RequireInvalid(t, err, "ids")
	})

	t.Run("Errors", func(t *testing.T) {
		for _, want := range rpctest.Errors() {
			t.Run(string(errs.KindOf(want)), func(t *testing.T) {
				sub := newSubject(t, func(inventory.Service) inventory.Service { return failing{want} })
				_, err := sub.Service.Summaries(ctx, []string{godfather.ID})
				rpctest.RequireSameError(t, want, err)
			})
		}
	})
}

// failing is a service whose every call fails with err.
type failing struct{ err error }

func (f failing) Summaries(context.Context, []string) ([]inventory.Summary, error) {
	return nil, f.err
}
