// Package customer is the customer service's domain: accounts, the viewing
// profiles of an account (up to MaxProfiles, some of them kids profiles
// with a maturity limit) and each profile's preferences.
//
// An account belongs to one subject (the user id of the access tokens) and
// is created on its first use, with a first profile named after the user.
// Every change commits an event through the outbox in the same
// transaction: profile.created|updated|deleted, preferences.updated, and
// account.deleted when an account goes (on the user's request, or when the
// auth service reports user.deleted).
//
// Adapters: sqlstore (SQLite and MySQL), httpapi (REST under
// /api/v1/account), grpcapi (preferences lookups for other services, and a
// client that is a Service too).
package customer

import (
	"context"
	"time"

	"github.com/cdlc/cdlc/internal/platform/events"
)

// MaxProfiles is how many profiles an account may have.
const MaxProfiles = 5

// Owner is who an account belongs to, from the caller's token. Name and
// Email, when the token carries them, name the first profile.
type Owner struct {
	Subject string
	Name    string
	Email   string
}

// Account is one subject's account with its profiles, oldest first.
type Account struct {
	Subject   string    `json:"subject"`
	CreatedAt time.Time `json:"created_at"`
	Profiles  []Profile `json:"profiles"`
}

// Profile is one viewer of an account.
type Profile struct {
	ID       string `json:"id" doc:"Profile id (pf…)"`
	Name     string `json:"name" doc:"Display name, unique within the account (case-insensitive)"`
	Avatar   string `json:"avatar" doc:"A preset avatar key (see the API docs) or an https URL"`
	Language string `json:"language" doc:"Interface language, a BCP 47 tag"`
	Kids     bool   `json:"kids" doc:"A kids profile: maturity_limit at most 12"`
	// MaturityLimit is the highest certification level the profile may see.
	MaturityLimit Maturity  `json:"maturity_limit" enum:"all,7,12,16,18" doc:"The highest certification level the profile may see"`
	CreatedAt     time.Time `json:"created_at"`
	// Version counts the profile's changes; its ETag.
	Version int64 `json:"-"`
}

// Notifications are the messages a profile agrees to receive. In a PUT,
// a choice left out is false.
type Notifications struct {
	Email      bool `json:"email" required:"false" doc:"Account and viewing e-mails"`
	Push       bool `json:"push" required:"false" doc:"Push notifications on devices"`
	Newsletter bool `json:"newsletter" required:"false" doc:"The newsletter"`
}

// Preferences are what a profile likes.
type Preferences struct {
	FavouriteGenres []string `json:"favourite_genres" doc:"Genre slugs (drama, science_fiction…)"`
	Languages       []string `json:"languages" doc:"Languages the profile likes to watch in, BCP 47 tags"`
	// MaturityRating is the level the profile chose to see, at most its
	// maturity limit.
	MaturityRating Maturity      `json:"maturity_rating" enum:"all,7,12,16,18" doc:"The level chosen, at most the profile's maturity_limit"`
	Notifications  Notifications `json:"notifications"`
	// Version counts the preferences' changes; their ETag.
	Version int64 `json:"-"`
}

// ProfilePreferences is a profile's preferences with what other services
// need to personalise for it.
type ProfilePreferences struct {
	ProfileID     string   `json:"profile_id"`
	Subject       string   `json:"subject"`
	Kids          bool     `json:"kids"`
	MaturityLimit Maturity `json:"maturity_limit"`
	Language      string   `json:"language"`
	Preferences
}

// PreferencesBatch answers a batch lookup: the profiles found, in the
// order asked, and the ids not found.
type PreferencesBatch struct {
	Preferences []ProfilePreferences `json:"preferences"`
	Missing     []string             `json:"missing"`
}

// Export is all of an account's data, for the user to download.
type Export struct {
	Subject    string          `json:"subject"`
	CreatedAt  time.Time       `json:"created_at"`
	ExportedAt time.Time       `json:"exported_at"`
	Profiles   []ExportProfile `json:"profiles"`
}

// ExportProfile is a profile with its preferences.
type ExportProfile struct {
	Profile
	Preferences Preferences `json:"preferences"`
}

// ProfileEvent is the payload of profile.created|updated|deleted (on
// deleted, Profile holds the id alone).
type ProfileEvent struct {
	Subject string  `json:"subject"`
	Profile Profile `json:"profile"`
}

