package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/app/apptest"
	"github.com/cdlc/cdlc/internal/authserver/authevents"
	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

type accountBody struct {
	Subject   string             `json:"subject"`
	CreatedAt time.Time          `json:"created_at"`
	Profiles  []customer.Profile `json:"profiles"`
}

// user calls an instance as one user (scope account).
type user struct {
	i   *apptest.Instance
	tok string
}

func newUser(i *apptest.Instance, subject string) user {
	return user{i: i, tok: i.UserToken(subject, "openid", "account")}
}

func (u user) do(method, path string, body any, headers ...string) apptest.Response {
	return u.i.Do(method, path, body, append([]string{"Authorization", "Bearer " + u.tok}, headers...)...)
}

// received collects the messages of a topic seen by a test's own group.
type received struct {
	mu   sync.Mutex
	msgs []events.Message
}

func (r *received) handle(_ context.Context, m events.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
	return nil
}

// ids returns the distinct message ids carrying subject.
func (r *received) ids(t *testing.T, subject string) map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for _, m := range r.msgs {
		var e customer.AccountEvent
		require.NoError(t, json.Unmarshal(m.Payload, &e))
		if e.Subject == subject {
			out[m.ID] = true
		}
	}
	return out
}

func TestCustomerAPI(t *testing.T) {
	for _, b := range apptest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			settings := b.Prepare(t)
			settings["target"] = "customer"
			i := apptest.Start(t, settings)
			testCustomerAPI(t, i)
		})
	}
}

