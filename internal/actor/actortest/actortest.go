// Package actortest is the contract of actor.Service: one suite that every
// implementation passes, the in-process Server and the gRPC client
// (grpcapi.Client) talking to it alike, so that a caller cannot tell
// where the service runs.
//
// The fixtures fill every field of every type that crosses the interface
// (rpctest.RequireFilled checks it), and the answers are compared whole,
// so a transport that drops or changes a field fails the suite.
package actortest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/actor/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/rpc/rpctest"
)

// Subject is one actor service under test and the store it reads, which
// the suite seeds.
type Subject struct {
	Service actor.Service
	Store   actor.Store
}

// Wrap stands between the in-process service and whatever reaches it
// (the caller, or the gRPC handler): the suite passes one that makes the
// service fail, to see its errors reach the caller unchanged.
type Wrap func(actor.Service) actor.Service

// Local is the in-process service over a real store on a fresh SQLite
// database.
func Local(t *testing.T) (*actor.Server, actor.Store) {
	t.Helper()
	d := dbtest.Open(t, dbtest.SQLiteConfig(t), "actor")
	require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
	c, err := cache.New(cache.Config{})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	store := sqlstore.New(d)
	return actor.New(actor.Options{Store: store, Cache: cache.NewLoader(c, cache.LoaderOptions{})}), store
}

// The fixtures: two people with every field set, one with some, one with
// nothing but a name, a duplicate merged into the first, and the credits
// of two titles.
const (
	godfather  = "tt0068646"
	apocalypse = "tt0078788"
	noCredits  = "tt0000001"
	brando     = "nm0000008"
	cazale     = "nm0001030"
	coppola    = "nm0000338"
	duplicate  = "nm0000009"
	bare       = "cp0000000000aa"
	nobody     = "nm9999999"
)

var people = []actor.Record{
	{Person: actor.Person{
		ID: brando, Name: "Marlon Brando", AlsoKnownAs: []string{"Bud", "Marlon Brando Jr."},
		BirthDate: "1924-04-03", DeathDate: "2004-07-01", BirthPlace: "Omaha, Nebraska, USA", DeathPlace: "Los Angeles, California, USA",
		Professions: []string{"actor", "director"}, Biography: "Marlon Brando was an American actor.", KnownFor: []string{godfather, apocalypse},
		Popularity: 31.25,
	}},
	{Person: actor.Person{
		ID: cazale, Name: "John Cazale", AlsoKnownAs: []string{"John Holland Cazale"},
		BirthDate: "1935", DeathDate: "1978-03-12", BirthPlace: "Revere, Massachusetts, USA", DeathPlace: "New York City, New York, USA",
		Professions: []string{"actor"}, Biography: "John Cazale was an American actor.", KnownFor: []string{godfather},
		Popularity: 4.75,
	}},
	{Person: actor.Person{ID: coppola, Name: "Francis Ford Coppola", BirthDate: "1939-04-07", Professions: []string{"director", "writer"}, Popularity: 12.5}},
	{Person: actor.Person{ID: duplicate, Name: "M. Brando", Popularity: 0.5}},
	{Person: actor.Person{ID: bare, Name: "Someone"}},
}

// credits in the order CreditsOfTitle answers: cast by billing order,
// then crew by department.
var credits = map[string][]actor.Credit{
	godfather: {
		{TitleID: godfather, PersonID: brando, Department: actor.DeptActing, Job: "actor", Characters: []string{"Don Vito Corleone", "Narrator"}, Order: 1, Name: "Marlon Brando"},
		{TitleID: godfather, PersonID: cazale, Department: actor.DeptActing, Job: "actor", Characters: []string{"Fredo Corleone"}, Order: 5, Name: "John Cazale"},
		{TitleID: godfather, PersonID: coppola, Department: actor.DeptDirecting, Job: "director", Order: 1, Name: "Francis Ford Coppola"},
		{TitleID: godfather, PersonID: coppola, Department: actor.DeptWriting, Job: "screenplay", Order: 2, Name: "Francis Ford Coppola"},
	},
	apocalypse: {
		{TitleID: apocalypse, PersonID: brando, Department: actor.DeptActing, Job: "actor", Characters: []string{"Colonel Walter E. Kurtz"}, Order: 3, Name: "Marlon Brando"},
	},
}

func seed(t *testing.T, s actor.Store) {
	t.Helper()
	ctx := context.Background()
	for _, r := range people {
		_, err := s.CreatePerson(ctx, r)
		require.NoError(t, err)
	}
	for _, cs := range credits {
		in := make([]actor.Credit, len(cs))
		for i, c := range cs {
			c.Name = "" // written without; reads fill it
			in[i] = c
		}
		require.NoError(t, s.PutCredits(ctx, in))
	}
	_, err := s.Merge(ctx, brando, duplicate, -1)
	require.NoError(t, err)
}

// stored is a person as the store holds it now (version and time of the
// last change included): what the service must answer with.
func stored(t *testing.T, s actor.Store, id string) actor.Person {
	t.Helper()
	p, err := s.Person(context.Background(), id)
	require.NoError(t, err)
	return p
}

