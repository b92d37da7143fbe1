// Package inventory is the catalog of titles (cdlc-inventory): movies,
// series, seasons, episodes, shorts, TV movies and specials, with their
// localized titles, release dates, certifications, genres, languages,
// countries, images, external ids and aggregate ratings, and search over
// them. People and credits belong to the actor service.
package inventory

import (
	"context"
	"time"

	"github.com/cdlc/cdlc/internal/platform/catalogid"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// Kind is the kind of a title.
type Kind string

// The kinds of title.
const (
	KindMovie      Kind = "movie"
	KindSeries     Kind = "series"
	KindMiniSeries Kind = "mini_series"
	KindSeason     Kind = "season"
	KindEpisode    Kind = "episode"
	KindShort      Kind = "short"
	KindTVMovie    Kind = "tv_movie"
	KindSpecial    Kind = "special"
	KindVideo      Kind = "video"
	KindVideoGame  Kind = "video_game"
)

// Kinds lists every kind, for validation and the OpenAPI enum.
var Kinds = []Kind{KindMovie, KindSeries, KindMiniSeries, KindSeason, KindEpisode, KindShort, KindTVMovie, KindSpecial, KindVideo, KindVideoGame}

// TitleID is a title's id: the IMDb id for titles that came from IMDb
// ("tt0068646"), "ct" and a random base32 string for titles created here.
// Keeping IMDb's id as ours makes re-imports idempotent without a lookup
// table and lets users paste the ids they already know.
var TitleID = catalogid.Title

// Title is one catalog entry of any kind.
type Title struct {
	ID             string    `json:"id"`
	Kind           Kind      `json:"kind"`
	Title          string    `json:"title" doc:"Primary (display) title"`
	OriginalTitle  string    `json:"original_title,omitempty"`
	Adult          bool      `json:"adult"`
	StartYear      int       `json:"start_year,omitempty" doc:"Release year, or first year of a series"`
	EndYear        int       `json:"end_year,omitempty" doc:"Last year of a series"`
	ReleaseDate    string    `json:"release_date,omitempty" doc:"Earliest release, YYYY-MM-DD"`
	RuntimeMinutes int       `json:"runtime_minutes,omitempty"`
	Genres         []string  `json:"genres"`
	Overview       string    `json:"overview,omitempty"`
	Tagline        string    `json:"tagline,omitempty"`
	Status         string    `json:"status,omitempty" doc:"released, in_production, ended, canceled..."`
	OriginalLang   string    `json:"original_language,omitempty" doc:"ISO 639-1"`
	SpokenLangs    []string  `json:"spoken_languages"`
	Countries      []string  `json:"countries" doc:"ISO 3166-1 alpha-2 production countries"`
	Popularity     float64   `json:"popularity"`
	Rating         Rating    `json:"rating"`
	ParentID       string    `json:"parent_id,omitempty" doc:"The series of a season or episode"`
	SeasonNumber   int       `json:"season_number,omitempty"`
	EpisodeNumber  int       `json:"episode_number,omitempty"`
	UpdatedAt      time.Time `json:"updated_at"`
	// Version increments with every change (ETags, optimistic concurrency).
	Version int64 `json:"version"`
}

// Rating is the aggregate rating of a title.
type Rating struct {
	Average float64 `json:"average" doc:"0 to 10"`
	Votes   int64   `json:"votes"`
}

// AkaRow is one row of a bulk aka import: the aka of TitleID at Ordering
// (IMDb's title.akas ordering). Rows are keyed by (TitleID, Ordering), so a
// title's akas may span import batches.
type AkaRow struct {
	TitleID  string
	Ordering int
	Aka
}

// RatingRow is one row of a bulk rating import (IMDb's title.ratings).
type RatingRow struct {
	TitleID string
	Rating
	// Popularity, when not zero, is the title's popularity; zero derives
	// it from the rating (PopularityFromRating), since IMDb's files carry
	// none.
	Popularity float64
}

// EpisodeRow links an episode to its series (IMDb's title.episode).
// Season and Episode are 0 when unknown.
type EpisodeRow struct {
	ID       string
	ParentID string
	Season   int
	Episode  int
}

// Aka is a title as known in a region or language.
type Aka struct {
	Title      string   `json:"title"`
	Region     string   `json:"region,omitempty" doc:"ISO 3166-1 alpha-2"`
	Language   string   `json:"language,omitempty" doc:"ISO 639-1"`
	Types      []string `json:"types,omitempty" doc:"imdbDisplay, original, alternative, dvd, festival, tv, video, working..."`
	Attributes []string `json:"attributes,omitempty"`
	Original   bool     `json:"original" required:"false"`
}

// Release is a release date in a country.
type Release struct {
	Country string `json:"country"`
	Date    string `json:"date" doc:"YYYY-MM-DD"`
	Type    string `json:"type,omitempty" doc:"premiere, theatrical, digital, physical, tv"`
	Note    string `json:"note,omitempty"`
}

// Certification is an age rating in a country ("US": "R").
type Certification struct {
	Country       string `json:"country"`
	Certification string `json:"certification"`
}

// Image is a poster, backdrop, still or logo, stored by the media service
// and referenced here by path; Sizes are the renditions available.
type Image struct {
	Kind     string   `json:"kind" enum:"poster,backdrop,still,logo"`
	Path     string   `json:"path"`
	Width    int      `json:"width,omitempty"`
	Height   int      `json:"height,omitempty"`
	Language string   `json:"language,omitempty"`
	Sizes    []string `json:"sizes,omitempty" doc:"e.g. w92, w185, w500, original"`
}

// ExternalIDs are a title's ids elsewhere.
type ExternalIDs struct {
	IMDb string `json:"imdb_id,omitempty"`
	TMDB int64  `json:"tmdb_id,omitempty"`
}

// Details is a title with the related resources callers may append.
type Details struct {
	Title
	Akas           []Aka           `json:"akas,omitempty"`
	Releases       []Release       `json:"releases,omitempty"`
	Certifications []Certification `json:"certifications,omitempty"`
	Images         []Image         `json:"images,omitempty"`
	ExternalIDs    *ExternalIDs    `json:"external_ids,omitempty"`
}

// Summary is the short form of a title other services embed (filmographies, lists).
type Summary struct {
	ID         string  `json:"id"`
	Kind       Kind    `json:"kind"`
	Title      string  `json:"title"`
	StartYear  int     `json:"start_year,omitempty"`
	Rating     Rating  `json:"rating"`
	Poster     string  `json:"poster,omitempty"`
	Popularity float64 `json:"popularity"`
}

// Service is the inventory as other services see it, in process or over
// gRPC (inventorytest is its contract). Errors are of the errs vocabulary.
type Service interface {
	// Summaries returns the titles that exist among ids, in the order
	// asked, each once; unknown ids are left out. Invalid (field "ids")
	// for more than MaxBatch ids.
	Summaries(ctx context.Context, ids []string) ([]Summary, error)
}

// Events published by the inventory (outbox), keyed by title id (AllTitles
// after a bulk import): its event contract, which consumers import.
var (
	TitleCreated = events.Define[TitleEvent]("title.created", "A title was created.", 1)
	TitleUpdated = events.Define[TitleEvent]("title.updated", "A title changed (key * after a bulk import: every title may have).", 1)
	TitleDeleted = events.Define[TitleEvent]("title.deleted", "A title was deleted.", 1)
)

// Topics lists every topic the inventory publishes.
var Topics = []string{TitleCreated.Name, TitleUpdated.Name, TitleDeleted.Name}
