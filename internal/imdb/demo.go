package imdb

import (
	"bytes"
	"cmp"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	// go.yaml.in/yaml/v3 (the YAML organisation's maintained yaml.v3, already
	// in the module graph through koanf) reads the demo catalog: YAML keeps
	// a film's facts and its overview readable in one reviewable block, and
	// KnownFields catches a mistyped key.
	"go.yaml.in/yaml/v3"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/inventory"
)

//go:embed demo/catalog.yaml
var demoCatalog []byte

// demoFile is the layout of demo/catalog.yaml (its header explains it).
type demoFile struct {
	Titles []demoTitle           `yaml:"titles"`
	People map[string]demoPerson `yaml:"people"`
}

type demoTitle struct {
	ID         string       `yaml:"id"`
	Type       string       `yaml:"type"`
	Title      string       `yaml:"title"`
	Original   string       `yaml:"original"`
	Released   string       `yaml:"released"`
	Ended      int          `yaml:"ended"`
	Runtime    int          `yaml:"runtime"`
	Genres     []string     `yaml:"genres"`
	Language   string       `yaml:"language"`
	Rating     float64      `yaml:"rating"`
	Votes      int64        `yaml:"votes"`
	Popularity float64      `yaml:"popularity"`
	Overview   string       `yaml:"overview"`
	Directors  []string     `yaml:"directors"`
	Writers    []string     `yaml:"writers"`
	Cast       []string     `yaml:"cast"`
	Akas       []string     `yaml:"akas"`
	Seasons    []demoSeason `yaml:"seasons"`
}

type demoSeason struct {
	Season   int           `yaml:"season"`
	Episodes []demoEpisode `yaml:"episodes"`
}

type demoEpisode struct {
	ID        string   `yaml:"id"`
	Title     string   `yaml:"title"`
	Aired     string   `yaml:"aired"`
	Runtime   int      `yaml:"runtime"`
	Directors []string `yaml:"directors"`
}

type demoPerson struct {
	Name string   `yaml:"name"`
	Born int      `yaml:"born"`
	Died int      `yaml:"died"`
	Jobs []string `yaml:"jobs"`
}

// episodeCast is how many of a series' first cast members each of its
// episodes credits.
const episodeCast = 4

// DemoCatalog is the bundled demo catalog, ready to write: what each Sink
// call of LoadDemo receives.
type DemoCatalog struct {
	Titles   []inventory.Title
	Episodes []Episode
	Akas     []TitleAka
	Ratings  []TitleRating
	People   []actor.Person
	Credits  []actor.Credit
}

// Demo parses the demo catalog bundled in the binary (demo/catalog.yaml):
// well-known films and a few series with their seasons, cast and crew,
// approximate ratings, a popularity and overviews of our own. It checks the
// file as it goes: ids of the right shape and not repeated, dates, every
// credit naming a person of the file by the same name, every person
// credited.
func Demo() (DemoCatalog, error) {
	return parseDemo(demoCatalog)
}

// LoadDemo writes the demo catalog to sink, in the importer's order
// (titles, episodes, akas, ratings, people, credits), and finishes the
// sink. Every call is an upsert by id, so loading it again changes nothing.
func LoadDemo(ctx context.Context, sink Sink) (DemoCatalog, error) {
	c, err := Demo()
	if err != nil {
		return c, err
	}
	err = c.write(ctx, sink)
	return c, errors.Join(err, sink.Finish(ctx))
}

func (c DemoCatalog) write(ctx context.Context, sink Sink) error {
	if err := sink.Titles(ctx, c.Titles); err != nil {
		return fmt.Errorf("demo titles: %w", err)
	}
	if err := sink.Episodes(ctx, c.Episodes); err != nil {
		return fmt.Errorf("demo episodes: %w", err)
	}
	if err := sink.Akas(ctx, c.Akas); err != nil {
		return fmt.Errorf("demo akas: %w", err)
	}
	if err := sink.Ratings(ctx, c.Ratings); err != nil {
		return fmt.Errorf("demo ratings: %w", err)
	}
	if err := sink.People(ctx, c.People); err != nil {
		return fmt.Errorf("demo people: %w", err)
	}
	// The catalog lists every director and writer of a title in order,
	// as title.crew does: all its credits go in set.
	if err := sink.Credits(ctx, c.Credits, nil); err != nil {
		return fmt.Errorf("demo credits: %w", err)
	}
	return nil
}

