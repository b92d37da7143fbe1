package imdb

import (
	"context"
	"fmt"
	"slices"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/inventory"
)

// The dataset files, by table name (the file name without .tsv[.gz]).
const (
	TitleBasics     = "title.basics"
	TitleEpisode    = "title.episode"
	TitleAkas       = "title.akas"
	TitleRatings    = "title.ratings"
	NameBasics      = "name.basics"
	TitleCrew       = "title.crew"
	TitlePrincipals = "title.principals"
)

// Tables lists the dataset files in the order they are loaded: what hangs
// off a title comes after the titles, and credits after the people. The
// two credit files may come in either order: they agree on a director's or
// writer's credit whichever is loaded first (see Sink.Credits).
var Tables = []string{TitleBasics, TitleEpisode, TitleAkas, TitleRatings, NameBasics, TitleCrew, TitlePrincipals}

// table is how one dataset file is read and written.
type table interface {
	name() string
	cols() []string
	// load reads rows from r and writes them to s in batches; see loader.
	load(ctx context.Context, l *loader) error
}

// spec describes a dataset file whose rows become items of type T.
type spec[T any] struct {
	table string
	// columns are the columns parse gets, in this order, whatever their
	// order in the file.
	columns []string
	// parse appends the items of one row to out.
	parse func(f [][]byte, out []T) ([]T, error)
	// write sends one batch to the sink.
	write func(ctx context.Context, s Sink, batch []T) error
	// tidy, when set, prepares a batch before it is written.
	tidy func([]T) []T
	// grouped keeps the rows of one title (the first column) in one batch.
	grouped bool
}

func (s *spec[T]) name() string   { return s.table }
func (s *spec[T]) cols() []string { return s.columns }

var tables = map[string]table{
	TitleBasics:     titleBasics,
	TitleEpisode:    titleEpisode,
	TitleAkas:       titleAkas,
	TitleRatings:    titleRatings,
	NameBasics:      nameBasics,
	TitleCrew:       titleCrew,
	TitlePrincipals: titlePrincipals,
}

var titleBasics = &spec[inventory.Title]{
	table:   TitleBasics,
	columns: []string{"tconst", "titleType", "primaryTitle", "originalTitle", "isAdult", "startYear", "endYear", "runtimeMinutes", "genres"},
	parse: func(f [][]byte, out []inventory.Title) ([]inventory.Title, error) {
		var t inventory.Title
		var err error
		if t.ID, err = id("tconst", f[0], "tt"); err != nil {
			return out, err
		}
		var ok bool
		if t.Kind, ok = KindOf(string(f[1])); !ok {
			return out, badField("titleType", "unknown type %q", f[1])
		}
		if t.Title, err = requiredStr("primaryTitle", f[2]); err != nil {
			return out, err
		}
		t.OriginalTitle = str(f[3])
		if t.Adult, err = flag("isAdult", f[4]); err != nil {
			return out, err
		}
		if t.StartYear, err = year("startYear", f[5]); err != nil {
			return out, err
		}
		if t.EndYear, err = year("endYear", f[6]); err != nil {
			return out, err
		}
		if t.RuntimeMinutes, err = integer("runtimeMinutes", f[7]); err != nil {
			return out, err
		}
		t.Genres = list(f[8])
		t.SpokenLangs, t.Countries = noStrings, noStrings
		return append(out, t), nil
	},
	write: func(ctx context.Context, s Sink, b []inventory.Title) error { return s.Titles(ctx, b) },
}

var titleEpisode = &spec[Episode]{
	table:   TitleEpisode,
	columns: []string{"tconst", "parentTconst", "seasonNumber", "episodeNumber"},
	parse: func(f [][]byte, out []Episode) ([]Episode, error) {
		var e Episode
		var err error
		if e.ID, err = id("tconst", f[0], "tt"); err != nil {
			return out, err
		}
		if e.ParentID, err = id("parentTconst", f[1], "tt"); err != nil {
			return out, err
		}
		if e.Season, err = integer("seasonNumber", f[2]); err != nil {
			return out, err
		}
		if e.Episode, err = integer("episodeNumber", f[3]); err != nil {
			return out, err
		}
		return append(out, e), nil
	},
	write: func(ctx context.Context, s Sink, b []Episode) error { return s.Episodes(ctx, b) },
}

