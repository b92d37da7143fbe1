package sqlstore

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/cdlc/cdlc/internal/inventory"
	"github.com/cdlc/cdlc/internal/platform/db"
)

// The importer's writes: each call is one transaction and idempotent.

// basicsUpsert writes the columns a bulk title carries: not the rating,
// popularity, episode links or version, which keep their stored values on
// update (and their defaults on insert).
var basicsUpsert = db.Upsert{Table: "titles", Key: []string{"id"}, Cols: []string{
	"id", "kind", "title", "sort_title", "original_title", "adult", "start_year", "end_year", "release_date", "runtime_minutes",
	"overview", "tagline", "status", "original_language", "updated_at"}}

// UpsertTitles implements inventory.BulkStore.
func (s *Store) UpsertTitles(ctx context.Context, titles []inventory.Title) error {
	if len(titles) == 0 {
		return nil
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	rows := make([][]any, 0, len(titles))
	ids := make([]string, 0, len(titles))
	seen := make(map[string]bool, len(titles))
	for _, t := range titles {
		if seen[t.ID] {
			continue // the last word would be ambiguous; the first wins
		}
		seen[t.ID] = true
		ids = append(ids, t.ID)
		rows = append(rows, []any{t.ID, string(t.Kind), t.Title, sortTitle(t.Title), t.OriginalTitle, b2i(t.Adult), t.StartYear, t.EndYear,
			t.ReleaseDate, t.RuntimeMinutes, t.Overview, t.Tagline, t.Status, t.OriginalLang, now})
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		dl := s.db.Dialect()
		if err := basicsUpsert.Exec(ctx, tx, dl, rows); err != nil {
			return err
		}
		for start := 0; start < len(ids); start += 5000 {
			chunk := ids[start:min(start+5000, len(ids))]
			in := placeholders(len(chunk))
			if _, err := tx.ExecContext(ctx, "UPDATE titles SET version = version + 1 WHERE id IN ("+in+")", anys(chunk)...); err != nil {
				return err
			}
			for _, t := range []string{"title_genres", "title_languages", "title_countries"} {
				if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE title_id IN ("+in+")", anys(chunk)...); err != nil {
					return err
				}
			}
		}
		var genres, langs, countries [][]any
		for _, t := range titles {
			if !seen[t.ID] {
				continue
			}
			seen[t.ID] = false
			for _, g := range t.Genres {
				genres = append(genres, []any{t.ID, g})
			}
			for i, l := range t.SpokenLangs {
				langs = append(langs, []any{t.ID, i + 1, l})
			}
			for i, c := range t.Countries {
				countries = append(countries, []any{t.ID, i + 1, c})
			}
		}
		if err := execRows(ctx, tx, dl, genreUpsert, genres); err != nil {
			return err
		}
		if err := execRows(ctx, tx, dl, languageUpsert, langs); err != nil {
			return err
		}
		return execRows(ctx, tx, dl, countryUpsert, countries)
	})
}

// existing returns which of ids are titles.
func existing(ctx context.Context, q db.Querier, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	for start := 0; start < len(ids); start += 5000 {
		chunk := ids[start:min(start+5000, len(ids))]
		err := each(ctx, q, "SELECT id FROM titles WHERE id IN ("+placeholders(len(chunk))+")", anys(chunk), func(r scanner) error {
			var id string
			err := r.Scan(&id)
			out[id] = true
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// UpsertAkas implements inventory.BulkStore.
func (s *Store) UpsertAkas(ctx context.Context, rows []inventory.AkaRow) error {
	if len(rows) == 0 {
		return nil
	}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.TitleID)
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		ok, err := existing(ctx, tx, ids)
		if err != nil {
			return err
		}
		out := make([][]any, 0, len(rows))
		for _, r := range rows {
			if ok[r.TitleID] {
				out = append(out, []any{r.TitleID, r.Ordering, r.Title, r.Region, r.Language, strings.Join(r.Types, ","), strings.Join(r.Attributes, ","), b2i(r.Original)})
			}
		}
		return execRows(ctx, tx, s.db.Dialect(), akaUpsert, out)
	})
}

// UpsertRatings implements inventory.BulkStore.
func (s *Store) UpsertRatings(ctx context.Context, rows []inventory.RatingRow) error {
	if len(rows) == 0 {
		return nil
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, "UPDATE titles SET rating_avg = ?, rating_votes = ?, popularity = ? WHERE id = ?")
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, r.Average, r.Votes, inventory.PopularityFromRating(r.Rating), r.TitleID); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpsertEpisodes implements inventory.BulkStore.
func (s *Store) UpsertEpisodes(ctx context.Context, rows []inventory.EpisodeRow) error {
	if len(rows) == 0 {
		return nil
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, "UPDATE titles SET parent_id = ?, season_number = ?, episode_number = ? WHERE id = ?")
		if err != nil {
			return err
		}
		defer st.Close()
		for _, r := range rows {
			if _, err := st.ExecContext(ctx, r.ParentID, r.Season, r.Episode, r.ID); err != nil {
				return err
			}
		}
		return nil
	})
}
