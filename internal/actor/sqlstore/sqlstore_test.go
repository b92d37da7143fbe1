package sqlstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/actor/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

func open(t *testing.T, d *db.DB) *sqlstore.Store {
	t.Helper()
	require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
	return sqlstore.New(d)
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, d.Writer().QueryRow(q, args...).Scan(&n))
	return n
}

func nm(i int) string { return fmt.Sprintf("nm%07d", i) }
func tt(i int) string { return fmt.Sprintf("tt%07d", i) }

// A bulk import run twice leaves the same rows: people and credits are
// updated in place, never duplicated, and lists are replaced, not appended.
func TestBulkUpsertsAreIdempotent(t *testing.T) {
	dbtest.Each(t, "actor", func(t *testing.T, d *db.DB) {
		s := open(t, d)
		ctx := context.Background()
		var people []actor.Record
		var credits []actor.Credit
		for i := 1; i <= 1500; i++ {
			people = append(people, actor.Record{Person: actor.Person{ID: nm(i), Name: fmt.Sprintf("Person %d", i), BirthDate: "1950",
				Professions: []string{"actor", "producer"}, KnownFor: []string{tt(i), tt(i + 1)}, AlsoKnownAs: []string{fmt.Sprintf("P. %d", i)}}})
			credits = append(credits,
				actor.Credit{TitleID: tt(i % 100), PersonID: nm(i), Department: actor.DeptActing, Job: "actor", Characters: []string{"Someone"}, Order: i},
				actor.Credit{TitleID: tt(i % 100), PersonID: nm(i), Department: actor.DeptDirecting, Job: "director", Order: i})
		}
		for range 2 {
			require.NoError(t, s.UpsertPeople(ctx, people))
			require.NoError(t, s.UpsertCredits(ctx, credits, nil))
		}
		require.Equal(t, 1500, count(t, d, "SELECT COUNT(*) FROM people"))
		require.Equal(t, 3000, count(t, d, "SELECT COUNT(*) FROM person_professions"))
		require.Equal(t, 1500, count(t, d, "SELECT COUNT(*) FROM person_akas"))
		require.Equal(t, 3000, count(t, d, "SELECT COUNT(*) FROM credits"))
		require.Equal(t, 1500, count(t, d, "SELECT COUNT(*) FROM person_external_ids WHERE source = 'imdb'"))

		// Credits sent to add are inserted when their key is new and leave a
		// stored credit as it is, in either order of the calls.
		director := actor.Credit{TitleID: tt(200), PersonID: nm(1601), Department: actor.DeptDirecting, Job: "director", Order: 3}
		other := actor.Credit{TitleID: tt(200), PersonID: nm(1602), Department: actor.DeptWriting, Job: "writer", Order: 4}
		require.NoError(t, s.UpsertCredits(ctx, nil, []actor.Credit{director, other}))
		require.NoError(t, s.UpsertCredits(ctx, []actor.Credit{{TitleID: tt(200), PersonID: nm(1601), Department: actor.DeptDirecting, Job: "director", Order: 1}}, nil))
		require.NoError(t, s.UpsertCredits(ctx, nil, []actor.Credit{director, other}))
		got, err := s.CreditsOfTitle(ctx, tt(200))
		require.NoError(t, err)
		orders := map[string]int{}
		for _, c := range got {
			orders[c.PersonID+" "+c.Job] = c.Order
		}
		require.Equal(t, 1, orders[nm(1601)+" director"], "add leaves the stored credit")
		require.Equal(t, 4, orders[nm(1602)+" writer"], "add inserts a new one")
		require.Equal(t, 3002, count(t, d, "SELECT COUNT(*) FROM credits"))

		p, err := s.Person(ctx, nm(7))
		require.NoError(t, err)
		require.Equal(t, "Person 7", p.Name)
		require.Equal(t, []string{"actor", "producer"}, p.Professions)
		require.Equal(t, []string{tt(7), tt(8)}, p.KnownFor)
		require.EqualValues(t, 1, p.Version, "a re-import of the same rows changes nothing")

		// A changed row updates; the ordered lists follow.
		people[6].Name, people[6].Professions = "Person Seven", []string{"director"}
		credits[12].Characters = []string{"Another"}
		require.NoError(t, s.UpsertPeople(ctx, people[6:7]))
		require.NoError(t, s.UpsertCredits(ctx, credits[12:13], nil))
		p, err = s.Person(ctx, nm(7))
		require.NoError(t, err)
		require.Equal(t, "Person Seven", p.Name)
		require.Equal(t, []string{"director"}, p.Professions)
		cs, err := s.CreditsOfPerson(ctx, nm(7))
		require.NoError(t, err)
		require.Len(t, cs, 2)
		require.Equal(t, []string{"Another"}, cs[0].Characters)
		id, err := s.FindExternal(ctx, "imdb", nm(7))
		require.NoError(t, err)
		require.Equal(t, nm(7), id)

		// A bad record fails the whole batch.
		err = s.UpsertPeople(ctx, []actor.Record{{Person: actor.Person{ID: nm(9999), Name: "ok"}}, {Person: actor.Person{ID: "bad", Name: "x"}}})
		require.True(t, errs.Is(err, errs.KindInvalid), "%v", err)
		_, err = s.Person(ctx, nm(9999))
		require.True(t, errs.Is(err, errs.KindNotFound))
		require.Zero(t, count(t, d, "SELECT COUNT(*) FROM outbox"), "bulk writes enqueue no events")
	})
}

