package inventory

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"math"
	"strings"

	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// ScopeWrite is the scope of the operators' write API.
const ScopeWrite = "catalog:write"

// NewTitleID returns a fresh id for a title created here: "ct" and 16
// random base32 characters (80 bits).
func NewTitleID() string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return "ct" + strings.ToLower(base32.StdEncoding.EncodeToString(b[:]))
}

// PopularityFromRating is the popularity of a title that has no other
// signal than its rating: votes weigh logarithmically, the average
// linearly, so a well-rated title with many votes ranks first.
func PopularityFromRating(r Rating) float64 {
	if r.Votes <= 0 {
		return 0
	}
	return math.Round(math.Log1p(float64(r.Votes))*(1+r.Average)*1000) / 1000
}

// Season is a season of a series, derived from its episodes' season numbers.
type Season struct {
	SeriesID     string `json:"series_id"`
	SeasonNumber int    `json:"season_number"`
	EpisodeCount int    `json:"episode_count"`
	AirDate      string `json:"air_date,omitempty" doc:"Earliest release date of its episodes"`
	FirstYear    int    `json:"first_year,omitempty"`
}

// Episode is an episode as a season lists it.
type Episode struct {
	ID             string  `json:"id"`
	Title          string  `json:"title"`
	SeasonNumber   int     `json:"season_number"`
	EpisodeNumber  int     `json:"episode_number"`
	AirDate        string  `json:"air_date,omitempty"`
	Year           int     `json:"year,omitempty"`
	RuntimeMinutes int     `json:"runtime_minutes,omitempty"`
	Overview       string  `json:"overview,omitempty"`
	Rating         Rating  `json:"rating"`
	Popularity     float64 `json:"popularity"`
}

// SeasonDetails is a season with its episodes.
type SeasonDetails struct {
	Season
	Episodes []Episode `json:"episodes"`
}

// Sort keys of discover.
const (
	SortPopularity  = "popularity"
	SortRating      = "rating"
	SortReleaseDate = "release_date"
	SortTitle       = "title"
)

// DiscoverQuery is a validated discover request. Zero values mean "no
// filter". Person filters arrive resolved to title ids.
type DiscoverQuery struct {
	Kinds          []Kind
	Genres         []string
	AllGenres      bool // every genre (true) or any of them
	YearFrom       int
	YearTo         int
	DateFrom       string
	DateTo         string
	RatingMin      *float64
	RatingMax      *float64
	VotesMin       int64
	Languages      []string // spoken languages, any
	OriginalLang   string
	Countries      []string // production countries, any
	Certifications []Certification
	RuntimeMin     int
	RuntimeMax     int
	// WithTitles restricts to these ids (a person's titles); nil: no
	// restriction, empty: nothing matches.
	WithTitles    []string
	WithoutTitles []string
	Sort          string
	Desc          bool
	// After is the position to continue from (keyset pagination).
	After *Position
	Limit int
}

// Position is a place in a discover ordering: the sort value and id of
// the last title of a page.
type Position struct {
	Sort  string  `json:"s"`
	Desc  bool    `json:"d"`
	Num   float64 `json:"n,omitempty"`
	Text  string  `json:"t,omitempty"`
	ID    string  `json:"i"`
	Query string  `json:"q,omitempty"`
}

// Listed is a title in a discover page, with its sort position.
type Listed struct {
	Summary
	ReleaseDate string `json:"release_date,omitempty"`
	pos         Position
}

// Pos returns the listed title's position.
func (l Listed) Pos() Position { return l.pos }

// WithPos returns l at position p (for stores).
func (l Listed) WithPos(p Position) Listed { l.pos = p; return l }

// SearchQuery mirrors the search index's query.
type SearchQuery struct {
	Text         string
	Kinds        []string
	YearFrom     int
	YearTo       int
	Limit        int
	Autocomplete bool
}

// SearchHit mirrors the search index's hit.
type SearchHit struct {
	ID    string  `json:"id"`
	Kind  string  `json:"kind"`
	Name  string  `json:"name"`
	Year  int     `json:"year,omitempty"`
	Score float64 `json:"score"`
	// Normalized is the score comparable with other indexes' (people) in
	// a combined search; see search.Hit.
	Normalized float64 `json:"-"`
}