// demoParser builds a DemoCatalog from the file, collecting what people
// did for their professions and known-for titles.
type demoParser struct {
	f       demoFile
	c       DemoCatalog
	titles  map[string]bool
	credits map[[3]string]bool
	jobs    map[string][]string // person: the jobs of their credits, first seen first
	known   map[string][]demoTitle
}

func parseDemo(b []byte) (DemoCatalog, error) {
	p := demoParser{titles: map[string]bool{}, credits: map[[3]string]bool{}, jobs: map[string][]string{}, known: map[string][]demoTitle{}}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&p.f); err != nil {
		return p.c, fmt.Errorf("demo catalog: %w", err)
	}
	for _, t := range p.f.Titles {
		if err := p.title(t); err != nil {
			return p.c, fmt.Errorf("demo catalog: title %s (%s): %w", t.ID, t.Title, err)
		}
	}
	if err := p.people(); err != nil {
		return p.c, fmt.Errorf("demo catalog: %w", err)
	}
	return p.c, nil
}

func (p *demoParser) title(t demoTitle) error {
	kind, ok := KindOf(t.Type)
	switch {
	case !ok || kind == inventory.KindEpisode:
		return fmt.Errorf("type %q is not a film or series type", t.Type)
	case t.Title == "" || strings.TrimSpace(t.Overview) == "":
		return errors.New("needs a title and an overview")
	case t.Rating <= 0 || t.Rating > 10 || t.Votes <= 0 || t.Popularity <= 0:
		return errors.New("needs a rating from 0 to 10, votes and a popularity")
	case len(t.Genres) == 0 || t.Runtime <= 0:
		return errors.New("needs genres and a runtime")
	}
	year, err := p.newTitle(t.ID, t.Released)
	if err != nil {
		return err
	}
	series := kind == inventory.KindSeries || kind == inventory.KindMiniSeries
	if series != (t.Ended != 0) || series != (len(t.Seasons) > 0) {
		return errors.New("a series (and only a series) has an end year and seasons")
	}
	p.c.Titles = append(p.c.Titles, inventory.Title{
		ID: t.ID, Kind: kind, Title: t.Title, OriginalTitle: cmp.Or(t.Original, t.Title),
		StartYear: year, EndYear: t.Ended, ReleaseDate: t.Released, RuntimeMinutes: t.Runtime,
		Genres: t.Genres, Overview: strings.TrimSpace(t.Overview), OriginalLang: t.Language,
		SpokenLangs: noStrings, Countries: noStrings,
	})
	p.c.Ratings = append(p.c.Ratings, TitleRating{TitleID: t.ID, Rating: inventory.Rating{Average: t.Rating, Votes: t.Votes}, Popularity: t.Popularity})
	if len(t.Directors) == 0 || len(t.Cast) < 3 {
		return errors.New("needs a director and at least three cast members")
	}
	cast, err := p.crew(t.ID, t.Directors, t.Writers, t.Cast)
	if err != nil {
		return err
	}
	for _, id := range slices.Concat(t.Directors, t.Writers, t.Cast) {
		id, _, _ = strings.Cut(id, " ")
		if k := p.known[id]; len(k) == 0 || k[len(k)-1].ID != t.ID {
			p.known[id] = append(k, t)
		}
	}
	for i, a := range t.Akas {
		aka, err := demoAka(t.ID, i+1, a)
		if err != nil {
			return err
		}
		p.c.Akas = append(p.c.Akas, aka)
	}
	for _, s := range t.Seasons {
		for i, e := range s.Episodes {
			if err := p.episode(t, s.Season, i+1, e, cast[:min(episodeCast, len(cast))]); err != nil {
				return fmt.Errorf("episode %s (%s): %w", e.ID, e.Title, err)
			}
		}
	}
	return nil
}

// newTitle checks a title's id and release date, and returns its year.
func (p *demoParser) newTitle(id, released string) (int, error) {
	if !inventory.TitleID.MatchString(id) || !strings.HasPrefix(id, "tt") || p.titles[id] {
		return 0, errors.New("the id is no IMDb title id, or is taken")
	}
	p.titles[id] = true
	if !inventory.ValidDate(released) {
		return 0, fmt.Errorf("release date %q is no date YYYY-MM-DD", released)
	}
	return strconv.Atoi(released[:4])
}

