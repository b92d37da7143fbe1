package app_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app/apptest"
)

type multiJSON struct {
	Results []struct {
		Type  string  `json:"type"`
		Score float64 `json:"score"`
		Title *struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
			Name string `json:"name"`
			Year int    `json:"year"`
		} `json:"title"`
		Person *struct {
			ID          string   `json:"id"`
			Name        string   `json:"name"`
			Professions []string `json:"professions"`
		} `json:"person"`
	} `json:"results"`
	Limit   int  `json:"limit"`
	Partial bool `json:"partial"`
}

// ids lists the results as "title:<id>" or "person:<id>", best first.
func (m multiJSON) ids() []string {
	out := make([]string, len(m.Results))
	for i, r := range m.Results {
		switch r.Type {
		case "title":
			out[i] = "title:" + r.Title.ID
		case "person":
			out[i] = "person:" + r.Person.ID
		}
	}
	return out
}

func multi(t *testing.T, in *apptest.Instance, path string, query url.Values) multiJSON {
	t.Helper()
	res := in.Do("GET", path+"?"+query.Encode(), nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	var m multiJSON
	res.JSON(t, &m)
	return m
}

// The combined search ranks titles and people together, filters titles by
// kind and year, applies and reports a capped limit, takes any text
// literally and names bad parameters; on every backend.
func TestMultiSearch(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			in := apptest.Start(t, with(b.Prepare(t), "target", "all"))
			const path = "/api/v1/search/multi"
			// Popularities on different scales: titles up to 900, people up
			// to 9. Normalized per index, the best of each compares fairly.
			gf := createTitle(t, in, map[string]any{"kind": "movie", "title": "The Godfather", "start_year": 1972, "popularity": 900})
			gfSeries := createTitle(t, in, map[string]any{"kind": "series", "title": "Godfather of Harlem", "start_year": 2019, "popularity": 100})
			heat := createTitle(t, in, map[string]any{"kind": "movie", "title": "Heat", "start_year": 1995, "popularity": 300})
			brando := createPerson(t, in, map[string]any{"name": "Marlon Brando", "professions": []string{"actor"}, "popularity": 9})
			heath := createPerson(t, in, map[string]any{"name": "Heath Ledger", "professions": []string{"actor"}, "popularity": 9})
			coppola := createPerson(t, in, map[string]any{"name": "Francis Ford Coppola", "professions": []string{"director"}, "popularity": 5})

			// Both indexes follow the writes through events.
			var m multiJSON
			require.Eventually(t, func() bool {
				m = multi(t, in, path, url.Values{"q": {"brando"}})
				return len(m.Results) == 1
			}, 10*time.Second, 20*time.Millisecond)
			require.Equal(t, []string{"person:" + brando.ID}, m.ids())
			require.Equal(t, "Marlon Brando", m.Results[0].Person.Name)
			require.Equal(t, []string{"actor"}, m.Results[0].Person.Professions)
			require.False(t, m.Partial)
			require.Equal(t, 10, m.Limit, "the default limit is reported")
			require.Eventually(t, func() bool {
				return len(multi(t, in, path, url.Values{"q": {"godfather"}}).Results) == 2 &&
					len(multi(t, in, path+"/autocomplete", url.Values{"q": {"hea"}}).Results) == 2 &&
					len(multi(t, in, path, url.Values{"q": {"coppola"}}).Results) == 1
			}, 10*time.Second, 20*time.Millisecond)

			// A typo finds the title; the person named alike ranks by the
			// same rules (both are the most popular of their index, "heat"
			// is the whole title but half the person's name).
			m = multi(t, in, path, url.Values{"q": {"godfater"}})
			require.Equal(t, []string{"title:" + gf.ID, "title:" + gfSeries.ID}, m.ids())
			require.Greater(t, m.Results[0].Score, m.Results[1].Score)
			m = multi(t, in, path+"/autocomplete", url.Values{"q": {"hea"}})
			require.Equal(t, []string{"title:" + heat.ID, "person:" + heath.ID}, m.ids())
			m = multi(t, in, path+"/autocomplete", url.Values{"q": {"francis ford c"}})
			require.Equal(t, []string{"person:" + coppola.ID}, m.ids())
			m = multi(t, in, path, url.Values{"q": {"heath ledger"}})
			require.Equal(t, "person:"+heath.ID, m.ids()[0], "the exact name beats a typo of the title")

			// kind and year filter titles only.
			m = multi(t, in, path, url.Values{"q": {"godfather"}, "kind": {"series"}})
			require.Equal(t, []string{"title:" + gfSeries.ID}, m.ids())
			m = multi(t, in, path+"/autocomplete", url.Values{"q": {"hea"}, "year": {"1972"}})
			require.Equal(t, []string{"person:" + heath.ID}, m.ids())

			// The limit is applied across both lists, and capped.
			m = multi(t, in, path+"/autocomplete", url.Values{"q": {"hea"}, "limit": {"1"}})
			require.Equal(t, []string{"title:" + heat.ID}, m.ids())
			require.Equal(t, 1, m.Limit)
			require.Equal(t, 50, multi(t, in, path, url.Values{"q": {"heat"}, "limit": {"1000"}}).Limit)

			// Query syntax and SQL are text.
			for _, q := range []string{`"heat' OR 1=1 --`, "heat%", "heat*", "heat:(", `\\'; DROP TABLE titles;`} {
				res := in.Do("GET", path+"?"+url.Values{"q": {q}}.Encode(), nil)
				require.Equal(t, 200, res.Status, "%s: %s", q, res.Body)
			}
			require.Contains(t, multi(t, in, path, url.Values{"q": {"heat' OR 1=1 --"}}).ids(), "title:"+heat.ID)

			// Bad parameters are 400 problems naming them.
			for _, c := range []struct{ query, location string }{
				{"q=", "query.q"},
				{"q=heat&limit=0", "query.limit"},
				{"q=heat&limit=ten", "query.limit"},
				{"q=heat&kind=novel", "query.kind"},
				{"q=heat&year=19x5", "query.year"},
				{"q=" + strings.Repeat("a", 201), "query.q"},
			} {
				res := in.Do("GET", path+"?"+c.query, nil)
				require.Equal(t, 400, res.Status, "%s: %s", c.query, res.Body)
				p := problemOf(t, res)
				require.NotEmpty(t, p.Errors, string(res.Body))
				require.Equal(t, c.location, p.Errors[0].Location, c.query)
			}
		})
	}
}

