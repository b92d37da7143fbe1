package inventory

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/catalogid"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// PersonTitles lists the ids of the titles a person is credited on. The
// actor service implements it; discover's with_person and without_person
// need it.
type PersonTitles interface {
	TitlesOfPerson(ctx context.Context, personID string) ([]string, error)
}

// Options configure a Catalog.
type Options struct {
	Store    Store
	Searcher Searcher
	Cache    cache.Getter
	// CacheTTL bounds how long a rendering may be served if an event is lost.
	CacheTTL time.Duration
	// Kick is called after every committed write (wake the outbox relay).
	Kick func()
	// Credits returns the actor service, or nil when it is not reachable
	// from here; asked on every cold read, since it may come up later.
	Credits func() actor.Service
}

// Catalog is the inventory's logic over a Store: reads rendered once and
// served from the cache, writes validated and committed with their events.
type Catalog struct {
	store    Store
	searcher Searcher
	// rendered holds the renderings of titles and seasons, keyed by title
	// id (a season's by its series' id).
	rendered *cache.Renderings
	kick     func()
	credits  func() actor.Service
}

var _ Service = (*Catalog)(nil)

// New returns a Catalog.
func New(o Options) *Catalog {
	if o.CacheTTL == 0 {
		o.CacheTTL = 5 * time.Minute
	}
	if o.Kick == nil {
		o.Kick = func() {}
	}
	if o.Credits == nil {
		o.Credits = func() actor.Service { return nil }
	}
	if o.Searcher == nil {
		if s, ok := o.Store.(Searcher); ok {
			o.Searcher = s
		}
	}
	return &Catalog{store: o.Store, searcher: o.Searcher, kick: o.Kick, credits: o.Credits,
		rendered: cache.NewRenderings(o.Cache, cache.RenderedOptions{Prefix: "inv", TTL: o.CacheTTL})}
}

// Append is a set of related resources added to a title response.
type Append uint8

// The appendable resources.
const (
	AppendCredits Append = 1 << iota
	AppendImages
	AppendAkas
	AppendSeasons
	AppendSimilar
	AppendExternalIDs
)

// AppendNames lists what append accepts, in the order of the bits.
var AppendNames = []string{"credits", "images", "akas", "seasons", "similar", "external_ids"}

// AppendValues lists what append accepts, for documentation.
var AppendValues = strings.Join(AppendNames, ", ")

// AppendOf makes the set of the names given (checked by the caller
// against AppendNames; others are ignored).
func AppendOf(names []string) Append {
	var a Append
	for _, n := range names {
		if i := slices.Index(AppendNames, n); i >= 0 {
			a |= 1 << i
		}
	}
	return a
}

// Credits are a title's credits as the actor service gives them.
type Credits struct {
	Available bool `json:"available" doc:"False when the actor service is not configured for this process or is unavailable; cast and crew are then empty"`
	// Reason says what is missing and why, when not Available.
	Reason string         `json:"reason,omitempty" doc:"When available is false: what is missing and why"`
	Cast   []actor.Credit `json:"cast"`
	Crew   []actor.Credit `json:"crew"`
}

// TitleView is a title as the API renders it, with what was appended.
type TitleView struct {
	Title
	Releases       []Release       `json:"releases"`
	Certifications []Certification `json:"certifications"`
	Akas           *[]Aka          `json:"akas,omitempty"`
	Images         *[]Image        `json:"images,omitempty"`
	ExternalIDs    *ExternalIDs    `json:"external_ids,omitempty"`
	Credits        *Credits        `json:"credits,omitempty"`
	Seasons        *[]Season       `json:"seasons,omitempty"`
	Similar        *[]Summary      `json:"similar,omitempty"`
}

// Rendered is a response rendered once and cached as bytes; Partial is
// set when credits were asked for and the actor service could not be
// reached.
type Rendered = cache.Rendered

// checkID answers NotFound for ids that cannot exist.
func checkID(id string) error {
	if !TitleID.MatchString(id) {
		return errs.NotFound("title %q", id)
	}
	return nil
}

// TitleJSON returns a title with what a appends, rendered as JSON, from
// the cache when warm. This is the hot path of the catalog.
func (c *Catalog) TitleJSON(ctx context.Context, id string, a Append) (Rendered, error) {
	if err := checkID(id); err != nil {
		return Rendered{}, err
	}
	return c.rendered.Get(ctx, id, "t"+strconv.Itoa(int(a)), func(ctx context.Context) (cache.Rendering, error) {
		v, err := c.Title(ctx, id, a)
		if err != nil {
			return cache.Rendering{}, err
		}
		r, err := cache.JSON(v, v.Version)
		if v.Credits != nil && !v.Credits.Available {
			r.Partial = v.Credits.Reason
		}
		return r, err
	})
}

