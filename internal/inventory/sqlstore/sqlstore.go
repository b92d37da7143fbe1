// Package sqlstore keeps the catalog in SQL (SQLite or MySQL/MariaDB
// through platform/db): one row per title in titles, its lists in child
// tables keyed by (title_id, ordering), external ids in title_external_ids.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the schema of the store.
var Migrations = db.Migrations{Name: "inventory", FS: db.MustSub(migrationsFS, "migrations")}

// Store implements inventory.Store and inventory.Searcher (a LIKE scan,
// the fallback until the search index is plugged in).
type Store struct {
	db *db.DB
	// stmts are the bulk paths' prepared statements.
	stmts stmtCache
}

var (
	_ inventory.Store    = (*Store)(nil)
	_ inventory.Searcher = (*Store)(nil)
)

// New returns a store on d (migrated with Migrations and events.Migrations).
func New(d *db.DB) *Store { return &Store{db: d} }

const titleCols = "id, kind, title, original_title, adult, start_year, end_year, release_date, runtime_minutes, overview, tagline, status, " +
	"original_language, popularity, rating_avg, rating_votes, parent_id, season_number, episode_number, version, updated_at"

func scanTitle(row scanner) (inventory.Title, error) {
	var t inventory.Title
	var kind string
	var adult int
	err := row.Scan(&t.ID, &kind, &t.Title, &t.OriginalTitle, &adult, &t.StartYear, &t.EndYear, &t.ReleaseDate, &t.RuntimeMinutes,
		&t.Overview, &t.Tagline, &t.Status, &t.OriginalLang, &t.Popularity, &t.Rating.Average, &t.Rating.Votes,
		&t.ParentID, &t.SeasonNumber, &t.EpisodeNumber, &t.Version, &t.UpdatedAt)
	t.Kind = inventory.Kind(kind)
	t.Adult = adult != 0
	t.UpdatedAt = t.UpdatedAt.UTC()
	return t, err
}

