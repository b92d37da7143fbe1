package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/app/apptest"
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/auth"
)

// problem is the part of a problem+json body the tests look at.
type problem struct {
	Type       string `json:"type"`
	Status     int    `json:"status"`
	Detail     string `json:"detail"`
	MergedInto string `json:"merged_into"`
	Errors     []struct {
		Location string `json:"location"`
	} `json:"errors"`
}

func requireProblem(t *testing.T, res apptest.Response, status int, location string) problem {
	t.Helper()
	require.Equal(t, status, res.Status, string(res.Body))
	require.Contains(t, res.Header.Get("Content-Type"), "application/problem+json")
	var p problem
	res.JSON(t, &p)
	if location != "" {
		require.NotEmpty(t, p.Errors, string(res.Body))
		require.Equal(t, location, p.Errors[0].Location, string(res.Body))
	}
	return p
}

// fakeInventory knows a few titles, as the inventory service would.
type fakeInventory map[string]inventory.Summary

func (f fakeInventory) Summaries(_ context.Context, ids []string) ([]inventory.Summary, error) {
	var out []inventory.Summary
	for _, id := range ids {
		if s, ok := f[id]; ok {
			out = append(out, s)
		}
	}
	return out, nil
}

// startActor runs the actor target; inv, when set, plays the inventory
// in the same process.
func startActor(t *testing.T, settings map[string]string, inv inventory.Service) *apptest.Instance {
	t.Helper()
	cfg, src := apptest.Config(t, with(settings, "target", "actor"))
	i := apptest.StartWith(t, cfg, app.Options{Sources: src})
	// Set before the first request: the actor service asks for the
	// inventory at call time.
	if inv != nil {
		i.App.Provide("inventory", inv)
	}
	// A reader: a valid token without the operators' scope.
	i.App.Verifier.Add("reader-token", auth.Principal{Subject: "reader", Scopes: []string{"config:read"}})
	return i
}

func createPerson(t *testing.T, i *apptest.Instance, body map[string]any) actor.Person {
	t.Helper()
	res := i.Do("POST", "/api/v1/people", body)
	require.Equal(t, http.StatusCreated, res.Status, string(res.Body))
	var p actor.Person
	res.JSON(t, &p)
	require.Equal(t, "/api/v1/people/"+p.ID, res.Header.Get("Location"))
	return p
}

