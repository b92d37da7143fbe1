// Package actor is the people of the catalog (cdlc-actor): actors,
// actresses and crew, with their biographies, dates, professions, images
// and external ids, and the credits that link them to titles (cast with
// characters and billing order, crew with department and job).
package actor

import (
	"context"
	"regexp"
	"time"
)

// PersonID is a person's id: the IMDb id for people that came from IMDb
// ("nm0000199"), "cp" and a random base32 string for people created here.
var PersonID = regexp.MustCompile(`^(nm[0-9]{7,10}|cp[0-9a-z]{10,16})$`)

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

// Credit links a person to a title: cast (Department acting, Characters,
// Order = billing) or crew (Department and Job).
type Credit struct {
	TitleID    string     `json:"title_id"`
	PersonID   string     `json:"person_id"`
	Department Department `json:"department"`
	Job        string     `json:"job" doc:"actor, actress, self, director, writer, producer, composer..."`
	Characters []string   `json:"characters,omitempty"`
	Order      int        `json:"order" doc:"Billing order (cast) or listing order (crew)"`
}

// Service is the actor service as other services see it.
type Service interface {
	// CreditsOfTitle returns a title's cast (by billing order) and crew.
	CreditsOfTitle(ctx context.Context, titleID string) ([]Credit, error)
}

// Events published by the actor service (outbox), keyed by person id
// (credits: by title id).
const (
	TopicPersonCreated  = "person.created"
	TopicPersonUpdated  = "person.updated"
	TopicPersonDeleted  = "person.deleted"
	TopicPersonMerged   = "person.merged"
	TopicCreditsChanged = "credits.changed"
)
