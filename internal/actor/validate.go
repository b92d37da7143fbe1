package actor

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/platform/catalogid"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/text"
)

// Limits of what a person and a credit may hold.
const (
	MaxNameLen       = 300
	MaxAkas          = 100
	MaxProfessions   = 10
	MaxKnownFor      = 20
	MaxImages        = 50
	MaxBiographyLen  = 20000
	MaxPlaceLen      = 300
	MaxJobLen        = 100
	MaxCharacters    = 20
	MaxCharacterLen  = 300
	MaxCreditsPerOne = 1000 // credits in one write request
)

var (
	professionRe = regexp.MustCompile(`^[a-z][a-z_]{0,39}$`)
	languageRe   = regexp.MustCompile(`^[a-z]{2}$`)
)

// ValidDate reports whether s is YYYY or a real YYYY-MM-DD date.
func ValidDate(s string) bool {
	switch len(s) {
	case 4:
		_, err := time.Parse("2006", s)
		return err == nil
	case 10:
		_, err := time.Parse("2006-01-02", s)
		return err == nil
	}
	return false
}

// checkText checks a human-readable field with the platform's one text
// rule (no control, zero-width or bidirectional-override characters); the
// biography alone may hold line breaks.
func checkText(field, s string, maxLen int, required bool) error {
	return text.Check(field, s, text.Rule{Max: maxLen, Required: required, Multiline: strings.HasSuffix(field, "biography")})
}

// ValidateRecord checks a person as written by an operator or the
// importer; fields are named under prefix ("body": body.name...). It does
// not check the id (created people get theirs from the service).
func ValidateRecord(prefix string, r Record) error {
	f := func(name string) string { return prefix + "." + name }
	if err := checkText(f("name"), r.Name, MaxNameLen, true); err != nil {
		return err
	}
	if len(r.AlsoKnownAs) > MaxAkas {
		return errs.Invalid(f("also_known_as"), "at most %d names", MaxAkas)
	}
	for i, a := range r.AlsoKnownAs {
		if err := checkText(fmt.Sprintf("%s[%d]", f("also_known_as"), i), a, MaxNameLen, true); err != nil {
			return err
		}
	}
	for _, d := range []struct{ name, v string }{{"birth_date", r.BirthDate}, {"death_date", r.DeathDate}} {
		if d.v != "" && !ValidDate(d.v) {
			return errs.Invalid(f(d.name), "must be YYYY or YYYY-MM-DD, got %q", d.v)
		}
	}
	if r.BirthDate != "" && r.DeathDate != "" && r.DeathDate[:4] < r.BirthDate[:4] {
		return errs.Invalid(f("death_date"), "must not be before birth_date")
	}
	for _, p := range []struct{ name, v string }{{"birth_place", r.BirthPlace}, {"death_place", r.DeathPlace}} {
		if err := checkText(f(p.name), p.v, MaxPlaceLen, false); err != nil {
			return err
		}
	}
	if err := checkText(f("biography"), r.Biography, MaxBiographyLen, false); err != nil {
		return err
	}
	if len(r.Professions) > MaxProfessions {
		return errs.Invalid(f("professions"), "at most %d professions", MaxProfessions)
	}
	for i, p := range r.Professions {
		if !professionRe.MatchString(p) {
			return errs.Invalid(fmt.Sprintf("%s[%d]", f("professions"), i), "must be a lower-case word such as actor or director, got %q", p)
		}
		if slices.Index(r.Professions, p) != i {
			return errs.Invalid(fmt.Sprintf("%s[%d]", f("professions"), i), "%q is listed twice", p)
		}
	}
	if len(r.KnownFor) > MaxKnownFor {
		return errs.Invalid(f("known_for"), "at most %d titles", MaxKnownFor)
	}
	for i, t := range r.KnownFor {
		if !TitleID.MatchString(t) {
			return errs.Invalid(fmt.Sprintf("%s[%d]", f("known_for"), i), "%q is not a title id", t)
		}
		if slices.Index(r.KnownFor, t) != i {
			return errs.Invalid(fmt.Sprintf("%s[%d]", f("known_for"), i), "%q is listed twice", t)
		}
	}
	if r.Popularity < 0 || r.Popularity != r.Popularity {
		return errs.Invalid(f("popularity"), "must be a number of at least 0")
	}
	if len(r.Images) > MaxImages {
		return errs.Invalid(f("images"), "at most %d images", MaxImages)
	}
	for i, im := range r.Images {
		fi := fmt.Sprintf("%s[%d]", f("images"), i)
		if err := checkText(fi+".path", im.Path, 500, true); err != nil {
			return err
		}
		if im.Width < 0 || im.Height < 0 {
			return errs.Invalid(fi, "width and height must not be negative")
		}
		if im.Language != "" && !languageRe.MatchString(im.Language) {
			return errs.Invalid(fi+".language", "must be an ISO 639-1 code")
		}
		for _, s := range im.Sizes {
			if s == "" || strings.Contains(s, ",") || len(s) > 20 {
				return errs.Invalid(fi+".sizes", "sizes are short names such as w185")
			}
		}
	}
	if r.ExternalIDs.IMDb != "" && !catalogid.IMDbPerson.MatchString(r.ExternalIDs.IMDb) {
		return errs.Invalid(f("external_ids.imdb_id"), "must be an IMDb person id (nm…), got %q", r.ExternalIDs.IMDb)
	}
	if strings.HasPrefix(r.ID, "nm") && r.ExternalIDs.IMDb != "" && r.ExternalIDs.IMDb != r.ID {
		return errs.Invalid(f("external_ids.imdb_id"), "a person imported from IMDb keeps its id %s", r.ID)
	}
	if r.ExternalIDs.TMDB < 0 {
		return errs.Invalid(f("external_ids.tmdb_id"), "must be positive")
	}
	return nil
}

// ValidDepartment reports whether d is one of Departments.
func ValidDepartment(d Department) bool { return slices.Contains(Departments, d) }

// ValidateCredit checks a credit; fields are named under prefix.
func ValidateCredit(prefix string, c Credit) error {
	f := func(name string) string { return prefix + "." + name }
	if !TitleID.MatchString(c.TitleID) {
		return errs.Invalid(f("title_id"), "%q is not a title id", c.TitleID)
	}
	if !PersonID.MatchString(c.PersonID) {
		return errs.Invalid(f("person_id"), "%q is not a person id", c.PersonID)
	}
	if !ValidDepartment(c.Department) {
		return errs.Invalid(f("department"), "must be one of %v, got %q", Departments, c.Department)
	}
	if err := checkText(f("job"), c.Job, MaxJobLen, true); err != nil {
		return err
	}
	if len(c.Characters) > MaxCharacters {
		return errs.Invalid(f("characters"), "at most %d characters", MaxCharacters)
	}
	for i, ch := range c.Characters {
		if err := checkText(fmt.Sprintf("%s[%d]", f("characters"), i), ch, MaxCharacterLen, true); err != nil {
			return err
		}
	}
	if len(c.Characters) > 0 && c.Department != DeptActing {
		return errs.Invalid(f("characters"), "only cast (department acting) plays characters")
	}
	if c.Order < 0 || c.Order > 1_000_000 {
		return errs.Invalid(f("order"), "must be from 0 to 1000000")
	}
	return nil
}