func TestActorPeopleAPI(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			i := startActor(t, b.Prepare(t), nil)

			// Bad input and unknown ids.
			requireProblem(t, i.Do("GET", "/api/v1/people/nm9999999", nil), 404, "")
			requireProblem(t, i.Do("GET", "/api/v1/people/xyz", nil), 400, "path.id")
			requireProblem(t, i.Do("GET", "/api/v1/people/nm9999999?append=credits,awards", nil), 400, "query.append")
			requireProblem(t, i.Do("GET", "/api/v1/titles/nope/credits", nil), 400, "path.id")
			requireProblem(t, i.Do("GET", "/api/v1/search/people?q=al&limit=0", nil), 400, "query.limit")
			requireProblem(t, i.Do("GET", "/api/v1/people/find", nil), 400, "query.imdb_id")
			requireProblem(t, i.Do("GET", "/api/v1/people/find?imdb_id=tt0068646", nil), 400, "query.imdb_id")

			// Operators only.
			body := map[string]any{"name": "Marlon Brando", "birth_date": "1924-04-03", "death_date": "2004-07-01", "birth_place": "Omaha, Nebraska, USA",
				"professions": []string{"actor", "director"}, "known_for": []string{"tt0068646"}, "popularity": 42.5,
				"images":       []map[string]any{{"path": "/brando.jpg", "width": 500, "height": 750, "sizes": []string{"w185", "original"}}},
				"external_ids": map[string]any{"imdb_id": "nm0000008", "tmdb_id": 3084}}
			requireProblem(t, i.Do("POST", "/api/v1/people", body, "Authorization", ""), 401, "")
			requireProblem(t, i.Do("POST", "/api/v1/people", body, "Authorization", "Bearer reader-token"), 403, "")

			// Failed validation changes nothing.
			for field, bad := range map[string]map[string]any{
				"body.birth_date":     with2(body, "birth_date", "1924-02-30"),
				"body.known_for[0]":   with2(body, "known_for", []string{"nm0000008"}),
				"body.name":           with2(body, "name", " "),
				"body.professions[0]": with2(body, "professions", []string{"Actor!"}),
			} {
				requireProblem(t, i.Do("POST", "/api/v1/people", bad), 400, field)
			}
			var batch actor.Batch
			i.Do("GET", "/api/v1/search/people?q=brando", nil).JSON(t, &struct {
				Results *[]actor.PersonHit `json:"results"`
			}{Results: &[]actor.PersonHit{}})

			brando := createPerson(t, i, body)
			require.Regexp(t, `^cp[0-9a-z]{10,16}$`, brando.ID)
			require.EqualValues(t, 1, brando.Version)

			res := i.Do("GET", "/api/v1/people/"+brando.ID+"?append=images,external_ids", nil)
			require.Equal(t, 200, res.Status, string(res.Body))
			var d actor.Details
			res.JSON(t, &d)
			require.Equal(t, "Marlon Brando", d.Name)
			require.Equal(t, []string{"actor", "director"}, d.Professions)
			require.NotNil(t, d.Images)
			require.Equal(t, "/brando.jpg", (*d.Images)[0].Path)
			require.Equal(t, &actor.ExternalIDs{IMDb: "nm0000008", TMDB: 3084}, d.ExternalIDs)
			require.Nil(t, d.Credits)
			etag := res.Header.Get("ETag")
			require.True(t, strings.HasPrefix(etag, `"1-`), etag)
			require.Contains(t, res.Header.Get("Cache-Control"), "max-age")

			// Conditional reads.
			res = i.Do("GET", "/api/v1/people/"+brando.ID+"?append=external_ids,images", nil, "If-None-Match", etag)
			require.Equal(t, 304, res.Status)
			require.Empty(t, res.Body)

			// Lookups by external id.
			var found actor.Person
			i.Do("GET", "/api/v1/people/find?imdb_id=nm0000008", nil).JSON(t, &found)
			require.Equal(t, brando.ID, found.ID)
			i.Do("GET", "/api/v1/people/find?tmdb_id=3084", nil).JSON(t, &found)
			require.Equal(t, brando.ID, found.ID)
			requireProblem(t, i.Do("GET", "/api/v1/people/find?tmdb_id=1", nil), 404, "")
			requireProblem(t, i.Do("POST", "/api/v1/people", with2(body, "name", "Someone Else")), 409, "")

			// Updates: a stale If-Match fails and changes nothing.
			requireProblem(t, i.Do("PUT", "/api/v1/people/"+brando.ID, with2(body, "name", "M. Brando"), "If-Match", `"v7"`), 412, "")
			requireProblem(t, i.Do("PUT", "/api/v1/people/"+brando.ID, with2(body, "death_date", "1900"), "If-Match", etag), 400, "body.death_date")
			res = i.Do("GET", "/api/v1/people/"+brando.ID+"?append=external_ids,images", nil, "If-None-Match", etag)
			require.Equal(t, 304, res.Status, "still version 1")
			res = i.Do("PUT", "/api/v1/people/"+brando.ID, with2(body, "biography", "An American actor."), "If-Match", etag)
			require.Equal(t, 200, res.Status, string(res.Body))
			res = i.Do("GET", "/api/v1/people/"+brando.ID+"?append=external_ids,images", nil, "If-None-Match", etag)
			require.Equal(t, 200, res.Status, "a write is seen at once")
			res.JSON(t, &d)
			require.EqualValues(t, 2, d.Version)
			require.Equal(t, "An American actor.", d.Biography)

			// Batch reads keep the order and list the missing.
			pacino := createPerson(t, i, map[string]any{"name": "Al Pacino", "professions": []string{"actor"}, "popularity": 80})
			res = i.Do("GET", "/api/v1/people?ids="+pacino.ID+",nm0000001,"+brando.ID, nil)
			require.Equal(t, 200, res.Status, string(res.Body))
			res.JSON(t, &batch)
			require.Len(t, batch.People, 2)
			require.Equal(t, pacino.ID, batch.People[0].ID)
			require.Equal(t, brando.ID, batch.People[1].ID)
			require.Equal(t, []string{"nm0000001"}, batch.Missing)
			requireProblem(t, i.Do("GET", "/api/v1/people?ids=nm0000001,bad", nil), 400, "query.ids")
			var many []string
			for n := range 101 {
				many = append(many, fmt.Sprintf("nm%07d", n+1))
			}
			requireProblem(t, i.Do("GET", "/api/v1/people?ids="+strings.Join(many, ","), nil), 400, "query.ids")

			// Search: names, prefixes, and query syntax as text.
			var found2 struct {
				Results []actor.PersonHit `json:"results"`
				Limit   int               `json:"limit"`
			}
			// The search index learns of people from their events.
			require.Eventually(t, func() bool {
				i.Do("GET", "/api/v1/search/people?q=PACINO", nil).JSON(t, &found2)
				return len(found2.Results) == 1
			}, 10*time.Second, 20*time.Millisecond)
			require.Equal(t, 20, found2.Limit)
			i.Do("GET", "/api/v1/search/people?q=al+pac&autocomplete=true", nil).JSON(t, &found2)
			require.Len(t, found2.Results, 1)
			require.Equal(t, pacino.ID, found2.Results[0].ID)
			res = i.Do("GET", "/api/v1/search/people?q=%25%27%20OR%201%3D1", nil)
			require.Equal(t, 200, res.Status, string(res.Body))
			res.JSON(t, &found2)
			require.Empty(t, found2.Results)

			// Delete: a stale version fails; then the person is gone.
			requireProblem(t, i.Do("DELETE", "/api/v1/people/"+pacino.ID, nil, "If-Match", `"v9"`), 412, "")
			require.Equal(t, 200, i.Do("GET", "/api/v1/people/"+pacino.ID, nil).Status)
			require.Equal(t, 204, i.Do("DELETE", "/api/v1/people/"+pacino.ID, nil).Status)
			requireProblem(t, i.Do("GET", "/api/v1/people/"+pacino.ID, nil), 404, "")
			requireProblem(t, i.Do("DELETE", "/api/v1/people/"+pacino.ID, nil), 404, "")
		})
	}
}

