package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// The importer's writes: each call is one transaction and idempotent.
//
// They write only what the IMDb dataset supplies, and only what changed:
// each batch reads the stored rows of its titles first, inserts the new
// ones, updates the changed ones (version+1) and leaves the rest alone. A
// re-import of the same files writes nothing and bumps no version; fields
// the dataset does not have (overview, tagline, status, original
// language, release date, spoken languages, countries, images, ...) are
// written when a title is created, filled in later only where they are
// still empty, and never overwritten by a bulk call, so an operator's
// edits survive a re-import. No bulk call enqueues an
// event: FinishImport enqueues one for the whole load.

// bulkCols are the columns of titles the dataset supplies (and the
// version and time of the change).
var bulkCols = []string{"id", "kind", "title", "sort_title", "original_title", "adult", "start_year", "end_year", "runtime_minutes", "updated_at"}

var (
	// titleInsert creates titles (every scalar column but the rating,
	// popularity and episode links, which have their own calls), or
	// updates the dataset's columns of those that exist. (MySQL wants a
	// value for every TEXT column even when the row exists.)
	titleInsert = newShape(func(d db.Dialect, n int) string {
		return versioned(d, "titles", append(slices.Clone(bulkCols), "version", "release_date", "overview", "tagline", "status", "original_language"), bulkCols[1:], n)
	})
	genreInsert    = newShape(func(d db.Dialect, n int) string { return genreUpsert.SQL(d, n) })
	languageInsert = newShape(func(d db.Dialect, n int) string { return languageUpsert.SQL(d, n) })
	countryInsert  = newShape(func(d db.Dialect, n int) string { return countryUpsert.SQL(d, n) })
	akaWrite       = newShape(func(d db.Dialect, n int) string { return akaUpsert.SQL(d, n) })
	// genreDelete removes one (title, genre) pair per row.
	genreDelete = newShape(func(_ db.Dialect, n int) string {
		return "DELETE FROM title_genres WHERE " + strings.TrimSuffix(strings.Repeat("(title_id = ? AND genre = ?) OR ", n), " OR ")
	})
	bumpVersions = inShape("UPDATE titles SET version = version + 1, updated_at = ? WHERE id IN (%s)")
	readTitles   = inShape("SELECT id, kind, title, original_title, adult, start_year, end_year, runtime_minutes, " +
		strings.Join(detailCols, ", ") + " FROM titles WHERE id IN (%s)")
	readGenres = inShape("SELECT title_id, genre FROM title_genres WHERE title_id IN (%s)")
	readAkas   = inShape("SELECT t.id, a.ordering, a.title, a.region, a.language, a.types, a.attributes, a.is_original " +
		"FROM titles t LEFT JOIN title_akas a ON a.title_id = t.id WHERE t.id IN (%s)")
	// ratingsUpdate and episodesUpdate set columns of existing titles
	// from rows of (id, values...), where they differ, with version+1.
	ratingsUpdate  = newShape(func(d db.Dialect, n int) string { return updateFrom(d, n, "rating_avg", "rating_votes", "popularity") })
	episodesUpdate = newShape(func(d db.Dialect, n int) string {
		return updateFrom(d, n, "parent_id", "season_number", "episode_number")
	})
	// detailsFill sets the detailCols of existing titles (the stored
	// value where there is one, see UpsertTitles).
	detailsFill = newShape(func(d db.Dialect, n int) string { return updateFrom(d, n, detailCols...) })

	bulkShapes = []*shape{titleInsert, genreInsert, languageInsert, countryInsert, akaWrite, genreDelete,
		bumpVersions, readTitles, readGenres, readAkas, ratingsUpdate, episodesUpdate, detailsFill}
)

