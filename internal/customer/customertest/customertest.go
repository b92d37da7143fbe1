// Package customertest is the contract of customer.Service: one suite
// that every implementation passes, the in-process Server and the gRPC
// client (grpcapi.Client) talking to it alike, so that a caller cannot
// tell where the customer service runs.
//
// The fixtures fill every field of every type that crosses the interface
// (rpctest.RequireFilled checks it), and the answers are compared whole,
// so a transport that drops or changes a field fails the suite.
package customertest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/customer/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/rpc/rpctest"
)

// Subject is one customer service under test and the store it reads,
// which the suite seeds.
type Subject struct {
	Service customer.Service
	Store   customer.Store
}

// Wrap stands between the in-process service and whatever reaches it
// (the caller, or the gRPC handler): the suite passes one that makes the
// service fail, to see its errors reach the caller unchanged.
type Wrap func(customer.Service) customer.Service

// Local is the in-process service over a real store on a fresh SQLite
// database.
func Local(t *testing.T) (*customer.Server, customer.Store) {
	t.Helper()
	d := dbtest.Open(t, dbtest.SQLiteConfig(t), "customer")
	require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
	store := sqlstore.New(d)
	return customer.New(customer.Options{Store: store}), store
}

const subject = "user-contract"

// fixtures are what seed stored: a kids profile whose preferences fill
// every field (changed once, so their version is 2), and an adult's with
// empty lists.
type fixtures struct {
	kid, adult customer.ProfilePreferences
}

func seed(t *testing.T, s customer.Store) fixtures {
	t.Helper()
	ctx := context.Background()
	kid := customer.Profile{ID: customer.NewProfileID(), Name: "Lou", Avatar: "robot", Language: "fr-CA", Kids: true, MaturityLimit: customer.Maturity12}
	_, err := s.EnsureAccount(ctx, subject, kid, customer.DefaultPreferences(kid))
	require.NoError(t, err)
	prefs, err := s.UpdatePreferences(ctx, subject, kid.ID, nil, func(_ customer.Profile, p *customer.Preferences) error {
		p.FavouriteGenres, p.Languages, p.MaturityRating = []string{"animation", "family"}, []string{"fr-CA", "en"}, customer.Maturity7
		p.Notifications = customer.Notifications{Email: true, Push: true, Newsletter: true}
		return nil
	})
	require.NoError(t, err)
	require.EqualValues(t, 2, prefs.Version)

	adult := customer.Profile{ID: customer.NewProfileID(), Name: "Sam", Avatar: "fox", Language: "en", MaturityLimit: customer.Maturity18}
	_, err = s.CreateProfile(ctx, subject, adult, customer.Preferences{FavouriteGenres: []string{}, Languages: []string{}, MaturityRating: customer.Maturity18})
	require.NoError(t, err)

	return fixtures{
		kid: customer.ProfilePreferences{
			ProfileID: kid.ID, Subject: subject, Kids: true, MaturityLimit: customer.Maturity12, Language: "fr-CA",
			Preferences: customer.Preferences{
				FavouriteGenres: []string{"animation", "family"}, Languages: []string{"fr-CA", "en"}, MaturityRating: customer.Maturity7,
				Notifications: customer.Notifications{Email: true, Push: true, Newsletter: true}, Version: 2,
			},
		},
		adult: customer.ProfilePreferences{
			ProfileID: adult.ID, Subject: subject, MaturityLimit: customer.Maturity18, Language: "en",
			Preferences: customer.Preferences{FavouriteGenres: []string{}, Languages: []string{}, MaturityRating: customer.Maturity18, Version: 1},
		},
	}
}

// Run runs the contract against the services newSubject builds; each
// call must give a fresh service over an empty store, with wrap applied
// to the in-process service before anything reaches it.
func Run(t *testing.T, newSubject func(t *testing.T, wrap Wrap) Subject) {
	ctx := context.Background()
	identity := func(s customer.Service) customer.Service { return s }

	t.Run("PreferencesOf", func(t *testing.T) {
		sub := newSubject(t, identity)
		f := seed(t, sub.Store)
		rpctest.RequireFilled(t, f.kid)
		for _, want := range []customer.ProfilePreferences{f.kid, f.adult} {
			got, err := sub.Service.PreferencesOf(ctx, want.ProfileID)
			require.NoError(t, err)
			require.Equal(t, want, got)
		}

		_, err := sub.Service.PreferencesOf(ctx, customer.NewProfileID())
		require.True(t, errs.Is(err, errs.KindNotFound), "%v", err)
		for _, id := range []string{"", "bogus", subject} {
			_, err = sub.Service.PreferencesOf(ctx, id)
			rpctest.RequireInvalid(t, err, "profile_id")
		}
	})

	t.Run("PreferencesOfMany", func(t *testing.T) {
		sub := newSubject(t, identity)
		f := seed(t, sub.Store)
		unknown := customer.NewProfileID()
		want := customer.PreferencesBatch{Preferences: []customer.ProfilePreferences{f.adult, f.kid}, Missing: []string{unknown, "bogus"}}
		got, err := sub.Service.PreferencesOfMany(ctx, []string{f.adult.ProfileID, unknown, "bogus", f.kid.ProfileID})
		require.NoError(t, err)
		require.Equal(t, want, got, "in the order asked, unknown and malformed ids missing")

		for _, ids := range [][]string{nil, {}} {
			got, err = sub.Service.PreferencesOfMany(ctx, ids)
			require.NoError(t, err)
			require.Equal(t, customer.PreferencesBatch{Preferences: []customer.ProfilePreferences{}, Missing: []string{}}, got)
		}

		many := make([]string, customer.MaxBatch+1)
		for i := range many {
			many[i] = fmt.Sprintf("pf%026d", i)
		}
		_, err = sub.Service.PreferencesOfMany(ctx, many)
		rpctest.RequireInvalid(t, err, "profile_ids")
	})

	t.Run("Errors", func(t *testing.T) {
		for _, want := range rpctest.Errors() {
			t.Run(string(errs.KindOf(want)), func(t *testing.T) {
				sub := newSubject(t, func(customer.Service) customer.Service { return failing{want} })
				_, err := sub.Service.PreferencesOf(ctx, customer.NewProfileID())
				rpctest.RequireSameError(t, want, err)
				_, err = sub.Service.PreferencesOfMany(ctx, []string{customer.NewProfileID()})
				rpctest.RequireSameError(t, want, err)
			})
		}
	})
}

// failing is a service whose every call fails with err.
type failing struct{ err error }

func (f failing) PreferencesOf(context.Context, string) (customer.ProfilePreferences, error) {
	return customer.ProfilePreferences{}, f.err
}

func (f failing) PreferencesOfMany(context.Context, []string) (customer.PreferencesBatch, error) {
	return customer.PreferencesBatch{}, f.err
}
