package customer_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

func ptr[T any](v T) *T { return &v }

func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	require.Error(t, err)
	require.True(t, errs.Is(err, errs.KindInvalid), "%v", err)
	require.Equal(t, field, errs.FieldOf(err))
}

func TestNewProfileRules(t *testing.T) {
	cases := []struct {
		name  string
		in    customer.ProfileInput
		field string // the invalid field, or "" when valid
		check func(t *testing.T, p customer.Profile)
	}{
		{name: "defaults", in: customer.ProfileInput{Name: ptr("  Anna   Karenina ")}, check: func(t *testing.T, p customer.Profile) {
			require.Equal(t, "Anna Karenina", p.Name, "spaces trimmed and collapsed")
			require.Equal(t, "en", p.Language)
			require.Equal(t, customer.Maturity18, p.MaturityLimit)
			require.False(t, p.Kids)
			require.Contains(t, customer.Avatars, p.Avatar)
			require.Regexp(t, customer.ProfileIDPattern, p.ID)
		}},
		{name: "kids default to 7", in: customer.ProfileInput{Name: ptr("Kids"), Kids: ptr(true)}, check: func(t *testing.T, p customer.Profile) {
			require.True(t, p.Kids)
			require.Equal(t, customer.Maturity7, p.MaturityLimit)
		}},
		{name: "kids up to 12", in: customer.ProfileInput{Name: ptr("Teen"), Kids: ptr(true), MaturityLimit: ptr("12")}, check: func(t *testing.T, p customer.Profile) {
			require.Equal(t, customer.Maturity12, p.MaturityLimit)
		}},
		{name: "kids not above 12", in: customer.ProfileInput{Name: ptr("Teen"), Kids: ptr(true), MaturityLimit: ptr("16")}, field: "body.maturity_limit"},
		{name: "unknown level", in: customer.ProfileInput{Name: ptr("X"), MaturityLimit: ptr("15")}, field: "body.maturity_limit"},
		{name: "language canonical", in: customer.ProfileInput{Name: ptr("X"), Language: ptr("pt-br")}, check: func(t *testing.T, p customer.Profile) {
			require.Equal(t, "pt-BR", p.Language)
		}},
		{name: "language invalid", in: customer.ProfileInput{Name: ptr("X"), Language: ptr("not a language")}, field: "body.language"},
		{name: "language empty", in: customer.ProfileInput{Name: ptr("X"), Language: ptr("")}, field: "body.language"},
		{name: "name required", in: customer.ProfileInput{}, field: "body.name"},
		{name: "name blank", in: customer.ProfileInput{Name: ptr("   ")}, field: "body.name"},
		{name: "name 40 chars", in: customer.ProfileInput{Name: ptr(strings.Repeat("é", 40))}},
		{name: "name 41 chars", in: customer.ProfileInput{Name: ptr(strings.Repeat("é", 41))}, field: "body.name"},
		{name: "name control", in: customer.ProfileInput{Name: ptr("a\x00b")}, field: "body.name"},
		{name: "preset avatar", in: customer.ProfileInput{Name: ptr("X"), Avatar: ptr("robot")}, check: func(t *testing.T, p customer.Profile) {
			require.Equal(t, "robot", p.Avatar)
		}},
		{name: "https avatar", in: customer.ProfileInput{Name: ptr("X"), Avatar: ptr("https://img.example.com/a.png")}},
		{name: "http avatar", in: customer.ProfileInput{Name: ptr("X"), Avatar: ptr("http://img.example.com/a.png")}, field: "body.avatar"},
		{name: "avatar with credentials", in: customer.ProfileInput{Name: ptr("X"), Avatar: ptr("https://u:p@img.example.com/a.png")}, field: "body.avatar"},
		{name: "unknown preset", in: customer.ProfileInput{Name: ptr("X"), Avatar: ptr("dragon")}, field: "body.avatar"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := customer.NewProfile(c.in, 1)
			if c.field != "" {
				requireInvalid(t, err, c.field)
				return
			}
			require.NoError(t, err)
			if c.check != nil {
				c.check(t, p)
			}
		})
	}
}