// versioned is the upsert of n rows of cols into table, keyed by id:
// on a conflict it sets the columns of update, and version+1 (the version
// is not overwritten: an ETag made from it must change with the row).
func versioned(d db.Dialect, table string, cols, update []string, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	row := "(" + db.Placeholders(len(cols)) + ")"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	var set []string
	if d == db.MySQL {
		set = append(set, "version = version + 1")
		for _, c := range update {
			set = append(set, c+" = VALUES("+c+")")
		}
		b.WriteString(" ON DUPLICATE KEY UPDATE " + strings.Join(set, ", "))
		return b.String()
	}
	set = append(set, "version = "+table+".version + 1")
	for _, c := range update {
		set = append(set, c+" = excluded."+c)
	}
	b.WriteString(" ON CONFLICT (id) DO UPDATE SET " + strings.Join(set, ", "))
	return b.String()
}

// updateFrom is an UPDATE of titles from n rows (id, a value per column
// of cols, updated_at), changing only the titles whose values differ
// (with version+1); ids that are no title are skipped.
func updateFrom(d db.Dialect, n int, cols ...string) string {
	var b strings.Builder
	var set, differ []string
	if d == db.MySQL {
		b.WriteString("UPDATE titles t JOIN (")
		for i := range n {
			if i > 0 {
				b.WriteString(" UNION ALL SELECT " + db.Placeholders(len(cols)+2))
				continue
			}
			b.WriteString("SELECT ? AS id")
			for j := range cols {
				fmt.Fprintf(&b, ", ? AS c%d", j)
			}
			b.WriteString(", ? AS stamp")
		}
		b.WriteString(") v ON t.id = v.id SET t.version = t.version + 1, t.updated_at = v.stamp")
		for j, c := range cols {
			set = append(set, fmt.Sprintf("t.%s = v.c%d", c, j))
			differ = append(differ, fmt.Sprintf("NOT (t.%s <=> v.c%d)", c, j))
		}
		b.WriteString(", " + strings.Join(set, ", ") + " WHERE " + strings.Join(differ, " OR "))
		return b.String()
	}
	// VALUES names its columns column1, column2, ...
	b.WriteString("UPDATE titles SET version = version + 1")
	for j, c := range cols {
		set = append(set, fmt.Sprintf("%s = v.column%d", c, j+2))
		differ = append(differ, fmt.Sprintf("titles.%s IS NOT v.column%d", c, j+2))
	}
	fmt.Fprintf(&b, ", updated_at = v.column%d, %s FROM (VALUES ", len(cols)+2, strings.Join(set, ", "))
	row := "(" + db.Placeholders(len(cols)+2) + ")"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(") AS v WHERE titles.id = v.column1 AND (" + strings.Join(differ, " OR ") + ")")
	return b.String()
}

func (s *Store) prepareBulk(ctx context.Context) { s.stmts.Prepare(ctx, s.db, bulkShapes) }

// detailCols are the scalar columns of titles that IMDb's dataset has no
// column for; a bulk write fills them in where they are empty.
var detailCols = []string{"release_date", "overview", "tagline", "status", "original_language"}

// storedTitle is what a bulk write compares: the dataset's columns.
type storedTitle struct {
	kind, title, original      string
	adult, start, end, runtime int
}

// details are a title's detailCols, in that order.
type details [5]string

func titleDetails(t inventory.Title) details {
	return details{t.ReleaseDate, t.Overview, t.Tagline, t.Status, t.OriginalLang}
}

// fill returns stored with its empty fields taken from given, and whether
// that changed anything.
func (stored details) fill(given details) (details, bool) {
	changed := false
	for i, v := range given {
		if stored[i] == "" && v != "" {
			stored[i], changed = v, true
		}
	}
	return stored, changed
}

func bulkRow(t inventory.Title) storedTitle {
	return storedTitle{string(t.Kind), t.Title, t.OriginalTitle, b2i(t.Adult), t.StartYear, t.EndYear, t.RuntimeMinutes}
}