// sortTitle is the key titles sort and LIKE-search by.
func sortTitle(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	for len(s) > 255 {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func titleRow(t inventory.Title) []any {
	return []any{t.ID, string(t.Kind), t.Title, sortTitle(t.Title), t.OriginalTitle, b2i(t.Adult), t.StartYear, t.EndYear, t.ReleaseDate,
		t.RuntimeMinutes, t.Overview, t.Tagline, t.Status, t.OriginalLang, t.Popularity, t.Rating.Average, t.Rating.Votes,
		t.ParentID, t.SeasonNumber, t.EpisodeNumber, t.Version, t.UpdatedAt}
}

var titleUpsert = db.Upsert{Table: "titles", Key: []string{"id"}, Cols: []string{
	"id", "kind", "title", "sort_title", "original_title", "adult", "start_year", "end_year", "release_date", "runtime_minutes",
	"overview", "tagline", "status", "original_language", "popularity", "rating_avg", "rating_votes",
	"parent_id", "season_number", "episode_number", "version", "updated_at"}}

// Get implements inventory.Store. Reads go to the writer: a title just
// written must read back at once (the cache in front absorbs the load).
func (s *Store) Get(ctx context.Context, id string) (inventory.Details, error) {
	return s.get(ctx, s.db.Writer(), id)
}

func (s *Store) get(ctx context.Context, q db.Querier, id string) (inventory.Details, error) {
	var d inventory.Details
	t, err := scanTitle(q.QueryRowContext(ctx, "SELECT "+titleCols+" FROM titles WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, errs.NotFound("title %s", id)
	}
	if err != nil {
		return d, fmt.Errorf("read title %s: %w", id, err)
	}
	d.Title = t
	if err := s.children(ctx, q, &d); err != nil {
		return d, fmt.Errorf("read title %s: %w", id, err)
	}
	return d, nil
}

// children loads a title's lists.
func (s *Store) children(ctx context.Context, q db.Querier, d *inventory.Details) error {
	id := d.ID
	d.Genres, d.SpokenLangs, d.Countries = []string{}, []string{}, []string{}
	err := db.Each(ctx, q, "SELECT genre FROM title_genres WHERE title_id = ? ORDER BY genre", []any{id}, func(r scanner) error {
		var g string
		err := r.Scan(&g)
		d.Genres = append(d.Genres, g)
		return err
	})
	if err == nil {
		err = db.Each(ctx, q, "SELECT language FROM title_languages WHERE title_id = ? ORDER BY ordering", []any{id}, func(r scanner) error {
			var v string
			err := r.Scan(&v)
			d.SpokenLangs = append(d.SpokenLangs, v)
			return err
		})
	}
	if err == nil {
		err = db.Each(ctx, q, "SELECT country FROM title_countries WHERE title_id = ? ORDER BY ordering", []any{id}, func(r scanner) error {
			var v string
			err := r.Scan(&v)
			d.Countries = append(d.Countries, v)
			return err
		})
	}
	if err == nil {
		d.Akas = []inventory.Aka{}
		err = db.Each(ctx, q, "SELECT title, region, language, types, attributes, is_original FROM title_akas WHERE title_id = ? ORDER BY ordering", []any{id}, func(r scanner) error {
			var a inventory.Aka
			var types, attrs string
			var orig int
			err := r.Scan(&a.Title, &a.Region, &a.Language, &types, &attrs, &orig)
			a.Types, a.Attributes, a.Original = split(types), split(attrs), orig != 0
			d.Akas = append(d.Akas, a)
			return err
		})
	}
	if err == nil {
		d.Releases = []inventory.Release{}
		err = db.Each(ctx, q, "SELECT country, date, type, note FROM title_releases WHERE title_id = ? ORDER BY ordering", []any{id}, func(r scanner) error {
			var v inventory.Release
			err := r.Scan(&v.Country, &v.Date, &v.Type, &v.Note)
			d.Releases = append(d.Releases, v)
			return err
		})
	}
	if err == nil {
		d.Certifications = []inventory.Certification{}
		err = db.Each(ctx, q, "SELECT country, certification FROM title_certifications WHERE title_id = ? ORDER BY country", []any{id}, func(r scanner) error {
			var v inventory.Certification
			err := r.Scan(&v.Country, &v.Certification)
			d.Certifications = append(d.Certifications, v)
			return err
		})
	}
	if err == nil {
		d.Images = []inventory.Image{}
		err = db.Each(ctx, q, "SELECT kind, path, width, height, language, sizes FROM title_images WHERE title_id = ? ORDER BY ordering", []any{id}, func(r scanner) error {
			var v inventory.Image
			var sizes string
			err := r.Scan(&v.Kind, &v.Path, &v.Width, &v.Height, &v.Language, &sizes)
			v.Sizes = split(sizes)
			d.Images = append(d.Images, v)
			return err
		})
	}
	if err == nil {
		ext := inventory.ExternalIDs{}
		if strings.HasPrefix(id, "tt") {
			ext.IMDb = id
		}
		err = db.Each(ctx, q, "SELECT source, external_id FROM title_external_ids WHERE title_id = ?", []any{id}, func(r scanner) error {
			var src, v string
			if err := r.Scan(&src, &v); err != nil {
				return err
			}
			switch src {
			case "imdb":
				ext.IMDb = v
			case "tmdb":
				_, _ = fmt.Sscan(v, &ext.TMDB)
			}
			return nil
		})
		d.ExternalIDs = &ext
	}
	return err
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// summaryCols select what a Summary needs, the poster coming from the
// first poster image.
const summaryCols = "t.id, t.kind, t.title, t.start_year, t.rating_avg, t.rating_votes, t.popularity, t.release_date, " +
	"COALESCE((SELECT i.path FROM title_images i WHERE i.title_id = t.id AND i.kind = 'poster' ORDER BY i.ordering LIMIT 1), '')"

func scanListed(r scanner) (inventory.Listed, error) {
	var l inventory.Listed
	var kind string
	err := r.Scan(&l.ID, &kind, &l.Title, &l.StartYear, &l.Rating.Average, &l.Rating.Votes, &l.Popularity, &l.ReleaseDate, &l.Poster)
	l.Kind = inventory.Kind(kind)
	return l, err
}

// Summaries implements inventory.Store.
func (s *Store) Summaries(ctx context.Context, ids []string) ([]inventory.Summary, error) {
	out := []inventory.Summary{}
	if len(ids) == 0 {
		return out, nil
	}
	err := db.Each(ctx, s.db.Writer(), "SELECT "+summaryCols+" FROM titles t WHERE t.id IN ("+db.Placeholders(len(ids))+")", db.Args(ids), func(r scanner) error {
		l, err := scanListed(r)
		out = append(out, l.Summary)
		return err
	})
	return out, err
}

// FindExternal implements inventory.Store.
func (s *Store) FindExternal(ctx context.Context, source, value string) (string, error) {
	var id string
	err := s.db.Writer().QueryRowContext(ctx, "SELECT title_id FROM title_external_ids WHERE source = ? AND external_id = ?", source, value).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) && source == "imdb" {
		err = s.db.Writer().QueryRowContext(ctx, "SELECT id FROM titles WHERE id = ?", value).Scan(&id)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.NotFound("title with %s id %s", source, value)
	}
	return id, err
}

// Seasons implements inventory.Store.
func (s *Store) Seasons(ctx context.Context, seriesID string) ([]inventory.Season, error) {
	out := []inventory.Season{}
	err := db.Each(ctx, s.db.Writer(), `SELECT season_number, COUNT(*), MIN(CASE WHEN release_date = '' THEN NULL ELSE release_date END), MIN(CASE WHEN start_year = 0 THEN NULL ELSE start_year END)
		FROM titles WHERE parent_id = ? GROUP BY season_number ORDER BY season_number`, []any{seriesID}, func(r scanner) error {
		var se inventory.Season
		var air sql.NullString
		var year sql.NullInt64
		err := r.Scan(&se.SeasonNumber, &se.EpisodeCount, &air, &year)
		se.SeriesID, se.AirDate, se.FirstYear = seriesID, air.String, int(year.Int64)
		out = append(out, se)
		return err
	})
	return out, err
}

// Episodes implements inventory.Store.
func (s *Store) Episodes(ctx context.Context, seriesID string, season int) ([]inventory.Episode, error) {
	out := []inventory.Episode{}
	err := db.Each(ctx, s.db.Writer(), `SELECT id, title, season_number, episode_number, release_date, start_year, runtime_minutes, overview, rating_avg, rating_votes, popularity
		FROM titles WHERE parent_id = ? AND season_number = ? ORDER BY episode_number, id`, []any{seriesID, season}, func(r scanner) error {
		var e inventory.Episode
		err := r.Scan(&e.ID, &e.Title, &e.SeasonNumber, &e.EpisodeNumber, &e.AirDate, &e.Year, &e.RuntimeMinutes, &e.Overview, &e.Rating.Average, &e.Rating.Votes, &e.Popularity)
		out = append(out, e)
		return err
	})
	return out, err
}

// EpisodeID implements inventory.Store.
func (s *Store) EpisodeID(ctx context.Context, seriesID string, season, episode int) (string, error) {
	var id string
	err := s.db.Writer().QueryRowContext(ctx, "SELECT id FROM titles WHERE parent_id = ? AND season_number = ? AND episode_number = ? ORDER BY id LIMIT 1",
		seriesID, season, episode).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.NotFound("episode %d of season %d of title %s", episode, season, seriesID)
	}
	return id, err
}

// Similar implements inventory.Store: titles of the same kind sharing the
// most genres, the more popular first.
func (s *Store) Similar(ctx context.Context, id string, limit int) ([]inventory.Summary, error) {
	out := []inventory.Summary{}
	err := db.Each(ctx, s.db.Reader(), `SELECT `+summaryCols+` FROM titles t JOIN (
			SELECT o.title_id, COUNT(*) AS shared FROM title_genres g JOIN title_genres o ON o.genre = g.genre AND o.title_id <> g.title_id
			WHERE g.title_id = ? GROUP BY o.title_id ORDER BY shared DESC LIMIT 200
		) m ON m.title_id = t.id
		WHERE t.kind = (SELECT kind FROM titles WHERE id = ?)
		ORDER BY m.shared DESC, t.popularity DESC, t.id LIMIT ?`, []any{id, id, limit}, func(r scanner) error {
		l, err := scanListed(r)
		out = append(out, l.Summary)
		return err
	})
	return out, err
}

// Create implements inventory.Store.
func (s *Store) Create(ctx context.Context, d inventory.Details, event func(inventory.Details) events.Message) (inventory.Details, error) {
	d.Version = 1
	d.UpdatedAt = db.Now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM titles WHERE id = ?", d.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errs.Conflict("title %s exists already", d.ID)
		}
		if err := s.write(ctx, tx, d); err != nil {
			return err
		}
		return events.Enqueue(ctx, tx, event(d))
	})
	return d, err
}

