package imdb_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/imdb"
	"github.com/cdlc/cdlc/internal/imdb/imdbtest"
	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

func writeFile(t testing.TB, dir, table string, gz bool, rows ...string) string {
	t.Helper()
	p, err := imdbtest.WriteFile(dir, table, gz, rows...)
	require.NoError(t, err)
	return p
}

func importDir(t testing.TB, ctx context.Context, dir string, sink imdb.Sink, opt imdb.Options) (imdb.Summary, string, error) {
	t.Helper()
	var log bytes.Buffer
	opt.Log = &log
	sum, err := imdb.Import(ctx, os.DirFS(dir), sink, opt)
	return sum, log.String(), err
}

func stats(t testing.TB, sum imdb.Summary, table string) imdb.FileStats {
	t.Helper()
	for _, f := range sum.Files {
		if f.Table == table {
			return f
		}
	}
	t.Fatalf("no %s in the summary", table)
	return imdb.FileStats{}
}

func TestTitleBasicsParsing(t *testing.T) {
	for _, gz := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", gz), func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, imdb.TitleBasics, gz,
				"tt0068646\tmovie\tThe Godfather\tThe Godfather\t0\t1972\t\\N\t175\tCrime,Drama",
				"tt0000001\tshort\t\"Quoted\" title\t\\N\t0\t1894\t\\N\t1\tDocumentary,Short",
				"tt0903747\ttvSeries\tBreaking Bad\tBreaking Bad\t0\t2008\t2013\t49\tCrime,Drama,Thriller",
				"tt0000002\tmovie\tToo few fields",                                       // line 5: bad column count
				"tt0000003\tmovie\tBad year\tBad year\t0\t19x2\t\\N\t\\N\t\\N",           // line 6: bad number
				"xx0000004\tmovie\tBad id\tBad id\t0\t1999\t\\N\t\\N\t\\N",               // line 7: bad id
				"tt0000005\tmovie\tBad adult\tBad adult\t2\t1999\t\\N\t\\N\t\\N",         // line 8
				"tt0000006\tpodcast\tUnknown type\tUnknown type\t0\t1999\t\\N\t\\N\t\\N", // line 9
				"tt0000007\ttvPilot\tNo genres\t\\N\t1\t\\N\t\\N\t\\N\t\\N",
			)
			sink := imdbtest.NewSink()
			sum, log, err := importDir(t, context.Background(), dir, sink, imdb.Options{})
			require.NoError(t, err)
			st := stats(t, sum, imdb.TitleBasics)
			require.Equal(t, imdb.StatusDone, st.Status)
			require.EqualValues(t, 9, st.Read)
			require.EqualValues(t, 4, st.Written)
			require.EqualValues(t, 5, st.Bad)
			name := filepath.Base(writeFileName(imdb.TitleBasics, gz))
			for _, want := range []string{
				name + ":5: 3 fields, want 9",
				name + `:6: startYear: want a year (YYYY), got "19x2"`,
				name + `:7: tconst: want an IMDb id`,
				name + `:8: isAdult: want 0 or 1, got "2"`,
				name + `:9: titleType: unknown type "podcast"`,
			} {
				require.Contains(t, log, want)
			}

			gf := sink.TitleByID["tt0068646"]
			require.Equal(t, inventory.Title{ID: "tt0068646", Kind: inventory.KindMovie, Title: "The Godfather", OriginalTitle: "The Godfather",
				StartYear: 1972, RuntimeMinutes: 175, Genres: []string{"Crime", "Drama"}, SpokenLangs: []string{}, Countries: []string{}}, gf)
			q := sink.TitleByID["tt0000001"]
			require.Equal(t, `"Quoted" title`, q.Title, "quotes are literal")
			require.Empty(t, q.OriginalTitle, `\N is null`)
			bb := sink.TitleByID["tt0903747"]
			require.Equal(t, inventory.KindSeries, bb.Kind)
			require.Equal(t, 2013, bb.EndYear)
			require.Len(t, bb.Genres, 3)
			p := sink.TitleByID["tt0000007"]
			require.True(t, p.Adult)
			require.Equal(t, inventory.KindTVMovie, p.Kind)
			require.Equal(t, []string{}, p.Genres)
			require.Zero(t, p.StartYear)
		})
	}
}

func writeFileName(table string, gz bool) string {
	if gz {
		return table + ".tsv.gz"
	}
	return table + ".tsv"
}