func TestCreditsOfTitleOrder(t *testing.T) {
	dbtest.Each(t, "actor", func(t *testing.T, d *db.DB) {
		s := open(t, d)
		ctx := context.Background()
		for i := 1; i <= 4; i++ {
			_, err := s.CreatePerson(ctx, actor.Record{Person: actor.Person{ID: nm(i), Name: fmt.Sprintf("P%d", i)}})
			require.NoError(t, err)
		}
		require.NoError(t, s.PutCredits(ctx, []actor.Credit{
			{TitleID: tt(1), PersonID: nm(1), Department: actor.DeptWriting, Job: "writer", Order: 0},
			{TitleID: tt(1), PersonID: nm(2), Department: actor.DeptActing, Job: "actor", Order: 2},
			{TitleID: tt(1), PersonID: nm(3), Department: actor.DeptActing, Job: "actress", Order: 1},
			{TitleID: tt(1), PersonID: nm(4), Department: actor.DeptDirecting, Job: "director", Order: 5},
		}))
		cs, err := s.CreditsOfTitle(ctx, tt(1))
		require.NoError(t, err)
		var got []string
		for _, c := range cs {
			got = append(got, c.PersonID+":"+c.Name)
		}
		require.Equal(t, []string{nm(3) + ":P3", nm(2) + ":P2", nm(4) + ":P4", nm(1) + ":P1"}, got, "cast by billing, then directing before writing")

		err = s.PutCredits(ctx, []actor.Credit{{TitleID: tt(2), PersonID: nm(1), Department: actor.DeptActing, Job: "actor"}, {TitleID: tt(2), PersonID: nm(77), Department: actor.DeptActing, Job: "actor"}})
		require.Equal(t, "body.credits[1].person_id", errs.FieldOf(err))
		require.Zero(t, count(t, d, "SELECT COUNT(*) FROM credits WHERE title_id = ?", tt(2)), "a failed write changes nothing")
	})
}