// PreferencesEvent is the payload of preferences.updated.
type PreferencesEvent struct {
	Subject     string      `json:"subject"`
	ProfileID   string      `json:"profile_id"`
	Preferences Preferences `json:"preferences"`
}

// Events published by the customer service (outbox), keyed by the
// account's subject so that one account's events arrive in order: its
// event contract, which consumers import.
var (
	ProfileCreated     = events.Define[ProfileEvent]("profile.created", "A profile was created.", 1)
	ProfileUpdated     = events.Define[ProfileEvent]("profile.updated", "A profile changed.", 1)
	ProfileDeleted     = events.Define[ProfileEvent]("profile.deleted", "A profile was deleted: everything it owned goes.", 1)
	PreferencesUpdated = events.Define[PreferencesEvent]("preferences.updated", "A profile's preferences changed.", 1)
	AccountDeleted     = events.Define[AccountEvent]("account.deleted", "An account was deleted with its profiles: everything they owned goes.", 1)
)

// Topics lists every topic the service publishes.
var Topics = []string{ProfileCreated.Name, ProfileUpdated.Name, ProfileDeleted.Name, PreferencesUpdated.Name, AccountDeleted.Name}

// AccountEvent is the payload of account.deleted.
type AccountEvent struct {
	Subject string `json:"subject"`
}

// ValidSubject checks a subject received in an event.
func ValidSubject(subject string) error { return validSubject(subject) }

// Service is what other services ask of the customer service, in process
// or over gRPC (grpcapi.Client).
type Service interface {
	// PreferencesOf returns a profile's preferences. Returns NotFound if
	// the profile does not exist.
	PreferencesOf(ctx context.Context, profileID string) (ProfilePreferences, error)
	// PreferencesOfMany returns the preferences of the profiles among ids
	// (at most MaxBatch), in the order asked. Returns Invalid for too many.
	PreferencesOfMany(ctx context.Context, ids []string) (PreferencesBatch, error)
}

// MaxBatch bounds one batch lookup.
const MaxBatch = 100

// Store keeps accounts. Every write commits its events through the outbox
// in its own transaction; apply functions run inside it, on the rows as
// they are, and their error rolls everything back.
type Store interface {
	// EnsureAccount returns subject's account, creating it with first
	// (and its preferences) when it does not exist. Safe to call
	// concurrently: one creation wins, the others read it.
	EnsureAccount(ctx context.Context, subject string, first Profile, prefs Preferences) (Account, error)
	// Account returns subject's account. Returns NotFound.
	Account(ctx context.Context, subject string) (Account, error)
	// CreateProfile adds p with prefs to subject's account. Returns
	// Conflict when the account is full or the name is taken.
	CreateProfile(ctx context.Context, subject string, p Profile, prefs Preferences) (Profile, error)
	// Profile returns one of subject's profiles. Returns NotFound.
	Profile(ctx context.Context, subject, id string) (Profile, error)
	// UpdateProfile changes a profile with apply, which may also change its
	// preferences (a lowered maturity limit lowers the rating). expect,
	// when set, is the version the change is based on (Conflict if not).
	// Returns NotFound, Conflict (version, name taken).
	UpdateProfile(ctx context.Context, subject, id string, expect *int64, apply func(p *Profile, prefs *Preferences) error) (Profile, error)
	// DeleteProfile deletes a profile unless it is the account's last
	// (Conflict). Returns NotFound, Conflict.
	DeleteProfile(ctx context.Context, subject, id string, expect *int64) error
	// Preferences returns a profile's preferences. Returns NotFound.
	Preferences(ctx context.Context, subject, profileID string) (Profile, Preferences, error)
	// UpdatePreferences changes a profile's preferences with apply.
	// Returns NotFound, Conflict (version).
	UpdatePreferences(ctx context.Context, subject, profileID string, expect *int64, apply func(p Profile, prefs *Preferences) error) (Preferences, error)
	// Export reads all of subject's data. Returns NotFound.
	Export(ctx context.Context, subject string) (Export, error)
	// DeleteAccount deletes subject's account and everything in it and
	// enqueues account.deleted. Returns NotFound when there is none.
	DeleteAccount(ctx context.Context, subject string) error
	// PreferencesOf returns the preferences of the profiles among ids.
	PreferencesOf(ctx context.Context, ids []string) (PreferencesBatch, error)
}