// dataset writes a small dataset with every file, including related rows.
func dataset(t testing.TB, dir string, gz bool) {
	writeFile(t, dir, imdb.TitleBasics, gz,
		"tt0068646\tmovie\tThe Godfather\tThe Godfather\t0\t1972\t\\N\t175\tCrime,Drama",
		"tt0903747\ttvSeries\tBreaking Bad\tBreaking Bad\t0\t2008\t2013\t49\tCrime,Drama,Thriller",
		"tt0959621\ttvEpisode\tPilot\tPilot\t0\t2008\t\\N\t58\tCrime,Drama,Thriller",
	)
	writeFile(t, dir, imdb.TitleEpisode, gz,
		"tt0959621\ttt0903747\t1\t1",
		"tt9999999\ttt0903747\t9\t9", // episode not in basics: ignored by the store
	)
	writeFile(t, dir, imdb.TitleAkas, gz,
		"tt0068646\t1\tDer Pate\tDE\tde\timdbDisplay\t\\N\t0",
		"tt0068646\t2\tThe Godfather\t\\N\t\\N\toriginal\t\\N\t1",
		"tt0068646\t3\tIl padrino\tIT\tit\timdbDisplay\x02working\tliteral title\x02new title\t0",
	)
	writeFile(t, dir, imdb.TitleRatings, gz, "tt0068646\t9.2\t2100000", "tt0903747\t9.5\t2300000")
	writeFile(t, dir, imdb.NameBasics, gz,
		"nm0000008\tMarlon Brando\t1924\t2004\tactor,director,writer\ttt0068646,tt0078788",
		"nm0000338\tFrancis Ford Coppola\t1939\t\\N\tproducer,director,writer\ttt0068646",
		"nm0000186\tBryan Cranston\t1956\t\\N\tactor\ttt0903747",
		"nm0701374\tMario Puzo\t1920\t1999\twriter\t\\N",
	)
	writeFile(t, dir, imdb.TitleCrew, gz,
		"tt0068646\tnm0000338\tnm0701374,nm0000338,nm0701374", // Puzo listed twice, as IMDb sometimes does
		"tt0903747\t\\N\t\\N",
	)
	writeFile(t, dir, imdb.TitlePrincipals, gz,
		"tt0068646\t1\tnm0000008\tactor\t\\N\t[\"Don Vito Corleone\"]",
		"tt0068646\t2\tnm0000338\tdirector\t\\N\t\\N",
		"tt0068646\t3\tnm0701374\twriter\tscreenplay by\t\\N",
		"tt0903747\t1\tnm0000186\tactor\t\\N\t[\"Walter White\",\"Heisenberg\"]",
		"tt0903747\t2\tnm0000186\tself\t\\N\t[\"Himself\"]",
	)
}

func TestWholeDataset(t *testing.T) {
	dir := t.TempDir()
	dataset(t, dir, true)
	sink := imdbtest.NewSink()
	sum, log, err := importDir(t, context.Background(), dir, sink, imdb.Options{})
	require.NoError(t, err, log)
	_, _, bad := sum.Totals()
	require.Zero(t, bad, log)
	require.Equal(t, 1, sink.Finished)

	ep := sink.TitleByID["tt0959621"]
	require.Equal(t, "tt0903747", ep.ParentID)
	require.Equal(t, 1, ep.SeasonNumber)
	require.Equal(t, 1, ep.EpisodeNumber)
	require.NotContains(t, sink.TitleByID, "tt9999999")
	require.Equal(t, inventory.Rating{Average: 9.2, Votes: 2100000}, sink.TitleByID["tt0068646"].Rating)

	it := sink.AkaByKey[imdbtest.AkaKey{TitleID: "tt0068646", Ordering: 3}]
	require.Equal(t, []string{"imdbDisplay", "working"}, it.Types)
	require.Equal(t, []string{"literal title", "new title"}, it.Attributes)
	require.True(t, sink.AkaByKey[imdbtest.AkaKey{TitleID: "tt0068646", Ordering: 2}].Original)

	brando := sink.PersonBy["nm0000008"]
	require.Equal(t, "1924", brando.BirthDate)
	require.Equal(t, "2004", brando.DeathDate)
	require.Equal(t, []string{"actor", "director", "writer"}, brando.Professions)
	require.Equal(t, []string{"tt0068646", "tt0078788"}, brando.KnownFor)
	require.Equal(t, []string{}, sink.PersonBy["nm0701374"].KnownFor)

	key := func(title, person string, d actor.Department) actor.Credit {
		c, ok := sink.CreditBy[imdbtest.CreditKey{TitleID: title, PersonID: person, Department: d}]
		require.True(t, ok, "credit %s %s %s", title, person, d)
		return c
	}
	require.Equal(t, []string{"Don Vito Corleone"}, key("tt0068646", "nm0000008", actor.DeptActing).Characters)
	// The director is in crew and principals: one credit, in title.crew's
	// order (principals only fill in directors and writers crew lacks).
	dir1 := key("tt0068646", "nm0000338", actor.DeptDirecting)
	require.Equal(t, 1, dir1.Order)
	// Crew and principals name a writer's job alike, so that a store keyed
	// by job merges them too. Puzo, listed twice by crew, keeps his first place.
	puzo := key("tt0068646", "nm0701374", actor.DeptWriting)
	require.Equal(t, "writer", puzo.Job)
	require.Equal(t, 1, puzo.Order)
	require.Equal(t, 2, key("tt0068646", "nm0000338", actor.DeptWriting).Order)
	// Actor and self on one title: one acting credit with both characters.
	wc := key("tt0903747", "nm0000186", actor.DeptActing)
	require.Equal(t, []string{"Walter White", "Heisenberg", "Himself"}, wc.Characters)
	require.Equal(t, 1, wc.Order)
	require.Len(t, sink.CreditBy, 5)
}

func TestReimportIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	dataset(t, dir, false)
	sink := imdbtest.NewSink()
	_, _, err := importDir(t, context.Background(), dir, sink, imdb.Options{BatchSize: 2})
	require.NoError(t, err)
	ti, ak, pe, cr := sink.Counts()
	before := fmt.Sprint(sink.TitleByID, sink.AkaByKey, sink.PersonBy, sink.CreditBy)
	_, _, err = importDir(t, context.Background(), dir, sink, imdb.Options{BatchSize: 3})
	require.NoError(t, err)
	ti2, ak2, pe2, cr2 := sink.Counts()
	require.Equal(t, []int{ti, ak, pe, cr}, []int{ti2, ak2, pe2, cr2})
	require.Equal(t, before, fmt.Sprint(sink.TitleByID, sink.AkaByKey, sink.PersonBy, sink.CreditBy))
}

// crewDisagreement writes title.crew and title.principals that disagree:
// principals bills a crew director in another place, names a director
// crew does not, and credits a crew director in another department.
func crewDisagreement(t testing.TB, dir string) {
	writeFile(t, dir, imdb.TitleCrew, false,
		"tt0000001\tnm0000001,nm0000002\tnm0000003,nm0000003",
		"tt0000002\tnm0000002\t\\N",
	)
	writeFile(t, dir, imdb.TitlePrincipals, false,
		"tt0000001\t1\tnm0000005\tactor\t\\N\t[\"Hero\"]",
		"tt0000001\t2\tnm0000001\tproducer\tproducer\t\\N",
		"tt0000001\t3\tnm0000002\tdirector\t\\N\t\\N",
		"tt0000001\t4\tnm0000004\tdirector\t\\N\t\\N",
		"tt0000001\t5\tnm0000003\twriter\tnovel\t\\N",
		"tt0000003\t1\tnm0000004\twriter\tstory\t\\N",
	)
}

// crewDisagreementCredits are the credits crewDisagreement's files make,
// as "title person job order".
var crewDisagreementCredits = []string{
	"tt0000001 nm0000001 director 1",
	"tt0000001 nm0000001 producer 2",
	"tt0000001 nm0000002 director 2", // crew's order, not principals' 3
	"tt0000001 nm0000003 writer 1",   // listed twice by crew: one credit
	"tt0000001 nm0000004 director 4", // principals only: filled in
	"tt0000001 nm0000005 actor 1",
	"tt0000002 nm0000002 director 1",
	"tt0000003 nm0000004 writer 1",
}

func sinkCredits(s *imdbtest.Sink) []string {
	var out []string
	for _, c := range s.CreditBy {
		out = append(out, fmt.Sprintf("%s %s %s %d", c.TitleID, c.PersonID, c.Job, c.Order))
	}
	slices.Sort(out)
	return out
}

