package sqlstore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/authserver/authevents"
	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/customer/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

func open(t *testing.T, d *db.DB) (*sqlstore.Store, *customer.Server) {
	t.Helper()
	require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
	s := sqlstore.New(d)
	return s, customer.New(customer.Options{Store: s})
}

func ptr[T any](v T) *T { return &v }

// outbox lists the topics waiting in the outbox for subject, in order.
func outbox(t *testing.T, d *db.DB, subject string) []string {
	t.Helper()
	rows, err := d.Writer().Query(`SELECT topic FROM outbox WHERE msg_key = ? ORDER BY id`, subject)
	require.NoError(t, err)
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		require.NoError(t, rows.Scan(&s))
		out = append(out, s)
	}
	require.NoError(t, rows.Err())
	return out
}

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	require.NoError(t, d.Writer().QueryRow(q, args...).Scan(&n))
	return n
}

// Many first calls at once make one account with one profile and one
// profile.created event.
func TestFirstUseIsIdempotentUnderConcurrency(t *testing.T) {
	dbtest.Each(t, "customer", func(t *testing.T, d *db.DB) {
		_, svc := open(t, d)
		ctx := context.Background()
		owner := customer.Owner{Subject: "user-concurrent", Name: "Grace Hopper"}
		const n = 16
		accounts := make([]customer.Account, n)
		errors := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				accounts[i], errors[i] = svc.Account(ctx, owner)
			}()
		}
		close(start)
		wg.Wait()
		for i := range n {
			require.NoError(t, errors[i])
			require.Len(t, accounts[i].Profiles, 1)
			require.Equal(t, accounts[0].Profiles[0].ID, accounts[i].Profiles[0].ID, "every caller sees the same first profile")
		}
		require.Equal(t, "Grace Hopper", accounts[0].Profiles[0].Name)
		require.Equal(t, 1, count(t, d, `SELECT COUNT(*) FROM accounts WHERE subject = ?`, owner.Subject))
		require.Equal(t, 1, count(t, d, `SELECT COUNT(*) FROM profiles WHERE subject = ?`, owner.Subject))
		require.Equal(t, []string{customer.ProfileCreated.Name}, outbox(t, d, owner.Subject))
	})
}

// An account holds at most five profiles, also when they are added at
// once; names are unique without regard to case; the last profile stays.
func TestProfileLimitNamesAndLastProfile(t *testing.T) {
	dbtest.Each(t, "customer", func(t *testing.T, d *db.DB) {
		_, svc := open(t, d)
		ctx := context.Background()
		owner := customer.Owner{Subject: "user-limit"}
		a, err := svc.Account(ctx, owner)
		require.NoError(t, err)
		require.Equal(t, "Profile 1", a.Profiles[0].Name)

		_, err = svc.CreateProfile(ctx, owner, customer.ProfileInput{Name: ptr("PROFILE 1")})
		require.True(t, errs.Is(err, errs.KindConflict), "%v", err)

		// Eight try at once for the four free places.
		var wg sync.WaitGroup
		results := make([]error, 8)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, results[i] = svc.CreateProfile(ctx, owner, customer.ProfileInput{Name: ptr(fmt.Sprintf("Viewer %d", i))})
			}()
		}
		wg.Wait()
		var ok, full int
		for _, err := range results {
			switch {
			case err == nil:
				ok++
			case errs.Is(err, errs.KindConflict):
				require.Contains(t, err.Error(), "at most 5 profiles")
				full++
			default:
				t.Fatalf("unexpected error: %v", err)
			}
		}
		require.Equal(t, 4, ok)
		require.Equal(t, 4, full)
		a, err = svc.Account(ctx, owner)
		require.NoError(t, err)
		require.Len(t, a.Profiles, customer.MaxProfiles)

		// Renaming onto another profile's name (any case) clashes; the
		// failed write changed nothing.
		second := a.Profiles[1]
		_, err = svc.UpdateProfile(ctx, owner, second.ID, customer.ProfileInput{Name: ptr("profile 1"), Avatar: ptr("teal")}, nil)
		require.True(t, errs.Is(err, errs.KindConflict), "%v", err)
		got, err := svc.Profile(ctx, owner, second.ID)
		require.NoError(t, err)
		require.Equal(t, second, got)

		for _, p := range a.Profiles[1:] {
			require.NoError(t, svc.DeleteProfile(ctx, owner, p.ID, nil))
		}
		err = svc.DeleteProfile(ctx, owner, a.Profiles[0].ID, nil)
		require.True(t, errs.Is(err, errs.KindConflict), "%v", err)
		require.Contains(t, err.Error(), "last")
		_, err = svc.Profile(ctx, owner, a.Profiles[1].ID)
		require.True(t, errs.Is(err, errs.KindNotFound), "%v", err)
	})
}

