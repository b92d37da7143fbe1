package inventory

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/search"
)

// Page sizes of the searches. Every search endpoint (titles, people,
// combined) caps at the one maximum of the search index, and answers the
// limit it applied.
const (
	MultiDefaultLimit = 10
	MultiMaxLimit     = search.MaxLimit
	SearchMaxLimit    = search.MaxLimit
)

// PeopleTimeout bounds the people half of a combined search: past it the
// titles are answered alone (Partial), as when the actor service is down.
const PeopleTimeout = 2 * time.Second

// The types of a combined search result.
const (
	MultiTitle  = "title"
	MultiPerson = "person"
)

// MultiQuery is a search across titles and people. Kinds and the years
// filter the titles; people are matched by Text alone.
type MultiQuery struct {
	Text             string
	Kinds            []string
	YearFrom, YearTo int
	Limit            int
	Autocomplete     bool
}

// MultiHit is one result of a combined search: a title or a person.
type MultiHit struct {
	Type   string           `json:"type" enum:"title,person"`
	Score  float64          `json:"score" doc:"Comparable across titles and people: relevance, then popularity scaled to its own index"`
	Title  *SearchHit       `json:"title,omitempty" doc:"Set when type is title: the same shape as a /search/titles hit"`
	Person *actor.PersonHit `json:"person,omitempty" doc:"Set when type is person: the same shape as a /search/people hit"`
}

// MultiResult is the answer of a combined search.
type MultiResult struct {
	Results []MultiHit `json:"results"`
	Limit   int        `json:"limit" doc:"The limit applied"`
	Partial bool       `json:"partial" doc:"True when people could not be searched (the actor service is unavailable): the results are titles only"`
}

// SearchMulti searches titles and people at once and ranks them together
// by their normalized scores (SearchHit.Normalized, PersonHit.Normalized:
// relevance times a popularity factor scaled to each index, so the two
// indexes' popularity units do not matter). The actor service is asked
// concurrently with the title index; when it is not reachable, errs, or
// takes longer than PeopleTimeout, the titles come back alone with Partial
// set. Invalid for empty text, text over 200 bytes, unknown kinds, a limit
// below 1 or a year range backwards; a limit above MultiMaxLimit is
// capped (the result says which applied).
func (c *Catalog) SearchMulti(ctx context.Context, q MultiQuery) (MultiResult, error) {
	q.Text = strings.TrimSpace(q.Text)
	if q.Text == "" {
		return MultiResult{}, errs.Invalid("query.q", "must not be empty")
	}
	if len(q.Text) > 200 {
		return MultiResult{}, errs.Invalid("query.q", "at most 200 characters")
	}
	for _, k := range q.Kinds {
		if !slices.Contains(Kinds, Kind(k)) {
			return MultiResult{}, errs.Invalid("query.kind", "unknown kind %q; kinds are %s", k, kindList())
		}
	}
	switch {
	case q.Limit == 0:
		q.Limit = MultiDefaultLimit
	case q.Limit < 0:
		return MultiResult{}, errs.Invalid("query.limit", "must be a positive integer, got %d", q.Limit)
	}
	q.Limit = min(q.Limit, MultiMaxLimit)

	type peopleAnswer struct {
		hits []actor.PersonHit
		err  error
	}
	var people chan peopleAnswer
	if as := c.credits(); as != nil {
		people = make(chan peopleAnswer, 1)
		pctx, cancel := context.WithTimeout(ctx, PeopleTimeout)
		defer cancel()
		go func() {
			hits, err := as.Search(pctx, actor.SearchQuery{Text: q.Text, Limit: q.Limit, Autocomplete: q.Autocomplete})
			people <- peopleAnswer{hits, err}
		}()
	}
	titles, err := c.Search(ctx, SearchQuery(q))
	if err != nil {
		return MultiResult{}, err
	}
	res := MultiResult{Results: make([]MultiHit, 0, 2*q.Limit), Limit: q.Limit, Partial: people == nil}
	for i := range titles {
		res.Results = append(res.Results, MultiHit{Type: MultiTitle, Score: titles[i].Normalized, Title: &titles[i]})
	}
	if people != nil {
		a := <-people
		if a.err != nil {
			res.Partial = true
			slog.WarnContext(ctx, "combined search: people unavailable, answering titles only", "err", a.err)
		}
		for i := range a.hits {
			res.Results = append(res.Results, MultiHit{Type: MultiPerson, Score: a.hits[i].Normalized, Person: &a.hits[i]})
		}
	}
	slices.SortStableFunc(res.Results, func(a, b MultiHit) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return 0 // each list is already in its index's order
	})
	if len(res.Results) > q.Limit {
		res.Results = res.Results[:q.Limit]
	}
	return res, nil
}
