package bench

// The actor service's read paths with a warm cache: a person with appended
// external ids and images, and a title's cast and crew.
//
// The API contract this file assumes; adjust here if the routes change:
//
//	POST /api/v1/people   Authorization: Bearer <admin token>  -> 201, {"id": "cp…"}
//	PUT  /api/v1/titles/{id}/credits  {"credits": [...]}       -> 200
//	GET  /api/v1/people/{id}?append=external_ids,images        -> 200, with an ETag
//	GET  /api/v1/titles/{id}/credits                           -> 200, with an ETag

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
)

// actorTitle is the (invented) title the scenario credits people on.
const actorTitle = "ct0000000000bench"

// actorPerson is the id Setup created, read by Build.
var actorPerson atomic.Pointer[string]

func init() {
	Register(Scenario{
		Name:        "actor.person",
		Description: "GET /api/v1/people/{id}?append=external_ids,images, warm cache",
		Setup:       setupActor,
		Build: func(env Env) Request {
			id := ""
			if p := actorPerson.Load(); p != nil {
				id = *p
			}
			return Request{Method: http.MethodGet, URL: env.BaseURL + "/api/v1/people/" + id + "?append=external_ids,images"}
		},
		Aim: 0.5,
	})
	Register(Scenario{
		Name:        "actor.title_credits",
		Description: "GET /api/v1/titles/{id}/credits (20 cast, 5 crew), warm cache",
		Setup:       setupActor,
		Build: func(env Env) Request {
			return Request{Method: http.MethodGet, URL: env.BaseURL + "/api/v1/titles/" + actorTitle + "/credits"}
		},
		Aim: 0.5,
	})
}

// setupActor creates 25 invented people credited on one invented title,
// then reads both paths to warm the cache.
func setupActor(ctx context.Context, env Env) error {
	if env.Token == "" {
		return fmt.Errorf("writing people needs the admin token: pass -token (or set CDLC_AUTH_ADMIN_TOKEN) with -target")
	}
	write := func(method, path string, body any, want func(int) bool, out any) error {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r := Request{Method: method, URL: env.BaseURL + path, Header: bearer(env.Token), Body: b}
		r.Header.Set("Content-Type", "application/json")
		req, err := r.HTTP(ctx)
		if err != nil {
			return err
		}
		res, err := env.Client.Do(req)
		if err != nil {
			return err
		}
		defer res.Body.Close()
		if !want(res.StatusCode) {
			return fmt.Errorf("%s %s: status %d", method, path, res.StatusCode)
		}
		if out != nil {
			return json.NewDecoder(res.Body).Decode(out)
		}
		return nil
	}
	var credits []map[string]any
	var first string
	for i := range 25 {
		var p struct {
			ID string `json:"id"`
		}
		body := map[string]any{"name": fmt.Sprintf("Bench Person %d (invented)", i), "professions": []string{"actor"},
			"biography": "An invented person for the benchmark.", "birth_date": "1970-01-01",
			"images": []map[string]any{{"path": fmt.Sprintf("/bench/%d.jpg", i), "width": 500, "height": 750, "sizes": []string{"w185", "original"}}}}
		if err := write(http.MethodPost, "/api/v1/people", body, func(c int) bool { return c == http.StatusCreated }, &p); err != nil {
			return err
		}
		if i == 0 {
			first = p.ID
		}
		c := map[string]any{"title_id": actorTitle, "person_id": p.ID, "department": "acting", "job": "actor", "order": i, "characters": []string{fmt.Sprintf("Role %d", i)}}
		if i >= 20 {
			c = map[string]any{"title_id": actorTitle, "person_id": p.ID, "department": "directing", "job": "director", "order": i}
		}
		credits = append(credits, c)
	}
	// Replace, not add: a second setup leaves the same list.
	if err := write(http.MethodPut, "/api/v1/titles/"+actorTitle+"/credits", map[string]any{"credits": credits}, func(c int) bool { return c == http.StatusOK }, nil); err != nil {
		return err
	}
	actorPerson.Store(&first)
	for _, path := range []string{"/api/v1/people/" + first + "?append=external_ids,images", "/api/v1/titles/" + actorTitle + "/credits"} {
		if err := send(ctx, env.Client, Request{URL: env.BaseURL + path}, func(code int) bool { return code == http.StatusOK }); err != nil {
			return err
		}
	}
	return nil
}