// Searcher finds titles by text. The search index implements it (plugged
// in at wiring); sqlstore's LIKE adapter is the fallback.
type Searcher interface {
	Search(ctx context.Context, q SearchQuery) ([]SearchHit, error)
}

// Store keeps the catalog. Implementations: sqlstore (SQLite, MySQL).
// Errors: NotFound for unknown ids, Conflict for stale versions and
// duplicate external ids.
type Store interface {
	// Get returns a title with its genres, languages, countries, akas,
	// releases, certifications, images and external ids.
	Get(ctx context.Context, id string) (Details, error)
	// Summaries returns the titles that exist among ids, in no particular order.
	Summaries(ctx context.Context, ids []string) ([]Summary, error)
	// FindExternal returns the id of the title with an external id
	// (source "imdb" or "tmdb").
	FindExternal(ctx context.Context, source, value string) (string, error)
	// Seasons lists the seasons of a series, by number.
	Seasons(ctx context.Context, seriesID string) ([]Season, error)
	// Episodes lists the episodes of one season, by number.
	Episodes(ctx context.Context, seriesID string, season int) ([]Episode, error)
	// EpisodeID returns the id of an episode by its numbers.
	EpisodeID(ctx context.Context, seriesID string, season, episode int) (string, error)
	// Similar returns up to limit titles sharing genres with id, closest first.
	Similar(ctx context.Context, id string, limit int) ([]Summary, error)
	// Discover returns up to q.Limit titles after q.After in q's order.
	Discover(ctx context.Context, q DiscoverQuery) ([]Listed, error)

	// Create stores a new title and the event made of it, in one transaction.
	// Conflict when the id or an external id is taken.
	Create(ctx context.Context, d Details, event func(Details) events.Message) (Details, error)
	// Update applies change to the stored title, provided its version is
	// still expect (0: any), and stores the result with version+1 and its
	// event, in one transaction. An error from change changes nothing.
	Update(ctx context.Context, id string, expect int64, change func(*Details) error, event func(Details) events.Message) (Details, error)
	// Delete removes a title (and the links of its episodes to it), with its event.
	Delete(ctx context.Context, id string, expect int64, event func(Details) events.Message) error

	BulkStore
}

// BulkStore is what the IMDb importer writes through: batches of
// thousands of rows, each call one transaction, every call idempotent
// (running it again with the same rows writes nothing and bumps no
// version; a title that changed gets version+1). Bulk calls write only
// what the dataset supplies: the fields it has no column for (overview,
// tagline, status, original language, release date, spoken languages,
// countries, images...) are written when a title is created, and later
// only where they are still empty (the scalar ones), so an operator's
// edits survive a re-import. Bulk
// writes enqueue no events; the store's FinishImport, called when the
// import ends, enqueues one title.updated with key AllTitles, which drops
// every cached title.
type BulkStore interface {
	// UpsertTitles inserts titles, or updates the dataset's columns of
	// those that exist (kind, titles, adult, years, runtime) and their
	// genres, and fills in their release date, overview, tagline, status
	// and original language where those are empty; not the rating,
	// popularity and episode links, which have their own calls.
	UpsertTitles(ctx context.Context, titles []Title) error
	// UpsertAkas inserts or updates akas by (TitleID, Ordering). Rows of
	// titles that do not exist are skipped.
	UpsertAkas(ctx context.Context, rows []AkaRow) error
	// UpsertRatings sets the rating and popularity of existing titles
	// (the row's Popularity, or when it is zero the one derived from the
	// rating, PopularityFromRating); unknown ids are skipped.
	UpsertRatings(ctx context.Context, rows []RatingRow) error
	// UpsertEpisodes links existing episodes to their series with their
	// numbers; unknown ids are skipped. Load the titles first.
	UpsertEpisodes(ctx context.Context, rows []EpisodeRow) error
}

// AllTitles is the key of a title event that concerns every title (after a
// bulk import): consumers drop everything they cached.
const AllTitles = cache.AllEntities

// TitleEvent is the payload of title.created, title.updated and title.deleted.
type TitleEvent struct {
	ID      string `json:"id"`
	Version int64  `json:"version,omitempty"`
	// ParentID is the series of an episode or season.
	ParentID string   `json:"parent_id,omitempty"`
	Summary  *Summary `json:"summary,omitempty"`
}