// Split across processes, the inventory asks the actor service for people
// over gRPC; without it (no peer, or a peer that does not answer) the
// combined search answers titles only and says so.
func TestSplitMultiSearchOverGRPC(t *testing.T) {
	actors := apptest.Start(t, map[string]string{"target": "actor"})
	titles := apptest.Start(t, map[string]string{"target": "inventory", "peers.actor": actors.URL})

	heat := createTitle(t, titles, map[string]any{"kind": "movie", "title": "Heat", "start_year": 1995, "popularity": 300})
	heath := createPerson(t, actors, map[string]any{"name": "Heath Ledger", "professions": []string{"actor"}, "popularity": 9})
	var m multiJSON
	require.Eventually(t, func() bool {
		m = multi(t, titles, "/api/v1/search/multi/autocomplete", url.Values{"q": {"hea"}})
		return len(m.Results) == 2
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, []string{"title:" + heat.ID, "person:" + heath.ID}, m.ids())
	require.False(t, m.Partial)

	// A peer that does not answer: titles only, partial, not a 500.
	down := apptest.Start(t, map[string]string{"target": "inventory", "peers.actor": "http://127.0.0.1:1"})
	heat2 := createTitle(t, down, map[string]any{"kind": "movie", "title": "Heat", "start_year": 1995, "popularity": 300})
	require.Eventually(t, func() bool {
		m = multi(t, down, "/api/v1/search/multi", url.Values{"q": {"heat"}})
		return len(m.Results) == 1
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, []string{"title:" + heat2.ID}, m.ids())
	require.True(t, m.Partial)
	res := down.Do("GET", "/api/v1/search/multi?q=heat", nil)
	require.Equal(t, "no-store", res.Header.Get("Cache-Control"), "a partial answer is not cached")

	// No actor service configured at all: the same.
	alone := apptest.Start(t, map[string]string{"target": "inventory"})
	createTitle(t, alone, map[string]any{"kind": "movie", "title": "Heat", "popularity": 1})
	require.Eventually(t, func() bool {
		m = multi(t, alone, "/api/v1/search/multi", url.Values{"q": {"heat"}})
		return len(m.Results) == 1 && m.Partial
	}, 10*time.Second, 20*time.Millisecond)
}