// Run runs the contract against the services newSubject builds; each
// call must give a fresh service over an empty store, with wrap applied
// to the in-process service before anything reaches it.
func Run(t *testing.T, newSubject func(t *testing.T, wrap Wrap) Subject) {
	ctx := context.Background()
	identity := func(s actor.Service) actor.Service { return s }

	t.Run("CreditsOfTitle", func(t *testing.T) {
		sub := newSubject(t, identity)
		seed(t, sub.Store)
		rpctest.RequireFilled(t, credits[godfather][0])
		for _, title := range []string{godfather, apocalypse} {
			got, err := sub.Service.CreditsOfTitle(ctx, title)
			require.NoError(t, err)
			require.Equal(t, credits[title], got, title)
		}
		got, err := sub.Service.CreditsOfTitle(ctx, noCredits)
		require.NoError(t, err)
		require.Equal(t, []actor.Credit{}, got, "a title without credits has an empty list")

		for _, id := range []string{"", "bogus", brando} {
			_, err = sub.Service.CreditsOfTitle(ctx, id)
			rpctest.RequireInvalid(t, err, "title_id")
		}
	})

	t.Run("People", func(t *testing.T) {
		sub := newSubject(t, identity)
		seed(t, sub.Store)
		want := actor.Batch{
			People:     []actor.Person{stored(t, sub.Store, cazale), stored(t, sub.Store, brando), stored(t, sub.Store, brando)},
			Missing:    []string{nobody},
			MergedInto: map[string]string{duplicate: brando},
		}
		rpctest.RequireFilled(t, want)
		got, err := sub.Service.People(ctx, []string{cazale, brando, nobody, duplicate, cazale})
		require.NoError(t, err)
		require.Equal(t, want, got, "in the order asked, duplicates once, merged ids answered by their survivor")

		got, err = sub.Service.People(ctx, []string{bare})
		require.NoError(t, err)
		p := stored(t, sub.Store, bare)
		require.Equal(t, []string{}, p.AlsoKnownAs, "the store's lists are empty, not nil")
		require.Equal(t, actor.Batch{People: []actor.Person{p}, Missing: []string{}}, got, "empty lists stay empty lists, no merges is no map")

		got, err = sub.Service.People(ctx, []string{nobody})
		require.NoError(t, err)
		require.Equal(t, actor.Batch{People: []actor.Person{}, Missing: []string{nobody}}, got)

		_, err = sub.Service.People(ctx, nil)
		rpctest.RequireInvalid(t, err, "query.ids")
		_, err = sub.Service.People(ctx, []string{brando, "bogus"})
		rpctest.RequireInvalid(t, err, "query.ids")
		many := make([]string, actor.MaxBatch+1)
		for i := range many {
			many[i] = fmt.Sprintf("nm%07d", i+1)
		}
		_, err = sub.Service.People(ctx, many)
		rpctest.RequireInvalid(t, err, "query.ids")
	})

	t.Run("TitlesOfPerson", func(t *testing.T) {
		sub := newSubject(t, identity)
		seed(t, sub.Store)
		got, err := sub.Service.TitlesOfPerson(ctx, brando)
		require.NoError(t, err)
		require.Equal(t, []string{godfather, apocalypse}, got)
		got, err = sub.Service.TitlesOfPerson(ctx, nobody)
		require.NoError(t, err)
		require.Equal(t, []string{}, got, "a person without credits has an empty list")
		_, err = sub.Service.TitlesOfPerson(ctx, "bogus")
		rpctest.RequireInvalid(t, err, "person_id")
	})

	t.Run("Search", func(t *testing.T) {
		sub := newSubject(t, identity)
		seed(t, sub.Store)
		for _, q := range []actor.SearchQuery{
			{Text: "brando", Limit: 5},
			{Text: "  john caz ", Limit: 1, Autocomplete: true},
		} {
			// The service searches with the store when no index is given:
			// the store's hits are what it must answer.
			want, err := sub.Store.SearchPeople(ctx, actor.SearchQuery{Text: strings.TrimSpace(q.Text), Limit: q.Limit, Autocomplete: q.Autocomplete})
			require.NoError(t, err)
			require.Len(t, want, 1)
			rpctest.RequireFilled(t, want)
			got, err := sub.Service.Search(ctx, q)
			require.NoError(t, err)
			require.Equal(t, want, got, q.Text)
		}
		got, err := sub.Service.Search(ctx, actor.SearchQuery{Text: "nobody at all", Limit: 5})
		require.NoError(t, err)
		require.Equal(t, []actor.PersonHit{}, got)

		for _, c := range []struct {
			q     actor.SearchQuery
			field string
		}{
			{actor.SearchQuery{Text: " ", Limit: 5}, "query.q"},
			{actor.SearchQuery{Text: strings.Repeat("é", 201), Limit: 5}, "query.q"},
			{actor.SearchQuery{Text: "brando", Limit: 0}, "query.limit"},
			{actor.SearchQuery{Text: "brando", Limit: -3}, "query.limit"},
		} {
			_, err := sub.Service.Search(ctx, c.q)
			rpctest.RequireInvalid(t, err, c.field)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		for _, want := range rpctest.Errors() {
			t.Run(string(errs.KindOf(want)), func(t *testing.T) {
				sub := newSubject(t, func(actor.Service) actor.Service { return failing{want} })
				_, err := sub.Service.CreditsOfTitle(ctx, godfather)
				rpctest.RequireSameError(t, want, err)
				_, err = sub.Service.People(ctx, []string{brando})
				rpctest.RequireSameError(t, want, err)
				_, err = sub.Service.TitlesOfPerson(ctx, brando)
				rpctest.RequireSameError(t, want, err)
				_, err = sub.Service.Search(ctx, actor.SearchQuery{Text: "brando", Limit: 5})
				rpctest.RequireSameError(t, want, err)
			})
		}
	})
}

// failing is a service whose every call fails with err.
type failing struct{ err error }

func (f failing) CreditsOfTitle(context.Context, string) ([]actor.Credit, error) { return nil, f.err }
func (f failing) People(context.Context, []string) (actor.Batch, error)          { return actor.Batch{}, f.err }
func (f failing) TitlesOfPerson(context.Context, string) ([]string, error)       { return nil, f.err }
func (f failing) Search(context.Context, actor.SearchQuery) ([]actor.PersonHit, error) {
	return nil, f.err
}
