package actor

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
	"github.com/cdlc/cdlc/internal/platform/search"
)

// TitleSummary is what a filmography shows of a title.
type TitleSummary struct {
	ID    string
	Kind  string
	Title string
	Year  int
}

// TitleLookup returns the titles that exist among ids (the inventory's
// Summaries, adapted where the services are wired).
type TitleLookup func(ctx context.Context, ids []string) ([]TitleSummary, error)

// Options configure a Server.
type Options struct {
	Store Store
	// Search answers people searches; the store's SQL fallback when nil.
	Search Searcher
	// Titles enriches filmographies; nil when the inventory is elsewhere
	// and no client is wired (filmographies then carry title ids only).
	Titles TitleLookup
	Cache  cache.Getter
	// CacheTTL bounds how long a rendering may be served if an event is lost.
	CacheTTL time.Duration
	// Kick is called after every committed write (wake the outbox relay).
	Kick func()
}

// Server is the actor service's logic over a Store. It implements Service.
type Server struct {
	store  Store
	search Searcher
	titles TitleLookup
	// rendered holds the renderings of people, filmographies and title
	// credits; every change drops them all, since a filmography shows
	// titles and a title's credits show people.
	rendered *cache.Renderings
	kick     func()
}

var _ Service = (*Server)(nil)

// New returns a Server.
func New(o Options) *Server {
	if o.CacheTTL == 0 {
		o.CacheTTL = 5 * time.Minute
	}
	if o.Kick == nil {
		o.Kick = func() {}
	}
	if o.Search == nil {
		o.Search = o.Store
	}
	return &Server{store: o.Store, search: o.Search, titles: o.Titles, kick: o.Kick,
		rendered: cache.NewRenderings(o.Cache, cache.RenderedOptions{Prefix: "actor", TTL: o.CacheTTL})}
}

// Appends are the related resources GET /people/{id} may append.
var Appends = []string{"credits", "images", "external_ids"}

// Details is a person with the related resources the caller appended.
type Details struct {
	Person
	Images      *[]Image     `json:"images,omitempty"`
	ExternalIDs *ExternalIDs `json:"external_ids,omitempty"`
	Credits     *Filmography `json:"credits,omitempty"`
}

// FilmCredit is one line of a filmography.
type FilmCredit struct {
	TitleID    string   `json:"title_id"`
	Title      string   `json:"title,omitempty"`
	Kind       string   `json:"kind,omitempty"`
	Year       int      `json:"year,omitempty"`
	Job        string   `json:"job"`
	Characters []string `json:"characters,omitempty"`
	Order      int      `json:"order"`
}

// CrewGroup is a person's crew credits in one department and job.
type CrewGroup struct {
	Department Department   `json:"department"`
	Job        string       `json:"job"`
	Credits    []FilmCredit `json:"credits"`
}

// Filmography is a person's combined credits grouped by role, each group
// newest first with unknown years last.
type Filmography struct {
	PersonID string       `json:"person_id"`
	Cast     []FilmCredit `json:"cast"`
	Crew     []CrewGroup  `json:"crew" doc:"By department (directing, writing, ...) and job"`
	// TitlesResolved is false when the inventory could not be asked: the
	// credits then carry title ids only, and are ordered by id.
	TitlesResolved bool   `json:"titles_resolved"`
	Notice         string `json:"notice,omitempty"`
}

// CrewDepartment is a title's crew in one department.
type CrewDepartment struct {
	Department Department `json:"department"`
	Credits    []Credit   `json:"credits"`
}

// TitleCredits is a title's cast and crew.
type TitleCredits struct {
	TitleID string           `json:"title_id"`
	Cast    []Credit         `json:"cast" doc:"By billing order"`
	Crew    []CrewDepartment `json:"crew" doc:"By department, then listing order"`
}

// Batch is the answer to a request for many people.
type Batch struct {
	People  []Person `json:"people" doc:"In the order asked; merged ids answer with their survivor"`
	Missing []string `json:"missing" doc:"Ids that name no person"`
	// MergedInto maps requested ids that were merged to their survivors.
	MergedInto map[string]string `json:"merged_into,omitempty"`
}

// Rendered is a reading encoded once for many readers.
type Rendered = cache.Rendered

// ValidatePersonID checks an id given in field.
func ValidatePersonID(field, id string) error {
	if !PersonID.MatchString(id) {
		return errs.Invalid(field, "%q is not a person id (nm… or cp…)", id)
	}
	return nil
}

