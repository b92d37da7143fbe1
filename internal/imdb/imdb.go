// Package imdb loads the IMDb non-commercial dataset files (title.basics,
// title.episode, title.akas, title.ratings, name.basics, title.crew,
// title.principals; .tsv or .tsv.gz) into the catalog, and carries the demo
// catalog that `cdlc seed demo` loads with the same code.
//
// The importer streams: it reads one row at a time, hands rows to a Sink in
// batches (one transaction each) and keeps no table in memory, so memory does
// not grow with the files. It takes the files in an order that needs no
// lookups between them (titles, then what hangs off titles, then people, then
// credits). Every write is an upsert keyed by IMDb ids, so running it again
// updates rows and never duplicates them. Malformed rows are reported with
// file and line and skipped; a truncated gzip file is reported after the rows
// before the damage are written.
//
// IMDb's TSV is not RFC 4180: fields are separated by tabs, there is no
// quoting (a quote is a literal character), `\N` is null, and lists are
// comma-separated.
package imdb

import (
	"context"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/inventory"
)

// Sink receives what the importer read, one batch per call. Each call is
// expected to be atomic (one transaction) and idempotent: writing the same
// batch twice leaves the same state as writing it once. The importer calls
// one method at a time, never concurrently, unless the Sink is a
// ConcurrentSink.
type Sink interface {
	// Titles upserts titles from title.basics, keyed by ID. Only the columns
	// IMDb supplies are written (Kind, Title, OriginalTitle, Adult,
	// StartYear, EndYear, RuntimeMinutes, Genres); ratings, episode numbers
	// and anything an operator added (overview, images...) are kept.
	Titles(ctx context.Context, titles []inventory.Title) error
	// Episodes sets the series, season and episode numbers of episodes
	// (title.episode). Episodes whose title does not exist are ignored.
	Episodes(ctx context.Context, episodes []Episode) error
	// Akas upserts localized titles (title.akas), keyed by (TitleID, Ordering).
	Akas(ctx context.Context, akas []TitleAka) error
	// Ratings sets aggregate ratings (title.ratings). Ratings of titles
	// that do not exist are ignored.
	Ratings(ctx context.Context, ratings []TitleRating) error
	// People upserts people from name.basics, keyed by ID. Only Name,
	// BirthDate, DeathDate, Professions and KnownFor are written; the rest
	// (biography, places, images) is kept.
	People(ctx context.Context, people []actor.Person) error
	// Credits writes credits from title.crew and title.principals, keyed
	// by (TitleID, PersonID, Job), in one transaction. A credit of set is
	// inserted or replaces the stored one; a credit of add is inserted only
	// when its key is not stored and otherwise changes nothing. title.crew
	// lists every director and writer in order, so its credits go in set;
	// title.principals names some of them again (with the same job) in its
	// own billing order, so its directors and writers go in add and only
	// fill in those title.crew lacks; its other credits go in set. That way
	// a director or writer is one credit whose order does not depend on
	// which file was loaded last, and a re-import rewrites nothing. A batch
	// never holds two credits with the same (TitleID, PersonID,
	// Department), and never splits one title's credits.
	Credits(ctx context.Context, set, add []actor.Credit) error
	// Finish is called once when the import stops, done or not, so that
	// the stores can refresh what depends on the whole load (search
	// indexes, caches, a "catalog imported" event).
	Finish(ctx context.Context) error
}

// ConcurrentSink is a Sink that takes up to Writers calls at once, of the
// same method, each in its own transaction. The batches of one call never
// share a title's rows in the files that group them (title.crew,
// title.principals); in the other files a key stands on one row (IMDb's
// files have unique keys), so concurrent batches do not write the same
// row. A sink that may deadlock under such writes retries the call.
type ConcurrentSink interface {
	Sink
	Writers() int
}

// Episode links an episode to its series (title.episode).
type Episode = inventory.EpisodeRow

// TitleAka is a localized title of a title (title.akas), keyed by
// (TitleID, Ordering).
type TitleAka = inventory.AkaRow

// TitleRating is the aggregate rating of a title (title.ratings).
type TitleRating = inventory.RatingRow

// kinds maps IMDb's titleType to the catalog's kind.
var kinds = map[string]inventory.Kind{
	"movie":        inventory.KindMovie,
	"tvSeries":     inventory.KindSeries,
	"tvMiniSeries": inventory.KindMiniSeries,
	"tvEpisode":    inventory.KindEpisode,
	"short":        inventory.KindShort,
	"tvShort":      inventory.KindShort,
	"tvMovie":      inventory.KindTVMovie,
	// A pilot is a stand-alone TV production until a series picks it up;
	// IMDb lists it without a parent series.
	"tvPilot":   inventory.KindTVMovie,
	"tvSpecial": inventory.KindSpecial,
	"video":     inventory.KindVideo,
	"videoGame": inventory.KindVideoGame,
}

// KindOf maps IMDb's titleType to the catalog's kind; ok is false for a
// type the catalog does not know.
func KindOf(titleType string) (inventory.Kind, bool) {
	k, ok := kinds[titleType]
	return k, ok
}

// departments maps IMDb's principal categories to departments.
var departments = map[string]actor.Department{
	"actor":               actor.DeptActing,
	"actress":             actor.DeptActing,
	"self":                actor.DeptActing,
	"director":            actor.DeptDirecting,
	"writer":              actor.DeptWriting,
	"producer":            actor.DeptProducing,
	"composer":            actor.DeptSound,
	"cinematographer":     actor.DeptCamera,
	"editor":              actor.DeptEditing,
	"production_designer": actor.DeptArt,
	// Casting is part of production (TMDB files it there too).
	"casting_director": actor.DeptProducing,
	// Archive footage and sound put the person on screen or on the sound
	// track as themselves: a cast credit, with the category as the job.
	"archive_footage": actor.DeptActing,
	"archive_sound":   actor.DeptActing,
}

// DepartmentOf maps an IMDb principal category to a department. Unknown
// categories go to DeptCrew (keeping the category as the job), so a new
// IMDb category does not lose credits.
func DepartmentOf(category string) actor.Department {
	if d, ok := departments[category]; ok {
		return d
	}
	return actor.DeptCrew
}
