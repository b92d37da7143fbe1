package app_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app/apptest"
	"github.com/cdlc/cdlc/internal/platform/auth"
	"github.com/cdlc/cdlc/internal/platform/httpx"
)

type titleJSON struct {
	ID            string   `json:"id"`
	Kind          string   `json:"kind"`
	Title         string   `json:"title"`
	Genres        []string `json:"genres"`
	Version       int64    `json:"version"`
	Overview      string   `json:"overview"`
	ParentID      string   `json:"parent_id"`
	SeasonNumber  int      `json:"season_number"`
	EpisodeNumber int      `json:"episode_number"`
	Akas          *[]struct {
		Title string `json:"title"`
	} `json:"akas"`
	Images  *[]map[string]any `json:"images"`
	Credits *struct {
		Available bool  `json:"available"`
		Cast      []any `json:"cast"`
	} `json:"credits"`
	Seasons     *[]map[string]any `json:"seasons"`
	Similar     *[]map[string]any `json:"similar"`
	ExternalIDs *struct {
		TMDB int64 `json:"tmdb_id"`
	} `json:"external_ids"`
}

func startInventory(t *testing.T, settings map[string]string) *apptest.Instance {
	in := apptest.Start(t, with(settings, "target", "inventory"))
	in.App.Verifier.Add("reader", auth.Principal{Subject: "reader", Scopes: []string{"config:read"}})
	return in
}

func createTitle(t *testing.T, in *apptest.Instance, body map[string]any) titleJSON {
	t.Helper()
	res := in.Do("POST", "/api/v1/titles", body)
	require.Equal(t, 201, res.Status, string(res.Body))
	var out titleJSON
	res.JSON(t, &out)
	require.Regexp(t, `^ct[0-9a-z]{16}$`, out.ID)
	require.Equal(t, "/api/v1/titles/"+out.ID, res.Header.Get("Location"))
	return out
}

func problemOf(t *testing.T, r apptest.Response) httpx.Problem {
	t.Helper()
	require.Equal(t, httpx.ProblemContentType, r.Header.Get("Content-Type"), string(r.Body))
	var p httpx.Problem
	r.JSON(t, &p)
	return p
}

