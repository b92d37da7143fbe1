package customer

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/text"
)

// Maturity is a certification-like level, from "all" (anyone) to "18".
type Maturity string

// The levels, lowest first.
const (
	MaturityAll Maturity = "all"
	Maturity7   Maturity = "7"
	Maturity12  Maturity = "12"
	Maturity16  Maturity = "16"
	Maturity18  Maturity = "18"
)

// Levels lists the maturity levels, lowest first.
var Levels = []Maturity{MaturityAll, Maturity7, Maturity12, Maturity16, Maturity18}

// Kids profiles default to KidsDefault and may not go above KidsMax.
const (
	KidsDefault = Maturity7
	KidsMax     = Maturity12
)

// Rank orders levels: 0 for "all" up to 4 for "18"; -1 for an unknown one.
func (m Maturity) Rank() int { return slices.Index(Levels, m) }

// ParseMaturity checks a level named by field.
func ParseMaturity(field, s string) (Maturity, error) {
	m := Maturity(strings.TrimSpace(s))
	if m.Rank() < 0 {
		return "", errs.Invalid(field, "must be one of all, 7, 12, 16, 18; got %q", s)
	}
	return m, nil
}

// Avatars are the preset avatar keys; a profile's avatar is one of them or
// an https URL.
var Avatars = []string{"red", "blue", "green", "yellow", "purple", "orange", "teal", "pink", "robot", "dinosaur", "rocket", "unicorn"}

// MaxNameLen is the longest display name, in characters.
const MaxNameLen = 40