// Details returns a person with the appended resources.
func (s *Server) Details(ctx context.Context, id string, appends []string) (Details, error) {
	if err := ValidatePersonID("path.id", id); err != nil {
		return Details{}, err
	}
	p, err := s.store.Person(ctx, id)
	if err != nil {
		return Details{}, err
	}
	d := Details{Person: p}
	for _, a := range appends {
		switch a {
		case "images":
			ims, err := s.store.Images(ctx, id)
			if err != nil {
				return Details{}, err
			}
			d.Images = &ims
		case "external_ids":
			x, err := s.store.ExternalIDs(ctx, id)
			if err != nil {
				return Details{}, err
			}
			d.ExternalIDs = &x
		case "credits":
			f, err := s.Filmography(ctx, id)
			if err != nil {
				return Details{}, err
			}
			d.Credits = &f
		}
	}
	return d, nil
}

// PersonJSON is Details encoded, from the cache when warm. The ETag
// carries the person's version.
func (s *Server) PersonJSON(ctx context.Context, id string, appends []string) (Rendered, error) {
	if err := ValidatePersonID("path.id", id); err != nil {
		return Rendered{}, err
	}
	return s.rendered.Get(ctx, id, "p"+strings.Join(appends, ","), func(ctx context.Context) (cache.Rendering, error) {
		d, err := s.Details(ctx, id, appends)
		if err != nil {
			return cache.Rendering{}, err
		}
		return cache.JSON(d, d.Version)
	})
}

// MaxBatch is how many people one batch read may ask for.
const MaxBatch = 100

// People returns many people in the order asked.
func (s *Server) People(ctx context.Context, ids []string) (Batch, error) {
	if len(ids) == 0 {
		return Batch{}, errs.Invalid("query.ids", "name at least one person id")
	}
	if len(ids) > MaxBatch {
		return Batch{}, errs.Invalid("query.ids", "at most %d ids, got %d", MaxBatch, len(ids))
	}
	for _, id := range ids {
		if err := ValidatePersonID("query.ids", id); err != nil {
			return Batch{}, err
		}
	}
	found, merged, err := s.store.People(ctx, ids)
	if err != nil {
		return Batch{}, err
	}
	if len(merged) > 0 {
		var survivors []string
		for _, into := range merged {
			if _, ok := found[into]; !ok {
				survivors = append(survivors, into)
			}
		}
		more, _, err := s.store.People(ctx, survivors)
		if err != nil {
			return Batch{}, err
		}
		for id, p := range more {
			found[id] = p
		}
	}
	out := Batch{People: []Person{}, Missing: []string{}}
	seen := map[string]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		want := id
		if into, ok := merged[id]; ok {
			want = into
			if out.MergedInto == nil {
				out.MergedInto = map[string]string{}
			}
			out.MergedInto[id] = into
		}
		if p, ok := found[want]; ok {
			out.People = append(out.People, p)
		} else {
			out.Missing = append(out.Missing, id)
		}
	}
	return out, nil
}

// Find returns the person holding an external id: source "imdb" (nm…) or
// "tmdb" (a number).
func (s *Server) Find(ctx context.Context, source, value string) (Person, error) {
	id, err := s.store.FindExternal(ctx, source, value)
	if err != nil {
		return Person{}, err
	}
	return s.store.Person(ctx, id)
}