func with2(base map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for key, val := range base {
		out[key] = val
	}
	out[k] = v
	return out
}

func TestActorCreditsFilmographyAndMerge(t *testing.T) {
	inv := fakeInventory{
		"tt0068646": {ID: "tt0068646", Kind: inventory.KindMovie, Title: "The Godfather", StartYear: 1972},
		"tt0071562": {ID: "tt0071562", Kind: inventory.KindMovie, Title: "The Godfather Part II", StartYear: 1974},
		"tt0099674": {ID: "tt0099674", Kind: inventory.KindMovie, Title: "The Godfather Part III", StartYear: 1990},
		"tt0078788": {ID: "tt0078788", Kind: inventory.KindMovie, Title: "Apocalypse Now", StartYear: 1979},
	}
	i := startActor(t, map[string]string{}, inv)
	coppola := createPerson(t, i, map[string]any{"name": "Francis Ford Coppola", "professions": []string{"director", "writer"}})
	pacino := createPerson(t, i, map[string]any{"name": "Al Pacino", "professions": []string{"actor"}})
	brando := createPerson(t, i, map[string]any{"name": "Marlon Brando", "professions": []string{"actor"}})
	dup := createPerson(t, i, map[string]any{"name": "F. F. Coppola", "birth_date": "1939-04-07", "external_ids": map[string]any{"imdb_id": "nm0000338"}})

	credit := func(title, person string, dept actor.Department, job string, order int, chars ...string) map[string]any {
		return map[string]any{"title_id": title, "person_id": person, "department": dept, "job": job, "order": order, "characters": chars}
	}
	// A write naming an unknown person, or a bad department, changes nothing.
	res := i.Do("POST", "/api/v1/credits", map[string]any{"credits": []any{
		credit("tt0068646", pacino.ID, actor.DeptActing, "actor", 2, "Michael Corleone"),
		credit("tt0068646", "nm0000199", actor.DeptActing, "actor", 3, "Michael Corleone"),
	}})
	requireProblem(t, res, 400, "body.credits[1].person_id")
	requireProblem(t, i.Do("POST", "/api/v1/credits", map[string]any{"credits": []any{credit("tt0068646", pacino.ID, "catering", "cook", 1)}}), 400, "body.credits[0].department")
	requireProblem(t, i.Do("POST", "/api/v1/credits", map[string]any{"credits": []any{credit("tt0068646", pacino.ID, actor.DeptActing, "actor", 1)}}, "Authorization", "Bearer reader-token"), 403, "")
	var tc actor.TitleCredits
	i.Do("GET", "/api/v1/titles/tt0068646/credits", nil).JSON(t, &tc)
	require.Empty(t, tc.Cast, "failed writes changed nothing")
	require.Empty(t, tc.Crew)

	res = i.Do("POST", "/api/v1/credits", map[string]any{"credits": []any{
		credit("tt0068646", pacino.ID, actor.DeptActing, "actor", 2, "Michael Corleone"),
		credit("tt0068646", brando.ID, actor.DeptActing, "actor", 1, "Don Vito Corleone"),
		credit("tt0068646", coppola.ID, actor.DeptWriting, "writer", 1),
		credit("tt0068646", coppola.ID, actor.DeptDirecting, "director", 0),
		credit("tt0071562", pacino.ID, actor.DeptActing, "actor", 1, "Michael Corleone"),
		credit("tt0071562", coppola.ID, actor.DeptDirecting, "director", 0),
		credit("tt0099674", dup.ID, actor.DeptDirecting, "director", 0),
		credit("tt0078788", dup.ID, actor.DeptDirecting, "director", 0),
		credit("tt0068646", dup.ID, actor.DeptDirecting, "director", 0),
		credit("tt9999999", coppola.ID, actor.DeptProducing, "producer", 0),
	}})
	require.Equal(t, 204, res.Status, string(res.Body))

	res = i.Do("GET", "/api/v1/titles/tt0068646/credits", nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	res.JSON(t, &tc)
	require.Len(t, tc.Cast, 2)
	require.Equal(t, "Marlon Brando", tc.Cast[0].Name, "cast by billing order")
	require.Equal(t, []string{"Don Vito Corleone"}, tc.Cast[0].Characters)
	require.Equal(t, "Al Pacino", tc.Cast[1].Name)
	require.Len(t, tc.Crew, 2)
	require.Equal(t, actor.DeptDirecting, tc.Crew[0].Department)
	require.Len(t, tc.Crew[0].Credits, 2, "two directors before the merge")
	require.Equal(t, actor.DeptWriting, tc.Crew[1].Department)
	etag := res.Header.Get("ETag")
	require.Equal(t, 304, i.Do("GET", "/api/v1/titles/tt0068646/credits", nil, "If-None-Match", etag).Status)

	// In-process, for the inventory's append=credits.
	cs, err := handle[actor.Service](t, i, "actor").CreditsOfTitle(context.Background(), "tt0068646")
	require.NoError(t, err)
	require.Len(t, cs, 5)

	// The merge folds the duplicate into the survivor.
	requireProblem(t, i.Do("POST", "/api/v1/people/"+coppola.ID+"/merge", map[string]any{"from": coppola.ID}), 400, "body.from")
	requireProblem(t, i.Do("POST", "/api/v1/people/"+coppola.ID+"/merge", map[string]any{"from": "nm0000001"}), 404, "")
	res = i.Do("POST", "/api/v1/people/"+coppola.ID+"/merge", map[string]any{"from": dup.ID})
	require.Equal(t, 200, res.Status, string(res.Body))
	var survivor actor.Person
	res.JSON(t, &survivor)
	require.Equal(t, []string{"F. F. Coppola"}, survivor.AlsoKnownAs)
	require.Equal(t, "1939-04-07", survivor.BirthDate)

	i.Do("GET", "/api/v1/titles/tt0068646/credits", nil).JSON(t, &tc)
	require.Len(t, tc.Crew[0].Credits, 1, "one director: no duplicate after the merge")
	require.Equal(t, coppola.ID, tc.Crew[0].Credits[0].PersonID)
	require.NotEqual(t, etag, i.Do("GET", "/api/v1/titles/tt0068646/credits", nil).Header.Get("ETag"))

	// The old id redirects to the survivor.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("GET", i.URL+"/api/v1/people/"+dup.ID+"?append=credits", nil)
	raw, err := noFollow.Do(req)
	require.NoError(t, err)
	raw.Body.Close()
	require.Equal(t, 301, raw.StatusCode)
	require.Equal(t, "/api/v1/people/"+coppola.ID+"?append=credits", raw.Header.Get("Location"))
	var d actor.Details
	res = i.Do("GET", "/api/v1/people/"+dup.ID+"?append=credits", nil)
	require.Equal(t, 200, res.Status, "clients that follow redirects land on the survivor")
	res.JSON(t, &d)
	require.Equal(t, coppola.ID, d.ID)
	var found actor.Person
	i.Do("GET", "/api/v1/people/find?imdb_id=nm0000338", nil).JSON(t, &found)
	require.Equal(t, coppola.ID, found.ID, "external ids moved")
	var batch actor.Batch
	i.Do("GET", "/api/v1/people?ids="+dup.ID, nil).JSON(t, &batch)
	require.Equal(t, coppola.ID, batch.People[0].ID)
	require.Equal(t, map[string]string{dup.ID: coppola.ID}, batch.MergedInto)
	requireProblem(t, i.Do("POST", "/api/v1/people/"+coppola.ID+"/merge", map[string]any{"from": dup.ID}), 409, "")

	// The filmography: cast, then crew by department and job, newest first,
	// unknown years last.
	require.NotNil(t, d.Credits)
	f := *d.Credits
	require.True(t, f.TitlesResolved)
	require.Empty(t, f.Cast)
	require.Len(t, f.Crew, 3)
	require.Equal(t, [2]string{"directing", "director"}, [2]string{string(f.Crew[0].Department), f.Crew[0].Job})
	var titles []string
	for _, c := range f.Crew[0].Credits {
		titles = append(titles, fmt.Sprintf("%s %d", c.Title, c.Year))
	}
	require.Equal(t, []string{"The Godfather Part III 1990", "Apocalypse Now 1979", "The Godfather Part II 1974", "The Godfather 1972"}, titles)
	require.Equal(t, [2]string{"writing", "writer"}, [2]string{string(f.Crew[1].Department), f.Crew[1].Job})
	require.Equal(t, actor.DeptProducing, f.Crew[2].Department)
	require.Equal(t, "tt9999999", f.Crew[2].Credits[0].TitleID)
	require.Zero(t, f.Crew[2].Credits[0].Year, "a title the inventory does not know has no year")

	var pf actor.Filmography
	res = i.Do("GET", "/api/v1/people/"+pacino.ID+"/credits", nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	res.JSON(t, &pf)
	require.Len(t, pf.Cast, 2)
	require.Equal(t, "The Godfather Part II", pf.Cast[0].Title, "newest first")
	require.Equal(t, []string{"Michael Corleone"}, pf.Cast[1].Characters)

	// Replace and remove.
	res = i.Do("PUT", "/api/v1/titles/tt0071562/credits", map[string]any{"credits": []any{
		map[string]any{"person_id": pacino.ID, "department": "acting", "job": "actor", "order": 1, "characters": []string{"Michael"}},
	}})
	require.Equal(t, 200, res.Status, string(res.Body))
	res.JSON(t, &tc)
	require.Len(t, tc.Cast, 1)
	require.Empty(t, tc.Crew)
	require.Equal(t, 204, i.Do("DELETE", "/api/v1/titles/tt0071562/credits/"+pacino.ID, nil).Status)
	requireProblem(t, i.Do("DELETE", "/api/v1/titles/tt0071562/credits/"+pacino.ID, nil), 404, "")
	i.Do("GET", "/api/v1/people/"+pacino.ID+"/credits", nil).JSON(t, &pf)
	require.Len(t, pf.Cast, 1)
}

// Without the inventory in the process, filmographies carry title ids and say so.
func TestActorFilmographyWithoutInventory(t *testing.T) {
	i := startActor(t, map[string]string{}, nil)
	p := createPerson(t, i, map[string]any{"name": "Diane Keaton"})
	require.Equal(t, 204, i.Do("POST", "/api/v1/credits", map[string]any{"credits": []any{
		map[string]any{"title_id": "tt0068646", "person_id": p.ID, "department": "acting", "job": "actress", "characters": []string{"Kay Adams"}},
	}}).Status)
	var f actor.Filmography
	i.Do("GET", "/api/v1/people/"+p.ID+"/credits", nil).JSON(t, &f)
	require.False(t, f.TitlesResolved)
	require.NotEmpty(t, f.Notice)
	require.Equal(t, "tt0068646", f.Cast[0].TitleID)
	require.Empty(t, f.Cast[0].Title)
}

// The OpenAPI document lists the actor operations.
func TestActorOpenAPI(t *testing.T) {
	i := startActor(t, map[string]string{}, nil)
	res := i.Do("GET", "/openapi.json", nil)
	require.Equal(t, 200, res.Status)
	for _, p := range []string{"/api/v1/people/{id}", "/api/v1/people/{id}/credits", "/api/v1/titles/{id}/credits", "/api/v1/people/{id}/merge", "/api/v1/search/people", "/api/v1/people/find"} {
		require.Contains(t, string(res.Body), `"`+p+`"`)
	}
}

// Two instances on one database and bus: a change made through one drops
// what the other cached, by the events alone.
func TestActorCacheFollowsEventsAcrossInstances(t *testing.T) {
	var b apptest.Backend
	for _, x := range apptest.Backends() {
		if x.Name == "mysql-nats" {
			b = x
		}
	}
	settings := b.Prepare(t)
	one := startActor(t, settings, nil)
	two := startActor(t, settings, nil)
	p := createPerson(t, one, map[string]any{"name": "Talia Shire"})
	res := two.Do("GET", "/api/v1/people/"+p.ID, nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	etag := res.Header.Get("ETag")
	require.Equal(t, 304, two.Do("GET", "/api/v1/people/"+p.ID, nil, "If-None-Match", etag).Status, "cached on the second instance")

	res = one.Do("PUT", "/api/v1/people/"+p.ID, map[string]any{"name": "Talia Rose Coppola"}, "If-Match", etag)
	require.Equal(t, 200, res.Status, string(res.Body))
	require.Eventually(t, func() bool {
		var got actor.Person
		res := two.Do("GET", "/api/v1/people/"+p.ID, nil)
		res.JSON(t, &got)
		return got.Name == "Talia Rose Coppola" && res.Header.Get("ETag") != etag
	}, 10*time.Second, 20*time.Millisecond)
}

// handle is the service name as callers in i's process see it.
func handle[T any](t *testing.T, i *apptest.Instance, name string) T {
	t.Helper()
	h, err := app.Peer[T](i.App, name)
	require.NoError(t, err)
	return h
}