// Directors and writers are in title.crew and title.principals: whatever
// the files say and in whatever order they are loaded, each is one credit
// with title.crew's order, and a re-import changes no credit.
func TestCrewAndPrincipalsConverge(t *testing.T) {
	dir := t.TempDir()
	crewDisagreement(t, dir)
	ctx := context.Background()

	sink := imdbtest.NewSink()
	for run := 1; run <= 2; run++ {
		_, log, err := importDir(t, ctx, dir, sink, imdb.Options{})
		require.NoError(t, err, log)
		require.Equal(t, crewDisagreementCredits, sinkCredits(sink), "run %d", run)
		if run == 1 {
			require.Equal(t, len(crewDisagreementCredits), sink.CreditChanges, "each credit written once")
		}
	}
	require.Equal(t, len(crewDisagreementCredits), sink.CreditChanges, "a re-import rewrites nothing")

	// Principals first, then crew, then both again: the same credits.
	other := imdbtest.NewSink()
	for _, files := range [][]string{{imdb.TitlePrincipals}, {imdb.TitleCrew}, nil} {
		_, log, err := importDir(t, ctx, dir, other, imdb.Options{Tables: files, BatchSize: 1})
		require.NoError(t, err, log)
	}
	require.Equal(t, crewDisagreementCredits, sinkCredits(other))
}

func TestCategoryMappings(t *testing.T) {
	cases := map[string]actor.Department{
		"actor": actor.DeptActing, "actress": actor.DeptActing, "self": actor.DeptActing,
		"director": actor.DeptDirecting, "writer": actor.DeptWriting, "producer": actor.DeptProducing,
		"composer": actor.DeptSound, "cinematographer": actor.DeptCamera, "editor": actor.DeptEditing,
		"production_designer": actor.DeptArt, "casting_director": actor.DeptProducing,
		"archive_footage": actor.DeptActing, "archive_sound": actor.DeptActing, "stunt_double": actor.DeptCrew,
	}
	for cat, want := range cases {
		require.Equal(t, want, imdb.DepartmentOf(cat), cat)
	}
	kinds := map[string]inventory.Kind{
		"movie": inventory.KindMovie, "tvSeries": inventory.KindSeries, "tvMiniSeries": inventory.KindMiniSeries,
		"tvEpisode": inventory.KindEpisode, "short": inventory.KindShort, "tvShort": inventory.KindShort,
		"tvMovie": inventory.KindTVMovie, "tvSpecial": inventory.KindSpecial, "video": inventory.KindVideo,
		"videoGame": inventory.KindVideoGame, "tvPilot": inventory.KindTVMovie,
	}
	for typ, want := range kinds {
		got, ok := imdb.KindOf(typ)
		require.True(t, ok, typ)
		require.Equal(t, want, got, typ)
	}
	_, ok := imdb.KindOf("radioSeries")
	require.False(t, ok)

	// Through the file: a producer's job and an unknown category.
	dir := t.TempDir()
	writeFile(t, dir, imdb.TitlePrincipals, false,
		"tt0068646\t4\tnm0000001\tproducer\texecutive producer\t\\N",
		"tt0068646\t5\tnm0000002\tstunts\t\\N\t\\N",
		"tt0068646\t6\tnm0000003\tactress\t\\N\t[\"Kay \\\"Adams\\\"\",\"Guest\"]",
		"tt0068646\t7\tnm0000004\tactor\t\\N\tnot a list",
	)
	sink := imdbtest.NewSink()
	sum, log, err := importDir(t, context.Background(), dir, sink, imdb.Options{})
	require.NoError(t, err)
	require.EqualValues(t, 1, stats(t, sum, imdb.TitlePrincipals).Bad)
	require.Contains(t, log, `title.principals.tsv:5: characters: want a list`)
	p := sink.CreditBy[imdbtest.CreditKey{TitleID: "tt0068646", PersonID: "nm0000001", Department: actor.DeptProducing}]
	require.Equal(t, "executive producer", p.Job)
	s := sink.CreditBy[imdbtest.CreditKey{TitleID: "tt0068646", PersonID: "nm0000002", Department: actor.DeptCrew}]
	require.Equal(t, "stunts", s.Job)
	a := sink.CreditBy[imdbtest.CreditKey{TitleID: "tt0068646", PersonID: "nm0000003", Department: actor.DeptActing}]
	require.Equal(t, []string{`Kay "Adams"`, "Guest"}, a.Characters)
	require.Equal(t, "actress", a.Job)
}

