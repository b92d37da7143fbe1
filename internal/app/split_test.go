package app_test

import (
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
