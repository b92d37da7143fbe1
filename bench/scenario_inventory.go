package bench

// The catalog's hot path: GET a title by id with its credits appended,
// warm cache (issue 3: >= 15,000 req/s and p99 < 10 ms on a 2-core box,
// on SQLite).
//
// The scenario needs the inventory service in the server it starts, so
// run it with a target that includes it:
//
//	make bench BENCH_FLAGS='-server-target=all -scenarios=inventory.title'
//	make bench BENCH_FLAGS='-server-target=inventory,actor -scenarios=inventory.title'
//
// With only inventory running, credits come back empty with
// "available": false (the actor service is not in the process); with
// -server-target=all they come from the actor service in process.
//
// The API contract this file assumes (internal/inventory/httpapi):
//
//	POST /api/v1/titles  Authorization: Bearer <admin token, scope catalog:write>
//	     {"kind": "movie", "title": ...}      -> 201, {"id": "ct…", ...}
//	GET  /api/v1/titles/{id}?append=credits   -> 200, the title, with an ETag

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
)

// inventoryTitleID is the title the scenario reads, set by its Setup.
var inventoryTitleID atomic.Pointer[string]

// inventoryTitle is the title the scenario stores: a feature film with the
// fields a title page shows, about 2 KB of JSON.
var inventoryTitle = map[string]any{
	"kind": "movie", "title": "Bench: The Long Take", "original_title": "Bench: The Long Take",
	"start_year": 1999, "release_date": "1999-10-15", "runtime_minutes": 139,
	"genres": []string{"drama", "thriller"}, "spoken_languages": []string{"en", "fr"}, "countries": []string{"US", "DE"},
	"original_language": "en", "status": "released", "popularity": 87.5,
	"rating":   map[string]any{"average": 8.8, "votes": 2400000},
	"tagline":  "An invented title for load tests.",
	"overview": "An invented film used only by the benchmark: a projectionist keeps one reel running for a whole night while the city outside changes around the cinema. " + "Every figure here is made up.",
	"releases": []map[string]any{
		{"country": "US", "date": "1999-10-15", "type": "theatrical"}, {"country": "DE", "date": "1999-11-11", "type": "theatrical"},
		{"country": "FR", "date": "1999-11-10", "type": "theatrical"},
	},
	"certifications": []map[string]any{{"country": "US", "certification": "R"}, {"country": "DE", "certification": "18"}, {"country": "FR", "certification": "-12"}},
	"images": []map[string]any{
		{"kind": "poster", "path": "/images/bench/poster.jpg", "width": 2000, "height": 3000, "sizes": []string{"w92", "w185", "w500", "original"}},
		{"kind": "backdrop", "path": "/images/bench/backdrop.jpg", "width": 3840, "height": 2160, "sizes": []string{"w300", "w780", "w1280", "original"}},
	},
}

const inventoryWarmReads = 5

func init() {
	Register(Scenario{
		Name:        "inventory.title",
		Description: "GET /api/v1/titles/{id}?append=credits, warm cache (needs -server-target=all or one with inventory)",
		Setup:       setupInventory,
		Build: func(env Env) Request {
			id := "ct0000000000000000"
			if p := inventoryTitleID.Load(); p != nil {
				id = *p
			}
			return Request{Method: http.MethodGet, URL: env.BaseURL + "/api/v1/titles/" + id + "?append=credits", Header: bearer("")}
		},
		Status: http.StatusOK,
		Aim:    0.5,
	})
}

// setupInventory creates the title through the write API, then reads it a
// few times to warm the cache.
func setupInventory(ctx context.Context, env Env) error {
	if env.Token == "" {
		return fmt.Errorf("creating the title needs the admin token: pass -token (or set CDLC_AUTH_ADMIN_TOKEN) with -target")
	}
	body, err := json.Marshal(inventoryTitle)
	if err != nil {
		return err
	}
	post := Request{Method: http.MethodPost, URL: env.BaseURL + "/api/v1/titles", Header: bearer(env.Token), Body: body}
	post.Header.Set("Content-Type", "application/json")
	req, err := post.HTTP(ctx)
	if err != nil {
		return err
	}
	resp, err := env.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("POST /api/v1/titles: 404: the server does not run the inventory service; run with -server-target=all (or one that includes inventory)")
	}
	if resp.StatusCode != http.StatusCreated {
		return fmt.Errorf("POST /api/v1/titles: status %d: %s", resp.StatusCode, snippet(bytes.TrimSpace(b)))
	}
	var created struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &created); err != nil || created.ID == "" {
		return fmt.Errorf("POST /api/v1/titles: no id in the answer: %s", snippet(b))
	}
	inventoryTitleID.Store(&created.ID)
	get := Request{URL: env.BaseURL + "/api/v1/titles/" + created.ID + "?append=credits", Header: bearer("")}
	for range inventoryWarmReads {
		if err := send(ctx, env.Client, get, func(code int) bool { return code == http.StatusOK }); err != nil {
			return err
		}
	}
	return nil
}