func (p *demoParser) episode(series demoTitle, season, number int, e demoEpisode, cast []string) error {
	year, err := p.newTitle(e.ID, e.Aired)
	if err != nil {
		return err
	}
	if e.Title == "" || season <= 0 || e.Runtime <= 0 {
		return errors.New("needs a title, a season number and a runtime")
	}
	p.c.Titles = append(p.c.Titles, inventory.Title{
		ID: e.ID, Kind: inventory.KindEpisode, Title: e.Title, OriginalTitle: e.Title,
		StartYear: year, ReleaseDate: e.Aired, RuntimeMinutes: e.Runtime, Genres: series.Genres,
		OriginalLang: series.Language, SpokenLangs: noStrings, Countries: noStrings,
	})
	p.c.Episodes = append(p.c.Episodes, Episode{ID: e.ID, ParentID: series.ID, Season: season, Episode: number})
	_, err = p.crew(e.ID, e.Directors, nil, cast)
	return err
}

// crew adds a title's credits and returns its cast lines.
func (p *demoParser) crew(title string, directors, writers, cast []string) ([]string, error) {
	for _, g := range []struct {
		lines []string
		dept  actor.Department
		job   string
	}{{directors, actor.DeptDirecting, "director"}, {writers, actor.DeptWriting, "writer"}, {cast, actor.DeptActing, ""}} {
		for i, line := range g.lines {
			c := actor.Credit{TitleID: title, Department: g.dept, Job: g.job, Order: i + 1}
			who := line
			if g.dept == actor.DeptActing {
				var chars string
				var ok bool
				if who, chars, ok = strings.Cut(line, " as "); !ok {
					return nil, fmt.Errorf("cast line %q: want \"nmID Name as Character\"", line)
				}
				c.Characters = strings.Split(chars, " / ")
			}
			id, name, _ := strings.Cut(who, " ")
			person, ok := p.f.People[id]
			if !ok || person.Name != name {
				return nil, fmt.Errorf("credit %q: no person %s named %q in people", line, id, name)
			}
			if c.Job == "" {
				c.Job = "actor"
				if slices.Contains(person.Jobs, "actress") {
					c.Job = "actress"
				}
			}
			c.PersonID = id
			key := [3]string{title, id, string(g.dept)}
			if p.credits[key] {
				return nil, fmt.Errorf("%s is credited twice as %s", name, g.dept)
			}
			p.credits[key] = true
			if !slices.Contains(p.jobs[id], c.Job) {
				p.jobs[id] = append(p.jobs[id], c.Job)
			}
			p.c.Credits = append(p.c.Credits, c)
		}
	}
	return cast, nil
}

// demoAka parses "title | region | language | types | attributes".
func demoAka(title string, ordering int, line string) (TitleAka, error) {
	f := strings.Split(line, "|")
	for i := range f {
		f[i] = strings.TrimSpace(f[i])
	}
	if len(f) < 4 || len(f) > 5 || f[0] == "" {
		return TitleAka{}, fmt.Errorf("aka %q: want \"title | region | language | types[ | attributes]\"", line)
	}
	a := TitleAka{TitleID: title, Ordering: ordering}
	a.Title, a.Region, a.Language = f[0], f[1], f[2]
	a.Types = splitList(f[3])
	if len(f) == 5 {
		a.Attributes = splitList(f[4])
	}
	a.Original = slices.Contains(a.Types, "original")
	return a, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	out := strings.Split(s, ",")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

// people builds the people: the professions given in the file, then those
// of their credits; known-for titles are their four most popular titles of
// the catalog.
func (p *demoParser) people() error {
	ids := make([]string, 0, len(p.f.People))
	for id := range p.f.People {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		d := p.f.People[id]
		if !actor.PersonID.MatchString(id) || !strings.HasPrefix(id, "nm") || d.Name == "" {
			return fmt.Errorf("person %s: needs an IMDb person id and a name", id)
		}
		if len(p.jobs[id]) == 0 {
			return fmt.Errorf("person %s (%s) is credited on no title", id, d.Name)
		}
		jobs := slices.Clone(d.Jobs)
		for _, j := range p.jobs[id] {
			if !slices.Contains(jobs, j) {
				jobs = append(jobs, j)
			}
		}
		known := slices.Clone(p.known[id])
		slices.SortStableFunc(known, func(a, b demoTitle) int { return cmp.Compare(b.Popularity, a.Popularity) })
		knownFor := []string{}
		for _, t := range known[:min(4, len(known))] {
			knownFor = append(knownFor, t.ID)
		}
		p.c.People = append(p.c.People, actor.Person{
			ID: id, Name: d.Name, AlsoKnownAs: noStrings, BirthDate: yearDate(d.Born), DeathDate: yearDate(d.Died),
			Professions: jobs, KnownFor: knownFor,
		})
	}
	return nil
}