func TestMergeMovesEverything(t *testing.T) {
	dbtest.Each(t, "actor", func(t *testing.T, d *db.DB) {
		s := open(t, d)
		ctx := context.Background()
		require.NoError(t, s.UpsertPeople(ctx, []actor.Record{
			{Person: actor.Person{ID: nm(1), Name: "Al Pacino", Professions: []string{"actor"}}},
			{Person: actor.Person{ID: nm(2), Name: "Alfredo Pacino", BirthDate: "1940-04-25", Professions: []string{"actor", "director"}}, ExternalIDs: actor.ExternalIDs{TMDB: 1158}},
		}))
		require.NoError(t, s.UpsertCredits(ctx, []actor.Credit{
			{TitleID: tt(1), PersonID: nm(1), Department: actor.DeptActing, Job: "actor", Order: 1},
			{TitleID: tt(1), PersonID: nm(2), Department: actor.DeptActing, Job: "actor", Order: 9},
			{TitleID: tt(2), PersonID: nm(2), Department: actor.DeptDirecting, Job: "director"},
		}, nil))
		p, err := s.Merge(ctx, nm(1), nm(2), -1)
		require.NoError(t, err)
		require.Equal(t, []string{"Alfredo Pacino"}, p.AlsoKnownAs)
		require.Equal(t, []string{"actor", "director"}, p.Professions)
		require.Equal(t, "1940-04-25", p.BirthDate)

		cs, err := s.CreditsOfPerson(ctx, nm(1))
		require.NoError(t, err)
		require.Len(t, cs, 2, "the shared credit is not duplicated")
		require.Zero(t, count(t, d, "SELECT COUNT(*) FROM credits WHERE person_id = ?", nm(2)))
		_, err = s.Person(ctx, nm(2))
		var m *actor.MergedError
		require.ErrorAs(t, err, &m)
		require.Equal(t, nm(1), m.Into)
		for _, x := range [][2]string{{"imdb", nm(2)}, {"tmdb", "1158"}} {
			id, err := s.FindExternal(ctx, x[0], x[1])
			require.NoError(t, err)
			require.Equal(t, nm(1), id)
		}
		// Replacing the survivor keeps the duplicate's IMDb id with it.
		_, err = s.UpdatePerson(ctx, actor.Record{Person: p}, p.Version)
		require.NoError(t, err)
		id, err := s.FindExternal(ctx, "imdb", nm(2))
		require.NoError(t, err)
		require.Equal(t, nm(1), id)
		_, err = s.UpdatePerson(ctx, actor.Record{Person: p}, p.Version)
		require.True(t, errs.Is(err, errs.KindPrecondition), "a stale version: %v", err)

		// A re-import of the duplicate does not bring it back.
		require.NoError(t, s.UpsertPeople(ctx, []actor.Record{{Person: actor.Person{ID: nm(2), Name: "Alfredo Pacino"}}}))
		require.NoError(t, s.UpsertCredits(ctx, []actor.Credit{{TitleID: tt(3), PersonID: nm(2), Department: actor.DeptActing, Job: "actor"}}, nil))
		require.Zero(t, count(t, d, "SELECT COUNT(*) FROM people WHERE id = ?", nm(2)))
		require.Equal(t, 1, count(t, d, "SELECT COUNT(*) FROM credits WHERE person_id = ? AND title_id = ?", nm(1), tt(3)))

		_, err = s.Merge(ctx, nm(1), nm(2), -1)
		require.True(t, errs.Is(err, errs.KindConflict), "%v", err)
		require.Equal(t, 1, count(t, d, "SELECT COUNT(*) FROM outbox WHERE topic = ?", actor.PersonMerged.Name))
	})
}

