package sqlstore

import (
	"context"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/search"
)

// IndexDocs returns up to limit people with an id after afterID, in id
// order, as search documents: name then also-known-as (duplicates
// dropped), kind "person", birth year and popularity. The search index's
// rebuild pages through the people with it.
func (s *Store) IndexDocs(ctx context.Context, afterID string, limit int) ([]search.Doc, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT id, name, birth_date, popularity FROM people WHERE id > ? ORDER BY id LIMIT ?", afterID, limit)
	if err != nil {
		return nil, err
	}
	var docs []search.Doc
	for rows.Next() {
		var d search.Doc
		var name, birth string
		if err := rows.Scan(&d.ID, &name, &birth, &d.Popularity); err != nil {
			rows.Close()
			return nil, err
		}
		d.Kind, d.Year = "person", actor.BirthYear(birth)
		d.Names = search.AddName(nil, name)
		docs = append(docs, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(docs) == 0 {
		return docs, err
	}
	at := make(map[string]int, len(docs))
	ids := make([]string, len(docs))
	for i, d := range docs {
		at[d.ID] = i
		ids[i] = d.ID
	}
	err = db.EachIn(ctx, s.db.Reader(), "SELECT person_id, name FROM person_akas WHERE person_id IN (%s) ORDER BY person_id, ord", ids, func(r db.Scanner) error {
		var id, name string
		if err := r.Scan(&id, &name); err != nil {
			return err
		}
		if i, ok := at[id]; ok {
			docs[i].Names = search.AddName(docs[i].Names, name)
		}
		return nil
	})
	return docs, err
}

// ExistingIDs returns the ids among ids that name a person (merged-away
// ids do not). The search index's sweep drops the others.
func (s *Store) ExistingIDs(ctx context.Context, ids []string) ([]string, error) {
	var out []string
	err := db.EachIn(ctx, s.db.Reader(), "SELECT id FROM people WHERE id IN (%s)", ids, func(r db.Scanner) error {
		var id string
		err := r.Scan(&id)
		out = append(out, id)
		return err
	})
	return out, err
}

// CountDocs returns how many people there are (the search index's sweep
// runs only when its count differs).
func (s *Store) CountDocs(ctx context.Context) (int, error) {
	var n int
	err := s.db.Reader().QueryRowContext(ctx, "SELECT COUNT(*) FROM people").Scan(&n)
	return n, err
}

// HitPeople returns what a search hit shows of the people among ids that
// exist (id, name, professions, known-for, popularity), in three indexed
// reads: lighter than People, which a search does not need (biography,
// places, akas, redirects).
func (s *Store) HitPeople(ctx context.Context, ids []string) (map[string]actor.Person, error) {
	found := make(map[string]*actor.Person, len(ids))
	err := db.InChunks(ids, func(list string, args []any) error {
		err := db.Each(ctx, s.db.Reader(), "SELECT id, name, popularity FROM people WHERE id IN ("+list+")", args, func(r db.Scanner) error {
			p := &actor.Person{Professions: []string{}, KnownFor: []string{}}
			if err := r.Scan(&p.ID, &p.Name, &p.Popularity); err != nil {
				return err
			}
			found[p.ID] = p
			return nil
		})
		if err != nil {
			return err
		}
		return readLists(ctx, s.db.Reader(), list, args, found, professionsList, knownForList)
	})
	out := make(map[string]actor.Person, len(found))
	for _, p := range found {
		out[p.ID] = *p
	}
	return out, err
}
