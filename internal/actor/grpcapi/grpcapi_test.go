package grpcapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/actor/grpcapi"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

type credits map[string][]actor.Credit

func (c credits) CreditsOfTitle(_ context.Context, id string) ([]actor.Credit, error) {
	cs, ok := c[id]
	if !ok {
		return nil, errs.NotFound("title %s", id)
	}
	return cs, nil
}

func (c credits) People(_ context.Context, ids []string) (actor.Batch, error) {
	b := actor.Batch{People: []actor.Person{}, Missing: []string{}}
	for _, id := range ids {
		if id == "nm0000008" {
			b.People = append(b.People, actor.Person{ID: id, Name: "Marlon Brando", Professions: []string{"actor"}, Popularity: 9})
			continue
		}
		b.Missing = append(b.Missing, id)
	}
	return b, nil
}

func (c credits) TitlesOfPerson(_ context.Context, id string) ([]string, error) {
	var out []string
	for title, cs := range c {
		for _, cr := range cs {
			if cr.PersonID == id {
				out = append(out, title)
				break
			}
		}
	}
	return out, nil
}

func (c credits) Search(_ context.Context, q actor.SearchQuery) ([]actor.PersonHit, error) {
	if q.Limit < 1 || q.Limit > actor.MaxSearchLimit {
		return nil, errs.Invalid("query.limit", "must be from 1 to %d", actor.MaxSearchLimit)
	}
	if q.Text != "brando" || !q.Autocomplete {
		return []actor.PersonHit{}, nil
	}
	return []actor.PersonHit{{ID: "nm0000008", Name: "Marlon Brando", Professions: []string{"actor"}, KnownFor: []string{"tt0068646"},
		Popularity: 9, Score: 1.2, Normalized: 1.1}}, nil
}

func TestClientAndServerAgree(t *testing.T) {
	svc := credits{"tt0068646": {
		{TitleID: "tt0068646", PersonID: "nm0000008", Department: actor.DeptActing, Job: "actor", Characters: []string{"Don Vito Corleone"}, Order: 1},
		{TitleID: "tt0068646", PersonID: "nm0000338", Department: actor.DeptDirecting, Job: "director", Order: 1},
	}}
	mux := http.NewServeMux()
	mux.Handle(grpcapi.Handler(svc))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := grpcapi.NewClient(srv.Client(), srv.URL)

	got, err := c.CreditsOfTitle(context.Background(), "tt0068646")
	require.NoError(t, err)
	require.Equal(t, svc["tt0068646"], got)

	_, err = c.CreditsOfTitle(context.Background(), "tt0000001")
	require.True(t, errs.Is(err, errs.KindNotFound), "%v", err)
	titles, err := c.TitlesOfPerson(context.Background(), "nm0000338")
	require.NoError(t, err)
	require.Equal(t, []string{"tt0068646"}, titles)

	people, err := c.People(context.Background(), []string{"nm0000008", "nm9999999"})
	require.NoError(t, err)
	require.Equal(t, []actor.Person{{ID: "nm0000008", Name: "Marlon Brando", Professions: []string{"actor"}, Popularity: 9}}, people.People)
	require.Equal(t, []string{"nm9999999"}, people.Missing)
	_, err = c.People(context.Background(), make([]string, grpcapi.MaxIDs+1))
	require.True(t, errs.Is(err, errs.KindInvalid), "%v", err)

	_, err = c.CreditsOfTitle(context.Background(), "")
	require.True(t, errs.Is(err, errs.KindInvalid), "%v", err)

	hits, err := c.Search(context.Background(), actor.SearchQuery{Text: "brando", Limit: 5, Autocomplete: true})
	require.NoError(t, err)
	require.Equal(t, []actor.PersonHit{{ID: "nm0000008", Name: "Marlon Brando", Professions: []string{"actor"}, KnownFor: []string{"tt0068646"},
		Popularity: 9, Score: 1.2, Normalized: 1.1}}, hits)
	hits, err = c.Search(context.Background(), actor.SearchQuery{Text: "nobody", Limit: 5})
	require.NoError(t, err)
	require.Empty(t, hits)
	_, err = c.Search(context.Background(), actor.SearchQuery{Text: "brando", Limit: 0})
	require.True(t, errs.Is(err, errs.KindInvalid), "%v", err)
}