func TestTruncatedGzipKeepsEarlierBatches(t *testing.T) {
	dir := t.TempDir()
	rows := make([]string, 20000)
	for i := range rows {
		rows[i] = fmt.Sprintf("tt%07d\tmovie\tTitle number %d with some words to make it longer\t\\N\t0\t%d\t\\N\t90\tDrama", i+1, i, 1900+i%100)
	}
	path := writeFile(t, dir, imdb.TitleBasics, true, rows...)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, b[:len(b)*2/3], 0o600))
	writeFile(t, dir, imdb.NameBasics, false, "nm0000008\tMarlon Brando\t1924\t2004\tactor\t\\N")

	sink := imdbtest.NewSink()
	sum, log, err := importDir(t, context.Background(), dir, sink, imdb.Options{BatchSize: 1000})
	var fe *imdb.FileError
	require.ErrorAs(t, err, &fe)
	require.True(t, fe.Truncated())
	require.Contains(t, log, "title.basics.tsv.gz: after line")
	require.Contains(t, log, "truncated gzip file")
	st := stats(t, sum, imdb.TitleBasics)
	require.Equal(t, imdb.StatusFailed, st.Status)
	require.Zero(t, st.Bad, "the cut line is not a bad row")
	require.Greater(t, st.Written, int64(1000))
	require.Less(t, st.Written, int64(20000))
	// Every row read before the damage was written, in order, none partial.
	require.Len(t, sink.TitleByID, int(st.Written))
	for i := range int(st.Written) {
		tt := sink.TitleByID[fmt.Sprintf("tt%07d", i+1)]
		require.Equal(t, fmt.Sprintf("Title number %d with some words to make it longer", i), tt.Title)
	}
	// The next file was imported anyway.
	require.Equal(t, imdb.StatusDone, stats(t, sum, imdb.NameBasics).Status)
	require.Len(t, sink.PersonBy, 1)
}

func TestInterruptAndResume(t *testing.T) {
	dir, cps := t.TempDir(), t.TempDir()
	n := 3000
	_, err := imdbtest.Synth(dir, n, true)
	require.NoError(t, err)

	// Stop during title.akas, after a few batches.
	ctx, cancel := context.WithCancel(context.Background())
	sink := imdbtest.NewSink()
	sink.Before = func(method string, _ int) error {
		if method == "Akas" && sink.Batches["Akas"] == 2 {
			cancel()
		}
		return nil
	}
	sum, log, err := importDir(t, ctx, dir, sink, imdb.Options{BatchSize: 500, CheckpointDir: cps})
	require.ErrorIs(t, err, imdb.ErrInterrupted, log)
	require.Equal(t, imdb.StatusDone, stats(t, sum, imdb.TitleBasics).Status)
	akas := stats(t, sum, imdb.TitleAkas)
	require.Equal(t, imdb.StatusInterrupted, akas.Status)
	require.Less(t, akas.Written, int64(2*n))
	require.Equal(t, imdb.StatusNotReached, stats(t, sum, imdb.NameBasics).Status)
	require.Len(t, sink.AkaByKey, int(akas.Written), "what was read was written")
	require.Equal(t, 1, sink.Finished)

	// Resume: finished files are skipped, akas go on where they stopped.
	sink.Before = nil
	sum, log, err = importDir(t, context.Background(), dir, sink, imdb.Options{BatchSize: 500, CheckpointDir: cps, Resume: true})
	require.NoError(t, err, log)
	require.Contains(t, log, "title.basics     already imported")
	require.Contains(t, log, "title.akas       resuming after line")
	require.Equal(t, imdb.StatusAlreadyDone, stats(t, sum, imdb.TitleBasics).Status)
	require.Zero(t, stats(t, sum, imdb.TitleBasics).Read)
	require.Equal(t, int64(2*n)-akas.Written, stats(t, sum, imdb.TitleAkas).Read)
	size := imdbtest.SynthSize(n)
	ti, ak, pe, _ := sink.Counts()
	require.Equal(t, size[imdb.TitleBasics], ti)
	require.Equal(t, size[imdb.TitleAkas], ak)
	require.Equal(t, size[imdb.NameBasics], pe)

	// Resume again: nothing to do. Without --resume: everything again, same counts.
	sum, _, err = importDir(t, context.Background(), dir, sink, imdb.Options{CheckpointDir: cps, Resume: true})
	require.NoError(t, err)
	r, _, _ := sum.Totals()
	require.Zero(t, r)
	sum, _, err = importDir(t, context.Background(), dir, sink, imdb.Options{CheckpointDir: cps})
	require.NoError(t, err)
	r, _, _ = sum.Totals()
	total := 0
	for _, v := range size {
		total += v
	}
	require.EqualValues(t, total, r)
	ti2, ak2, pe2, _ := sink.Counts()
	require.Equal(t, []int{ti, ak, pe}, []int{ti2, ak2, pe2})
}

