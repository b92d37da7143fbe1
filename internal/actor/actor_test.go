package actor_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

func TestFold(t *testing.T) {
	for in, want := range map[string]string{
		"Zoë Saldaña":         "zoe saldana",
		"  Jean-Luc  GODARD ": "jean luc godard",
		"Şükrü Łukasz Ørsted": "sukru lukasz orsted",
		"O'Toole":             "otoole",
		"100% _pure_":         "100 pure",
		"黒澤 明":                "黒澤 明",
	} {
		require.Equal(t, want, actor.Fold(in), in)
	}
}

func TestValidDate(t *testing.T) {
	for s, ok := range map[string]bool{"1940": true, "1940-04-25": true, "1940-02-30": false, "40": false, "1940-4-5": false, "": false, "abcd": false} {
		require.Equal(t, ok, actor.ValidDate(s), s)
	}
}

func TestValidateRecord(t *testing.T) {
	good := actor.Record{Person: actor.Person{Name: "Al Pacino", BirthDate: "1940-04-25", Professions: []string{"actor"}, KnownFor: []string{"tt0068646"}}}
	require.NoError(t, actor.ValidateRecord("body", good))
	for field, mutate := range map[string]func(r *actor.Record){
		"body.name":                 func(r *actor.Record) { r.Name = "" },
		"body.death_date":           func(r *actor.Record) { r.DeathDate = "1930" },
		"body.professions[1]":       func(r *actor.Record) { r.Professions = []string{"actor", "actor"} },
		"body.known_for[0]":         func(r *actor.Record) { r.KnownFor = []string{"x"} },
		"body.popularity":           func(r *actor.Record) { r.Popularity = -1 },
		"body.images[0].path":       func(r *actor.Record) { r.Images = []actor.Image{{}} },
		"body.external_ids.imdb_id": func(r *actor.Record) { r.ExternalIDs.IMDb = "tt0068646" },
	} {
		r := good
		mutate(&r)
		err := actor.ValidateRecord("body", r)
		require.True(t, errs.Is(err, errs.KindInvalid), field)
		require.Equal(t, field, errs.FieldOf(err))
	}
}

func TestValidateCredit(t *testing.T) {
	good := actor.Credit{TitleID: "tt0068646", PersonID: "nm0000199", Department: actor.DeptActing, Job: "actor", Characters: []string{"Michael"}}
	require.NoError(t, actor.ValidateCredit("c", good))
	crew := good
	crew.Department = actor.DeptDirecting
	require.Equal(t, "c.characters", errs.FieldOf(actor.ValidateCredit("c", crew)), "crew plays no characters")
	bad := good
	bad.PersonID = "cp!"
	require.Equal(t, "c.person_id", errs.FieldOf(actor.ValidateCredit("c", bad)))
}

func TestNewPersonID(t *testing.T) {
	id := actor.NewPersonID()
	require.Regexp(t, actor.PersonID, id)
	require.NotEqual(t, id, actor.NewPersonID())
}