func TestTurningIntoKidsProfileLowersTheLimit(t *testing.T) {
	p, err := customer.NewProfile(customer.ProfileInput{Name: ptr("Sam")}, 0)
	require.NoError(t, err)
	require.NoError(t, customer.ProfileInput{Kids: ptr(true)}.Apply(&p))
	require.Equal(t, customer.KidsDefault, p.MaturityLimit)

	// Raising a kids profile above 12 fails and is named.
	q := p
	requireInvalid(t, customer.ProfileInput{MaturityLimit: ptr("18")}.Apply(&q), "body.maturity_limit")
	// Leaving kids and raising the limit together is fine.
	require.NoError(t, customer.ProfileInput{Kids: ptr(false), MaturityLimit: ptr("18")}.Apply(&p))
	require.Equal(t, customer.Maturity18, p.MaturityLimit)
}

func TestNameKeyIgnoresCase(t *testing.T) {
	require.Equal(t, customer.NameKey("Anna"), customer.NameKey("ANNA"))
	require.Equal(t, customer.NameKey("Straße"), customer.NameKey("STRASSE"), "full case folding")
	require.NotEqual(t, customer.NameKey("Anna"), customer.NameKey("Ana"))
}

func TestFirstProfileName(t *testing.T) {
	require.Equal(t, "Ada Lovelace", customer.FirstProfile(customer.Owner{Subject: "u1", Name: " Ada  Lovelace ", Email: "ada@example.com"}).Name)
	require.Equal(t, "ada", customer.FirstProfile(customer.Owner{Subject: "u1", Email: "ada@example.com"}).Name)
	require.Equal(t, "Profile 1", customer.FirstProfile(customer.Owner{Subject: "u1"}).Name)
	long := customer.FirstProfile(customer.Owner{Subject: "u1", Name: strings.Repeat("x", 60)}).Name
	require.Len(t, long, customer.MaxNameLen, "a long name is cut, not refused")
}

func TestPreferencesRules(t *testing.T) {
	kids := customer.Profile{Kids: true, MaturityLimit: customer.Maturity7, Language: "en"}
	var prefs customer.Preferences
	in := customer.PreferencesInput{
		FavouriteGenres: []string{"Animation", "family", "animation"},
		Languages:       []string{"en", "fr-ca"},
		Notifications:   customer.Notifications{Push: true},
	}
	require.NoError(t, in.Apply(kids, &prefs))
	require.Equal(t, []string{"animation", "family"}, prefs.FavouriteGenres, "lowercased, duplicates dropped")
	require.Equal(t, []string{"en", "fr-CA"}, prefs.Languages)
	require.Equal(t, customer.Maturity7, prefs.MaturityRating, "the rating defaults to the limit")
	require.Equal(t, customer.Notifications{Push: true}, prefs.Notifications)

	in.MaturityRating = "all"
	require.NoError(t, in.Apply(kids, &prefs))
	require.Equal(t, customer.MaturityAll, prefs.MaturityRating)

	before := prefs
	in.MaturityRating = "12"
	requireInvalid(t, in.Apply(kids, &prefs), "body.maturity_rating")
	require.Equal(t, before, prefs, "a refused change changes nothing")

	requireInvalid(t, customer.PreferencesInput{FavouriteGenres: []string{"drama", "sci fi"}}.Apply(kids, &prefs), "body.favourite_genres[1]")
	requireInvalid(t, customer.PreferencesInput{Languages: []string{"xx-!!"}}.Apply(kids, &prefs), "body.languages[0]")
	requireInvalid(t, customer.PreferencesInput{FavouriteGenres: make([]string, 21)}.Apply(kids, &prefs), "body.favourite_genres")

	// A lowered limit clamps the rating.
	adult := customer.Profile{MaturityLimit: customer.Maturity18}
	p := customer.Preferences{MaturityRating: customer.Maturity16}
	require.False(t, customer.ClampRating(adult, &p))
	require.True(t, customer.ClampRating(kids, &p))
	require.Equal(t, customer.Maturity7, p.MaturityRating)
}
