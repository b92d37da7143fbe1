package bench

// Search and autocomplete over a catalog of 1,000,000 titles and 1,000,000
// people (issue 3: p95 under 25 ms), on /search/titles, /search/people and
// /search/multi, with three kinds of query made from names in the catalog:
// autocomplete prefixes (what a user has typed so far), exact names, and
// names with typos. The catalog is generated and imported once and kept
// (see PrepareSearchCatalog and -search-data); the server builds its
// search indexes the first time it starts on it, and the setup waits for
// them. The scenarios need inventory and actor in the server
// (-server-target=all, as `make bench` runs).
//
// The load is 4 concurrent searches (people typing at once), not the
// run's -concurrency: on a 2-core machine shared with the load generator,
// 32 searches in flight measure queueing, not search.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// SearchConcurrency is the number of searches in flight in the search
// scenarios.
const SearchConcurrency = 4

// SearchP95Aim is the p95 the search scenarios aim at.
const SearchP95Aim = 25 * time.Millisecond

// searchQueries are the query lists, built once from the catalog's samples.
type searchQueries struct {
	titles, people, multi [3][]string // by searchKind
}

const (
	kindAutocomplete = iota
	kindExact
	kindTypo
)

var (
	queriesOnce sync.Once
	queries     *searchQueries
	readyOnce   sync.Once
	readyErr    error
)

func buildQueries(c *SearchCatalog) *searchQueries {
	r := rand.New(rand.NewPCG(7, 7))
	q := &searchQueries{}
	for k, samples := range [][]SearchSample{c.Titles, c.People} {
		var lists [3][]string
		for _, s := range samples {
			lists[kindExact] = append(lists[kindExact], s.Name)
			lists[kindTypo] = append(lists[kindTypo], withTypo(r, s.Name))
			lists[kindAutocomplete] = append(lists[kindAutocomplete], prefixes(r, s.Name)...)
		}
		for i := range lists {
			if k == 0 {
				q.titles[i] = lists[i]
			} else {
				q.people[i] = lists[i]
			}
			q.multi[i] = append(q.multi[i], lists[i]...)
		}
	}
	for i := range q.multi {
		r.Shuffle(len(q.multi[i]), func(a, b int) { q.multi[i][a], q.multi[i][b] = q.multi[i][b], q.multi[i][a] })
	}
	return q
}

// withTypo lower-cases name and puts one typo (swap, drop or change a
// letter) in its longest word, two when that word has 8 letters or more.
func withTypo(r *rand.Rand, name string) string {
	ws := strings.Fields(strings.ToLower(name))
	li := 0
	for i, w := range ws {
		if utf8.RuneCountInString(w) > utf8.RuneCountInString(ws[li]) {
			li = i
		}
	}
	w := []rune(ws[li])
	edits := 0
	if len(w) >= 4 {
		edits = 1
	}
	if len(w) >= 8 {
		edits = 2
	}
	for range edits {
		p := 1 + r.IntN(len(w)-2)
		switch r.IntN(3) {
		case 0:
			w[p], w[p+1] = w[p+1], w[p]
		case 1:
			w = append(w[:p], w[p+1:]...)
		default:
			w[p] = rune('a' + r.IntN(26))
		}
	}
	ws[li] = string(w)
	return strings.Join(ws, " ")
}

// prefixes are three of the keystroke-by-keystroke prefixes of name, of
// two letters or more.
func prefixes(r *rand.Rand, name string) []string {
	s := []rune(strings.ToLower(name))
	var out []string
	for range 3 {
		n := min(len(s), 2+r.IntN(max(1, len(s)-1)))
		out = append(out, strings.TrimSpace(string(s[:n])))
	}
	return out
}

type searchEndpoint struct {
	name, what string
	url        func(base, q string, kind int) string
	list       func(q *searchQueries) [3][]string
}

