package actor

import (
	"context"
)

// Store keeps people and credits. Implementations: sqlstore (SQLite,
// MySQL). Every write commits its outbox events (PersonEvent,
// CreditsEvent) in the same transaction.
type Store interface {
	// Person returns one person. NotFound when there is none; *MergedError
	// when the id was merged into another person.
	Person(ctx context.Context, id string) (Person, error)
	// People returns the people that exist among ids by id, and the
	// survivors of those that were merged (old id → survivor id).
	People(ctx context.Context, ids []string) (found map[string]Person, merged map[string]string, err error)
	// Images lists a person's images in order.
	Images(ctx context.Context, id string) ([]Image, error)
	// ExternalIDs returns a person's ids elsewhere.
	ExternalIDs(ctx context.Context, id string) (ExternalIDs, error)
	// FindExternal returns the person that holds an external id (source
	// "imdb" or "tmdb"). NotFound when none does.
	FindExternal(ctx context.Context, source, value string) (string, error)
	// CreditsOfTitle lists a title's credits with the people's names, cast
	// by billing order first.
	CreditsOfTitle(ctx context.Context, titleID string) ([]Credit, error)
	// CreditsOfPerson lists a person's credits (filmography), unordered.
	CreditsOfPerson(ctx context.Context, personID string) ([]Credit, error)
	// SearchPeople is the SQL fallback search (Searcher).
	SearchPeople(ctx context.Context, q SearchQuery) ([]PersonHit, error)

	// CreatePerson stores a new person at version 1. Conflict when the id
	// or one of its external ids is taken.
	CreatePerson(ctx context.Context, r Record) (Person, error)
	// UpdatePerson replaces a person, provided it is at version expect
	// (-1: any), and returns it at its next version. NotFound; Conflict
	// when the version moved or an external id is taken.
	UpdatePerson(ctx context.Context, r Record, expect int64) (Person, error)
	// DeletePerson deletes a person and their credits, provided it is at
	// version expect (-1: any).
	DeletePerson(ctx context.Context, id string, expect int64) error
	// PutCredits adds credits or updates those whose key exists. Every
	// person must exist (Invalid naming the credit otherwise).
	PutCredits(ctx context.Context, cs []Credit) error
	// ReplaceTitleCredits makes cs the whole credit list of a title.
	ReplaceTitleCredits(ctx context.Context, titleID string, cs []Credit) error
	// RemoveCredits removes a person's credits on a title (one job, or all
	// when job is ""). NotFound when there was none.
	RemoveCredits(ctx context.Context, titleID, personID, job string) error
	// Merge folds person from into person into and returns the survivor.
	Merge(ctx context.Context, into, from string, expect int64) (Person, error)

	// UpsertPeople writes people in bulk (the importer). See sqlstore.
	UpsertPeople(ctx context.Context, rs []Record) error
	// UpsertCredits writes credits in bulk (the importer): those of set
	// are inserted or updated, those of add only inserted when their key
	// is not stored. See sqlstore.
	UpsertCredits(ctx context.Context, set, add []Credit) error
}

// SearchQuery is a search for people.
type SearchQuery struct {
	Text         string
	Limit        int
	Autocomplete bool // prefix matching of the last word
}

// PersonHit is one search result.
type PersonHit struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Professions []string `json:"professions"`
	KnownFor    []string `json:"known_for"`
	Popularity  float64  `json:"popularity"`
	Score       float64  `json:"score"`
	// Normalized is the score comparable with other indexes' (titles) in
	// a combined search; see search.Hit.
	Normalized float64 `json:"-"`
}

// Searcher finds people by name. The SQL store is the fallback; the search
// index implements it at scale.
type Searcher interface {
	SearchPeople(ctx context.Context, q SearchQuery) ([]PersonHit, error)
}