// Filmography returns a person's credits grouped by role and sorted by
// date, newest first, unknown dates last.
func (s *Server) Filmography(ctx context.Context, id string) (Filmography, error) {
	if err := ValidatePersonID("path.id", id); err != nil {
		return Filmography{}, err
	}
	if _, err := s.store.Person(ctx, id); err != nil {
		return Filmography{}, err
	}
	cs, err := s.store.CreditsOfPerson(ctx, id)
	if err != nil {
		return Filmography{}, err
	}
	f := Filmography{PersonID: id, Cast: []FilmCredit{}, Crew: []CrewGroup{}}
	titles := map[string]TitleSummary{}
	if s.titles == nil {
		f.Notice = "title names and years are not available: the inventory service is not reachable from this process; credits carry title ids only"
	} else if len(cs) > 0 {
		ids := make([]string, 0, len(cs))
		for _, c := range cs {
			ids = append(ids, c.TitleID)
		}
		slices.Sort(ids)
		ids = slices.Compact(ids)
		for start := 0; start < len(ids); start += MaxBatch {
			got, err := s.titles(ctx, ids[start:min(start+MaxBatch, len(ids))])
			if err != nil {
				// A filmography without names beats no filmography.
				f.Notice = "title names and years are unavailable (" + err.Error() + "); credits carry title ids only"
				titles = map[string]TitleSummary{}
				break
			}
			for _, t := range got {
				titles[t.ID] = t
			}
		}
		f.TitlesResolved = f.Notice == ""
	} else {
		f.TitlesResolved = true
	}
	groups := map[[2]string]*CrewGroup{}
	for _, c := range cs {
		t := titles[c.TitleID]
		fc := FilmCredit{TitleID: c.TitleID, Title: t.Title, Kind: t.Kind, Year: t.Year, Job: c.Job, Characters: c.Characters, Order: c.Order}
		if c.Department == DeptActing {
			f.Cast = append(f.Cast, fc)
			continue
		}
		k := [2]string{string(c.Department), c.Job}
		g := groups[k]
		if g == nil {
			g = &CrewGroup{Department: c.Department, Job: c.Job}
			groups[k] = g
		}
		g.Credits = append(g.Credits, fc)
	}
	newestFirst := func(a, b FilmCredit) int {
		switch {
		case a.Year == b.Year:
		case a.Year == 0:
			return 1
		case b.Year == 0:
			return -1
		default:
			return b.Year - a.Year
		}
		return cmp.Or(cmp.Compare(a.Title, b.Title), cmp.Compare(a.TitleID, b.TitleID), cmp.Compare(a.Job, b.Job))
	}
	slices.SortFunc(f.Cast, newestFirst)
	for _, g := range groups {
		slices.SortFunc(g.Credits, newestFirst)
		f.Crew = append(f.Crew, *g)
	}
	slices.SortFunc(f.Crew, func(a, b CrewGroup) int {
		return cmp.Or(DepartmentRank(a.Department)-DepartmentRank(b.Department), cmp.Compare(a.Job, b.Job))
	})
	return f, nil
}

// DepartmentRank is the position of d in Departments (unknown ones last).
func DepartmentRank(d Department) int {
	if i := slices.Index(Departments, d); i >= 0 {
		return i
	}
	return len(Departments)
}

// FilmographyJSON is Filmography encoded, from the cache when warm.
func (s *Server) FilmographyJSON(ctx context.Context, id string) (Rendered, error) {
	if err := ValidatePersonID("path.id", id); err != nil {
		return Rendered{}, err
	}
	return s.rendered.Get(ctx, id, "f", func(ctx context.Context) (cache.Rendering, error) {
		f, err := s.Filmography(ctx, id)
		if err != nil {
			return cache.Rendering{}, err
		}
		return cache.JSON(f, 0)
	})
}

// ValidateTitleID checks a title id given in field.
func ValidateTitleID(field, id string) error {
	if !TitleID.MatchString(id) {
		return errs.Invalid(field, "%q is not a title id (tt… or ct…)", id)
	}
	return nil
}

// CreditsOfTitle implements Service, from the cache when warm.
func (s *Server) CreditsOfTitle(ctx context.Context, titleID string) ([]Credit, error) {
	if err := ValidateTitleID("title_id", titleID); err != nil {
		return nil, err
	}
	r, err := s.rendered.Get(ctx, titleID, "tc", func(ctx context.Context) (cache.Rendering, error) {
		cs, err := s.store.CreditsOfTitle(ctx, titleID)
		if err != nil {
			return cache.Rendering{}, err
		}
		return cache.JSON(cs, 0)
	})
	if err != nil {
		return nil, err
	}
	var cs []Credit
	if err := json.Unmarshal(r.Body, &cs); err != nil {
		return nil, fmt.Errorf("decode cached credits of %s: %w", titleID, err)
	}
	return cs, nil
}

