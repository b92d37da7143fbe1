package sqlstore

import (
	"context"

	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/search"
)

// IndexDocs returns up to limit titles with an id after afterID, in id
// order, as search documents: title, original title and aka titles
// (duplicates dropped), kind, start year and popularity. The search
// index's rebuild pages through the catalog with it.
func (s *Store) IndexDocs(ctx context.Context, afterID string, limit int) ([]search.Doc, error) {
	var docs []search.Doc
	err := db.Each(ctx, s.db.Reader(), `SELECT id, kind, title, original_title, start_year, popularity
		FROM titles WHERE id > ? ORDER BY id LIMIT ?`, []any{afterID, limit}, func(r scanner) error {
		var d search.Doc
		var title, original string
		if err := r.Scan(&d.ID, &d.Kind, &title, &original, &d.Year, &d.Popularity); err != nil {
			return err
		}
		d.Names = search.AddName(nil, title)
		d.Names = search.AddName(d.Names, original)
		docs = append(docs, d)
		return nil
	})
	if err != nil || len(docs) == 0 {
		return docs, err
	}
	at := make(map[string]int, len(docs))
	ids := make([]string, len(docs))
	for i, d := range docs {
		at[d.ID] = i
		ids[i] = d.ID
	}
	err = db.Each(ctx, s.db.Reader(), `SELECT title_id, title FROM title_akas WHERE title_id IN (`+db.Placeholders(len(ids))+`)
		ORDER BY title_id, ordering`, db.Args(ids), func(r scanner) error {
		var id, title string
		if err := r.Scan(&id, &title); err != nil {
			return err
		}
		if i, ok := at[id]; ok {
			docs[i].Names = search.AddName(docs[i].Names, title)
		}
		return nil
	})
	return docs, err
}

// ExistingIDs returns the ids among ids that name a title. The search
// index's sweep drops the others.
func (s *Store) ExistingIDs(ctx context.Context, ids []string) ([]string, error) {
	var out []string
	err := db.EachIn(ctx, s.db.Reader(), "SELECT id FROM titles WHERE id IN (%s)", ids, func(r scanner) error {
		var id string
		err := r.Scan(&id)
		out = append(out, id)
		return err
	})
	return out, err
}

// CountDocs returns how many titles there are (the search index's sweep
// runs only when its count differs).
func (s *Store) CountDocs(ctx context.Context) (int, error) {
	var n int
	err := s.db.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM titles").Scan(&n)
	return n, err
}
