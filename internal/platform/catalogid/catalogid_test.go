package catalogid_test

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/catalogid"
)

func TestShapes(t *testing.T) {
	for _, tc := range []struct {
		re   *regexp.Regexp
		ok   []string
		fail []string
	}{
		{catalogid.Title, []string{"tt0068646", "tt1234567890", "ctabcdefghij2345"}, []string{"", "tt123456", "tt12345678901", "nm0000199", "ct", "CTABCDEFGHIJ", " tt0068646"}},
		{catalogid.Person, []string{"nm0000199", "cpabcdefghij"}, []string{"tt0068646", "nm123", "cp-bad-bad-bad"}},
		{catalogid.IMDbTitle, []string{"tt0068646"}, []string{"ctabcdefghij", "nm0000199"}},
		{catalogid.IMDbPerson, []string{"nm0000199"}, []string{"cpabcdefghij", "tt0068646"}},
	} {
		for _, id := range tc.ok {
			require.True(t, tc.re.MatchString(id), "%s should match %s", id, tc.re)
		}
		for _, id := range tc.fail {
			require.False(t, tc.re.MatchString(id), "%s should not match %s", id, tc.re)
		}
	}
}
