package app_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/app/apptest"
	"github.com/cdlc/cdlc/internal/platform/search"
)

type searchHits struct {
	Results []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"results"`
}

func searchIDs(t *testing.T, in *apptest.Instance, path, q string) []string {
	t.Helper()
	res := in.Do("GET", path+"?q="+url.QueryEscape(q), nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	var h searchHits
	res.JSON(t, &h)
	ids := make([]string, len(h.Results))
	for i, r := range h.Results {
		ids[i] = r.ID
	}
	return ids
}

// eventuallyFirst waits until a search's first hit is want (the index is
// kept current by events, so it lags a write by a moment).
func eventuallyFirst(t *testing.T, in *apptest.Instance, path, q, want string) {
	t.Helper()
	require.Eventually(t, func() bool {
		ids := searchIDs(t, in, path, q)
		return len(ids) > 0 && ids[0] == want
	}, 10*time.Second, 20*time.Millisecond, "%s?q=%s should find %s first", path, q, want)
}

// Titles and people written through the operator API become searchable
// through the index: typos, diacritics, word order, autocomplete prefixes;
// a deleted title disappears and an update renames.
func TestSearchIndexFollowsWrites(t *testing.T) {
	in := apptest.Start(t, map[string]string{"target": "all"})
	const titles, people = "/api/v1/search/titles", "/api/v1/search/people"
	gf := createTitle(t, in, map[string]any{"kind": "movie", "title": "The Godfather", "start_year": 1972, "popularity": 90,
		"akas": []map[string]any{{"title": "Le Parrain", "region": "FR"}}})
	gf2 := createTitle(t, in, map[string]any{"kind": "movie", "title": "The Godfather Part II", "start_year": 1974, "popularity": 50})
	amelie := createTitle(t, in, map[string]any{"kind": "movie", "title": "Amélie", "original_title": "Le Fabuleux Destin d'Amélie Poulain", "start_year": 2001, "popularity": 40})
	heat := createTitle(t, in, map[string]any{"kind": "movie", "title": "Heat", "start_year": 1995, "popularity": 30})

	eventuallyFirst(t, in, titles, "godfater", gf.ID)            // typo
	eventuallyFirst(t, in, titles, "godfather the", gf.ID)       // word order
	eventuallyFirst(t, in, titles, "parrain", gf.ID)             // aka
	eventuallyFirst(t, in, titles, "amelie", amelie.ID)          // diacritics
	eventuallyFirst(t, in, titles, "fabuleux destin", amelie.ID) // original title
	eventuallyFirst(t, in, titles+"/autocomplete", "the godf", gf.ID)
	eventuallyFirst(t, in, titles+"/autocomplete", "godfather part", gf2.ID)
	eventuallyFirst(t, in, titles+"/autocomplete", "hea", heat.ID)

	// A rename is searched under the new name only; a delete disappears.
	var patched titleJSON
	res := in.Do("PATCH", "/api/v1/titles/"+heat.ID, map[string]any{"title": "Collateral"})
	require.Equal(t, 200, res.Status, string(res.Body))
	res.JSON(t, &patched)
	eventuallyFirst(t, in, titles, "colateral", heat.ID)
	require.Empty(t, searchIDs(t, in, titles, "heat"))
	require.Equal(t, 204, in.Do("DELETE", "/api/v1/titles/"+gf2.ID, nil).Status)
	require.Eventually(t, func() bool {
		return !contains(searchIDs(t, in, titles, "godfather"), gf2.ID)
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, []string{gf.ID}, searchIDs(t, in, titles, "godfather"))

	// People: typos, diacritics, prefixes; hits carry the person's lists.
	brando := createPerson(t, in, map[string]any{"name": "Marlon Brando", "professions": []string{"actor"}, "popularity": 30})
	penelope := createPerson(t, in, map[string]any{"name": "Penélope Cruz", "also_known_as": []string{"Penélope Cruz Sánchez"}, "professions": []string{"actress"}, "popularity": 20})
	eventuallyFirst(t, in, people, "marlon brnado", brando.ID)
	eventuallyFirst(t, in, people, "penelope cruz", penelope.ID)
	eventuallyFirst(t, in, people, "sanchez", penelope.ID)
	require.Eventually(t, func() bool {
		res := in.Do("GET", people+"?autocomplete=true&q="+url.QueryEscape("marl"), nil)
		var h struct {
			Results []actor.PersonHit `json:"results"`
		}
		res.JSON(t, &h)
		return len(h.Results) == 1 && h.Results[0].ID == brando.ID && h.Results[0].Name == "Marlon Brando" &&
			len(h.Results[0].Professions) == 1 && h.Results[0].Professions[0] == "actor" && h.Results[0].Popularity == 30
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, 204, in.Do("DELETE", "/api/v1/people/"+brando.ID, nil).Status)
	require.Eventually(t, func() bool {
		return len(searchIDs(t, in, people, "brando")) == 0
	}, 10*time.Second, 20*time.Millisecond)
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// Every search caps its page at one maximum, the index's, and says so:
// asked for 100 with more than 50 matches, titles, people and the combined
// search answer 50 results with "limit": 50.
func TestSearchLimitIsTruthful(t *testing.T) {
	in := apptest.Start(t, map[string]string{"target": "inventory,actor"})
	for i := range search.MaxLimit + 5 {
		createTitle(t, in, map[string]any{"kind": "movie", "title": fmt.Sprintf("Nosferatu %d", i), "start_year": 1922})
		createPerson(t, in, map[string]any{"name": fmt.Sprintf("Nosferatu Schreck %d", i), "professions": []string{"actor"}})
	}
	for _, path := range []string{"/api/v1/search/titles", "/api/v1/search/people", "/api/v1/search/multi"} {
		var page struct {
			Results []json.RawMessage `json:"results"`
			Limit   int               `json:"limit"`
		}
		require.Eventually(t, func() bool {
			res := in.Do("GET", path+"?q=nosferatu&limit=100", nil)
			require.Equal(t, 200, res.Status, string(res.Body))
			res.JSON(t, &page)
			return len(page.Results) >= search.MaxLimit
		}, 10*time.Second, 20*time.Millisecond, "%s finds the indexed documents", path)
		require.Equal(t, search.MaxLimit, page.Limit, path)
		require.Len(t, page.Results, page.Limit, path)
	}
}
