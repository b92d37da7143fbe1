// Package actor is the people of the catalog (cdlc-actor): actors,
// actresses and crew, with their biographies, dates, professions, images
// and external ids, and the credits that link them to titles (cast with
// characters and billing order, crew with department and job).
//
// Every write commits its rows and its outbox events (person.created,
// person.updated, person.deleted, person.merged, credits.changed) in one
// transaction; every instance consumes them to drop its cached renderings.
//
// Merged people: merging a duplicate into a survivor moves the duplicate's
// credits, also-known-as names, external ids and images to the survivor,
// deletes the duplicate and records a redirect. Reads of the old id answer
// with *MergedError (HTTP 301 to the survivor, with merged_into in the
// body); re-imports of the old id are folded into the survivor.
package actor

import (
	"context"
	"fmt"
	"time"

	"github.com/cdlc/cdlc/internal/platform/catalogid"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// PersonID is a person's id: the IMDb id for people that came from IMDb
// ("nm0000199"), "cp" and a random base32 string for people created here.
var PersonID = catalogid.Person

// TitleID is the shape of a title id (owned by the inventory service):
// IMDb's "tt…" or "ct…" for titles created there. Credits are not checked
// against the inventory: titles live in another service's database.
var TitleID = catalogid.Title

// ScopeWrite is the scope of the operators' write API.
const ScopeWrite = "catalog:write"

// Person is someone credited on titles.
type Person struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	AlsoKnownAs []string  `json:"also_known_as"`
	BirthDate   string    `json:"birth_date,omitempty" doc:"YYYY-MM-DD, or YYYY when only the year is known"`
	DeathDate   string    `json:"death_date,omitempty"`
	BirthPlace  string    `json:"birth_place,omitempty"`
	DeathPlace  string    `json:"death_place,omitempty"`
	Professions []string  `json:"professions" doc:"actor, actress, director, writer, producer, composer..."`
	Biography   string    `json:"biography,omitempty"`
	KnownFor    []string  `json:"known_for" doc:"Title ids"`
	Popularity  float64   `json:"popularity"`
	UpdatedAt   time.Time `json:"updated_at"`
	Version     int64     `json:"version"`
}

// Image is a profile picture stored by the media service and referenced
// here by path; Sizes are the renditions available.
type Image struct {
	Path     string   `json:"path"`
	Width    int      `json:"width,omitempty"`
	Height   int      `json:"height,omitempty"`
	Language string   `json:"language,omitempty"`
	Sizes    []string `json:"sizes,omitempty" doc:"e.g. w45, w185, h632, original"`
}

// ExternalIDs are a person's ids elsewhere.
type ExternalIDs struct {
	IMDb string `json:"imdb_id,omitempty" doc:"nm…"`
	TMDB int64  `json:"tmdb_id,omitempty"`
}

// Record is everything stored about one person: what a write supplies and
// what a bulk import upserts.
type Record struct {
	Person
	Images      []Image
	ExternalIDs ExternalIDs
}

// Department groups crew jobs.
type Department string

// Departments, plus Acting for cast.
const (
	DeptActing    Department = "acting"
	DeptDirecting Department = "directing"
	DeptWriting   Department = "writing"
	DeptProducing Department = "production"
	DeptSound     Department = "sound"
	DeptCamera    Department = "camera"
	DeptEditing   Department = "editing"
	DeptArt       Department = "art"
	DeptCostume   Department = "costume_makeup"
	DeptCrew      Department = "crew"
)

// Departments lists every department in the order crew groups are shown.
var Departments = []Department{DeptActing, DeptDirecting, DeptWriting, DeptProducing, DeptSound, DeptCamera, DeptEditing, DeptArt, DeptCostume, DeptCrew}

// Credit links a person to a title: cast (Department acting, Characters,
// Order = billing) or crew (Department and Job). (TitleID, PersonID, Job)
// is its key: writing the same key again updates it.
type Credit struct {
	TitleID    string     `json:"title_id" required:"false" doc:"May be left out when the path names the title"`
	PersonID   string     `json:"person_id"`
	Department Department `json:"department" enum:"acting,directing,writing,production,sound,camera,editing,art,costume_makeup,crew"`
	Job        string     `json:"job" doc:"actor, actress, self, director, writer, producer, composer..."`
	Characters []string   `json:"characters,omitempty"`
	Order      int        `json:"order" required:"false" doc:"Billing order (cast) or listing order (crew)"`
	// Name is the person's name, filled on reads.
	Name string `json:"name,omitempty" doc:"The person's name (on reads)"`
}

// Service is the actor service as other services see it.
type Service interface {
	// CreditsOfTitle returns a title's cast (by billing order) and then its
	// crew (by department and order), with the people's names. A title
	// without credits has none: an empty list, not an error.
	CreditsOfTitle(ctx context.Context, titleID string) ([]Credit, error)
	// People returns the people among ids in the order asked, with the
	// ids that name nobody.
	People(ctx context.Context, ids []string) (Batch, error)
	// TitlesOfPerson returns the ids of the titles a person is credited on.
	TitlesOfPerson(ctx context.Context, personID string) ([]string, error)
	// Search finds people by name, best first. Invalid for empty text,
	// text over 200 characters, or a limit outside 1..MaxSearchLimit.
	Search(ctx context.Context, q SearchQuery) ([]PersonHit, error)
}

// Events published by the actor service (outbox), keyed by person id
// (credits: by title id): its event contract, which consumers import.
var (
	PersonCreated  = events.Define[PersonEvent]("person.created", "A person was created.", 1)
	PersonUpdated  = events.Define[PersonEvent]("person.updated", "A person changed.", 1)
	PersonDeleted  = events.Define[PersonEvent]("person.deleted", "A person was deleted.", 1)
	PersonMerged   = events.Define[PersonEvent]("person.merged", "Duplicates (ids) were merged into a survivor (merged_into).", 1)
	CreditsChanged = events.Define[CreditsEvent]("credits.changed", "A title's credits changed (key * after a bulk import).", 1)
)

// AllPeople is the key of an event that concerns every person and credit
// (the one credits.changed a bulk import ends with): consumers drop
// everything they cached.
const AllPeople = "*"

// Topics lists every topic the service publishes.
var Topics = []string{PersonCreated.Name, PersonUpdated.Name, PersonDeleted.Name, PersonMerged.Name, CreditsChanged.Name}

// PersonEvent is the payload of the person.* topics.
type PersonEvent struct {
	ID         string   `json:"id,omitempty"`
	IDs        []string `json:"ids,omitempty"`
	Version    int64    `json:"version,omitempty"`
	MergedInto string   `json:"merged_into,omitempty"`
}

// CreditsEvent is the payload of credits.changed.
type CreditsEvent struct {
	TitleID string `json:"title_id"`
}

// MergedError answers a read of a person merged into another.
type MergedError struct {
	ID   string
	Into string
}

func (e *MergedError) Error() string {
	return fmt.Sprintf("person %s was merged into %s", e.ID, e.Into)
}

// Unwrap classifies a merged person as not found for callers that do not
// follow redirects.
func (e *MergedError) Unwrap() error { return errs.NotFound("person %s", e.ID) }
