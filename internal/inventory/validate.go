package inventory

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/platform/catalogid"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/text"
)

// TitleFields are the fields of a title a writer sets. Absent (nil)
// fields are left as they are (merge semantics); a list given replaces the
// stored list, [] clears it.
type TitleFields struct {
	Kind           *Kind           `json:"kind,omitempty"`
	Title          *string         `json:"title,omitempty" maxLength:"500"`
	OriginalTitle  *string         `json:"original_title,omitempty" maxLength:"500"`
	Adult          *bool           `json:"adult,omitempty"`
	StartYear      *int            `json:"start_year,omitempty"`
	EndYear        *int            `json:"end_year,omitempty"`
	ReleaseDate    *string         `json:"release_date,omitempty" doc:"YYYY-MM-DD"`
	RuntimeMinutes *int            `json:"runtime_minutes,omitempty"`
	Genres         []string        `json:"genres,omitempty" doc:"Lowercase slugs: drama, crime, science_fiction..."`
	Overview       *string         `json:"overview,omitempty" maxLength:"10000"`
	Tagline        *string         `json:"tagline,omitempty" maxLength:"500"`
	Status         *string         `json:"status,omitempty"`
	OriginalLang   *string         `json:"original_language,omitempty"`
	SpokenLangs    []string        `json:"spoken_languages,omitempty"`
	Countries      []string        `json:"countries,omitempty"`
	Popularity     *float64        `json:"popularity,omitempty"`
	Rating         *Rating         `json:"rating,omitempty"`
	ParentID       *string         `json:"parent_id,omitempty" doc:"The series of an episode or season"`
	SeasonNumber   *int            `json:"season_number,omitempty"`
	EpisodeNumber  *int            `json:"episode_number,omitempty"`
	Akas           []Aka           `json:"akas,omitempty"`
	Releases       []Release       `json:"releases,omitempty"`
	Certifications []Certification `json:"certifications,omitempty"`
	Images         []Image         `json:"images,omitempty"`
	ExternalIDs    *ExternalIDs    `json:"external_ids,omitempty"`
}

// Apply merges f into d.
func (f TitleFields) Apply(d *Details) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	setInt := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	if f.Kind != nil {
		d.Kind = *f.Kind
	}
	set(&d.Title.Title, f.Title)
	set(&d.OriginalTitle, f.OriginalTitle)
	if f.Adult != nil {
		d.Adult = *f.Adult
	}
	setInt(&d.StartYear, f.StartYear)
	setInt(&d.EndYear, f.EndYear)
	set(&d.ReleaseDate, f.ReleaseDate)
	setInt(&d.RuntimeMinutes, f.RuntimeMinutes)
	if f.Genres != nil {
		d.Genres = f.Genres
	}
	set(&d.Overview, f.Overview)
	set(&d.Tagline, f.Tagline)
	set(&d.Status, f.Status)
	set(&d.OriginalLang, f.OriginalLang)
	if f.SpokenLangs != nil {
		d.SpokenLangs = f.SpokenLangs
	}
	if f.Countries != nil {
		d.Countries = f.Countries
	}
	if f.Popularity != nil {
		d.Popularity = *f.Popularity
	}
	if f.Rating != nil {
		d.Rating = *f.Rating
	}
	set(&d.ParentID, f.ParentID)
	setInt(&d.SeasonNumber, f.SeasonNumber)
	setInt(&d.EpisodeNumber, f.EpisodeNumber)
	if f.Akas != nil {
		d.Akas = f.Akas
	}
	if f.Releases != nil {
		d.Releases = f.Releases
	}
	if f.Certifications != nil {
		d.Certifications = f.Certifications
	}
	if f.Images != nil {
		d.Images = f.Images
	}
	if f.ExternalIDs != nil {
		d.ExternalIDs = f.ExternalIDs
	}
}

var (
	genrePattern    = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	languagePattern = regexp.MustCompile(`^[a-z]{2,3}$`)
	countryPattern  = regexp.MustCompile(`^[A-Z]{2}$`)
	imageKinds      = []string{"poster", "backdrop", "still", "logo"}
)

