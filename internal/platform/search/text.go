package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits on what one query or one document contributes. They bound the work
// a hostile or accidental input can cause, not what a real title needs.
const (
	maxQueryTerms = 8   // words of a query beyond this are ignored
	maxTermRunes  = 40  // a longer word is cut: nobody types it, and it cannot typo-match anything
	maxDocTerms   = 128 // distinct terms kept per document (names beyond this are not searchable)
)

// foldings maps letters that Unicode does not decompose into a base letter
// plus a combining mark, so that NFD alone would leave them untouched.
var foldings = map[rune]string{
	'ß': "ss", 'æ': "ae", 'Æ': "ae", 'ø': "o", 'Ø': "o", 'œ': "oe", 'Œ': "oe",
	'ł': "l", 'Ł': "l", 'đ': "d", 'Đ': "d", 'ð': "d", 'Ð': "d", 'þ': "th", 'Þ': "th",
	'ı': "i",
}

// Terms splits text into normalised search terms: lower case, diacritics
// removed ("Amélie" -> "amelie"), apostrophes dropped inside words
// ("Schindler's" -> "schindlers"), everything that is not a letter or a digit
// a separator. The same function serves documents and queries, which is what
// makes "amelie" find "Amélie"; it never fails, so no query text is an error.
func Terms(text string) []string {
	var (
		out []string
		cur strings.Builder
	)
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		t := cur.String()
		cur.Reset()
		if utf8.RuneCountInString(t) > maxTermRunes {
			r := []rune(t)
			t = string(r[:maxTermRunes])
		}
		out = append(out, t)
	}
	// NFD splits "é" into "e" + U+0301, and the mark is then dropped as a non-letter.
	d := norm.NFD.String(text)
	for i, r := range d {
		switch {
		case unicode.Is(unicode.Mn, r):
			// a combining mark: part of the previous letter, never a separator
		case r == '\'' || r == '’' || r == 'ʼ':
			// inside a word ("o'brien") the apostrophe joins; elsewhere it separates
			if cur.Len() == 0 || i+utf8.RuneLen(r) >= len(d) {
				flush()
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if f, ok := foldings[r]; ok {
				cur.WriteString(f)
				continue
			}
			cur.WriteRune(unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return out
}

// maxTypos is how many edits a query word of n runes may carry and still
// match: none for short words (a typo in "the" matches half the vocabulary),
// one from 4 runes, two from 8. Words with digits get none: "1917" must not
// find "1918".
func maxTypos(term string) int {
	for _, r := range term {
		if unicode.IsDigit(r) {
			return 0
		}
	}
	switch n := utf8.RuneCountInString(term); {
	case n >= 8:
		return 2
	case n >= 4:
		return 1
	default:
		return 0
	}
}

// distance is the optimal-string-alignment distance between a and b (edits:
// insert, delete, substitute, swap two adjacent runes), or max+1 when it is
// larger than max.
func distance(a, b []rune, max int) int {
	if d := len(a) - len(b); d > max || -d > max {
		return max + 1
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			best = min(best, v)
		}
		if best > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return min(prev[len(b)], max+1)
}