func testCustomerAPI(t *testing.T, i *apptest.Instance) {
	deleted := &received{}
	sub, err := i.App.Bus().Subscribe(context.Background(), customer.AccountDeleted.Name, "test-account-deleted", deleted.handle)
	require.NoError(t, err)
	t.Cleanup(func() { sub.Close() })

	// The operations are in the OpenAPI document.
	res := i.Do("GET", "/openapi.json", nil)
	require.Equal(t, 200, res.Status)
	for _, path := range []string{`"/api/v1/account"`, `"/api/v1/account/export"`, `"/api/v1/account/profiles/{id}"`, `"/api/v1/account/profiles/{id}/preferences"`} {
		require.Contains(t, string(res.Body), path)
	}

	// Credentials: none is 401, a token without scope account 403.
	requireProblem(t, i.Do("GET", "/api/v1/account", nil, "Authorization", ""), 401, "")
	requireProblem(t, i.Do("GET", "/api/v1/account", nil), 403, "")

	ann := newUser(i, "user-ann")
	res = ann.do("GET", "/api/v1/account", nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	var acct accountBody
	res.JSON(t, &acct)
	require.Equal(t, "user-ann", acct.Subject)
	require.Len(t, acct.Profiles, 1, "the account starts with one profile")
	first := acct.Profiles[0]
	require.Equal(t, "Profile 1", first.Name)
	require.Equal(t, customer.Maturity18, first.MaturityLimit)

	// A kids profile, and what is refused.
	res = ann.do("POST", "/api/v1/account/profiles", map[string]any{"name": "Little Ann", "kids": true, "avatar": "dinosaur", "language": "fr-ca"})
	require.Equal(t, 201, res.Status, string(res.Body))
	var kid customer.Profile
	res.JSON(t, &kid)
	require.True(t, kid.Kids)
	require.Equal(t, customer.Maturity7, kid.MaturityLimit)
	require.Equal(t, "fr-CA", kid.Language)
	require.Equal(t, "/api/v1/account/profiles/"+kid.ID, res.Header.Get("Location"))
	require.Equal(t, `"1"`, res.Header.Get("ETag"))

	requireProblem(t, ann.do("POST", "/api/v1/account/profiles", map[string]any{"name": "X", "avatar": "http://insecure.example.com/a.png"}), 400, "body.avatar")
	requireProblem(t, ann.do("POST", "/api/v1/account/profiles", map[string]any{"name": "X", "language": "klingon!"}), 400, "body.language")
	requireProblem(t, ann.do("POST", "/api/v1/account/profiles", map[string]any{"name": "X", "kids": true, "maturity_limit": "18"}), 400, "body.maturity_limit")
	requireProblem(t, ann.do("POST", "/api/v1/account/profiles", map[string]any{"name": "  "}), 400, "body.name")
	p := requireProblem(t, ann.do("POST", "/api/v1/account/profiles", map[string]any{"name": "little ANN"}), 409, "")
	require.Contains(t, p.Detail, "already has a profile named")

	// Five is the most; the sixth is refused and says why.
	for n := 3; n <= customer.MaxProfiles; n++ {
		res = ann.do("POST", "/api/v1/account/profiles", map[string]any{"name": fmt.Sprintf("Viewer %d", n)})
		require.Equal(t, 201, res.Status, string(res.Body))
	}
	p = requireProblem(t, ann.do("POST", "/api/v1/account/profiles", map[string]any{"name": "Viewer 6"}), 409, "")
	require.Contains(t, p.Detail, "at most 5 profiles")
	var list struct {
		Profiles []customer.Profile `json:"profiles"`
		Max      int                `json:"max"`
	}
	ann.do("GET", "/api/v1/account/profiles", nil).JSON(t, &list)
	require.Len(t, list.Profiles, customer.MaxProfiles)
	require.Equal(t, customer.MaxProfiles, list.Max)
	require.Equal(t, first.ID, list.Profiles[0].ID, "oldest first")

	// Conditional updates of a profile.
	path := "/api/v1/account/profiles/" + kid.ID
	res = ann.do("GET", path, nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	require.Equal(t, `"1"`, res.Header.Get("ETag"))
	res = ann.do("PATCH", path, map[string]any{"name": "Annie", "maturity_limit": "12"}, "If-Match", `"v1"`)
	require.Equal(t, 200, res.Status, string(res.Body))
	require.Equal(t, `"2"`, res.Header.Get("ETag"))
	var changed customer.Profile
	res.JSON(t, &changed)
	require.Equal(t, "Annie", changed.Name)
	require.Equal(t, customer.Maturity12, changed.MaturityLimit)
	require.Equal(t, "dinosaur", changed.Avatar, "fields left out stay")
	requireProblem(t, ann.do("PATCH", path, map[string]any{"name": "Stale"}, "If-Match", `"v1"`), 412, "")
	requireProblem(t, ann.do("PATCH", path, map[string]any{"name": "Bad"}, "If-Match", `nonsense`), 400, "header.If-Match")
	requireProblem(t, ann.do("PATCH", path, map[string]any{"maturity_limit": "16"}), 400, "body.maturity_limit")
	var still customer.Profile
	ann.do("GET", path, nil).JSON(t, &still)
	require.Equal(t, changed, still, "failed writes changed nothing")

	// Preferences.
	prefsPath := path + "/preferences"
	res = ann.do("GET", prefsPath, nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	etag := res.Header.Get("ETag")
	var prefs customer.Preferences
	res.JSON(t, &prefs)
	require.Equal(t, customer.Maturity7, prefs.MaturityRating)
	require.Equal(t, []string{}, prefs.FavouriteGenres)
	res = ann.do("PUT", prefsPath, map[string]any{
		"favourite_genres": []string{"Animation", "family"}, "languages": []string{"fr-CA", "en"}, "maturity_rating": "12",
		"notifications": map[string]bool{"email": false, "push": true, "newsletter": true},
	}, "If-Match", etag)
	require.Equal(t, 200, res.Status, string(res.Body))
	require.NotEqual(t, etag, res.Header.Get("ETag"))
	res.JSON(t, &prefs)
	require.Equal(t, []string{"animation", "family"}, prefs.FavouriteGenres)
	require.Equal(t, customer.Notifications{Push: true, Newsletter: true}, prefs.Notifications)
	requireProblem(t, ann.do("PUT", prefsPath, map[string]any{"favourite_genres": []string{}, "languages": []string{}}, "If-Match", etag), 412, "")
	requireProblem(t, ann.do("PUT", prefsPath, map[string]any{"favourite_genres": []string{}, "languages": []string{}, "maturity_rating": "16"}), 400, "body.maturity_rating")
	requireProblem(t, ann.do("PUT", prefsPath, map[string]any{"favourite_genres": []string{"not a slug"}, "languages": []string{}}), 400, "body.favourite_genres[0]")

	// Someone else's profile does not exist for Bob; ids are checked.
	bob := newUser(i, "user-bob")
	requireProblem(t, bob.do("GET", path, nil), 404, "")
	requireProblem(t, bob.do("GET", "/api/v1/account/profiles/nope", nil), 400, "")

	// The export.
	res = ann.do("GET", "/api/v1/account/export", nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	require.Equal(t, `attachment; filename="cdlc-account-export.json"`, res.Header.Get("Content-Disposition"))
	require.Contains(t, res.Header.Get("Content-Type"), "application/json")
	var export customer.Export
	res.JSON(t, &export)
	require.Equal(t, "user-ann", export.Subject)
	require.Len(t, export.Profiles, customer.MaxProfiles)
	require.Equal(t, kid.ID, export.Profiles[1].ID)
	require.Equal(t, []string{"animation", "family"}, export.Profiles[1].Preferences.FavouriteGenres)

	// Profiles go, but not the last one.
	for _, pr := range list.Profiles[1:] {
		res = ann.do("DELETE", "/api/v1/account/profiles/"+pr.ID, nil)
		require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	}
	p = requireProblem(t, ann.do("DELETE", "/api/v1/account/profiles/"+first.ID, nil), 409, "")
	require.Contains(t, p.Detail, "last")
	requireProblem(t, ann.do("GET", prefsPath, nil), 404, "")

	// Deleting the account publishes account.deleted once.
	res = ann.do("DELETE", "/api/v1/account", nil)
	require.Equal(t, http.StatusNoContent, res.Status, string(res.Body))
	// Deleting again: 404 until the deletion reaches the deny list, then
	// the token of the deleted subject is refused (401) everywhere.
	again := ann.do("DELETE", "/api/v1/account", nil)
	require.Contains(t, []int{404, 401}, again.Status, string(again.Body))
	require.Eventually(t, func() bool { return ann.do("GET", "/api/v1/account", nil).Status == 401 }, 10*time.Second, 20*time.Millisecond,
		"the deleted subject's token no longer recreates an account")
	require.Eventually(t, func() bool { return len(deleted.ids(t, "user-ann")) > 0 }, 15*time.Second, 20*time.Millisecond)
	require.Len(t, deleted.ids(t, "user-ann"), 1, "one account.deleted event")
	_, err = handle[customer.Service](t, i, "customer").PreferencesOf(context.Background(), first.ID)
	require.True(t, errs.Is(err, errs.KindNotFound), "%v", err)

	// The auth service's user.deleted deletes Bob's account too.
	bob.do("GET", "/api/v1/account", nil).JSON(t, &acct)
	bobProfile := acct.Profiles[0].ID
	msg := authevents.UserDeleted.MustMessage("user-bob", authevents.User{Subject: "user-bob"})
	msg.ID = events.NewID()
	require.NoError(t, i.App.Bus().Publish(context.Background(), msg, msg))
	require.Eventually(t, func() bool {
		_, err := handle[customer.Service](t, i, "customer").PreferencesOf(context.Background(), bobProfile)
		return errs.Is(err, errs.KindNotFound)
	}, 15*time.Second, 20*time.Millisecond, "user.deleted removes the account")
	require.Eventually(t, func() bool { return len(deleted.ids(t, "user-bob")) > 0 }, 15*time.Second, 20*time.Millisecond)
	require.Len(t, deleted.ids(t, "user-bob"), 1, "one account.deleted for a user.deleted delivered twice")
}

// Many first calls of one user at once make one account.
func TestCustomerFirstUseConcurrently(t *testing.T) {
	i := apptest.Start(t, map[string]string{"target": "customer"})
	u := newUser(i, "user-rush")
	const n = 12
	ids := make([]string, n)
	var wg sync.WaitGroup
	for k := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := u.do("GET", "/api/v1/account/profiles", nil)
			if res.Status != 200 {
				return
			}
			var list struct{ Profiles []customer.Profile }
			if json.Unmarshal(res.Body, &list) == nil && len(list.Profiles) == 1 {
				ids[k] = list.Profiles[0].ID
			}
		}()
	}
	wg.Wait()
	for k := range n {
		require.NotEmpty(t, ids[k], "call %d saw exactly one profile", k)
		require.Equal(t, ids[0], ids[k])
	}
}

// Split across processes, another service reads preferences over gRPC.
func TestCustomerPreferencesOverGRPC(t *testing.T) {
	customers := apptest.Start(t, map[string]string{"target": "customer"})
	other := apptest.Start(t, map[string]string{"target": "actor", "peers.customer": customers.URL})
	require.NotNil(t, handle[customer.Service](t, other, "customer"), "the peer's client stands in for the service")

	u := newUser(customers, "user-grpc")
	res := u.do("POST", "/api/v1/account/profiles", map[string]any{"name": "Kid", "kids": true})
	require.Equal(t, 201, res.Status, string(res.Body))
	var kid customer.Profile
	res.JSON(t, &kid)
	res = u.do("PUT", "/api/v1/account/profiles/"+kid.ID+"/preferences", map[string]any{
		"favourite_genres": []string{"animation"}, "languages": []string{"en"}, "notifications": map[string]bool{"push": true},
	})
	require.Equal(t, 200, res.Status, string(res.Body))

	ctx := context.Background()
	got, err := handle[customer.Service](t, other, "customer").PreferencesOf(ctx, kid.ID)
	require.NoError(t, err)
	require.Equal(t, customer.ProfilePreferences{
		ProfileID: kid.ID, Subject: "user-grpc", Kids: true, MaturityLimit: customer.Maturity7, Language: "en",
		Preferences: customer.Preferences{FavouriteGenres: []string{"animation"}, Languages: []string{"en"}, MaturityRating: customer.Maturity7,
			Notifications: customer.Notifications{Push: true}, Version: 2},
	}, got)

	missing := customer.NewProfileID()
	b, err := handle[customer.Service](t, other, "customer").PreferencesOfMany(ctx, []string{missing, kid.ID})
	require.NoError(t, err)
	require.Equal(t, []customer.ProfilePreferences{got}, b.Preferences)
	require.Equal(t, []string{missing}, b.Missing)
	_, err = handle[customer.Service](t, other, "customer").PreferencesOf(ctx, missing)
	require.True(t, errs.Is(err, errs.KindNotFound), "%v", err)
	_, err = handle[customer.Service](t, other, "customer").PreferencesOf(ctx, "junk")
	require.True(t, errs.Is(err, errs.KindInvalid), "%v", err)

	var ready struct{ Checks map[string]string }
	other.Do("GET", "/readyz", nil).JSON(t, &ready)
	require.Equal(t, "ok", ready.Checks["peer:customer"])
}