func TestInventoryTitles(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			in := startInventory(t, b.Prepare(t))
			g := createTitle(t, in, map[string]any{
				"kind": "movie", "title": "The Godfather", "start_year": 1972, "release_date": "1972-03-24", "genres": []string{"crime", "Drama"},
				"rating": map[string]any{"average": 9.2, "votes": 2000000}, "popularity": 90,
				"akas":         []map[string]any{{"title": "Le Parrain", "region": "FR"}},
				"images":       []map[string]any{{"kind": "poster", "path": "/p/g.jpg"}},
				"external_ids": map[string]any{"imdb_id": "tt0068646", "tmdb_id": 238},
			})
			require.Equal(t, []string{"crime", "drama"}, g.Genres)
			createTitle(t, in, map[string]any{"kind": "movie", "title": "The Godfather Part II", "genres": []string{"crime"}, "popularity": 50})

			// Read, with appends, then 304 on the ETag.
			res := in.Do("GET", "/api/v1/titles/"+g.ID+"?append=credits,akas,images,similar,external_ids,seasons", nil, "Authorization", "")
			require.Equal(t, 200, res.Status, string(res.Body))
			require.Contains(t, res.Header.Get("Cache-Control"), "max-age=")
			require.NotEmpty(t, res.Header.Get("X-Credits-Unavailable"), "no actor service in this process")
			var got titleJSON
			res.JSON(t, &got)
			require.Equal(t, "The Godfather", got.Title)
			require.Len(t, *got.Akas, 1)
			require.Len(t, *got.Images, 1)
			require.False(t, got.Credits.Available)
			require.Empty(t, got.Credits.Cast)
			require.Len(t, *got.Similar, 1)
			require.Empty(t, *got.Seasons)
			require.EqualValues(t, 238, got.ExternalIDs.TMDB)
			etag := res.Header.Get("ETag")
			require.NotEmpty(t, etag)
			res = in.Do("GET", "/api/v1/titles/"+g.ID+"?append=credits,akas,images,similar,external_ids,seasons", nil, "If-None-Match", etag)
			require.Equal(t, 304, res.Status)
			require.Empty(t, res.Body)
			res = in.Do("GET", "/api/v1/titles/"+g.ID, nil)
			require.Equal(t, 200, res.Status)
			got = titleJSON{}
			res.JSON(t, &got)
			require.Nil(t, got.Akas, "not appended")
			require.Nil(t, got.Credits)

			// Lookup by external id.
			res = in.Do("GET", "/api/v1/titles/find?tmdb_id=238", nil)
			require.Equal(t, 200, res.Status, string(res.Body))
			require.Equal(t, "/api/v1/titles/"+g.ID, res.Header.Get("Content-Location"))
			res = in.Do("GET", "/api/v1/titles/find?imdb_id=tt0068646", nil)
			require.Equal(t, 200, res.Status, string(res.Body))
			require.Equal(t, 404, in.Do("GET", "/api/v1/titles/find?imdb_id=tt0000001", nil).Status)

			// Update: merge semantics, If-Match, cache invalidated at once, ETag changes.
			res = in.Do("PATCH", "/api/v1/titles/"+g.ID, map[string]any{"overview": "An offer."}, "If-Match", etag)
			require.Equal(t, 200, res.Status, string(res.Body))
			res = in.Do("GET", "/api/v1/titles/"+g.ID+"?append=akas", nil, "If-None-Match", etag)
			require.Equal(t, 200, res.Status)
			got = titleJSON{}
			res.JSON(t, &got)
			require.Equal(t, "An offer.", got.Overview)
			require.Equal(t, []string{"crime", "drama"}, got.Genres, "absent fields stay")
			require.Len(t, *got.Akas, 1)
			require.EqualValues(t, 2, got.Version)
			res = in.Do("PATCH", "/api/v1/titles/"+g.ID, map[string]any{"overview": "stale"}, "If-Match", etag)
			require.Equal(t, 412, res.Status, string(res.Body))
			require.Equal(t, "urn:cdlc:problem:precondition", problemOf(t, res).Type)
			res = in.Do("PUT", "/api/v1/titles/"+g.ID+"/genres", []string{"crime"})
			require.Equal(t, 200, res.Status, string(res.Body))
			got = titleJSON{}
			in.Do("GET", "/api/v1/titles/"+g.ID, nil).JSON(t, &got)
			require.Equal(t, []string{"crime"}, got.Genres)
			require.Equal(t, "An offer.", got.Overview)

			// Batch: in the order asked, unknown ids in missing.
			res = in.Do("GET", "/api/v1/titles?ids=ct00000000000000zz,"+g.ID+",nonsense", nil)
			require.Equal(t, 200, res.Status, string(res.Body))
			var batch struct {
				Titles  []titleJSON `json:"titles"`
				Missing []string    `json:"missing"`
			}
			res.JSON(t, &batch)
			require.Len(t, batch.Titles, 1)
			require.Equal(t, g.ID, batch.Titles[0].ID)
			require.Equal(t, []string{"ct00000000000000zz", "nonsense"}, batch.Missing)
			many := strings.TrimSuffix(strings.Repeat(g.ID+",", 101), ",")
			require.Equal(t, "query.ids", problemOf(t, in.Do("GET", "/api/v1/titles?ids="+many, nil)).Errors[0].Location)

			// Delete.
			res = in.Do("DELETE", "/api/v1/titles/"+g.ID, nil)
			require.Equal(t, 204, res.Status, string(res.Body))
			require.Equal(t, 404, in.Do("GET", "/api/v1/titles/"+g.ID, nil).Status)
		})
	}
}

