package app_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/app"
	"github.com/cdlc/cdlc/internal/app/apptest"
	"github.com/cdlc/cdlc/internal/authserver/authevents"
	"github.com/cdlc/cdlc/internal/configserver"
	"github.com/cdlc/cdlc/internal/customer"
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// decoder is any typed topic, for the table below.
type decoder interface {
	Decode(m events.Message) (any, error)
}

type typed[T any] struct{ t events.Topic[T] }

func (d typed[T]) Decode(m events.Message) (any, error) { return d.t.Decode(m) }

// Payloads as the services wrote them before payloads carried a version
// (what may still sit in an outbox, on a broker or in an archive), with
// what they must decode to today. Every topic the binary declares has
// one: a new topic adds its first payload here, a new version its
// predecessor's.
var oldPayloads = map[string]struct {
	topic   decoder
	payload string
	want    any
}{
	"title.created":       {typed[inventory.TitleEvent]{inventory.TitleCreated}, `{"id":"tt0068646","version":1,"summary":{"id":"tt0068646","kind":"movie","title":"The Godfather","start_year":1972,"rating":{"average":9.2,"votes":2000000},"popularity":3}}`, inventory.TitleEvent{ID: "tt0068646", Version: 1, Summary: &inventory.Summary{ID: "tt0068646", Kind: "movie", Title: "The Godfather", StartYear: 1972, Rating: inventory.Rating{Average: 9.2, Votes: 2000000}, Popularity: 3}}},
	"title.updated":       {typed[inventory.TitleEvent]{inventory.TitleUpdated}, `{"id":"*"}`, inventory.TitleEvent{ID: "*"}},
	"title.deleted":       {typed[inventory.TitleEvent]{inventory.TitleDeleted}, `{"id":"tt0000001","version":4,"parent_id":"tt0000002"}`, inventory.TitleEvent{ID: "tt0000001", Version: 4, ParentID: "tt0000002"}},
	"person.created":      {typed[actor.PersonEvent]{actor.PersonCreated}, `{"id":"nm0000008","version":1}`, actor.PersonEvent{ID: "nm0000008", Version: 1}},
	"person.updated":      {typed[actor.PersonEvent]{actor.PersonUpdated}, `{"id":"nm0000008","version":2}`, actor.PersonEvent{ID: "nm0000008", Version: 2}},
	"person.deleted":      {typed[actor.PersonEvent]{actor.PersonDeleted}, `{"id":"nm0000008","version":3}`, actor.PersonEvent{ID: "nm0000008", Version: 3}},
	"person.merged":       {typed[actor.PersonEvent]{actor.PersonMerged}, `{"id":"nm1","version":5,"merged_into":"nm2"}`, actor.PersonEvent{ID: "nm1", Version: 5, MergedInto: "nm2"}},
	"credits.changed":     {typed[actor.CreditsEvent]{actor.CreditsChanged}, `{"title_id":"tt0068646"}`, actor.CreditsEvent{TitleID: "tt0068646"}},
	"config.changed":      {typed[configserver.ChangedEvent]{configserver.Changed}, `{"app":"shop","profile":"prod","version":3,"revision":9}`, configserver.ChangedEvent{App: "shop", Profile: "prod", Version: 3, Revision: 9}},
	"profile.created":     {typed[customer.ProfileEvent]{customer.ProfileCreated}, `{"subject":"u1","profile":{"id":"p1","name":"Ann"}}`, customer.ProfileEvent{Subject: "u1", Profile: customer.Profile{ID: "p1", Name: "Ann"}}},
	"profile.updated":     {typed[customer.ProfileEvent]{customer.ProfileUpdated}, `{"subject":"u1","profile":{"id":"p1","name":"Annie"}}`, customer.ProfileEvent{Subject: "u1", Profile: customer.Profile{ID: "p1", Name: "Annie"}}},
	"profile.deleted":     {typed[customer.ProfileEvent]{customer.ProfileDeleted}, `{"subject":"u1","profile":{"id":"p1"}}`, customer.ProfileEvent{Subject: "u1", Profile: customer.Profile{ID: "p1"}}},
	"preferences.updated": {typed[customer.PreferencesEvent]{customer.PreferencesUpdated}, `{"subject":"u1","profile_id":"p1","preferences":{"languages":["en"]}}`, customer.PreferencesEvent{Subject: "u1", ProfileID: "p1", Preferences: customer.Preferences{Languages: []string{"en"}}}},
	"account.deleted":     {typed[customer.AccountEvent]{customer.AccountDeleted}, `{"subject":"u1"}`, customer.AccountEvent{Subject: "u1"}},
	"user.registered":     {typed[authevents.User]{authevents.UserRegistered}, `{"subject":"u1","email":"a@example.com","roles":["customer"]}`, authevents.User{Subject: "u1", Email: "a@example.com", Roles: []string{"customer"}}},
	"user.deleted":        {typed[authevents.User]{authevents.UserDeleted}, `{"subject":"u1"}`, authevents.User{Subject: "u1"}},
	"token.revoked":       {typed[authevents.Revoked]{authevents.TokensRevoked}, `{"token_ids":["g1.x"],"families":["g2"],"subject":"u1","until":"2026-12-01T20:00:00Z"}`, authevents.Revoked{TokenIDs: []string{"g1.x"}, Families: []string{"g2"}, Subject: "u1", Until: time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)}},
	"notification.email":  {typed[authevents.Message]{authevents.Email}, `{"to":"a@example.com","subject":"Hi","text":"t","template":"auth.verify","link":"https://x"}`, authevents.Message{To: "a@example.com", Subject: "Hi", Text: "t", Template: "auth.verify", Link: "https://x"}},
}

func TestOldPayloadsStillDecode(t *testing.T) {
	for _, ti := range events.Topics() {
		if len(ti.Name) > 5 && ti.Name[:5] == "test." {
			continue
		}
		c, ok := oldPayloads[ti.Name]
		require.True(t, ok, "topic %s has no recorded payload in oldPayloads", ti.Name)
		got, err := c.topic.Decode(events.Message{Topic: ti.Name, Payload: []byte(c.payload)})
		require.NoError(t, err, ti.Name)
		require.Equal(t, c.want, got, ti.Name)
		require.NotEmpty(t, ti.Schema["properties"], ti.Name)
	}
}

// Every topic a service of the table consumes is a declared contract.
func TestConsumedTopicsAreDeclared(t *testing.T) {
	declared := map[string]bool{}
	for _, ti := range events.Topics() {
		declared[ti.Name] = true
	}
	a := app.New(app.Defaults(), app.Options{})
	for _, s := range a.Services() {
		for _, c := range s.Consumes {
			require.True(t, declared[c.Topic], "%s consumes %s, which no contract declares", s.Name, c.Topic)
		}
	}
}

// The bus's topics and their schemas are listed for operators.
func TestTopicsAreListed(t *testing.T) {
	i := apptest.Start(t, map[string]string{"target": "customer"})
	var got struct {
		Topics []struct {
			Name    string         `json:"name"`
			Version int            `json:"version"`
			Schema  map[string]any `json:"schema"`
		} `json:"topics"`
	}
	res := i.Do("GET", "/admin/events/topics", nil)
	require.Equal(t, 200, res.Status, string(res.Body))
	res.JSON(t, &got)
	var names []string
	for _, tp := range got.Topics {
		names = append(names, tp.Name)
		require.GreaterOrEqual(t, tp.Version, 1)
		require.NotEmpty(t, tp.Schema)
	}
	require.Contains(t, names, "account.deleted")
	require.Contains(t, names, "title.created")
}