func TestResumePlainFileSeeks(t *testing.T) {
	dir, cps := t.TempDir(), t.TempDir()
	_, err := imdbtest.Synth(dir, 2000, false)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	sink := imdbtest.NewSink()
	sink.Before = func(method string, _ int) error {
		if method == "Titles" && sink.Batches["Titles"] == 1 {
			cancel()
		}
		return nil
	}
	_, _, err = importDir(t, ctx, dir, sink, imdb.Options{BatchSize: 300, CheckpointDir: cps, Tables: []string{imdb.TitleBasics}})
	require.ErrorIs(t, err, imdb.ErrInterrupted)
	sink.Before = nil
	sum, _, err := importDir(t, context.Background(), dir, sink, imdb.Options{BatchSize: 300, CheckpointDir: cps, Resume: true, Tables: []string{imdb.TitleBasics}})
	require.NoError(t, err)
	require.Zero(t, stats(t, sum, imdb.TitleBasics).Bad)
	require.Len(t, sink.TitleByID, 2000)
}

func TestChangedFileIsNotResumed(t *testing.T) {
	dir, cps := t.TempDir(), t.TempDir()
	writeFile(t, dir, imdb.TitleRatings, false, "tt0068646\t9.2\t10", "tt0068647\t9.2\t10")
	sink := imdbtest.NewSink()
	_, _, err := importDir(t, context.Background(), dir, sink, imdb.Options{CheckpointDir: cps})
	require.NoError(t, err)
	writeFile(t, dir, imdb.TitleRatings, false, "tt0068646\t9.2\t10", "tt0068647\t9.2\t10", "tt0068648\t1.0\t1")
	sum, _, err := importDir(t, context.Background(), dir, sink, imdb.Options{CheckpointDir: cps, Resume: true})
	require.NoError(t, err)
	require.EqualValues(t, 3, stats(t, sum, imdb.TitleRatings).Read)
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	_, _, err := importDir(t, context.Background(), dir, imdbtest.NewSink(), imdb.Options{})
	require.True(t, errs.Is(err, errs.KindInvalid), "%v", err)
	require.Contains(t, err.Error(), "no IMDb dataset files")

	writeFile(t, dir, imdb.TitleBasics, false)
	_, _, err = importDir(t, context.Background(), dir, imdbtest.NewSink(), imdb.Options{Tables: []string{"title.bogus"}})
	require.Equal(t, "--files", errs.FieldOf(err))
	_, _, err = importDir(t, context.Background(), dir, imdbtest.NewSink(), imdb.Options{Tables: []string{imdb.TitleCrew}})
	require.Equal(t, "--files", errs.FieldOf(err))

	// A file with the wrong header, a file that is not gzip, an empty file:
	// each fails, the others are still imported.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "title.crew.tsv"), []byte("a\tb\tc\ntt1\tx\ty\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "title.akas.tsv.gz"), []byte("plain text"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "title.episode.tsv"), nil, 0o600))
	writeFile(t, dir, imdb.NameBasics, false, "nm0000008\tMarlon Brando\t1924\t2004\tactor\t\\N")
	sink := imdbtest.NewSink()
	sum, _, err := importDir(t, context.Background(), dir, sink, imdb.Options{})
	require.Error(t, err)
	msg := err.Error()
	require.Contains(t, msg, `title.crew.tsv: after line 1: header has no column "tconst"`)
	require.Contains(t, msg, "title.akas.tsv.gz: not a gzip file")
	require.Contains(t, msg, "title.episode.tsv: empty file")
	require.Equal(t, imdb.StatusDone, stats(t, sum, imdb.NameBasics).Status)
	require.Equal(t, imdb.StatusMissing, stats(t, sum, imdb.TitleRatings).Status)
	require.Len(t, sink.PersonBy, 1)
}

