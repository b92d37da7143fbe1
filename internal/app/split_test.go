package app_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/app/apptest"
)

// Split across processes, the services call each other over gRPC: the
// inventory appends the credits it asks of the actor service, and
// discover's with_person asks it for a person's titles.
func TestSplitServicesCallEachOtherOverGRPC(t *testing.T) {
	actors := apptest.Start(t, map[string]string{"target": "actor"})
	titles := apptest.Start(t, map[string]string{"target": "inventory", "peers.actor": actors.URL})

	godfather := createTitle(t, titles, map[string]any{"kind": "movie", "title": "The Godfather", "start_year": 1972})
	brando := createPerson(t, actors, map[string]any{"name": "Marlon Brando", "professions": []string{"actor"}})
	res := actors.Do("POST", "/api/v1/credits", map[string]any{"credits": []any{map[string]any{
		"title_id": godfather.ID, "person_id": brando.ID, "department": actor.DeptActing, "job": "actor", "order": 1,
		"characters": []string{"Don Vito Corleone"},
	}}})
	require.Less(t, res.Status, 300, string(res.Body))

	var got struct {
		Credits struct {
			Available bool `json:"available"`
			Cast      []struct {
				PersonID   string   `json:"person_id"`
				Characters []string `json:"characters"`
			} `json:"cast"`
		} `json:"credits"`
	}
	require.Eventually(t, func() bool {
		titles.Do("GET", "/api/v1/titles/"+godfather.ID+"?append=credits", nil).JSON(t, &got)
		return len(got.Credits.Cast) == 1
	}, 10*time.Second, 50*time.Millisecond, "credits reach the inventory over gRPC")
	require.True(t, got.Credits.Available)
	require.Equal(t, brando.ID, got.Credits.Cast[0].PersonID)
	require.Equal(t, []string{"Don Vito Corleone"}, got.Credits.Cast[0].Characters)

	var ready struct{ Checks map[string]string }
	titles.Do("GET", "/readyz", nil).JSON(t, &ready)
	require.Equal(t, "ok", ready.Checks["peer:actor"], "readiness covers the peer")

	res = titles.Do("GET", "/api/v1/discover/titles?with_person="+brando.ID, nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	require.Contains(t, string(res.Body), godfather.ID, "with_person asks the actor service over gRPC")
}

// A peer that fails costs its callers little: reads are retried a few
// times, then the peer's circuit breaker opens and calls fail at once,
// without reaching the peer, as a 503 problem whose Retry-After says when
// the breaker lets a call through again.
func TestFailingPeerTripsItsBreaker(t *testing.T) {
	var calls atomic.Int64
	peer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			return
		}
		calls.Add(1)
		http.Error(w, "overloaded", http.StatusServiceUnavailable)
	}))
	defer peer.Close()
	titles := apptest.Start(t, map[string]string{
		"target": "inventory", "peers.actor": peer.URL,
		"rpc.attempts": "3", "rpc.breaker_failures": "3", "rpc.breaker_open": "1m",
		"rpc.backoff_initial": "1ms", "rpc.backoff_max": "2ms",
	})
	godfather := createTitle(t, titles, map[string]any{"kind": "movie", "title": "The Godfather", "start_year": 1972})

	// The title is answered without its credits, saying so.
	res := titles.Do("GET", "/api/v1/titles/"+godfather.ID+"?append=credits", nil)
	requireDegradedCredits(t, res)
	require.EqualValues(t, 3, calls.Load(), "a read is retried")

	res = titles.Do("GET", "/api/v1/titles/"+godfather.ID+"?append=credits", nil)
	requireDegradedCredits(t, res)
	require.EqualValues(t, 3, calls.Load(), "an open breaker does not call the peer")

	// A call that cannot do without the peer is a 503 whose Retry-After
	// is the breaker's time left.
	res = titles.Do("GET", "/api/v1/discover/titles?with_person=nm0000008", nil)
	require.Equal(t, http.StatusServiceUnavailable, res.Status, string(res.Body))
	p := problemOf(t, res)
	require.Contains(t, p.Detail, "circuit breaker")
	after, err := strconv.Atoi(res.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.Greater(t, after, 1, "Retry-After is the breaker's time left")
	require.LessOrEqual(t, after, 60)

	require.EqualValues(t, 3, calls.Load())
	// The title itself does not need the peer.
	require.Equal(t, http.StatusOK, titles.Do("GET", "/api/v1/titles/"+godfather.ID, nil).Status)

	var metrics strings.Builder
	metrics.Write(titles.Do("GET", "/metrics", nil).Body)
	require.Contains(t, metrics.String(), `cdlc_circuit_breaker_state{name="peer:actor",state="open"} 1`)
}

// A peer that is down (nothing listens) and a peer that is not configured
// look the same to the caller: the title without its credits, saying so,
// and a 503 for what cannot be answered without the peer. Readiness says
// which peer is unreachable.
func TestDownPeerAndUnconfiguredPeerAreTheSame(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	url := gone.URL
	gone.Close()
	down := apptest.Start(t, map[string]string{"target": "inventory", "peers.actor": url,
		"rpc.backoff_initial": "1ms", "rpc.backoff_max": "2ms"})
	unset := apptest.Start(t, map[string]string{"target": "inventory"})
	for _, titles := range []*apptest.Instance{down, unset} {
		godfather := createTitle(t, titles, map[string]any{"kind": "movie", "title": "The Godfather", "start_year": 1972})
		requireDegradedCredits(t, titles.Do("GET", "/api/v1/titles/"+godfather.ID+"?append=credits", nil))
		res := titles.Do("GET", "/api/v1/discover/titles?with_person=nm0000008", nil)
		require.Equal(t, http.StatusServiceUnavailable, res.Status, string(res.Body))
		require.Equal(t, "urn:cdlc:problem:unavailable", problemOf(t, res).Type)
	}
	var ready struct{ Checks map[string]string }
	down.Do("GET", "/readyz", nil).JSON(t, &ready)
	require.Contains(t, ready.Checks["peer:actor"], "unreachable")
}

// requireDegradedCredits checks a title answered without its credits.
func requireDegradedCredits(t *testing.T, res apptest.Response) {
	t.Helper()
	require.Equal(t, http.StatusOK, res.Status, string(res.Body))
	var got struct {
		Credits struct {
			Available bool   `json:"available"`
			Reason    string `json:"reason"`
			Cast      []any  `json:"cast"`
		} `json:"credits"`
	}
	res.JSON(t, &got)
	require.False(t, got.Credits.Available, string(res.Body))
	require.Contains(t, got.Credits.Reason, "actor service", "the answer says what is missing")
	require.NotEmpty(t, res.Header.Get("X-Credits-Unavailable"))
	require.Empty(t, got.Credits.Cast)
}
