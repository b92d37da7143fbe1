package grpcapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/customer/grpcapi"
	"github.com/cdlc/cdlc/internal/customer/sqlstore"
	"github.com/cdlc/cdlc/internal/platform/db/dbtest"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// The client returns what the service returns, errors included, so a
// caller cannot tell it from the service in process.
func TestClientAndServerAgree(t *testing.T) {
	d := dbtest.Open(t, dbtest.SQLiteConfig(t), "customer")
	require.NoError(t, d.Migrate(events.Migrations, sqlstore.Migrations))
	svc := customer.New(customer.Options{Store: sqlstore.New(d)})
	ctx := context.Background()
	owner := customer.Owner{Subject: "user-rpc"}
	name, kids := "Kid", true
	kid, err := svc.CreateProfile(ctx, owner, customer.ProfileInput{Name: &name, Kids: &kids})
	require.NoError(t, err)
	_, err = svc.SetPreferences(ctx, owner, kid.ID, customer.PreferencesInput{FavouriteGenres: []string{"family"}, Notifications: customer.Notifications{Newsletter: true}}, nil)
	require.NoError(t, err)

	mux := http.NewServeMux()
	mux.Handle(grpcapi.Handler(svc))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := grpcapi.NewClient(srv.Client(), srv.URL)

	want, err := svc.PreferencesOf(ctx, kid.ID)
	require.NoError(t, err)
	got, err := c.PreferencesOf(ctx, kid.ID)
	require.NoError(t, err)
	require.Equal(t, want, got)
	require.Equal(t, []string{}, got.Languages, "empty lists stay lists")

	missing := customer.NewProfileID()
	wantB, err := svc.PreferencesOfMany(ctx, []string{missing, kid.ID})
	require.NoError(t, err)
	gotB, err := c.PreferencesOfMany(ctx, []string{missing, kid.ID})
	require.NoError(t, err)
	require.Equal(t, wantB, gotB)
	empty, err := c.PreferencesOfMany(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, customer.PreferencesBatch{Preferences: []customer.ProfilePreferences{}, Missing: []string{}}, empty)

	_, err = c.PreferencesOf(ctx, missing)
	require.True(t, errs.Is(err, errs.KindNotFound), "%v", err)
	_, err = c.PreferencesOf(ctx, "")
	require.True(t, errs.Is(err, errs.KindInvalid), "%v", err)
	_, err = c.PreferencesOfMany(ctx, make([]string, customer.MaxBatch+1))
	require.True(t, errs.Is(err, errs.KindInvalid), "%v", err)
}
