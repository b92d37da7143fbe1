package sqlstore

import (
	"context"

	"github.com/cdlc/cdlc/internal/actor"
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
		d.Names = actor.AddName(nil, name)
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
	for start := 0; start < len(ids); start += inChunk {
		chunk := ids[start:min(start+inChunk, len(ids))]
		rows, err := s.db.Reader().QueryContext(ctx, "SELECT person_id, name FROM person_akas WHERE person_id IN ("+marks(len(chunk))+") ORDER BY person_id, ord", anys(chunk)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id, name string
			if err := rows.Scan(&id, &name); err != nil {
				rows.Close()
				return nil, err
			}
			if i, ok := at[id]; ok {
				docs[i].Names = actor.AddName(docs[i].Names, name)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return docs, nil
}

// ExistingIDs returns the ids among ids that name a person (merged-away
// ids do not). The search index's sweep drops the others.
func (s *Store) ExistingIDs(ctx context.Context, ids []string) ([]string, error) {
	var out []string
	for start := 0; start < len(ids); start += inChunk {
		chunk := ids[start:min(start+inChunk, len(ids))]
		rows, err := s.db.Reader().QueryContext(ctx, "SELECT id FROM people WHERE id IN ("+marks(len(chunk))+")", anys(chunk)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
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
	out := make(map[string]actor.Person, len(ids))
	for start := 0; start < len(ids); start += inChunk {
		chunk := ids[start:min(start+inChunk, len(ids))]
		in := "(" + marks(len(chunk)) + ")"
		rows, err := s.db.Reader().QueryContext(ctx, "SELECT id, name, popularity FROM people WHERE id IN "+in, anys(chunk)...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			p := actor.Person{Professions: []string{}, KnownFor: []string{}}
			if err := rows.Scan(&p.ID, &p.Name, &p.Popularity); err != nil {
				rows.Close()
				return nil, err
			}
			out[p.ID] = p
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		for _, l := range []struct {
			sql string
			add func(p *actor.Person, v string)
		}{
			{"SELECT person_id, profession FROM person_professions WHERE person_id IN " + in + " ORDER BY person_id, ord", func(p *actor.Person, v string) { p.Professions = append(p.Professions, v) }},
			{"SELECT person_id, title_id FROM person_known_for WHERE person_id IN " + in + " ORDER BY person_id, ord", func(p *actor.Person, v string) { p.KnownFor = append(p.KnownFor, v) }},
		} {
			rows, err := s.db.Reader().QueryContext(ctx, l.sql, anys(chunk)...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var id, v string
				if err := rows.Scan(&id, &v); err != nil {
					rows.Close()
					return nil, err
				}
				if p, ok := out[id]; ok {
					l.add(&p, v)
					out[id] = p
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}
