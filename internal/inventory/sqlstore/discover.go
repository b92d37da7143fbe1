package sqlstore

import (
	"context"
	"strings"

	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/db"
)

// sortColumn maps a sort key to its column; numeric says how the
// position's value is carried.
func sortColumn(sort string) (col string, numeric bool) {
	switch sort {
	case inventory.SortRating:
		return "t.rating_avg", true
	case inventory.SortReleaseDate:
		return "t.release_date", false
	case inventory.SortTitle:
		return "t.sort_title", false
	default:
		return "t.popularity", true
	}
}

// Discover implements inventory.Store with keyset pagination: the page
// starts strictly after the position (sort value, id), so pages neither
// overlap nor skip, however deep, and ties are broken by id.
func (s *Store) Discover(ctx context.Context, q inventory.DiscoverQuery) ([]inventory.Listed, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) {
		where = append(where, cond)
		args = append(args, a...)
	}
	if len(q.Kinds) > 0 {
		add("t.kind IN ("+db.Placeholders(len(q.Kinds))+")", db.Args(q.Kinds)...)
	}
	if len(q.Genres) > 0 {
		if q.AllGenres {
			for _, g := range q.Genres {
				add("EXISTS (SELECT 1 FROM title_genres g WHERE g.title_id = t.id AND LOWER(g.genre) = ?)", g)
			}
		} else {
			add("EXISTS (SELECT 1 FROM title_genres g WHERE g.title_id = t.id AND LOWER(g.genre) IN ("+db.Placeholders(len(q.Genres))+"))", db.Args(q.Genres)...)
		}
	}
	if q.YearFrom > 0 {
		add("t.start_year >= ?", q.YearFrom)
	}
	if q.YearTo > 0 {
		add("t.start_year <= ? AND t.start_year > 0", q.YearTo)
	}
	if q.DateFrom != "" {
		add("t.release_date >= ?", q.DateFrom)
	}
	if q.DateTo != "" {
		add("t.release_date <= ? AND t.release_date <> ''", q.DateTo)
	}
	if q.RatingMin != nil {
		add("t.rating_avg >= ?", *q.RatingMin)
	}
	if q.RatingMax != nil {
		add("t.rating_avg <= ?", *q.RatingMax)
	}
	if q.VotesMin > 0 {
		add("t.rating_votes >= ?", q.VotesMin)
	}
	if len(q.Languages) > 0 {
		add("EXISTS (SELECT 1 FROM title_languages l WHERE l.title_id = t.id AND l.language IN ("+db.Placeholders(len(q.Languages))+"))", db.Args(q.Languages)...)
	}
	if q.OriginalLang != "" {
		add("t.original_language = ?", q.OriginalLang)
	}
	if len(q.Countries) > 0 {
		add("EXISTS (SELECT 1 FROM title_countries c WHERE c.title_id = t.id AND c.country IN ("+db.Placeholders(len(q.Countries))+"))", db.Args(q.Countries)...)
	}
	if len(q.Certifications) > 0 {
		var ors []string
		for _, c := range q.Certifications {
			ors = append(ors, "(c.country = ? AND c.certification = ?)")
			args = append(args, c.Country, c.Certification)
		}
		where = append(where, "EXISTS (SELECT 1 FROM title_certifications c WHERE c.title_id = t.id AND ("+strings.Join(ors, " OR ")+"))")
	}
	if q.RuntimeMin > 0 {
		add("t.runtime_minutes >= ?", q.RuntimeMin)
	}
	if q.RuntimeMax > 0 {
		add("t.runtime_minutes <= ? AND t.runtime_minutes > 0", q.RuntimeMax)
	}
	if q.WithTitles != nil {
		if len(q.WithTitles) == 0 {
			return []inventory.Listed{}, nil
		}
		add("t.id IN ("+db.Placeholders(len(q.WithTitles))+")", db.Args(q.WithTitles)...)
	}
	if len(q.WithoutTitles) > 0 {
		add("t.id NOT IN ("+db.Placeholders(len(q.WithoutTitles))+")", db.Args(q.WithoutTitles)...)
	}
	col, numeric := sortColumn(q.Sort)
	cmp, dir := ">", "ASC"
	if q.Desc {
		cmp, dir = "<", "DESC"
	}
	if p := q.After; p != nil {
		var v any = p.Text
		if numeric {
			v = p.Num
		}
		add("("+col+" "+cmp+" ? OR ("+col+" = ? AND t.id "+cmp+" ?))", v, v, p.ID)
	}
	query := "SELECT " + summaryCols + ", " + col + " FROM titles t"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY " + col + " " + dir + ", t.id " + dir + " LIMIT ?"
	args = append(args, q.Limit)
	out := []inventory.Listed{}
	err := db.Each(ctx, s.db.Reader(), query, args, func(r scanner) error {
		var l inventory.Listed
		var kind string
		var num float64
		var text string
		var key any = &text
		if numeric {
			key = &num
		}
		err := r.Scan(&l.ID, &kind, &l.Title, &l.StartYear, &l.Rating.Average, &l.Rating.Votes, &l.Popularity, &l.ReleaseDate, &l.Poster, key)
		l.Kind = inventory.Kind(kind)
		out = append(out, l.WithPos(inventory.Position{Sort: q.Sort, Desc: q.Desc, Num: num, Text: text, ID: l.ID}))
		return err
	})
	return out, err
}

