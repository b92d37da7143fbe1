// Package text checks human-readable fields (names, titles, taglines,
// overviews, biographies) before a service stores them: one rule for every
// service, so that a character refused in a profile name is refused in a
// title too.
//
// A field must be valid UTF-8 without the replacement character, and must
// not contain what would make text look other than it is: control
// characters (NUL and the like; line breaks and tabs only in multiline
// fields), format characters (zero-width spaces, bidirectional overrides
// and isolates, the byte-order mark, soft hyphens, tags), line and
// paragraph separators, private-use characters and noncharacters. The
// zero-width joiner and non-joiner pass between two visible characters,
// where Persian, the Indic scripts and emoji sequences need them.
//
// Why not golang.org/x/text/secure/precis (RFC 8264)? Its FreeformClass
// is the standard for nicknames and refuses all of the above, but it also
// refuses what film titles contain: the middle dot of "WALL·E" (a
// contextual rule meant for Catalan), the variation selector of "❤️", and
// emoji joined by ZWJ. The rule here is the part of it that matters for
// display, written out in terms of Unicode categories.
package text

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Rule says what one field accepts.
type Rule struct {
	// Max is the most characters (code points) allowed; 0: no limit.
	Max int
	// Required refuses a value with nothing visible in it.
	Required bool
	// Multiline lets line breaks and tabs through (overviews, biographies).
	Multiline bool
}

// Line is a single-line field of at most max characters that may be empty.
func Line(max int) Rule { return Rule{Max: max} }

// Name is a required single-line field of at most max characters.
func Name(max int) Rule { return Rule{Max: max, Required: true} }

// Prose is a multiline field of at most max characters that may be empty.
func Prose(max int) Rule { return Rule{Max: max, Multiline: true} }

// Check returns nil when s is fit for field under r, or an Invalid error
// naming field and saying what is wrong (and where, for a bad character).
func Check(field, s string, r Rule) error {
	if !utf8.ValidString(s) {
		return errs.Invalid(field, "must be valid UTF-8")
	}
	n := utf8.RuneCountInString(s)
	if r.Max > 0 && n > r.Max {
		return errs.Invalid(field, "must be at most %d characters, got %d", r.Max, n)
	}
	visible := false
	var prev rune
	for i, c := range s {
		if bad := refused(c, r.Multiline); bad != "" {
			if c != '\u200c' && c != '\u200d' || !joins(prev, s[i+utf8.RuneLen(c):]) {
				return errs.Invalid(field, "must not contain %s (U+%04X at character %d)", bad, c, utf8.RuneCountInString(s[:i])+1)
			}
		}
		if !unicode.IsSpace(c) && !unicode.Is(unicode.Cf, c) && !unicode.Is(unicode.Mn, c) {
			visible = true
		}
		prev = c
	}
	if r.Required && !visible {
		return errs.Invalid(field, "must not be empty")
	}
	return nil
}

// Clean collapses the white space of a single-line value (runs of spaces
// become one, the ends are trimmed) and checks it.
func Clean(field, s string, r Rule) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	return s, Check(field, s, r)
}

// refused names the class of c when a field may not contain it.
func refused(c rune, multiline bool) string {
	switch {
	case c == utf8.RuneError:
		return "the replacement character"
	case c == '\n' || c == '\r' || c == '\t':
		if multiline {
			return ""
		}
		return "line breaks or tabs"
	case unicode.IsControl(c):
		return "control characters"
	case c == '\u2028' || c == '\u2029':
		return "line or paragraph separators"
	case unicode.Is(unicode.Cf, c):
		return "invisible format characters (zero-width, bidirectional controls)"
	case unicode.Is(unicode.Co, c):
		return "private-use characters"
	case unicode.Is(unicode.Noncharacter_Code_Point, c):
		return "noncharacters"
	}
	return ""
}

// joins reports whether a joiner between prev and the text after it sits
// between two visible characters.
func joins(prev rune, after string) bool {
	next, _ := utf8.DecodeRuneInString(after)
	visible := func(c rune) bool {
		return c != 0 && c != utf8.RuneError && !unicode.IsSpace(c) && !unicode.IsControl(c) && !unicode.Is(unicode.Cf, c)
	}
	return visible(prev) && len(after) > 0 && visible(next)
}