var titleAkas = &spec[TitleAka]{
	table:   TitleAkas,
	columns: []string{"titleId", "ordering", "title", "region", "language", "types", "attributes", "isOriginalTitle"},
	parse: func(f [][]byte, out []TitleAka) ([]TitleAka, error) {
		var a TitleAka
		var err error
		if a.TitleID, err = id("titleId", f[0], "tt"); err != nil {
			return out, err
		}
		if isNull(f[1]) {
			return out, badField("ordering", "is empty")
		}
		if a.Ordering, err = integer("ordering", f[1]); err != nil {
			return out, err
		}
		if a.Title, err = requiredStr("title", f[2]); err != nil {
			return out, err
		}
		a.Region, a.Language = str(f[3]), str(f[4])
		a.Types = akaList(f[5], true)
		a.Attributes = akaList(f[6], false)
		if a.Original, err = flag("isOriginalTitle", f[7]); err != nil {
			return out, err
		}
		return append(out, a), nil
	},
	write: func(ctx context.Context, s Sink, b []TitleAka) error { return s.Akas(ctx, b) },
}

var titleRatings = &spec[TitleRating]{
	table:   TitleRatings,
	columns: []string{"tconst", "averageRating", "numVotes"},
	parse: func(f [][]byte, out []TitleRating) ([]TitleRating, error) {
		var r TitleRating
		var err error
		if r.TitleID, err = id("tconst", f[0], "tt"); err != nil {
			return out, err
		}
		if r.Average, err = decimal("averageRating", f[1], 0, 10); err != nil {
			return out, err
		}
		votes, err := integer("numVotes", f[2])
		if err != nil {
			return out, err
		}
		r.Votes = int64(votes)
		return append(out, r), nil
	},
	write: func(ctx context.Context, s Sink, b []TitleRating) error { return s.Ratings(ctx, b) },
}

var nameBasics = &spec[actor.Person]{
	table:   NameBasics,
	columns: []string{"nconst", "primaryName", "birthYear", "deathYear", "primaryProfession", "knownForTitles"},
	parse: func(f [][]byte, out []actor.Person) ([]actor.Person, error) {
		var p actor.Person
		var err error
		if p.ID, err = id("nconst", f[0], "nm"); err != nil {
			return out, err
		}
		if p.Name, err = requiredStr("primaryName", f[1]); err != nil {
			return out, err
		}
		birth, err := year("birthYear", f[2])
		if err != nil {
			return out, err
		}
		death, err := year("deathYear", f[3])
		if err != nil {
			return out, err
		}
		p.BirthDate, p.DeathDate = yearDate(birth), yearDate(death)
		p.Professions = list(f[4])
		if p.KnownFor, err = idList("knownForTitles", f[5], "tt"); err != nil {
			return out, err
		}
		p.AlsoKnownAs = noStrings
		return append(out, p), nil
	},
	write: func(ctx context.Context, s Sink, b []actor.Person) error { return s.People(ctx, b) },
}

// yearDate writes a year as a date known to the year ("1924"); 0 is unknown.
func yearDate(y int) string {
	if y == 0 {
		return ""
	}
	return fmt.Sprintf("%04d", y)
}