// TitlesOfPerson implements Service: the distinct titles a person is
// credited on (discover's with_person and without_person).
func (s *Server) TitlesOfPerson(ctx context.Context, personID string) ([]string, error) {
	if !PersonID.MatchString(personID) {
		return nil, errs.Invalid("person_id", "%q is not a person id (nm… or cp…)", personID)
	}
	cs, err := s.store.CreditsOfPerson(ctx, personID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	out := []string{}
	for _, c := range cs {
		if !seen[c.TitleID] {
			seen[c.TitleID] = true
			out = append(out, c.TitleID)
		}
	}
	return out, nil
}

// TitleCredits returns a title's cast and crew. A title without credits
// (or unknown to this service) has empty lists.
func (s *Server) TitleCredits(ctx context.Context, titleID string) (TitleCredits, error) {
	if err := ValidateTitleID("path.id", titleID); err != nil {
		return TitleCredits{}, err
	}
	cs, err := s.CreditsOfTitle(ctx, titleID)
	if err != nil {
		return TitleCredits{}, err
	}
	out := TitleCredits{TitleID: titleID, Cast: []Credit{}, Crew: []CrewDepartment{}}
	for _, c := range cs {
		if c.Department == DeptActing {
			out.Cast = append(out.Cast, c)
			continue
		}
		if n := len(out.Crew); n > 0 && out.Crew[n-1].Department == c.Department {
			out.Crew[n-1].Credits = append(out.Crew[n-1].Credits, c)
			continue
		}
		out.Crew = append(out.Crew, CrewDepartment{Department: c.Department, Credits: []Credit{c}})
	}
	return out, nil
}

// TitleCreditsJSON is TitleCredits encoded, from the cache when warm.
func (s *Server) TitleCreditsJSON(ctx context.Context, titleID string) (Rendered, error) {
	if err := ValidateTitleID("path.id", titleID); err != nil {
		return Rendered{}, err
	}
	return s.rendered.Get(ctx, titleID, "tcj", func(ctx context.Context) (cache.Rendering, error) {
		tc, err := s.TitleCredits(ctx, titleID)
		if err != nil {
			return cache.Rendering{}, err
		}
		return cache.JSON(tc, 0)
	})
}

// MaxSearchLimit caps a search page: the search index's one maximum. A
// larger limit is capped, not refused (SearchLimit).
const MaxSearchLimit = search.MaxLimit

// SearchLimit is the page size a search with limit applies: limit capped
// at MaxSearchLimit.
func SearchLimit(limit int) int { return min(limit, MaxSearchLimit) }

// Search finds people by name.
func (s *Server) Search(ctx context.Context, q SearchQuery) ([]PersonHit, error) {
	q.Text = strings.TrimSpace(q.Text)
	if q.Text == "" {
		return nil, errs.Invalid("query.q", "must not be empty")
	}
	if utf8Len := len([]rune(q.Text)); utf8Len > 200 {
		return nil, errs.Invalid("query.q", "must be at most 200 characters")
	}
	if q.Limit <= 0 {
		return nil, errs.Invalid("query.limit", "must be a positive integer (at most %d is applied)", MaxSearchLimit)
	}
	q.Limit = SearchLimit(q.Limit)
	hits, err := s.search.SearchPeople(ctx, q)
	if hits == nil && err == nil {
		hits = []PersonHit{}
	}
	return hits, err
}

// PersonInput is a person as an operator writes it.
type PersonInput struct {
	Name        string       `json:"name" minLength:"1" maxLength:"300"`
	AlsoKnownAs []string     `json:"also_known_as,omitempty" maxItems:"100"`
	BirthDate   string       `json:"birth_date,omitempty" doc:"YYYY-MM-DD, or YYYY when only the year is known"`
	DeathDate   string       `json:"death_date,omitempty" doc:"YYYY-MM-DD or YYYY"`
	BirthPlace  string       `json:"birth_place,omitempty" maxLength:"300"`
	DeathPlace  string       `json:"death_place,omitempty" maxLength:"300"`
	Professions []string     `json:"professions,omitempty" maxItems:"10"`
	Biography   string       `json:"biography,omitempty" maxLength:"20000"`
	KnownFor    []string     `json:"known_for,omitempty" maxItems:"20" doc:"Title ids"`
	Popularity  float64      `json:"popularity,omitempty" minimum:"0"`
	Images      []Image      `json:"images,omitempty" maxItems:"50"`
	ExternalIDs *ExternalIDs `json:"external_ids,omitempty"`
}

func (in PersonInput) record(id string) Record {
	r := Record{Person: Person{ID: id, Name: strings.TrimSpace(in.Name), AlsoKnownAs: nonNil(in.AlsoKnownAs), BirthDate: in.BirthDate, DeathDate: in.DeathDate,
		BirthPlace: in.BirthPlace, DeathPlace: in.DeathPlace, Professions: nonNil(in.Professions), Biography: in.Biography,
		KnownFor: nonNil(in.KnownFor), Popularity: in.Popularity}, Images: in.Images}
	if in.ExternalIDs != nil {
		r.ExternalIDs = *in.ExternalIDs
	}
	return r
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// NewPersonID returns a fresh id for a person created here.
func NewPersonID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "cp" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

// written drops this instance's renderings at once (read-your-writes);
// other instances hear the events.
func (s *Server) written() {
	s.rendered.InvalidateAll()
	s.kick()
}

func expect(ifVersion *int64) int64 {
	if ifVersion == nil {
		return -1
	}
	return *ifVersion
}

// Create stores a new person with a fresh id.
func (s *Server) Create(ctx context.Context, in PersonInput) (Person, error) {
	r := in.record(NewPersonID())
	if err := ValidateRecord("body", r); err != nil {
		return Person{}, err
	}
	p, err := s.store.CreatePerson(ctx, r)
	if err != nil {
		return Person{}, err
	}
	s.written()
	return p, nil
}

// Update replaces a person, provided it is at version ifVersion when set.
func (s *Server) Update(ctx context.Context, id string, in PersonInput, ifVersion *int64) (Person, error) {
	if err := ValidatePersonID("path.id", id); err != nil {
		return Person{}, err
	}
	r := in.record(id)
	if err := ValidateRecord("body", r); err != nil {
		return Person{}, err
	}
	p, err := s.store.UpdatePerson(ctx, r, expect(ifVersion))
	if err != nil {
		return Person{}, err
	}
	s.written()
	return p, nil
}

// Delete removes a person and their credits.
func (s *Server) Delete(ctx context.Context, id string, ifVersion *int64) error {
	if err := ValidatePersonID("path.id", id); err != nil {
		return err
	}
	if err := s.store.DeletePerson(ctx, id, expect(ifVersion)); err != nil {
		return err
	}
	s.written()
	return nil
}

func validateCredits(cs []Credit) error {
	if len(cs) > MaxCreditsPerOne {
		return errs.Invalid("body.credits", "at most %d credits per request", MaxCreditsPerOne)
	}
	for i, c := range cs {
		if err := ValidateCredit(fmt.Sprintf("body.credits[%d]", i), c); err != nil {
			return err
		}
	}
	return nil
}

// PutCredits adds credits, or updates those whose (title, person, job)
// exists.
func (s *Server) PutCredits(ctx context.Context, cs []Credit) error {
	if len(cs) == 0 {
		return errs.Invalid("body.credits", "must list at least one credit")
	}
	if err := validateCredits(cs); err != nil {
		return err
	}
	if err := s.store.PutCredits(ctx, cs); err != nil {
		return err
	}
	s.written()
	return nil
}

// ReplaceTitleCredits makes cs the whole credit list of a title.
func (s *Server) ReplaceTitleCredits(ctx context.Context, titleID string, cs []Credit) error {
	if err := ValidateTitleID("path.id", titleID); err != nil {
		return err
	}
	for i := range cs {
		if cs[i].TitleID == "" {
			cs[i].TitleID = titleID
		}
		if cs[i].TitleID != titleID {
			return errs.Invalid(fmt.Sprintf("body.credits[%d].title_id", i), "must be %s (the title in the path) or empty", titleID)
		}
	}
	if err := validateCredits(cs); err != nil {
		return err
	}
	if err := s.store.ReplaceTitleCredits(ctx, titleID, cs); err != nil {
		return err
	}
	s.written()
	return nil
}

// RemoveCredits removes a person's credits on a title: one job, or all.
func (s *Server) RemoveCredits(ctx context.Context, titleID, personID, job string) error {
	if err := ValidateTitleID("path.id", titleID); err != nil {
		return err
	}
	if err := ValidatePersonID("path.person_id", personID); err != nil {
		return err
	}
	if err := s.store.RemoveCredits(ctx, titleID, personID, job); err != nil {
		return err
	}
	s.written()
	return nil
}

// Merge folds the duplicate from into the survivor into (see the package
// comment) and returns the survivor.
func (s *Server) Merge(ctx context.Context, into, from string, ifVersion *int64) (Person, error) {
	if err := ValidatePersonID("path.id", into); err != nil {
		return Person{}, err
	}
	if err := ValidatePersonID("body.from", from); err != nil {
		return Person{}, err
	}
	if into == from {
		return Person{}, errs.Invalid("body.from", "a person cannot be merged into itself")
	}
	p, err := s.store.Merge(ctx, into, from, expect(ifVersion))
	if err != nil {
		return Person{}, err
	}
	s.written()
	return p, nil
}

// HandleChanged consumes the service's events (and the inventory's title
// events, whose names and years filmographies show): drop every cached
// rendering of this instance. That covers the one credits.changed keyed
// AllPeople a bulk import ends with, which stands for every person and
// credit.
func (s *Server) HandleChanged(_ context.Context, _ events.Message) error {
	s.rendered.InvalidateAll()
	return nil
}