var (
	// genrePattern is the inventory's genre slug: titles' genres are free
	// slugs there, not a fixed list, so preferences check the same shape.
	genrePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,39}$`)
	subjectMax   = 255
	folder       = cases.Fold()
)

func validSubject(s string) error {
	if s == "" || len(s) > subjectMax || !utf8.ValidString(s) {
		return errs.Invalid("subject", "must be 1 to %d bytes of UTF-8", subjectMax)
	}
	return nil
}

// CleanName trims a display name and checks it with the platform's one
// text rule: 1 to MaxNameLen characters, no control, zero-width or
// bidirectional-override characters.
func CleanName(field, s string) (string, error) {
	return text.Clean(field, s, text.Name(MaxNameLen))
}

// NameKey is what makes two display names the same: case folded, so
// "Anna" and "ANNA" clash.
func NameKey(name string) string { return folder.String(name) }

// CleanAvatar checks an avatar: a preset key or an https URL of at most
// 500 bytes, with a host and no credentials.
func CleanAvatar(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if slices.Contains(Avatars, s) {
		return s, nil
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || len(s) > 500 {
		return "", errs.Invalid(field, "must be one of %s, or an https URL of at most 500 bytes; got %q", strings.Join(Avatars, ", "), s)
	}
	return u.String(), nil
}

// CleanLanguage checks a BCP 47 tag and returns its canonical form
// (golang.org/x/text/language: the reference implementation of BCP 47
// parsing and canonicalisation for Go).
func CleanLanguage(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	t, err := language.Parse(s)
	if err != nil || s == "" || t == language.Und {
		return "", errs.Invalid(field, "must be a BCP 47 language tag such as en, fr-CA or pt-BR; got %q", s)
	}
	return t.String(), nil
}

func cleanList(field string, in []string, max int, clean func(field, s string) (string, error)) ([]string, error) {
	if len(in) > max {
		return nil, errs.Invalid(field, "at most %d entries, got %d", max, len(in))
	}
	out := make([]string, 0, len(in))
	for i, s := range in {
		c, err := clean(fmt.Sprintf("%s[%d]", field, i), s)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

func cleanGenre(field, s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !genrePattern.MatchString(s) {
		return "", errs.Invalid(field, "must be a genre slug such as drama or science_fiction; got %q", s)
	}
	return s, nil
}

// ProfileInput is a new profile, or (every field optional) a change to
// one.
type ProfileInput struct {
	Name          *string `json:"name,omitempty" maxLength:"200" doc:"Display name, 1 to 40 characters, unique within the account (case-insensitive); required to create"`
	Avatar        *string `json:"avatar,omitempty" maxLength:"500" doc:"A preset key (red, blue, green, yellow, purple, orange, teal, pink, robot, dinosaur, rocket, unicorn) or an https URL"`
	Language      *string `json:"language,omitempty" maxLength:"35" doc:"Interface language, BCP 47 (default en)"`
	Kids          *bool   `json:"kids,omitempty" doc:"A kids profile (maturity_limit 7 by default, at most 12)"`
	MaturityLimit *string `json:"maturity_limit,omitempty" enum:"all,7,12,16,18" doc:"Highest certification level shown (default 18, or 7 for kids)"`
}

// Apply changes p with the fields set in in, then checks the whole: a
// kids profile's limit is at most KidsMax (turning a profile into a kids
// one without a limit takes KidsDefault or lower).
func (in ProfileInput) Apply(p *Profile) error {
	if in.Name != nil {
		n, err := CleanName("body.name", *in.Name)
		if err != nil {
			return err
		}
		p.Name = n
	}
	if in.Avatar != nil {
		a, err := CleanAvatar("body.avatar", *in.Avatar)
		if err != nil {
			return err
		}
		p.Avatar = a
	}
	if in.Language != nil {
		l, err := CleanLanguage("body.language", *in.Language)
		if err != nil {
			return err
		}
		p.Language = l
	}
	becameKids := in.Kids != nil && *in.Kids && !p.Kids
	if in.Kids != nil {
		p.Kids = *in.Kids
	}
	if in.MaturityLimit != nil {
		m, err := ParseMaturity("body.maturity_limit", *in.MaturityLimit)
		if err != nil {
			return err
		}
		p.MaturityLimit = m
	} else if becameKids && p.MaturityLimit.Rank() > KidsDefault.Rank() {
		p.MaturityLimit = KidsDefault
	}
	if p.Kids && p.MaturityLimit.Rank() > KidsMax.Rank() {
		return errs.Invalid("body.maturity_limit", "a kids profile's maturity_limit is at most %s, got %s", KidsMax, p.MaturityLimit)
	}
	return nil
}

// NewProfile builds a profile from in; Name is required. The avatar
// defaults to the preset at position n (the account's profile count).
func NewProfile(in ProfileInput, n int) (Profile, error) {
	if in.Name == nil {
		return Profile{}, errs.Invalid("body.name", "is required")
	}
	p := Profile{ID: NewProfileID(), Avatar: Avatars[n%len(Avatars)], Language: "en", MaturityLimit: Maturity18}
	if in.Kids != nil && *in.Kids {
		p.Kids, p.MaturityLimit, p.Avatar = true, KidsDefault, kidsAvatars[n%len(kidsAvatars)]
	}
	if err := in.Apply(&p); err != nil {
		return Profile{}, err
	}
	return p, nil
}

var kidsAvatars = []string{"robot", "dinosaur", "rocket", "unicorn"}

// DefaultPreferences are a new profile's: nothing chosen yet, the rating
// at the profile's limit, only e-mail notifications.
func DefaultPreferences(p Profile) Preferences {
	return Preferences{FavouriteGenres: []string{}, Languages: []string{p.Language}, MaturityRating: p.MaturityLimit,
		Notifications: Notifications{Email: true}}
}

// FirstProfile is the profile an account starts with, named after the
// owner: the token's name, else the part of the e-mail before @, else
// "Profile 1".
func FirstProfile(o Owner) Profile {
	name := "Profile 1"
	local, _, _ := strings.Cut(o.Email, "@")
	for _, cand := range []string{o.Name, local} {
		cand = strings.Join(strings.Fields(cand), " ")
		if r := []rune(cand); len(r) > MaxNameLen {
			cand = strings.TrimSpace(string(r[:MaxNameLen]))
		}
		if n, err := CleanName("name", cand); err == nil {
			name = n
			break
		}
	}
	return Profile{ID: NewProfileID(), Name: name, Avatar: Avatars[0], Language: "en", MaturityLimit: Maturity18}
}

// PreferencesInput replaces a profile's preferences (PUT): what is left
// out takes its default (no genres, no languages, the rating at the
// profile's limit, no notifications).
type PreferencesInput struct {
	FavouriteGenres []string      `json:"favourite_genres,omitempty" maxItems:"20" doc:"Genre slugs, at most 20"`
	Languages       []string      `json:"languages,omitempty" maxItems:"10" doc:"BCP 47 tags, at most 10"`
	MaturityRating  string        `json:"maturity_rating,omitempty" enum:"all,7,12,16,18" doc:"At most the profile's maturity_limit (default: the limit)"`
	Notifications   Notifications `json:"notifications,omitempty"`
}

// Apply replaces prefs with in, checked against the profile p.
func (in PreferencesInput) Apply(p Profile, prefs *Preferences) error {
	genres, err := cleanList("body.favourite_genres", in.FavouriteGenres, 20, cleanGenre)
	if err != nil {
		return err
	}
	langs, err := cleanList("body.languages", in.Languages, 10, CleanLanguage)
	if err != nil {
		return err
	}
	rating := p.MaturityLimit
	if in.MaturityRating != "" {
		if rating, err = ParseMaturity("body.maturity_rating", in.MaturityRating); err != nil {
			return err
		}
		if rating.Rank() > p.MaturityLimit.Rank() {
			return errs.Invalid("body.maturity_rating", "must be at most the profile's maturity_limit %s, got %s", p.MaturityLimit, rating)
		}
	}
	prefs.FavouriteGenres, prefs.Languages, prefs.MaturityRating, prefs.Notifications = genres, langs, rating, in.Notifications
	return nil
}

// ClampRating lowers prefs' rating to p's limit; it reports whether it did.
func ClampRating(p Profile, prefs *Preferences) bool {
	if prefs.MaturityRating.Rank() > p.MaturityLimit.Rank() {
		prefs.MaturityRating = p.MaturityLimit
		return true
	}
	return false
}