func TestSearchFallback(t *testing.T) {
	dbtest.Each(t, "actor", func(t *testing.T, d *db.DB) {
		s := open(t, d)
		ctx := context.Background()
		require.NoError(t, s.UpsertPeople(ctx, []actor.Record{
			{Person: actor.Person{ID: nm(1), Name: "Zoë Saldaña", Popularity: 50}},
			{Person: actor.Person{ID: nm(2), Name: "Zoe Kazan", Popularity: 10}},
			{Person: actor.Person{ID: nm(3), Name: "100% Pure_Name", Popularity: 1}},
		}))
		hits, err := s.SearchPeople(ctx, actor.SearchQuery{Text: "zoe", Limit: 10})
		require.NoError(t, err)
		require.Len(t, hits, 2)
		require.Equal(t, nm(1), hits[0].ID, "more popular first")
		hits, err = s.SearchPeople(ctx, actor.SearchQuery{Text: "saldana zo", Limit: 10, Autocomplete: true})
		require.NoError(t, err)
		require.Len(t, hits, 1)
		hits, err = s.SearchPeople(ctx, actor.SearchQuery{Text: "%", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, hits, "query syntax is text")
		hits, err = s.SearchPeople(ctx, actor.SearchQuery{Text: "' OR 1=1 --", Limit: 10})
		require.NoError(t, err)
		require.Empty(t, hits)
	})
}

// A bulk upsert of people writes what the dataset supplies and nothing
// else: biography, places, popularity, also-known-as names, images and a
// fuller birth date an operator entered stay; a re-import of the same
// rows changes nothing (no version bump); bulk calls enqueue no event,
// and FinishImport exactly one, for every person and credit.
func TestBulkKeepsOperatorFieldsAndVersions(t *testing.T) {
	dbtest.Each(t, "actor", func(t *testing.T, d *db.DB) {
		s := open(t, d)
		ctx := context.Background()
		_, err := s.CreatePerson(ctx, actor.Record{Person: actor.Person{ID: nm(1), Name: "Marlon Brando", BirthDate: "1924-04-03",
			BirthPlace: "Omaha, Nebraska", Biography: "An operator's biography.", Popularity: 42, AlsoKnownAs: []string{"Bud"},
			Professions: []string{"actor"}}, Images: []actor.Image{{Path: "/brando.jpg", Width: 500, Height: 750}}})
		require.NoError(t, err)
		require.Equal(t, 1, count(t, d, "SELECT COUNT(*) FROM outbox"))

		imdb := []actor.Record{
			{Person: actor.Person{ID: nm(1), Name: "Marlon Brando", BirthDate: "1924", DeathDate: "2004", Professions: []string{"actor", "director"}, KnownFor: []string{tt(1)}}},
			{Person: actor.Person{ID: nm(2), Name: "Mario Puzo", BirthDate: "1920", Professions: []string{"writer"}}},
		}
		credits := []actor.Credit{{TitleID: tt(1), PersonID: nm(1), Department: actor.DeptActing, Job: "actor", Characters: []string{"Don Vito Corleone"}, Order: 1}}
		for round := range 3 {
			require.NoError(t, s.UpsertPeople(ctx, imdb))
			require.NoError(t, s.UpsertCredits(ctx, credits, nil))
			p, err := s.Person(ctx, nm(1))
			require.NoError(t, err)
			require.EqualValues(t, 2, p.Version, "round %d: changed once, by the first import", round)
			require.Equal(t, "1924-04-03", p.BirthDate, "the fuller date agrees with the year")
			require.Equal(t, "2004", p.DeathDate)
			require.Equal(t, "Omaha, Nebraska", p.BirthPlace)
			require.Equal(t, "An operator's biography.", p.Biography)
			require.Equal(t, 42.0, p.Popularity)
			require.Equal(t, []string{"Bud"}, p.AlsoKnownAs)
			require.Equal(t, []string{"actor", "director"}, p.Professions)
			require.Equal(t, []string{tt(1)}, p.KnownFor)
			ims, err := s.Images(ctx, nm(1))
			require.NoError(t, err)
			require.Len(t, ims, 1)
			p2, err := s.Person(ctx, nm(2))
			require.NoError(t, err)
			require.EqualValues(t, 1, p2.Version)
		}
		hits, err := s.SearchPeople(ctx, actor.SearchQuery{Text: "bud", Limit: 10})
		require.NoError(t, err)
		require.Len(t, hits, 1, "the also-known-as names stay searchable")

		// A new name from the dataset is a change.
		imdb[0].Name = "Marlon Brando Jr."
		require.NoError(t, s.UpsertPeople(ctx, imdb[:1]))
		p, err := s.Person(ctx, nm(1))
		require.NoError(t, err)
		require.Equal(t, "Marlon Brando Jr.", p.Name)
		require.EqualValues(t, 3, p.Version)

		require.Equal(t, 1, count(t, d, "SELECT COUNT(*) FROM outbox"), "bulk writes enqueue no events")
		require.NoError(t, s.FinishImport(ctx))
		require.Equal(t, 1, count(t, d, "SELECT COUNT(*) FROM outbox WHERE topic = ? AND msg_key = ?", actor.CreditsChanged.Name, actor.AllPeople))
		require.Equal(t, 2, count(t, d, "SELECT COUNT(*) FROM outbox"))
	})
}