// UpsertTitles implements inventory.BulkStore.
func (s *Store) UpsertTitles(ctx context.Context, titles []inventory.Title) error {
	if len(titles) == 0 {
		return nil
	}
	batch := make([]inventory.Title, 0, len(titles))
	seen := make(map[string]bool, len(titles))
	ids := make([]string, 0, len(titles))
	for _, t := range titles {
		if seen[t.ID] {
			continue // the last word would be ambiguous; the first wins
		}
		seen[t.ID] = true
		batch = append(batch, t)
		ids = append(ids, t.ID)
	}
	s.prepareBulk(ctx)
	now := db.Now()
	dl := s.db.Dialect()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		stored := make(map[string]storedTitle, len(ids))
		storedDetails := make(map[string]details, len(ids))
		err := s.stmts.Scan(ctx, tx, dl, readTitles, ids, func(r scanner) error {
			var id string
			var t storedTitle
			var d details
			err := r.Scan(&id, &t.kind, &t.title, &t.original, &t.adult, &t.start, &t.end, &t.runtime, &d[0], &d[1], &d[2], &d[3], &d[4])
			stored[id], storedDetails[id] = t, d
			return err
		})
		if err != nil {
			return err
		}
		genres := map[string][]string{}
		err = s.stmts.Scan(ctx, tx, dl, readGenres, ids, func(r scanner) error {
			var id, g string
			err := r.Scan(&id, &g)
			genres[id] = append(genres[id], g)
			return err
		})
		if err != nil {
			return err
		}
		var inserts, updates, fills, addGenres, dropGenres, langs, countries [][]any
		var bump []string
		for _, t := range batch {
			old, exists := stored[t.ID]
			if !exists {
				inserts = append(inserts, []any{t.ID, string(t.Kind), t.Title, sortTitle(t.Title), t.OriginalTitle, b2i(t.Adult), t.StartYear, t.EndYear,
					t.RuntimeMinutes, now, 1, t.ReleaseDate, t.Overview, t.Tagline, t.Status, t.OriginalLang})
				for i, l := range t.SpokenLangs {
					langs = append(langs, []any{t.ID, i + 1, l})
				}
				for i, c := range t.Countries {
					countries = append(countries, []any{t.ID, i + 1, c})
				}
			}
			want := slices.Clone(t.Genres)
			slices.Sort(want)
			want = slices.Compact(want)
			have := genres[t.ID]
			slices.Sort(have)
			genresChanged := false
			for _, g := range want {
				if _, ok := slices.BinarySearch(have, g); !ok {
					addGenres = append(addGenres, []any{t.ID, g})
					genresChanged = true
				}
			}
			for _, g := range have {
				if _, ok := slices.BinarySearch(want, g); !ok {
					dropGenres = append(dropGenres, []any{t.ID, g})
					genresChanged = true
				}
			}
			if exists {
				if d, ok := storedDetails[t.ID].fill(titleDetails(t)); ok {
					fills = append(fills, []any{t.ID, d[0], d[1], d[2], d[3], d[4], now})
				}
			}
			switch {
			case !exists:
			case old != bulkRow(t):
				updates = append(updates, []any{t.ID, string(t.Kind), t.Title, sortTitle(t.Title), t.OriginalTitle, b2i(t.Adult), t.StartYear, t.EndYear,
					t.RuntimeMinutes, now, 1, "", "", "", "", ""})
			case genresChanged:
				bump = append(bump, t.ID)
			}
		}
		for _, w := range []struct {
			s    *shape
			rows [][]any
		}{{titleInsert, inserts}, {titleInsert, updates}, {genreDelete, dropGenres}, {genreInsert, addGenres},
			{languageInsert, langs}, {countryInsert, countries}, {detailsFill, fills}} {
			if err := s.stmts.Rows(ctx, tx, dl, w.s, w.rows); err != nil {
				return err
			}
		}
		return s.bump(ctx, tx, bump, now)
	})
}

// bump gives the titles ids version+1.
func (s *Store) bump(ctx context.Context, tx *sql.Tx, ids []string, now time.Time) error {
	for _, args := range idChunks(ids) {
		if _, err := s.stmts.Exec(ctx, tx, bumpVersions.SQL(s.db.Dialect(), len(args)), append([]any{now}, args...)...); err != nil {
			return err
		}
	}
	return nil
}