// ValidDate reports whether s is a YYYY-MM-DD date.
func ValidDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

// Validate checks a title as it is about to be stored; field names are
// JSON paths of the write body.
func Validate(d *Details) error {
	if !slices.Contains(Kinds, d.Kind) {
		return errs.Invalid("body.kind", "must be one of %s", kindList())
	}
	if d.Title.Title == "" {
		return errs.Invalid("body.title", "must not be empty")
	}
	// The platform's one rule for human-readable text: no control,
	// zero-width or bidirectional-override characters; line breaks in the
	// overview only.
	for _, s := range []struct {
		field, v string
		rule     text.Rule
	}{{"body.title", d.Title.Title, text.Name(500)}, {"body.original_title", d.OriginalTitle, text.Line(500)}, {"body.tagline", d.Tagline, text.Line(500)},
		{"body.overview", d.Overview, text.Prose(10000)}, {"body.status", d.Status, text.Line(32)}} {
		if err := text.Check(s.field, s.v, s.rule); err != nil {
			return err
		}
	}
	if d.StartYear != 0 && (d.StartYear < 1870 || d.StartYear > 2100) {
		return errs.Invalid("body.start_year", "must be between 1870 and 2100")
	}
	if d.EndYear != 0 && (d.EndYear < d.StartYear || d.EndYear > 2100) {
		return errs.Invalid("body.end_year", "must be between start_year and 2100")
	}
	if d.ReleaseDate != "" && !ValidDate(d.ReleaseDate) {
		return errs.Invalid("body.release_date", "must be a date YYYY-MM-DD")
	}
	if d.RuntimeMinutes < 0 || d.RuntimeMinutes > 10000 {
		return errs.Invalid("body.runtime_minutes", "must be between 0 and 10000")
	}
	if d.Popularity < 0 {
		return errs.Invalid("body.popularity", "must not be negative")
	}
	if d.Rating.Average < 0 || d.Rating.Average > 10 {
		return errs.Invalid("body.rating.average", "must be between 0 and 10")
	}
	if d.Rating.Votes < 0 {
		return errs.Invalid("body.rating.votes", "must not be negative")
	}
	var err error
	if d.Genres, err = cleanList("body.genres", d.Genres, genrePattern, strings.ToLower, "lowercase slugs such as drama or science_fiction"); err != nil {
		return err
	}
	if d.SpokenLangs, err = cleanList("body.spoken_languages", d.SpokenLangs, languagePattern, strings.ToLower, "ISO 639-1 codes such as en"); err != nil {
		return err
	}
	if d.Countries, err = cleanList("body.countries", d.Countries, countryPattern, strings.ToUpper, "ISO 3166-1 alpha-2 codes such as US"); err != nil {
		return err
	}
	if d.OriginalLang != "" && !languagePattern.MatchString(d.OriginalLang) {
		return errs.Invalid("body.original_language", "must be an ISO 639-1 code such as en")
	}
	episodic := d.Kind == KindEpisode || d.Kind == KindSeason
	if d.ParentID != "" && !episodic {
		return errs.Invalid("body.parent_id", "only episodes and seasons have a parent")
	}
	if d.ParentID != "" && !TitleID.MatchString(d.ParentID) {
		return errs.Invalid("body.parent_id", "must be a title id")
	}
	if d.ParentID == d.ID && d.ID != "" {
		return errs.Invalid("body.parent_id", "a title cannot be its own parent")
	}
	if d.SeasonNumber < 0 || d.SeasonNumber > 10000 {
		return errs.Invalid("body.season_number", "must be between 0 and 10000")
	}
	if d.EpisodeNumber < 0 || d.EpisodeNumber > 100000 {
		return errs.Invalid("body.episode_number", "must be between 0 and 100000")
	}
	if len(d.Akas) > 500 {
		return errs.Invalid("body.akas", "at most 500")
	}
	for i, a := range d.Akas {
		if err := text.Check(at("body.akas", i, "title"), a.Title, text.Name(500)); err != nil {
			return err
		}
		if a.Region != "" && !countryPattern.MatchString(a.Region) {
			return errs.Invalid(at("body.akas", i, "region"), "must be an ISO 3166-1 alpha-2 code such as FR")
		}
		if a.Language != "" && !languagePattern.MatchString(a.Language) {
			return errs.Invalid(at("body.akas", i, "language"), "must be an ISO 639-1 code such as fr")
		}
		for _, t := range append(slices.Clone(a.Types), a.Attributes...) {
			if t == "" || strings.Contains(t, ",") || len(t) > 40 {
				return errs.Invalid(at("body.akas", i, "types"), "types and attributes are words without commas")
			}
		}
	}
	for i, r := range d.Releases {
		if !countryPattern.MatchString(r.Country) {
			return errs.Invalid(at("body.releases", i, "country"), "must be an ISO 3166-1 alpha-2 code such as US")
		}
		if !ValidDate(r.Date) {
			return errs.Invalid(at("body.releases", i, "date"), "must be a date YYYY-MM-DD")
		}
		if len(r.Type) > 32 || len(r.Note) > 255 {
			return errs.Invalid(at("body.releases", i, "type"), "type at most 32 and note at most 255 characters")
		}
	}
	seen := map[string]bool{}
	for i, c := range d.Certifications {
		if !countryPattern.MatchString(c.Country) {
			return errs.Invalid(at("body.certifications", i, "country"), "must be an ISO 3166-1 alpha-2 code such as US")
		}
		if c.Certification == "" || len(c.Certification) > 32 {
			return errs.Invalid(at("body.certifications", i, "certification"), "must be 1 to 32 characters")
		}
		if seen[c.Country] {
			return errs.Invalid(at("body.certifications", i, "country"), "one certification per country")
		}
		seen[c.Country] = true
	}
	if len(d.Images) > 200 {
		return errs.Invalid("body.images", "at most 200")
	}
	for i, im := range d.Images {
		if !slices.Contains(imageKinds, im.Kind) {
			return errs.Invalid(at("body.images", i, "kind"), "must be one of %s", strings.Join(imageKinds, ", "))
		}
		if im.Path == "" || len(im.Path) > 1024 {
			return errs.Invalid(at("body.images", i, "path"), "must be 1 to 1024 characters")
		}
		if im.Width < 0 || im.Height < 0 {
			return errs.Invalid(at("body.images", i, "width"), "sizes must not be negative")
		}
		for _, s := range im.Sizes {
			if s == "" || strings.Contains(s, ",") || len(s) > 20 {
				return errs.Invalid(at("body.images", i, "sizes"), "sizes are names such as w500")
			}
		}
	}
	if e := d.ExternalIDs; e != nil {
		if e.IMDb != "" && !catalogid.IMDbTitle.MatchString(e.IMDb) {
			return errs.Invalid("body.external_ids.imdb_id", "must be an IMDb title id such as tt0068646")
		}
		if strings.HasPrefix(d.ID, "tt") && e.IMDb != "" && e.IMDb != d.ID {
			return errs.Invalid("body.external_ids.imdb_id", "a title imported from IMDb keeps its IMDb id")
		}
		if e.TMDB < 0 {
			return errs.Invalid("body.external_ids.tmdb_id", "must be positive")
		}
	}
	return nil
}

func at(list string, i int, field string) string {
	return list + "[" + strconv.Itoa(i) + "]." + field
}

// cleanList normalizes and checks a list of codes, dropping duplicates.
func cleanList(field string, vs []string, re *regexp.Regexp, norm func(string) string, what string) ([]string, error) {
	if len(vs) > 50 {
		return nil, errs.Invalid(field, "at most 50 entries")
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		v = norm(strings.TrimSpace(v))
		if !re.MatchString(v) {
			return nil, errs.Invalid(field, "%q is not valid: use %s", v, what)
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out, nil
}

func kindList() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}