// Update implements inventory.Store.
func (s *Store) Update(ctx context.Context, id string, expect int64, change func(*inventory.Details) error, event func(inventory.Details) events.Message) (inventory.Details, error) {
	var d inventory.Details
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if d, err = s.lockedGet(ctx, tx, id); err != nil {
			return err
		}
		if expect > 0 && d.Version != expect {
			return errs.Precondition("title %s is at version %d, not %d; read it again and retry", id, d.Version, expect)
		}
		if err := change(&d); err != nil {
			return err
		}
		d.ID = id
		d.Version++
		d.UpdatedAt = db.Now()
		if err := s.write(ctx, tx, d); err != nil {
			return err
		}
		return events.Enqueue(ctx, tx, event(d))
	})
	return d, err
}

// lockedGet reads a title inside a write transaction, locking its row on MySQL.
func (s *Store) lockedGet(ctx context.Context, tx *sql.Tx, id string) (inventory.Details, error) {
	if s.db.Dialect() == db.MySQL {
		var v int64
		if err := tx.QueryRowContext(ctx, "SELECT version FROM titles WHERE id = ? FOR UPDATE", id).Scan(&v); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return inventory.Details{}, err
		}
	}
	return s.get(ctx, tx, id)
}

// Delete implements inventory.Store.
func (s *Store) Delete(ctx context.Context, id string, expect int64, event func(inventory.Details) events.Message) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		d, err := s.lockedGet(ctx, tx, id)
		if err != nil {
			return err
		}
		if expect > 0 && d.Version != expect {
			return errs.Precondition("title %s is at version %d, not %d; read it again and retry", id, d.Version, expect)
		}
		if err := deleteChildren(ctx, tx, []string{id}); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM title_external_ids WHERE title_id = ?", id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM titles WHERE id = ?", id); err != nil {
			return err
		}
		// Its episodes stay, unlinked: they are titles of their own.
		if _, err := tx.ExecContext(ctx, "UPDATE titles SET parent_id = '', version = version + 1 WHERE parent_id = ?", id); err != nil {
			return err
		}
		return events.Enqueue(ctx, tx, event(d))
	})
}