// UpsertAkas implements inventory.BulkStore: akas of titles that do not
// exist are skipped; a title whose akas changed gets version+1.
func (s *Store) UpsertAkas(ctx context.Context, rows []inventory.AkaRow) error {
	if len(rows) == 0 {
		return nil
	}
	type key struct {
		id  string
		ord int
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		if len(ids) == 0 || ids[len(ids)-1] != r.TitleID {
			ids = append(ids, r.TitleID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	s.prepareBulk(ctx)
	dl := s.db.Dialect()
	now := db.Now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		titles := make(map[string]bool, len(ids))
		stored := map[key][]any{}
		err := s.stmts.Scan(ctx, tx, dl, readAkas, ids, func(r scanner) error {
			var id string
			var ord, orig sql.NullInt64
			var title, region, lang, types, attrs sql.NullString
			if err := r.Scan(&id, &ord, &title, &region, &lang, &types, &attrs, &orig); err != nil {
				return err
			}
			titles[id] = true
			if ord.Valid {
				stored[key{id, int(ord.Int64)}] = []any{id, int(ord.Int64), title.String, region.String, lang.String, types.String, attrs.String, int(orig.Int64)}
			}
			return nil
		})
		if err != nil {
			return err
		}
		var out [][]any
		var changed []string
		at := map[key]int{}
		for _, r := range rows {
			if !titles[r.TitleID] {
				continue
			}
			row := []any{r.TitleID, r.Ordering, r.Title, r.Region, r.Language, strings.Join(r.Types, ","), strings.Join(r.Attributes, ","), b2i(r.Original)}
			k := key{r.TitleID, r.Ordering}
			if old, ok := stored[k]; ok && slices.Equal(old, row) {
				continue
			}
			if i, ok := at[k]; ok {
				out[i] = row // the last row of a key wins, as it would row by row
				continue
			}
			at[k] = len(out)
			out = append(out, row)
			if len(changed) == 0 || changed[len(changed)-1] != r.TitleID {
				changed = append(changed, r.TitleID)
			}
		}
		if err := s.stmts.Rows(ctx, tx, dl, akaWrite, out); err != nil {
			return err
		}
		slices.Sort(changed)
		return s.bump(ctx, tx, slices.Compact(changed), now)
	})
}

// updateTitles runs an updateFrom shape on rows, the last row of an id winning.
func (s *Store) updateTitles(ctx context.Context, sh *shape, rows [][]any) error {
	at := make(map[any]int, len(rows))
	var out [][]any
	for _, r := range rows {
		if i, ok := at[r[0]]; ok {
			out[i] = r
			continue
		}
		at[r[0]] = len(out)
		out = append(out, r)
	}
	s.prepareBulk(ctx)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		return s.stmts.Rows(ctx, tx, s.db.Dialect(), sh, out)
	})
}

// UpsertRatings implements inventory.BulkStore: a title whose rating
// changed gets version+1.
func (s *Store) UpsertRatings(ctx context.Context, rows []inventory.RatingRow) error {
	if len(rows) == 0 {
		return nil
	}
	now := db.Now()
	out := make([][]any, len(rows))
	for i, r := range rows {
		pop := r.Popularity
		if pop == 0 {
			pop = inventory.PopularityFromRating(r.Rating)
		}
		out[i] = []any{r.TitleID, r.Average, r.Votes, pop, now}
	}
	return s.updateTitles(ctx, ratingsUpdate, out)
}

// UpsertEpisodes implements inventory.BulkStore: an episode whose link
// changed gets version+1.
func (s *Store) UpsertEpisodes(ctx context.Context, rows []inventory.EpisodeRow) error {
	if len(rows) == 0 {
		return nil
	}
	now := db.Now()
	out := make([][]any, len(rows))
	for i, r := range rows {
		out[i] = []any{r.ID, r.ParentID, r.Season, r.Episode, now}
	}
	return s.updateTitles(ctx, episodesUpdate, out)
}

// FinishImport ends a bulk load: it enqueues one title.updated keyed
// inventory.AllTitles, which tells every consumer that any title may have
// changed (caches drop everything), instead of one event per row.
func (s *Store) FinishImport(ctx context.Context) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		return events.Enqueue(ctx, tx, inventory.TitleUpdated.MustMessage(inventory.AllTitles, inventory.TitleEvent{ID: inventory.AllTitles}))
	})
}