var titleCrew = &spec[actor.Credit]{
	table:   TitleCrew,
	columns: []string{"tconst", "directors", "writers"},
	parse: func(f [][]byte, out []actor.Credit) ([]actor.Credit, error) {
		title, err := id("tconst", f[0], "tt")
		if err != nil {
			return out, err
		}
		directors, err := idList("directors", f[1], "nm")
		if err != nil {
			return out, err
		}
		writers, err := idList("writers", f[2], "nm")
		if err != nil {
			return out, err
		}
		for i, p := range directors {
			out = append(out, actor.Credit{TitleID: title, PersonID: p, Department: actor.DeptDirecting, Job: "director", Order: i + 1})
		}
		for i, p := range writers {
			out = append(out, actor.Credit{TitleID: title, PersonID: p, Department: actor.DeptWriting, Job: "writer", Order: i + 1})
		}
		return out, nil
	},
	// title.crew is the full, ordered list of directors and writers: its
	// credits are written as they are (see Sink.Credits).
	write:   func(ctx context.Context, s Sink, b []actor.Credit) error { return s.Credits(ctx, b, nil) },
	tidy:    mergeCredits,
	grouped: true,
}

var titlePrincipals = &spec[actor.Credit]{
	table:   TitlePrincipals,
	columns: []string{"tconst", "ordering", "nconst", "category", "job", "characters"},
	parse: func(f [][]byte, out []actor.Credit) ([]actor.Credit, error) {
		var c actor.Credit
		var err error
		if c.TitleID, err = id("tconst", f[0], "tt"); err != nil {
			return out, err
		}
		if c.Order, err = integer("ordering", f[1]); err != nil {
			return out, err
		}
		if c.PersonID, err = id("nconst", f[2], "nm"); err != nil {
			return out, err
		}
		category, err := requiredStr("category", f[3])
		if err != nil {
			return out, err
		}
		c.Department = DepartmentOf(category)
		c.Job = category
		// Crew rows may name the job more precisely ("executive
		// producer"). Not for directors and writers: title.crew lists
		// them too, as "director" and "writer", and both files must give
		// the same credit whether the store keys credits by department or
		// by job. A cast row's job is its category.
		switch c.Department {
		case actor.DeptActing, actor.DeptDirecting, actor.DeptWriting:
		default:
			if job := str(f[4]); job != "" {
				c.Job = job
			}
		}
		if c.Characters, err = characters("characters", f[5]); err != nil {
			return out, err
		}
		return append(out, c), nil
	},
	write:   writePrincipals,
	tidy:    mergeCredits,
	grouped: true,
}

// writePrincipals writes a batch of title.principals: its directors and
// writers only fill in those title.crew does not list (title.crew's order
// stays), the rest is written as it is (see Sink.Credits).
func writePrincipals(ctx context.Context, s Sink, b []actor.Credit) error {
	var set, add []actor.Credit
	for _, c := range b {
		if crewListed(c.Department) {
			add = append(add, c)
		} else {
			set = append(set, c)
		}
	}
	return s.Credits(ctx, set, add)
}

// crewListed reports whether title.crew lists the credits of department d.
func crewListed(d actor.Department) bool {
	return d == actor.DeptDirecting || d == actor.DeptWriting
}

// mergeCredits folds credits of a batch with the same key (title, person,
// department) into one, as the store would: IMDb lists some writers twice
// in title.crew, and a person may be both "actor" and "self" on a title.
// The first keeps its place; characters are merged, the best billing kept.
func mergeCredits(b []actor.Credit) []actor.Credit {
	type key struct {
		title, person string
		dept          actor.Department
	}
	seen := make(map[key]int, len(b))
	out := b[:0]
	for _, c := range b {
		k := key{c.TitleID, c.PersonID, c.Department}
		i, dup := seen[k]
		if !dup {
			seen[k] = len(out)
			out = append(out, c)
			continue
		}
		m := &out[i]
		for _, ch := range c.Characters {
			if !slices.Contains(m.Characters, ch) {
				m.Characters = append(m.Characters, ch)
			}
		}
		if c.Order > 0 && (m.Order == 0 || c.Order < m.Order) {
			m.Order = c.Order
		}
	}
	return out
}

// TableOf returns the table a dataset file name belongs to
// ("title.basics.tsv.gz" -> "title.basics"), or "".
func TableOf(file string) string {
	for _, t := range Tables {
		for _, ext := range []string{".tsv", ".tsv.gz"} {
			if file == t+ext {
				return t
			}
		}
	}
	return ""
}