// Updates check the version they are based on, count versions, emit
// their events, and a lowered limit lowers the rating.
func TestUpdatesVersionsAndEvents(t *testing.T) {
	dbtest.Each(t, "customer", func(t *testing.T, d *db.DB) {
		_, svc := open(t, d)
		ctx := context.Background()
		owner := customer.Owner{Subject: "user-updates"}
		p, err := svc.CreateProfile(ctx, owner, customer.ProfileInput{Name: ptr("Sam")})
		require.NoError(t, err)
		require.EqualValues(t, 1, p.Version)

		prefs, err := svc.SetPreferences(ctx, owner, p.ID, customer.PreferencesInput{
			FavouriteGenres: []string{"horror"}, Languages: []string{"en"}, MaturityRating: "16",
			Notifications: customer.Notifications{Email: true, Newsletter: true},
		}, ptr(int64(1)))
		require.NoError(t, err)
		require.EqualValues(t, 2, prefs.Version)
		_, err = svc.SetPreferences(ctx, owner, p.ID, customer.PreferencesInput{}, ptr(int64(1)))
		require.True(t, errs.Is(err, errs.KindPrecondition), "a stale If-Match: %v", err)

		_, err = svc.UpdateProfile(ctx, owner, p.ID, customer.ProfileInput{Kids: ptr(true)}, ptr(int64(7)))
		require.True(t, errs.Is(err, errs.KindPrecondition), "%v", err)
		p, err = svc.UpdateProfile(ctx, owner, p.ID, customer.ProfileInput{Kids: ptr(true)}, ptr(int64(1)))
		require.NoError(t, err)
		require.EqualValues(t, 2, p.Version)
		require.Equal(t, customer.Maturity7, p.MaturityLimit)
		prefs, err = svc.Preferences(ctx, owner, p.ID)
		require.NoError(t, err)
		require.Equal(t, customer.Maturity7, prefs.MaturityRating, "the rating follows the lowered limit")
		require.Equal(t, []string{"horror"}, prefs.FavouriteGenres)

		// An update that changes nothing writes nothing.
		same, err := svc.UpdateProfile(ctx, owner, p.ID, customer.ProfileInput{Name: ptr("Sam")}, nil)
		require.NoError(t, err)
		require.Equal(t, p, same)

		// Another account cannot see or change the profile.
		other := customer.Owner{Subject: "user-other"}
		_, err = svc.Profile(ctx, other, p.ID)
		require.True(t, errs.Is(err, errs.KindNotFound), "%v", err)
		_, err = svc.SetPreferences(ctx, other, p.ID, customer.PreferencesInput{}, nil)
		require.True(t, errs.Is(err, errs.KindNotFound), "%v", err)

		require.Equal(t, []string{
			customer.ProfileCreated.Name, // the first profile
			customer.ProfileCreated.Name, // Sam
			customer.PreferencesUpdated.Name,
			customer.ProfileUpdated.Name, customer.PreferencesUpdated.Name, // kids, and the clamped rating
		}, outbox(t, d, owner.Subject))
	})
}

// The export holds every profile with its preferences.
func TestExport(t *testing.T) {
	dbtest.Each(t, "customer", func(t *testing.T, d *db.DB) {
		_, svc := open(t, d)
		ctx := context.Background()
		owner := customer.Owner{Subject: "user-export", Email: "lin@example.com"}
		kid, err := svc.CreateProfile(ctx, owner, customer.ProfileInput{Name: ptr("Mia"), Kids: ptr(true), Language: ptr("de")})
		require.NoError(t, err)
		_, err = svc.SetPreferences(ctx, owner, kid.ID, customer.PreferencesInput{FavouriteGenres: []string{"animation"}, Languages: []string{"de"}}, nil)
		require.NoError(t, err)

		e, err := svc.Export(ctx, owner)
		require.NoError(t, err)
		require.Equal(t, owner.Subject, e.Subject)
		require.Len(t, e.Profiles, 2)
		require.Equal(t, "lin", e.Profiles[0].Name)
		require.Equal(t, customer.Maturity18, e.Profiles[0].Preferences.MaturityRating)
		require.Equal(t, kid.ID, e.Profiles[1].ID)
		require.True(t, e.Profiles[1].Kids)
		require.Equal(t, []string{"animation"}, e.Profiles[1].Preferences.FavouriteGenres)
		require.Equal(t, customer.Maturity7, e.Profiles[1].Preferences.MaturityRating)
	})
}

