package inventory_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	actorgrpc "github.com/cdlc/cdlc/internal/actor/grpcapi"
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/resilience"
	"github.com/cdlc/cdlc/internal/platform/rpc"
)

// unconfigured stands for a peer that is not configured, as a stub client
// that answers every call Unavailable.
type unconfigured struct{}

func (unconfigured) err() error { return errs.Unavailable(nil, "the actor service is not configured") }
func (u unconfigured) CreditsOfTitle(context.Context, string) ([]actor.Credit, error) {
	return nil, u.err()
}
func (u unconfigured) People(context.Context, []string) (actor.Batch, error) {
	return actor.Batch{}, u.err()
}
func (u unconfigured) TitlesOfPerson(context.Context, string) ([]string, error) {
	return nil, u.err()
}
func (u unconfigured) Search(context.Context, actor.SearchQuery) ([]actor.PersonHit, error) {
	return nil, u.err()
}

// downActor is the gRPC client of an actor service nothing listens for,
// through a peer whose breaker opens at the first failure.
func downActor(t *testing.T) *actorgrpc.Client {
	t.Helper()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	cfg := rpc.DefaultClientConfig()
	cfg.Attempts, cfg.BreakerFailures, cfg.BreakerOpen = 1, 1, time.Minute
	return actorgrpc.NewClient(http.DefaultClient, gone.URL, rpc.NewPeer("actor", cfg, nil).ClientOptions()...)
}

// A title read that appends credits answers 200 whether the actor service
// is not configured (no client, or a stub client answering Unavailable)
// or down (over gRPC, then with its breaker open): the title, with
// credits.available false and a reason. The degraded answer is not
// cached: once the actor service answers, the next read has the credits.
func TestCreditsDegradeAlikeWhenTheActorServiceIsMissingOrDown(t *testing.T) {
	down := downActor(t)
	for _, c := range []struct {
		name   string
		actor  actor.Service
		reason string
	}{
		{"not configured, no client", nil, "not configured"},
		{"not configured, stub client", unconfigured{}, "not configured"},
		{"down", down, "unavailable"},
		{"down, breaker open", down, "circuit breaker"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			working := &fakeActor{credits: []actor.Credit{{TitleID: "tt0068646", PersonID: "nm0000008", Department: actor.DeptActing, Job: "actor", Order: 1, Name: "Marlon Brando"}}}
			var up atomic.Bool
			cat, store := newCatalog(t, func() actor.Service {
				if up.Load() {
					return working
				}
				return c.actor
			})
			d, err := cat.Create(ctx, inventory.TitleFields{Kind: ptr(inventory.KindMovie), Title: ptr("The Godfather")})
			require.NoError(t, err)

			r, err := cat.TitleJSON(ctx, d.ID, inventory.AppendCredits)
			require.NoError(t, err, "a title whose credits cannot be had is still a title")
			require.Contains(t, r.Partial, c.reason)
			var v inventory.TitleView
			require.NoError(t, json.Unmarshal(r.Body, &v))
			require.Equal(t, "The Godfather", v.Title.Title)
			require.Equal(t, &inventory.Credits{Reason: r.Partial, Cast: []actor.Credit{}, Crew: []actor.Credit{}}, v.Credits)

			up.Store(true)
			r, err = cat.TitleJSON(ctx, d.ID, inventory.AppendCredits)
			require.NoError(t, err)
			require.Empty(t, r.Partial, "the degraded rendering was not cached")
			v = inventory.TitleView{}
			require.NoError(t, json.Unmarshal(r.Body, &v))
			require.Equal(t, &inventory.Credits{Available: true, Cast: working.credits, Crew: []actor.Credit{}}, v.Credits)
			gets := store.gets.Load()
			_, err = cat.TitleJSON(ctx, d.ID, inventory.AppendCredits)
			require.NoError(t, err)
			require.Equal(t, gets, store.gets.Load(), "the full rendering is cached")
		})
	}
}

// Discover's person filters cannot be answered without the actor
// service: not configured and down are the same 503, naming the filter;
// an open breaker's cause stays, to say when to come back.
func TestPersonFiltersNeedTheActorServiceConfiguredOrNot(t *testing.T) {
	ctx := context.Background()
	cat, _ := newCatalog(t, nil)
	down := downActor(t)
	for _, c := range []struct {
		name   string
		people inventory.PersonTitles
	}{
		{"not configured, no client", nil},
		{"not configured, stub client", unconfigured{}},
		{"down", down},
		{"down, breaker open", down},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range []inventory.DiscoverParams{{WithPerson: "nm0000008"}, {WithoutPerson: "nm0000008"}} {
				_, err := cat.Discover(ctx, p, c.people)
				require.True(t, errs.Is(err, errs.KindUnavailable), "%v", err)
				require.Contains(t, err.Error(), "_person needs the actor service")
			}
		})
	}
	_, err := cat.Discover(ctx, inventory.DiscoverParams{WithPerson: "nm0000008"}, down)
	_, ok := resilience.RetryAfter(err)
	require.True(t, ok, "the open breaker says when to come back: %v", err)
}
