package text_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/text"
)

func TestCheck(t *testing.T) {
	for _, s := range []string{"Amélie", "Alien³", "WALL·E", "8½", "臥虎藏龍", "한국 영화", "दिल वाले", "می\u200cخواهم",
		"🎬 Film", "👨\u200d👩\u200d👧", "❤️", "e\u0301", "Léon: The Professional"} {
		require.NoError(t, text.Check("body.title", s, text.Name(100)), "%q", s)
	}
	for s, why := range map[string]string{
		"a\x00b":            "control",
		"a\u200bb":          "zero-width",
		"evil\u202etxt.exe": "bidirectional",
		"x\u2066y\u2069":    "bidirectional",
		"x\ufeff":           "format",
		"a\u00adb":          "format",
		"a\tb":              "line breaks",
		"a\nb":              "line breaks",
		"a\u2028b":          "separators",
		"\u200d":            "format",
		"a\u200d":           "format",
		"x\ue000":           "private-use",
		"x\U0010ffff":       "noncharacters",
		"x\ufffd":           "replacement",
		"\xff":              "UTF-8",
	} {
		err := text.Check("body.title", s, text.Name(100))
		require.True(t, errs.Is(err, errs.KindInvalid), "%q: %v", s, err)
		require.Equal(t, "body.title", errs.FieldOf(err))
		require.ErrorContains(t, err, why, "%q", s)
	}
	require.NoError(t, text.Check("body.overview", "One line.\r\n\tAnother.", text.Prose(100)))
	require.Error(t, text.Check("body.overview", "a\x00", text.Prose(100)))
	require.ErrorContains(t, text.Check("body.name", " \u200b ", text.Name(10)), "zero-width")
	require.ErrorContains(t, text.Check("body.name", "   ", text.Name(10)), "must not be empty")
	require.NoError(t, text.Check("body.tagline", "", text.Line(10)))
	require.ErrorContains(t, text.Check("body.name", strings.Repeat("é", 11), text.Name(10)), "at most 10")
	require.NoError(t, text.Check("body.name", strings.Repeat("é", 10), text.Name(10)))

	got, err := text.Clean("body.name", "  Anna   Maria ", text.Name(40))
	require.NoError(t, err)
	require.Equal(t, "Anna Maria", got)
}