var searchEndpoints = []searchEndpoint{
	{"titles", "/api/v1/search/titles", func(base, q string, kind int) string {
		if kind == kindAutocomplete {
			return base + "/api/v1/search/titles/autocomplete?limit=10&q=" + url.QueryEscape(q)
		}
		return base + "/api/v1/search/titles?limit=10&q=" + url.QueryEscape(q)
	}, func(q *searchQueries) [3][]string { return q.titles }},
	{"people", "/api/v1/search/people", func(base, q string, kind int) string {
		u := base + "/api/v1/search/people?limit=10&q=" + url.QueryEscape(q)
		if kind == kindAutocomplete {
			u += "&autocomplete=true"
		}
		return u
	}, func(q *searchQueries) [3][]string { return q.people }},
	{"multi", "/api/v1/search/multi", func(base, q string, kind int) string {
		if kind == kindAutocomplete {
			return base + "/api/v1/search/multi/autocomplete?limit=10&q=" + url.QueryEscape(q)
		}
		return base + "/api/v1/search/multi?limit=10&q=" + url.QueryEscape(q)
	}, func(q *searchQueries) [3][]string { return q.multi }},
}

func init() {
	kinds := []struct {
		name, what string
	}{
		{"autocomplete", "autocomplete prefixes"},
		{"exact", "exact names"},
		{"typo", "names with one or two typos"},
	}
	for _, ep := range searchEndpoints {
		for kind, k := range kinds {
			var next atomic.Uint64
			Register(Scenario{
				Name:        "search." + ep.name + "." + k.name,
				Description: fmt.Sprintf("GET %s, %s, over 1M titles + 1M people (needs -server-target=all)", ep.what, k.what),
				Setup:       setupSearch,
				Build: func(env Env) Request {
					list := []string{"x"}
					if queries != nil {
						list = ep.list(queries)[kind]
					}
					q := list[next.Add(1)%uint64(len(list))]
					return Request{Method: http.MethodGet, URL: ep.url(env.BaseURL, q, kind), Header: bearer("")}
				},
				Concurrency: SearchConcurrency,
				P95Aim:      SearchP95Aim,
			})
		}
	}
}

// IsSearchScenario reports whether a scenario needs the search catalog.
func IsSearchScenario(name string) bool { return strings.HasPrefix(name, "search.") }

// setupSearch builds the query lists and waits (once) until both search
// indexes answer: a typo query finds its title or person, which the SQL
// fallback that answers during the first build cannot do.
func setupSearch(ctx context.Context, env Env) error {
	if searchCatalog == nil {
		return fmt.Errorf("no search catalog: the bench prepares it when it starts the server (not with -target)")
	}
	queriesOnce.Do(func() { queries = buildQueries(searchCatalog) })
	readyOnce.Do(func() { readyErr = waitSearchReady(ctx, env) })
	return readyErr
}

func waitSearchReady(ctx context.Context, env Env) error {
	r := rand.New(rand.NewPCG(1, 1))
	start := time.Now()
	deadline := start.Add(30 * time.Minute)
	check := func(path string, samples []SearchSample) (bool, error) {
		for _, s := range samples[:min(10, len(samples))] {
			u := env.BaseURL + path + "?limit=50&q=" + url.QueryEscape(withTypo(r, s.Name))
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return false, err
			}
			resp, err := env.Client.Do(req)
			if err != nil {
				return false, err
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return false, fmt.Errorf("GET %s: status %d: %s", path, resp.StatusCode, snippet(b))
			}
			var res struct {
				Results []struct {
					ID string `json:"id"`
				} `json:"results"`
			}
			if err := json.Unmarshal(b, &res); err != nil {
				return false, err
			}
			for _, h := range res.Results {
				if h.ID == s.ID {
					return true, nil
				}
			}
		}
		return false, nil
	}
	for said := false; ; {
		titles, err := check("/api/v1/search/titles", searchCatalog.Titles)
		if err != nil {
			return err
		}
		people, err := check("/api/v1/search/people", searchCatalog.People)
		if err != nil {
			return err
		}
		if titles && people {
			if said {
				fmt.Printf("search indexes ready after %v\n", time.Since(start).Round(time.Second))
			}
			return nil
		}
		if !said {
			fmt.Println("search: waiting for the server to build its search indexes (first run on this catalog) ...")
			said = true
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("search indexes not ready after %v", time.Since(start).Round(time.Second))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
}