func TestInventoryBadInput(t *testing.T) {
	in := startInventory(t, map[string]string{})
	g := createTitle(t, in, map[string]any{"kind": "movie", "title": "Heat", "genres": []string{"crime"}})

	cases := []struct {
		name, method, path string
		body               any
		headers            []string
		status             int
		location           string
	}{
		{"unknown id", "GET", "/api/v1/titles/ct0000000000000000", nil, nil, 404, ""},
		{"malformed id", "GET", "/api/v1/titles/x'%20OR%201=1", nil, nil, 404, ""},
		{"unknown append", "GET", "/api/v1/titles/" + g.ID + "?append=credits,videos", nil, nil, 400, "query.append"},
		{"unknown season", "GET", "/api/v1/titles/" + g.ID + "/seasons/3", nil, nil, 404, ""},
		{"bad season", "GET", "/api/v1/titles/" + g.ID + "/seasons/x", nil, nil, 400, "path.season"},
		{"bad sort", "GET", "/api/v1/discover/titles?sort=budget.desc", nil, nil, 400, "query.sort"},
		{"bad limit", "GET", "/api/v1/discover/titles?limit=0", nil, nil, 400, "query.limit"},
		{"limit not a number", "GET", "/api/v1/discover/titles?limit=ten", nil, nil, 400, "query.limit"},
		{"bad kind", "GET", "/api/v1/discover/titles?kind=opera", nil, nil, 400, "query.kind"},
		{"bad genre mix", "GET", "/api/v1/discover/titles?genre=a,b|c", nil, nil, 400, "query.genre"},
		{"bad year", "GET", "/api/v1/discover/titles?year=19x", nil, nil, 400, "query.year"},
		{"bad rating", "GET", "/api/v1/discover/titles?rating_min=11", nil, nil, 400, "query.rating_min"},
		{"bad date", "GET", "/api/v1/discover/titles?release_from=2020-13-01", nil, nil, 400, "query.release_from"},
		{"bad certification", "GET", "/api/v1/discover/titles?certification=R", nil, nil, 400, "query.certification"},
		{"bad cursor", "GET", "/api/v1/discover/titles?cursor=abc", nil, nil, 400, "query.cursor"},
		{"bad person", "GET", "/api/v1/discover/titles?with_person=bob", nil, nil, 400, "query.with_person"},
		{"person without actor service", "GET", "/api/v1/discover/titles?with_person=nm0000199", nil, nil, 503, ""},
		{"empty search", "GET", "/api/v1/search/titles?q=", nil, nil, 400, "query.q"},
		{"bad search kind", "GET", "/api/v1/search/titles?q=a&kind=opera", nil, nil, 400, "query.kind"},
		{"no find key", "GET", "/api/v1/titles/find", nil, nil, 400, "query.imdb_id"},
		{"bad tmdb id", "GET", "/api/v1/titles/find?tmdb_id=-3", nil, nil, 400, "query.tmdb_id"},
		{"no token", "POST", "/api/v1/titles", map[string]any{"kind": "movie", "title": "x"}, []string{"Authorization", ""}, 401, ""},
		{"no scope", "POST", "/api/v1/titles", map[string]any{"kind": "movie", "title": "x"}, []string{"Authorization", "Bearer reader"}, 403, ""},
		{"no scope patch", "PATCH", "/api/v1/titles/" + g.ID, map[string]any{"title": "x"}, []string{"Authorization", "Bearer reader"}, 403, ""},
		{"no scope delete", "DELETE", "/api/v1/titles/" + g.ID, nil, []string{"Authorization", "Bearer reader"}, 403, ""},
		{"missing kind", "POST", "/api/v1/titles", map[string]any{"title": "x"}, nil, 400, "body.kind"},
		{"bad kind", "POST", "/api/v1/titles", map[string]any{"kind": "opera", "title": "x"}, nil, 400, "body.kind"},
		{"empty title", "PATCH", "/api/v1/titles/" + g.ID, map[string]any{"title": " ", "genres": []string{"drama"}}, nil, 400, "body.title"},
		{"bad genre", "PATCH", "/api/v1/titles/" + g.ID, map[string]any{"genres": []string{"Sci Fi!"}}, nil, 400, "body.genres"},
		{"bad genre list", "PUT", "/api/v1/titles/" + g.ID + "/genres", []string{"ok", "Sci Fi!"}, nil, 400, "body"},
		{"bad aka", "PUT", "/api/v1/titles/" + g.ID + "/akas", []map[string]any{{"title": "x", "region": "France"}}, nil, 400, "body[0].region"},
		{"bad image", "PUT", "/api/v1/titles/" + g.ID + "/images", []map[string]any{{"kind": "gif", "path": "/x"}}, nil, 400, "body[0].kind"},
		{"bad year", "PATCH", "/api/v1/titles/" + g.ID, map[string]any{"start_year": 1500}, nil, 400, "body.start_year"},
		{"parent missing", "POST", "/api/v1/titles", map[string]any{"kind": "episode", "title": "x", "parent_id": "ct0000000000000000"}, nil, 400, "body.parent_id"},
		{"parent not a series", "POST", "/api/v1/titles", map[string]any{"kind": "episode", "title": "x", "parent_id": g.ID}, nil, 400, "body.parent_id"},
		{"bad if-match", "PATCH", "/api/v1/titles/" + g.ID, map[string]any{"title": "x"}, []string{"If-Match", "yesterday"}, 400, "header.If-Match"},
		{"unknown title patch", "PATCH", "/api/v1/titles/ct0000000000000000", map[string]any{"title": "x"}, nil, 404, ""},
		{"malformed json", "POST", "/api/v1/titles", `{"kind": "movie", `, nil, 400, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := in.Do(c.method, c.path, c.body, c.headers...)
			require.Equal(t, c.status, res.Status, string(res.Body))
			p := problemOf(t, res)
			if c.location != "" {
				require.NotEmpty(t, p.Errors, string(res.Body))
				require.Equal(t, c.location, p.Errors[0].Location, string(res.Body))
			}
		})
	}
	// None of the failed writes changed anything.
	var got titleJSON
	res := in.Do("GET", "/api/v1/titles/"+g.ID, nil)
	res.JSON(t, &got)
	require.EqualValues(t, 1, got.Version)
	require.Equal(t, "Heat", got.Title)
	require.Equal(t, []string{"crime"}, got.Genres)
	var page struct {
		Results []titleJSON `json:"results"`
	}
	in.Do("GET", "/api/v1/discover/titles?limit=100", nil).JSON(t, &page)
	require.Len(t, page.Results, 1, "no title was created by a failed write")

	// The search index learns of the title from its event.
	require.Eventually(t, func() bool {
		res := in.Do("GET", "/api/v1/search/titles/autocomplete?q=he", nil)
		return res.Status == 200 && strings.Contains(string(res.Body), g.ID)
	}, 10*time.Second, 20*time.Millisecond)
	// SQL and query-syntax characters in q are just text: punctuation
	// separates words, the words around it still match.
	for q, want := range map[string]bool{"%": false, "_": false, "' OR 1=1 --": false, `\`: false, `"heat"`: true, "heat*": true, "heat AND x:y": true} {
		res := in.Do("GET", "/api/v1/search/titles?q="+url.QueryEscape(q), nil)
		require.Equal(t, 200, res.Status, q)
		var hits struct {
			Results []map[string]any `json:"results"`
		}
		res.JSON(t, &hits)
		if want {
			require.Len(t, hits.Results, 1, q)
			require.Equal(t, g.ID, hits.Results[0]["id"], q)
		} else {
			require.Empty(t, hits.Results, q)
		}
	}
}

func TestInventoryDiscoverAndSeasons(t *testing.T) {
	in := startInventory(t, map[string]string{})
	for i := range 25 {
		createTitle(t, in, map[string]any{"kind": "movie", "title": fmt.Sprintf("Film %02d", i), "popularity": float64(i % 3),
			"start_year": 2000 + i%2, "genres": []string{"drama"}, "countries": []string{"US"}, "runtime_minutes": 90 + i,
			"certifications": []map[string]any{{"country": "US", "certification": map[bool]string{true: "R", false: "PG"}[i%2 == 0]}}})
	}
	show := createTitle(t, in, map[string]any{"kind": "series", "title": "The Show", "popularity": 100})
	for s := 1; s <= 2; s++ {
		for e := 1; e <= 3; e++ {
			createTitle(t, in, map[string]any{"kind": "episode", "title": fmt.Sprintf("S%dE%d", s, e), "parent_id": show.ID,
				"season_number": s, "episode_number": e, "release_date": fmt.Sprintf("201%d-01-0%d", s, e)})
		}
	}

	type page struct {
		Results []struct {
			ID         string  `json:"id"`
			Popularity float64 `json:"popularity"`
		} `json:"results"`
		Limit      int    `json:"limit"`
		NextCursor string `json:"next_cursor"`
	}
	// Pages in a stable order across ties, every film once.
	seen := map[string]bool{}
	next := "/api/v1/discover/titles?kind=movie&genre=drama&limit=7"
	pages := 0
	for next != "" {
		var p page
		res := in.Do("GET", next, nil)
		require.Equal(t, 200, res.Status, string(res.Body))
		res.JSON(t, &p)
		require.Equal(t, 7, p.Limit)
		for _, r := range p.Results {
			require.False(t, seen[r.ID])
			seen[r.ID] = true
		}
		next = ""
		if p.NextCursor != "" {
			next = "/api/v1/discover/titles?kind=movie&genre=drama&limit=7&cursor=" + p.NextCursor
		}
		pages++
	}
	require.Len(t, seen, 25)
	require.Equal(t, 4, pages)

	var p page
	in.Do("GET", "/api/v1/discover/titles?limit=1000", nil).JSON(t, &p)
	require.Equal(t, 100, p.Limit, "the page size is capped and the applied limit reported")
	require.Len(t, p.Results, 32)
	in.Do("GET", "/api/v1/discover/titles?year=2001&certification=US:PG&runtime_min=100", nil).JSON(t, &p)
	require.Len(t, p.Results, 7)
	// A cursor of another order is refused.
	in.Do("GET", "/api/v1/discover/titles?limit=2", nil).JSON(t, &p)
	require.Equal(t, "query.cursor", problemOf(t, in.Do("GET", "/api/v1/discover/titles?sort=title&cursor="+p.NextCursor, nil)).Errors[0].Location)

	// Seasons derive from the episodes.
	var got titleJSON
	in.Do("GET", "/api/v1/titles/"+show.ID+"?append=seasons", nil).JSON(t, &got)
	require.Len(t, *got.Seasons, 2)
	res := in.Do("GET", "/api/v1/titles/"+show.ID+"/seasons/2", nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	var season struct {
		SeasonNumber int    `json:"season_number"`
		AirDate      string `json:"air_date"`
		Episodes     []struct {
			Title string `json:"title"`
		} `json:"episodes"`
	}
	res.JSON(t, &season)
	require.Equal(t, 2, season.SeasonNumber)
	require.Equal(t, "2012-01-01", season.AirDate)
	require.Len(t, season.Episodes, 3)
	res = in.Do("GET", "/api/v1/titles/"+show.ID+"/seasons/2/episodes/3", nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	got = titleJSON{}
	res.JSON(t, &got)
	require.Equal(t, "S2E3", got.Title)
	require.Equal(t, 404, in.Do("GET", "/api/v1/titles/"+show.ID+"/seasons/2/episodes/9", nil).Status)

	// A new episode shows in its season at once (the series' cached season is dropped).
	createTitle(t, in, map[string]any{"kind": "episode", "title": "S2E4", "parent_id": show.ID, "season_number": 2, "episode_number": 4})
	in.Do("GET", "/api/v1/titles/"+show.ID+"/seasons/2", nil).JSON(t, &season)
	require.Len(t, season.Episodes, 4)

	// The OpenAPI document publishes the API.
	res = in.Do("GET", "/openapi.json", nil)
	require.Equal(t, 200, res.Status)
	for _, path := range []string{"/api/v1/titles/{id}", "/api/v1/discover/titles", "/api/v1/titles/find", "/api/v1/search/titles/autocomplete", "/api/v1/titles/{id}/seasons/{season}"} {
		require.Contains(t, string(res.Body), `"`+path+`"`)
	}
}

// Two instances share MariaDB and NATS: a change made through one drops
// the other's cached rendering when the title.updated event arrives.
func TestInventoryCacheFollowsEventsAcrossInstances(t *testing.T) {
	b := apptest.Backends()[1]
	settings := b.Prepare(t)
	one := startInventory(t, settings)
	two := startInventory(t, settings)
	g := createTitle(t, one, map[string]any{"kind": "movie", "title": "Ronin"})
	read := func() titleJSON {
		var got titleJSON
		res := two.Do("GET", "/api/v1/titles/"+g.ID, nil)
		require.Equal(t, 200, res.Status, string(res.Body))
		res.JSON(t, &got)
		return got
	}
	require.Equal(t, "Ronin", read().Title, "cached on the second instance now")
	res := one.Do("PATCH", "/api/v1/titles/"+g.ID, map[string]any{"title": "Ronin (1998)"})
	require.Equal(t, 200, res.Status, string(res.Body))
	require.Eventually(t, func() bool { return read().Title == "Ronin (1998)" }, 10*time.Second, 20*time.Millisecond)
	res = one.Do("DELETE", "/api/v1/titles/"+g.ID, nil)
	require.Equal(t, 204, res.Status, string(res.Body))
	require.Eventually(t, func() bool { return two.Do("GET", "/api/v1/titles/"+g.ID, nil).Status == 404 }, 10*time.Second, 20*time.Millisecond)
}