// Title builds the view of a title with what a appends. Credits that
// cannot be had (the actor service is not configured, or is unavailable)
// make a degraded view, not an error: Credits.Available is false and
// Credits.Reason says why.
func (c *Catalog) Title(ctx context.Context, id string, a Append) (v TitleView, err error) {
	if err := checkID(id); err != nil {
		return v, err
	}
	d, err := c.store.Get(ctx, id)
	if err != nil {
		return v, err
	}
	v = TitleView{Title: d.Title, Releases: d.Releases, Certifications: d.Certifications}
	if a&AppendAkas != 0 {
		v.Akas = &d.Akas
	}
	if a&AppendImages != 0 {
		v.Images = &d.Images
	}
	if a&AppendExternalIDs != 0 {
		v.ExternalIDs = d.ExternalIDs
		if v.ExternalIDs == nil {
			v.ExternalIDs = &ExternalIDs{}
		}
	}
	if a&AppendSeasons != 0 {
		ss, err := c.store.Seasons(ctx, id)
		if err != nil {
			return v, err
		}
		v.Seasons = &ss
	}
	if a&AppendSimilar != 0 {
		ss, err := c.store.Similar(ctx, id, 10)
		if err != nil {
			return v, err
		}
		v.Similar = &ss
	}
	if a&AppendCredits != 0 {
		if v.Credits, err = c.titleCredits(ctx, id); err != nil {
			return v, err
		}
	}
	return v, nil
}

// CreditsNotConfigured is the reason given for missing credits when no
// actor service is configured for this process.
const CreditsNotConfigured = "cast and crew are missing: the actor service is not configured for this process"

// titleCredits asks the actor service for a title's credits. A peer that
// is not configured and one that is unavailable (down, timing out, its
// circuit breaker open, or a stub standing for a peer not configured)
// look the same to the reader: the title without its credits, and a
// reason. A peer that fails otherwise (a bug there) degrades the title
// the same way, since the title itself is fine; only the caller giving
// up fails the read.
func (c *Catalog) titleCredits(ctx context.Context, id string) (*Credits, error) {
	out := &Credits{Cast: []actor.Credit{}, Crew: []actor.Credit{}}
	as := c.credits()
	if as == nil {
		out.Reason = CreditsNotConfigured
		return out, nil
	}
	cs, err := as.CreditsOfTitle(ctx, id)
	switch {
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("credits of title %s: %w", id, err)
	case errs.Is(err, errs.KindUnavailable):
		slog.WarnContext(ctx, "title without its credits: actor service unavailable", "title", id, "err", err)
		out.Reason = "cast and crew are missing: the actor service is unavailable (" + err.Error() + ")"
		return out, nil
	case err != nil:
		slog.ErrorContext(ctx, "title without its credits: actor service failed", "title", id, "err", err)
		out.Reason = "cast and crew are missing: the actor service failed (" + err.Error() + ")"
		return out, nil
	}
	out.Available = true
	for _, cr := range cs {
		if cr.Department == actor.DeptActing {
			out.Cast = append(out.Cast, cr)
		} else {
			out.Crew = append(out.Crew, cr)
		}
	}
	return out, nil
}

// ViewOf is the full view of a stored title (what writes answer with):
// everything but credits, seasons and similar titles.
func ViewOf(d Details) TitleView {
	v := TitleView{Title: d.Title, Releases: d.Releases, Certifications: d.Certifications, Akas: &d.Akas, Images: &d.Images, ExternalIDs: d.ExternalIDs}
	if *v.Akas == nil {
		*v.Akas = []Aka{}
	}
	if *v.Images == nil {
		*v.Images = []Image{}
	}
	if v.Releases == nil {
		v.Releases = []Release{}
	}
	if v.Certifications == nil {
		v.Certifications = []Certification{}
	}
	if v.ExternalIDs == nil {
		v.ExternalIDs = &ExternalIDs{}
		if strings.HasPrefix(d.ID, "tt") {
			v.ExternalIDs.IMDb = d.ID
		}
	}
	return v
}

// MaxBatch is the most ids one batch read takes.
const MaxBatch = 100