// escapeLike makes s match itself in a LIKE pattern with ESCAPE '!'.
func escapeLike(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(s)
}

// Search implements inventory.Searcher with a LIKE scan over titles: a
// stand-in for the search index, exact in what it matches (a substring of
// the title, or its prefix for autocomplete) and ranked by where the text
// matched, then popularity. The text is a bound parameter, LIKE's own
// wildcards escaped: whatever a caller types is just text.
func (s *Store) Search(ctx context.Context, q inventory.SearchQuery) ([]inventory.SearchHit, error) {
	text := sortTitle(q.Text)
	out := []inventory.SearchHit{}
	if text == "" {
		return out, nil
	}
	pattern := escapeLike(text) + "%"
	if !q.Autocomplete {
		pattern = "%" + pattern
	}
	where := []string{"t.sort_title LIKE ? ESCAPE '!'"}
	args := []any{pattern}
	if len(q.Kinds) > 0 {
		where = append(where, "t.kind IN ("+db.Placeholders(len(q.Kinds))+")")
		args = append(args, db.Args(q.Kinds)...)
	}
	if q.YearFrom > 0 {
		where = append(where, "t.start_year >= ?")
		args = append(args, q.YearFrom)
	}
	if q.YearTo > 0 {
		where = append(where, "t.start_year <= ?")
		args = append(args, q.YearTo)
	}
	prefix := escapeLike(text) + "%"
	query := `SELECT t.id, t.kind, t.title, t.start_year, t.popularity,
		CASE WHEN t.sort_title = ? THEN 3 WHEN t.sort_title LIKE ? ESCAPE '!' THEN 2 ELSE 1 END AS match_rank
		FROM titles t WHERE ` + strings.Join(where, " AND ") + ` ORDER BY match_rank DESC, t.popularity DESC, t.id LIMIT ?`
	args = append([]any{text, prefix}, args...)
	args = append(args, q.Limit)
	err := db.Each(ctx, s.db.Reader(), query, args, func(r scanner) error {
		var h inventory.SearchHit
		var pop float64
		var rank int
		err := r.Scan(&h.ID, &h.Kind, &h.Name, &h.Year, &pop, &rank)
		h.Score = float64(rank) + pop/(pop+100)
		h.Normalized = h.Score / 3 // match rank 1..3 to about the index's 0..1.5
		out = append(out, h)
		return err
	})
	return out, err
}