func TestBadRowsCappedButCounted(t *testing.T) {
	dir := t.TempDir()
	rows := make([]string, 100)
	for i := range rows {
		rows[i] = "garbage"
	}
	writeFile(t, dir, imdb.TitleRatings, false, rows...)
	sum, log, err := importDir(t, context.Background(), dir, imdbtest.NewSink(), imdb.Options{MaxBadShown: 5})
	require.NoError(t, err)
	require.EqualValues(t, 100, stats(t, sum, imdb.TitleRatings).Bad)
	require.Equal(t, 5, strings.Count(log, "fields, want 3"))
	require.Contains(t, log, "more bad rows are counted but not shown")
}

func TestSinkFailureStops(t *testing.T) {
	dir := t.TempDir()
	dataset(t, dir, false)
	sink := imdbtest.NewSink()
	sink.Before = func(method string, _ int) error {
		if method == "People" {
			return errors.New("disk full")
		}
		return nil
	}
	sum, _, err := importDir(t, context.Background(), dir, sink, imdb.Options{})
	require.ErrorContains(t, err, "disk full")
	require.Equal(t, imdb.StatusFailed, stats(t, sum, imdb.NameBasics).Status)
	require.Equal(t, imdb.StatusNotReached, stats(t, sum, imdb.TitleCrew).Status)
}

func TestProgressLines(t *testing.T) {
	dir := t.TempDir()
	_, err := imdbtest.Synth(dir, 3000, true)
	require.NoError(t, err)
	sink := imdbtest.NewSink()
	sink.Before = func(string, int) error { time.Sleep(2 * time.Millisecond); return nil }
	for _, tty := range []bool{false, true} {
		_, log, err := importDir(t, context.Background(), dir, sink, imdb.Options{BatchSize: 100, TTY: tty, ProgressEvery: time.Millisecond})
		require.NoError(t, err)
		require.Regexp(t, `title\.principals +\[=* *\] +[0-9.]+% +[0-9,]+ rows +[0-9,]+ rows/s`, log)
		require.Contains(t, log, "title.basics     done: 3,000 rows in")
		if tty {
			require.Contains(t, log, "\r\033[K")
		} else {
			require.NotContains(t, log, "\r")
		}
	}
}

// concurrentSink takes up to three batches at once; its first Titles
// call finishes only after the second one has (so batches complete out of
// order).
type concurrentSink struct {
	*imdbtest.Sink
	calls          atomic.Int32
	inflight, peak atomic.Int32
	second         chan struct{}
}

func (s *concurrentSink) Writers() int { return 3 }

func (s *concurrentSink) Titles(ctx context.Context, b []inventory.Title) error {
	n := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}
	switch s.calls.Add(1) {
	case 1:
		select {
		case <-s.second:
		case <-time.After(10 * time.Second):
			return errors.New("the second batch was not written while the first was")
		}
	case 2:
		defer close(s.second)
	}
	return s.Sink.Titles(ctx, b)
}

// A ConcurrentSink gets batches at once, at most Writers of them, and the
// import still counts and checkpoints every row.
func TestConcurrentSinkWritesBatchesAtOnce(t *testing.T) {
	dir, cps := t.TempDir(), t.TempDir()
	_, err := imdbtest.Synth(dir, 2000, false)
	require.NoError(t, err)
	sink := &concurrentSink{Sink: imdbtest.NewSink(), second: make(chan struct{})}
	sum, log, err := importDir(t, context.Background(), dir, sink, imdb.Options{BatchSize: 100, CheckpointDir: cps, Tables: []string{imdb.TitleBasics}})
	require.NoError(t, err, log)
	require.EqualValues(t, 2000, stats(t, sum, imdb.TitleBasics).Written)
	require.Len(t, sink.TitleByID, 2000)
	require.LessOrEqual(t, sink.peak.Load(), int32(3))
	require.GreaterOrEqual(t, sink.peak.Load(), int32(2))
	sum, _, err = importDir(t, context.Background(), dir, sink, imdb.Options{BatchSize: 100, CheckpointDir: cps, Resume: true, Tables: []string{imdb.TitleBasics}})
	require.NoError(t, err)
	require.Equal(t, imdb.StatusAlreadyDone, stats(t, sum, imdb.TitleBasics).Status)
}