// TitlesJSON renders the titles among ids as {"titles": [...], "missing":
// [...]}, titles in the order asked (duplicates once), each title's JSON
// from the cache.
func (c *Catalog) TitlesJSON(ctx context.Context, ids []string) ([]byte, error) {
	if len(ids) == 0 {
		return nil, errs.Invalid("query.ids", "give at least one title id")
	}
	if len(ids) > MaxBatch {
		return nil, errs.Invalid("query.ids", "at most %d ids, got %d", MaxBatch, len(ids))
	}
	var b bytes.Buffer
	b.WriteString(`{"titles":[`)
	missing := []string{}
	seen := map[string]bool{}
	n := 0
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		r, err := c.TitleJSON(ctx, id, 0)
		if errs.Is(err, errs.KindNotFound) {
			missing = append(missing, id)
			continue
		}
		if err != nil {
			return nil, err
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.Write(r.Body)
		n++
	}
	m, _ := json.Marshal(missing)
	b.WriteString(`],"missing":`)
	b.Write(m)
	b.WriteByte('}')
	return b.Bytes(), nil
}

// SeasonJSON renders a season with its episodes.
func (c *Catalog) SeasonJSON(ctx context.Context, seriesID string, n int) (Rendered, error) {
	if err := checkID(seriesID); err != nil {
		return Rendered{}, err
	}
	return c.rendered.Get(ctx, seriesID, "s"+strconv.Itoa(n), func(ctx context.Context) (cache.Rendering, error) {
		d, err := c.store.Get(ctx, seriesID)
		if err != nil {
			return cache.Rendering{}, err
		}
		eps, err := c.store.Episodes(ctx, seriesID, n)
		if err != nil {
			return cache.Rendering{}, err
		}
		if len(eps) == 0 {
			return cache.Rendering{}, errs.NotFound("season %d of title %s", n, seriesID)
		}
		s := SeasonDetails{Season: Season{SeriesID: seriesID, SeasonNumber: n, EpisodeCount: len(eps)}, Episodes: eps}
		for _, e := range eps {
			if e.AirDate != "" && (s.AirDate == "" || e.AirDate < s.AirDate) {
				s.AirDate = e.AirDate
			}
			if e.Year != 0 && (s.FirstYear == 0 || e.Year < s.FirstYear) {
				s.FirstYear = e.Year
			}
		}
		return cache.JSON(s, d.Version)
	})
}

// EpisodeID returns the id of an episode of a series by its numbers.
func (c *Catalog) EpisodeID(ctx context.Context, seriesID string, season, episode int) (string, error) {
	if err := checkID(seriesID); err != nil {
		return "", err
	}
	return c.store.EpisodeID(ctx, seriesID, season, episode)
}

// Find returns the id of the title with an IMDb or TMDB id.
func (c *Catalog) Find(ctx context.Context, imdbID, tmdbID string) (string, error) {
	switch {
	case imdbID != "" && tmdbID != "":
		return "", errs.Invalid("query.imdb_id", "give imdb_id or tmdb_id, not both")
	case imdbID != "":
		if !catalogid.IMDbTitle.MatchString(imdbID) {
			return "", errs.Invalid("query.imdb_id", "must be an IMDb title id such as tt0068646")
		}
		return c.store.FindExternal(ctx, "imdb", imdbID)
	case tmdbID != "":
		n, err := strconv.ParseInt(tmdbID, 10, 64)
		if err != nil || n <= 0 {
			return "", errs.Invalid("query.tmdb_id", "must be a positive integer")
		}
		return c.store.FindExternal(ctx, "tmdb", strconv.FormatInt(n, 10))
	}
	return "", errs.Invalid("query.imdb_id", "give imdb_id or tmdb_id")
}

// Summaries implements Service: the titles that exist among ids (at most
// MaxBatch), in the order asked.
func (c *Catalog) Summaries(ctx context.Context, ids []string) ([]Summary, error) {
	if len(ids) > MaxBatch {
		return nil, errs.Invalid("ids", "at most %d ids per call, got %d", MaxBatch, len(ids))
	}
	valid := make([]string, 0, len(ids))
	for _, id := range ids {
		if TitleID.MatchString(id) {
			valid = append(valid, id)
		}
	}
	got, err := c.store.Summaries(ctx, valid)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Summary, len(got))
	for _, s := range got {
		byID[s.ID] = s
	}
	out := make([]Summary, 0, len(got))
	for _, id := range valid {
		if s, ok := byID[id]; ok {
			out = append(out, s)
			delete(byID, id)
		}
	}
	return out, nil
}

// Create validates and stores a new title (with a fresh ct… id) and its
// title.created event.
func (c *Catalog) Create(ctx context.Context, f TitleFields) (Details, error) {
	d := Details{Title: Title{ID: NewTitleID(), Genres: []string{}, SpokenLangs: []string{}, Countries: []string{}}}
	f.Apply(&d)
	if f.Kind == nil {
		return Details{}, errs.Invalid("body.kind", "is required")
	}
	if err := Validate(&d); err != nil {
		return Details{}, err
	}
	if err := c.checkParent(ctx, d.Title); err != nil {
		return Details{}, err
	}
	d, err := c.store.Create(ctx, d, titleEvent(TitleCreated))
	if err != nil {
		return Details{}, err
	}
	c.changed(d.ID)
	if d.ParentID != "" {
		c.changed(d.ParentID)
	}
	return d, nil
}