// Deleting an account removes its rows and enqueues account.deleted once,
// in the same transaction; user.deleted does the same, however often it
// is delivered, and is acknowledged for users without an account.
func TestDeleteAccountAndUserDeletedConsumer(t *testing.T) {
	dbtest.Each(t, "customer", func(t *testing.T, d *db.DB) {
		store, svc := open(t, d)
		ctx := context.Background()
		alice := customer.Owner{Subject: "user-alice"}
		p, err := svc.CreateProfile(ctx, alice, customer.ProfileInput{Name: ptr("Alice")})
		require.NoError(t, err)
		require.NoError(t, svc.DeleteAccount(ctx, alice.Subject))
		require.Equal(t, 0, count(t, d, `SELECT COUNT(*) FROM profiles WHERE subject = ?`, alice.Subject))
		require.Equal(t, 0, count(t, d, `SELECT COUNT(*) FROM preferences WHERE profile_id = ?`, p.ID))
		topics := outbox(t, d, alice.Subject)
		require.Equal(t, customer.AccountDeleted.Name, topics[len(topics)-1])
		require.Equal(t, 1, count(t, d, `SELECT COUNT(*) FROM outbox WHERE topic = ? AND msg_key = ?`, customer.AccountDeleted.Name, alice.Subject))
		err = svc.DeleteAccount(ctx, alice.Subject)
		require.True(t, errs.Is(err, errs.KindNotFound), "%v", err)
		var payload []byte
		require.NoError(t, d.Writer().QueryRow(`SELECT payload FROM outbox WHERE topic = ?`, customer.AccountDeleted.Name).Scan(&payload))
		require.JSONEq(t, `{"v":1,"subject":"user-alice"}`, string(payload))

		bob := customer.Owner{Subject: "user-bob"}
		_, err = svc.Account(ctx, bob)
		require.NoError(t, err)
		h := store.UserDeletedHandler()
		body, _ := json.Marshal(customer.AccountEvent{Subject: bob.Subject})
		msg := events.Message{ID: events.NewID(), Topic: authevents.UserDeleted.Name, Key: bob.Subject, Payload: body}
		require.NoError(t, h(ctx, msg))
		require.NoError(t, h(ctx, msg), "a redelivery is acknowledged")
		require.Equal(t, 0, count(t, d, `SELECT COUNT(*) FROM accounts WHERE subject = ?`, bob.Subject))
		require.Equal(t, 1, count(t, d, `SELECT COUNT(*) FROM outbox WHERE topic = ? AND msg_key = ?`, customer.AccountDeleted.Name, bob.Subject))

		// A user who never used the service: acknowledged, no event.
		body, _ = json.Marshal(customer.AccountEvent{Subject: "user-never"})
		require.NoError(t, h(ctx, events.Message{ID: events.NewID(), Topic: authevents.UserDeleted.Name, Payload: body}))
		require.Equal(t, 0, count(t, d, `SELECT COUNT(*) FROM outbox WHERE msg_key = ?`, "user-never"))
	})
}

// Other services read preferences by profile id, in the order asked.
func TestPreferencesOfMany(t *testing.T) {
	dbtest.Each(t, "customer", func(t *testing.T, d *db.DB) {
		_, svc := open(t, d)
		ctx := context.Background()
		owner := customer.Owner{Subject: "user-batch"}
		a, err := svc.Account(ctx, owner)
		require.NoError(t, err)
		kid, err := svc.CreateProfile(ctx, owner, customer.ProfileInput{Name: ptr("Kid"), Kids: ptr(true)})
		require.NoError(t, err)
		missing := customer.NewProfileID()
		b, err := svc.PreferencesOfMany(ctx, []string{kid.ID, missing, a.Profiles[0].ID, "junk"})
		require.NoError(t, err)
		require.Len(t, b.Preferences, 2)
		require.Equal(t, kid.ID, b.Preferences[0].ProfileID)
		require.True(t, b.Preferences[0].Kids)
		require.Equal(t, customer.Maturity7, b.Preferences[0].MaturityLimit)
		require.Equal(t, owner.Subject, b.Preferences[1].Subject)
		require.Equal(t, []string{missing, "junk"}, b.Missing)

		one, err := svc.PreferencesOf(ctx, kid.ID)
		require.NoError(t, err)
		require.Equal(t, b.Preferences[0], one)
		_, err = svc.PreferencesOf(ctx, missing)
		require.True(t, errs.Is(err, errs.KindNotFound), "%v", err)
		_, err = svc.PreferencesOfMany(ctx, make([]string, customer.MaxBatch+1))
		require.True(t, errs.Is(err, errs.KindInvalid), "%v", err)
	})
}

// BenchmarkAccount measures the read every request makes (the account
// with its profiles), and a first use (account, profile, preferences and
// the event in one transaction), on SQLite.
func BenchmarkAccount(b *testing.B) {
	d := dbtest.Open(b, dbtest.SQLiteConfig(b), "customer")
	require.NoError(b, d.Migrate(events.Migrations, sqlstore.Migrations))
	svc := customer.New(customer.Options{Store: sqlstore.New(d)})
	ctx := context.Background()
	b.Run("read", func(b *testing.B) {
		owner := customer.Owner{Subject: "bench-read"}
		for n := range 4 {
			_, err := svc.CreateProfile(ctx, owner, customer.ProfileInput{Name: ptr(fmt.Sprintf("P%d", n))})
			require.NoError(b, err)
		}
		for b.Loop() {
			if _, err := svc.Account(ctx, owner); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("first-use", func(b *testing.B) {
		n := 0
		for b.Loop() {
			n++
			if _, err := svc.Account(ctx, customer.Owner{Subject: fmt.Sprintf("bench-new-%d", n)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