var childTables = []string{"title_genres", "title_languages", "title_countries", "title_akas", "title_releases", "title_certifications", "title_images"}

func deleteChildren(ctx context.Context, tx db.Querier, ids []string) error {
	for _, t := range childTables {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE title_id IN ("+db.Placeholders(len(ids))+")", db.Args(ids)...); err != nil {
			return err
		}
	}
	return nil
}

// write stores d whole: its row, and its lists replacing the old ones.
func (s *Store) write(ctx context.Context, tx *sql.Tx, d inventory.Details) error {
	if err := titleUpsert.Exec(ctx, tx, s.db.Dialect(), [][]any{titleRow(d.Title)}); err != nil {
		return err
	}
	if err := deleteChildren(ctx, tx, []string{d.ID}); err != nil {
		return err
	}
	if err := s.writeLists(ctx, tx, d.ID, d.Genres, d.SpokenLangs, d.Countries); err != nil {
		return err
	}
	dl := s.db.Dialect()
	var rows [][]any
	for i, a := range d.Akas {
		rows = append(rows, []any{d.ID, i + 1, a.Title, a.Region, a.Language, strings.Join(a.Types, ","), strings.Join(a.Attributes, ","), b2i(a.Original)})
	}
	if err := execRows(ctx, tx, dl, akaUpsert, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for i, r := range d.Releases {
		rows = append(rows, []any{d.ID, i + 1, r.Country, r.Date, r.Type, r.Note})
	}
	if err := execRows(ctx, tx, dl, releaseUpsert, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for _, c := range d.Certifications {
		rows = append(rows, []any{d.ID, c.Country, c.Certification})
	}
	if err := execRows(ctx, tx, dl, certUpsert, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for i, im := range d.Images {
		rows = append(rows, []any{d.ID, i + 1, im.Kind, im.Path, im.Width, im.Height, im.Language, strings.Join(im.Sizes, ",")})
	}
	if err := execRows(ctx, tx, dl, imageUpsert, rows); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM title_external_ids WHERE title_id = ?", d.ID); err != nil {
		return err
	}
	rows = rows[:0]
	if e := d.ExternalIDs; e != nil {
		if e.IMDb != "" && e.IMDb != d.ID {
			rows = append(rows, []any{"imdb", e.IMDb, d.ID})
		}
		if e.TMDB != 0 {
			rows = append(rows, []any{"tmdb", fmt.Sprint(e.TMDB), d.ID})
		}
	}
	for _, r := range rows {
		_, err := tx.ExecContext(ctx, "INSERT INTO title_external_ids (source, external_id, title_id) VALUES (?, ?, ?)", r...)
		if db.IsDuplicate(err) {
			return errs.Invalid("body.external_ids", "%s id %s belongs to another title", r[0], r[1])
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) writeLists(ctx context.Context, tx db.Querier, id string, genres, langs, countries []string) error {
	dl := s.db.Dialect()
	var rows [][]any
	for _, g := range genres {
		rows = append(rows, []any{id, g})
	}
	if err := execRows(ctx, tx, dl, genreUpsert, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for i, l := range langs {
		rows = append(rows, []any{id, i + 1, l})
	}
	if err := execRows(ctx, tx, dl, languageUpsert, rows); err != nil {
		return err
	}
	rows = rows[:0]
	for i, c := range countries {
		rows = append(rows, []any{id, i + 1, c})
	}
	return execRows(ctx, tx, dl, countryUpsert, rows)
}

func execRows(ctx context.Context, q db.Querier, d db.Dialect, u db.Upsert, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	return u.Exec(ctx, q, d, rows)
}

var (
	genreUpsert    = db.Upsert{Table: "title_genres", Cols: []string{"title_id", "genre"}, Key: []string{"title_id", "genre"}}
	languageUpsert = db.Upsert{Table: "title_languages", Cols: []string{"title_id", "ordering", "language"}, Key: []string{"title_id", "ordering"}}
	countryUpsert  = db.Upsert{Table: "title_countries", Cols: []string{"title_id", "ordering", "country"}, Key: []string{"title_id", "ordering"}}
	akaUpsert      = db.Upsert{Table: "title_akas", Cols: []string{"title_id", "ordering", "title", "region", "language", "types", "attributes", "is_original"}, Key: []string{"title_id", "ordering"}}
	releaseUpsert  = db.Upsert{Table: "title_releases", Cols: []string{"title_id", "ordering", "country", "date", "type", "note"}, Key: []string{"title_id", "ordering"}}
	certUpsert     = db.Upsert{Table: "title_certifications", Cols: []string{"title_id", "country", "certification"}, Key: []string{"title_id", "country"}}
	imageUpsert    = db.Upsert{Table: "title_images", Cols: []string{"title_id", "ordering", "kind", "path", "width", "height", "language", "sizes"}, Key: []string{"title_id", "ordering"}}
)