// Update merges f into the title, provided it is still at version
// ifVersion (0: any), and stores it with its title.updated event.
func (c *Catalog) Update(ctx context.Context, id string, ifVersion int64, f TitleFields) (Details, error) {
	if err := checkID(id); err != nil {
		return Details{}, err
	}
	if f.ParentID != nil && *f.ParentID != "" {
		if err := c.checkParent(ctx, Title{ID: id, Kind: KindEpisode, ParentID: *f.ParentID}); err != nil {
			return Details{}, err
		}
	}
	oldParent := ""
	d, err := c.store.Update(ctx, id, ifVersion, func(d *Details) error {
		oldParent = d.ParentID
		f.Apply(d)
		return Validate(d)
	}, titleEvent(TitleUpdated))
	if err != nil {
		return Details{}, err
	}
	c.changed(id)
	for _, p := range []string{d.ParentID, oldParent} {
		if p != "" {
			c.changed(p)
		}
	}
	return d, nil
}

// Delete removes a title, provided it is still at version ifVersion (0: any).
func (c *Catalog) Delete(ctx context.Context, id string, ifVersion int64) error {
	if err := checkID(id); err != nil {
		return err
	}
	var parent string
	err := c.store.Delete(ctx, id, ifVersion, func(d Details) events.Message {
		parent = d.ParentID
		return titleEvent(TitleDeleted)(d)
	})
	if err != nil {
		return err
	}
	c.changed(id)
	if parent != "" {
		c.changed(parent)
	}
	return nil
}

func (c *Catalog) checkParent(ctx context.Context, t Title) error {
	if t.ParentID == "" {
		return nil
	}
	p, err := c.store.Summaries(ctx, []string{t.ParentID})
	if err != nil {
		return err
	}
	if len(p) == 0 {
		return errs.Invalid("body.parent_id", "title %s does not exist", t.ParentID)
	}
	if p[0].Kind != KindSeries && p[0].Kind != KindMiniSeries {
		return errs.Invalid("body.parent_id", "title %s is a %s, not a series", t.ParentID, p[0].Kind)
	}
	return nil
}

// changed drops this instance's renderings of id at once (read your
// writes); other instances hear the event.
func (c *Catalog) changed(id string) {
	c.rendered.Invalidate(id)
	c.kick()
}

func titleEvent(topic events.Topic[TitleEvent]) func(Details) events.Message {
	return func(d Details) events.Message {
		s := d.Summary()
		e := TitleEvent{ID: d.ID, Version: d.Version, ParentID: d.ParentID, Summary: &s}
		if topic.Name == TitleDeleted.Name {
			e.Summary = nil
		}
		return topic.MustMessage(d.ID, e)
	}
}

// Summary is the short form of a title.
func (d Details) Summary() Summary {
	s := Summary{ID: d.ID, Kind: d.Kind, Title: d.Title.Title, StartYear: d.StartYear, Rating: d.Rating, Popularity: d.Popularity}
	for _, im := range d.Images {
		if im.Kind == "poster" {
			s.Poster = im.Path
			break
		}
	}
	return s
}

// HandleChanged consumes title.* events (and the actor service's
// credits.changed, keyed by title id): drop the cached renderings of the
// title, of its series, or of everything for key "*".
func (c *Catalog) HandleChanged(ctx context.Context, m events.Message) error {
	var e TitleEvent
	if m.Key != AllTitles && json.Unmarshal(m.Payload, &e) == nil {
		// A season page lists its episodes: the series' renderings go too.
		c.rendered.Invalidate(e.ParentID)
	}
	return c.rendered.HandleEvent(ctx, m)
}

// Search finds titles by text, ranked by relevance then popularity.
func (c *Catalog) Search(ctx context.Context, q SearchQuery) ([]SearchHit, error) {
	if strings.TrimSpace(q.Text) == "" {
		return nil, errs.Invalid("query.q", "must not be empty")
	}
	if len(q.Text) > 200 {
		return nil, errs.Invalid("query.q", "at most 200 characters")
	}
	for _, k := range q.Kinds {
		if !slices.Contains(Kinds, Kind(k)) {
			return nil, errs.Invalid("query.kind", "unknown kind %q; kinds are %s", k, kindList())
		}
	}
	if c.searcher == nil {
		return nil, errs.Unavailable(nil, "search is not configured")
	}
	return c.searcher.Search(ctx, q)
}
