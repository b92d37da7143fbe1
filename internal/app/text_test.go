package app_test

import (
	"testing"

	"github.com/cdlc/cdlc/internal/app/apptest"
)

// Names with characters that hide or reorder text — NUL, a zero-width
// space, a right-to-left override — are refused alike by every service
// that stores human-readable text: a 400 naming the field.
func TestHumanTextIsCheckedAlikeEverywhere(t *testing.T) {
	in := apptest.Start(t, map[string]string{"target": "inventory,actor,customer"})
	ann := newUser(in, "user-text")
	for _, name := range []string{"Evil\x00Film", "Hidden\u200bName", "gnp.\u202eexe", "\u200b"} {
		requireProblem(t, in.Do("POST", "/api/v1/titles", map[string]any{"kind": "movie", "title": name}), 400, "body.title")
		requireProblem(t, in.Do("POST", "/api/v1/titles", map[string]any{"kind": "movie", "title": "Ok", "akas": []map[string]any{{"title": name}}}), 400, "body.akas[0].title")
		requireProblem(t, in.Do("POST", "/api/v1/people", map[string]any{"name": name}), 400, "body.name")
		requireProblem(t, ann.do("POST", "/api/v1/account/profiles", map[string]any{"name": name}), 400, "body.name")
	}
	// What real titles and names contain still passes.
	createTitle(t, in, map[string]any{"kind": "movie", "title": "WALL·E", "overview": "A robot.\nIn space.", "start_year": 2008})
	createPerson(t, in, map[string]any{"name": "Golshifteh Farahani (گلشیفته\u200cفراهانی)"})
}
