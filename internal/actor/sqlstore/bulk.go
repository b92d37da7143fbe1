package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

// The importer's writes (UpsertPeople, UpsertCredits): each call is one
// transaction and idempotent. They write only what the IMDb dataset
// supplies and only what changed, and enqueue no events: FinishImport
// enqueues one for the whole load.

var (
	// personInsert creates people with every column; for a person that
	// exists it updates the dataset's columns only (name, dates) with
	// version+1. (MySQL wants a value for every TEXT column even when the
	// row exists.)
	personInsert = newShape(func(d db.Dialect, n int) string {
		q := peopleUpsert.SQL(d, n)
		var set []string
		for _, c := range []string{"name", "search_name", "birth_date", "death_date", "updated_at"} {
			if d == db.MySQL {
				set = append(set, c+" = VALUES("+c+")")
			} else {
				set = append(set, c+" = excluded."+c)
			}
		}
		if d == db.MySQL {
			return q[:strings.Index(q, " ON DUPLICATE KEY UPDATE ")] + " ON DUPLICATE KEY UPDATE version = version + 1, " + strings.Join(set, ", ")
		}
		return q[:strings.Index(q, " ON CONFLICT ")] + " ON CONFLICT (id) DO UPDATE SET version = people.version + 1, " + strings.Join(set, ", ")
	})
	akaInsert        = newShape(func(d db.Dialect, n int) string { return akasUpsert.SQL(d, n) })
	professionInsert = newShape(func(d db.Dialect, n int) string { return professionsUpsert.SQL(d, n) })
	knownForInsert   = newShape(func(d db.Dialect, n int) string { return knownForUpsert.SQL(d, n) })
	imageInsert      = newShape(func(d db.Dialect, n int) string { return imagesUpsert.SQL(d, n) })
	externalInsert   = newShape(func(d db.Dialect, n int) string { return externalUpsert.SQL(d, n) })
	// creditWrite upserts credits; on SQLite a credit that did not change
	// is not rewritten (MySQL leaves such a row alone by itself).
	creditWrite = newShape(func(d db.Dialect, n int) string {
		q := creditsUpsert.SQL(d, n)
		if d == db.SQLite {
			q += " WHERE credits.department IS NOT excluded.department OR credits.characters IS NOT excluded.characters OR credits.ord IS NOT excluded.ord"
		}
		return q
	})
	// creditAdd inserts credits whose key is not stored and leaves the
	// others as they are.
	creditAdd = newShape(func(d db.Dialect, n int) string { return creditsUpsert.InsertMissingSQL(d, n) })

	professionsDelete = inShape("DELETE FROM person_professions WHERE person_id IN (%s)")
	knownForDelete    = inShape("DELETE FROM person_known_for WHERE person_id IN (%s)")
	readPeople        = inShape("SELECT id, name, search_name, birth_date, death_date, birth_place, death_place, biography, popularity FROM people WHERE id IN (%s)")
	readAkas          = inShape("SELECT person_id, name FROM person_akas WHERE person_id IN (%s) ORDER BY person_id, ord")
	readProfessions   = inShape("SELECT person_id, profession FROM person_professions WHERE person_id IN (%s) ORDER BY person_id, ord")
	readKnownFor      = inShape("SELECT person_id, title_id FROM person_known_for WHERE person_id IN (%s) ORDER BY person_id, ord")

	bulkShapes = []*shape{personInsert, akaInsert, professionInsert, knownForInsert, imageInsert, externalInsert, creditWrite, creditAdd,
		professionsDelete, knownForDelete, readPeople, readAkas, readProfessions, readKnownFor}
)

func (s *Store) prepareBulk(ctx context.Context) { s.stmts.Prepare(ctx, s.db, bulkShapes) }

// anyRedirects reports whether any person was ever merged: when none was,
// a bulk call need not look its ids up.
func anyRedirects(ctx context.Context, q db.Querier) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT old_id FROM person_redirects LIMIT 1) r").Scan(&n)
	return n > 0, err
}

// keepDate is the date to store when the dataset says next and the store
// has old: the dataset knows years only ("1924"), so a fuller date an
// operator entered that agrees with it ("1924-05-03") stays, and so does
// a date the dataset does not know.
func keepDate(old, next string) string {
	if next == "" || strings.HasPrefix(old, next) {
		return old
	}
	return next
}

// stored is a person as a bulk write compares it.
type stored struct {
	row                         []any
	akas, professions, knownFor []string
}

// UpsertPeople writes people in bulk, in one transaction. A new person is
// written whole (row, also-known-as names, professions, known-for titles,
// images, external ids; an nm… id is its own IMDb id) with version 1. Of
// a person that exists only what the dataset supplies is written, and
// only when it changed (then version+1): the name, the birth and death
// dates (a fuller date that agrees with the dataset's year stays), the
// professions and the known-for titles. Biography, places, popularity,
// also-known-as names, images and other external ids are an operator's
// and stay as they are, so a re-import blanks nothing and a re-import of
// the same rows writes nothing. Records of ids that were merged into
// another person are skipped. Ids must match actor.PersonID and names be
// non-empty (Invalid naming the record otherwise, and nothing is
// written); the importer validates rows with actor.ValidateRecord first to
// report and skip bad ones. No event is enqueued: see FinishImport.
func (s *Store) UpsertPeople(ctx context.Context, rs []actor.Record) error {
	if len(rs) == 0 {
		return nil
	}
	for i, r := range rs {
		if !actor.PersonID.MatchString(r.ID) {
			return errs.Invalid(fmt.Sprintf("people[%d].id", i), "%q is not a person id", r.ID)
		}
		if strings.TrimSpace(r.Name) == "" {
			return errs.Invalid(fmt.Sprintf("people[%d].name", i), "must not be empty")
		}
	}
	// The last record of an id wins, as it would row by row.
	idx := make(map[string]int, len(rs))
	batch := make([]actor.Record, 0, len(rs))
	ids := make([]string, 0, len(rs))
	for _, r := range rs {
		if i, ok := idx[r.ID]; ok {
			batch[i] = r
			continue
		}
		idx[r.ID] = len(batch)
		batch = append(batch, r)
		ids = append(ids, r.ID)
	}
	s.prepareBulk(ctx)
	dl := s.db.Dialect()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		red := map[string]string{}
		if some, err := anyRedirects(ctx, tx); err != nil {
			return err
		} else if some {
			if red, err = redirects(ctx, tx, ids); err != nil {
				return err
			}
		}
		old := make(map[string]*stored, len(ids))
		err := s.stmts.Scan(ctx, tx, dl, readPeople, ids, func(r scanner) error {
			var id, name, search, birth, death, bplace, dplace, bio string
			var pop float64
			if err := r.Scan(&id, &name, &search, &birth, &death, &bplace, &dplace, &bio, &pop); err != nil {
				return err
			}
			old[id] = &stored{row: []any{id, name, search, birth, death, bplace, dplace, bio, pop}}
			return nil
		})
		if err != nil {
			return err
		}
		if len(old) > 0 {
			found := make([]string, 0, len(old))
			for id := range old {
				found = append(found, id)
			}
			slices.Sort(found)
			for _, l := range []struct {
				s   *shape
				add func(p *stored, v string)
			}{
				{readAkas, func(p *stored, v string) { p.akas = append(p.akas, v) }},
				{readProfessions, func(p *stored, v string) { p.professions = append(p.professions, v) }},
				{readKnownFor, func(p *stored, v string) { p.knownFor = append(p.knownFor, v) }},
			} {
				err := s.stmts.Scan(ctx, tx, dl, l.s, found, func(r scanner) error {
					var id, v string
					if err := r.Scan(&id, &v); err != nil {
						return err
					}
					l.add(old[id], v)
					return nil
				})
				if err != nil {
					return err
				}
			}
		}
		t := db.Now()
		var rows, akas, profs, known, imgs, ext [][]any
		var newProfs, newKnown []string
		for _, r := range batch {
			if _, merged := red[r.ID]; merged {
				continue
			}
			o := old[r.ID]
			if o == nil {
				p := r.Person
				p.UpdatedAt = t
				rows = append(rows, personRow(p))
				for i, v := range r.AlsoKnownAs {
					akas = append(akas, []any{r.ID, i, v})
				}
				for i, v := range r.Professions {
					profs = append(profs, []any{r.ID, i, v})
				}
				for i, v := range r.KnownFor {
					known = append(known, []any{r.ID, i, v})
				}
				for i, im := range r.Images {
					imgs = append(imgs, []any{r.ID, i, im.Path, im.Width, im.Height, im.Language, strings.Join(im.Sizes, ",")})
				}
				ext = append(ext, externalRows(r)...)
				continue
			}
			// row: id, name, search_name, birth, death, birth place, death place, biography, popularity
			row := slices.Clone(o.row)
			row[1] = r.Name
			row[2] = actor.Fold(r.Name + " " + strings.Join(o.akas, " "))
			row[3] = keepDate(o.row[3].(string), r.BirthDate)
			row[4] = keepDate(o.row[4].(string), r.DeathDate)
			changed := !slices.Equal(row, o.row)
			if !slices.Equal(o.professions, r.Professions) {
				changed = true
				newProfs = append(newProfs, r.ID)
				for i, v := range r.Professions {
					profs = append(profs, []any{r.ID, i, v})
				}
			}
			if !slices.Equal(o.knownFor, r.KnownFor) {
				changed = true
				newKnown = append(newKnown, r.ID)
				for i, v := range r.KnownFor {
					known = append(known, []any{r.ID, i, v})
				}
			}
			if changed {
				rows = append(rows, append(row, int64(1), t))
			}
		}
		if err := s.stmts.IDs(ctx, tx, dl, professionsDelete, newProfs); err != nil {
			return err
		}
		if err := s.stmts.IDs(ctx, tx, dl, knownForDelete, newKnown); err != nil {
			return err
		}
		for _, w := range []struct {
			s    *shape
			rows [][]any
		}{{personInsert, rows}, {akaInsert, akas}, {professionInsert, profs}, {knownForInsert, known}, {imageInsert, imgs}, {externalInsert, ext}} {
			if err := s.stmts.Rows(ctx, tx, dl, w.s, w.rows); err != nil {
				return err
			}
		}
		return nil
	})
}

// UpsertCredits writes credits in bulk, in one transaction, keyed by
// (title_id, person_id, job). A credit of set is inserted, or updates the
// stored one (department, characters, order) when its key exists and
// anything differs. A credit of add is inserted only when its key is not
// stored: a stored one, whatever wrote it, is left as it is. The importer
// sends title.crew's directors and writers in set and title.principals'
// ones in add, so either file may be loaded first or again and a credit
// ends the same, written once. Credits of merged ids are written for the
// survivor. The person need not exist yet (the importer may load credits
// before people). Credits the dataset no longer lists are not removed:
// ReplaceTitleCredits makes a title's list exact. No event is enqueued:
// see FinishImport.
func (s *Store) UpsertCredits(ctx context.Context, set, add []actor.Credit) error {
	if len(set) == 0 && len(add) == 0 {
		return nil
	}
	for i, c := range set {
		if err := actor.ValidateCredit(fmt.Sprintf("credits[%d]", i), c); err != nil {
			return err
		}
	}
	for i, c := range add {
		if err := actor.ValidateCredit(fmt.Sprintf("credits[%d]", len(set)+i), c); err != nil {
			return err
		}
	}
	s.prepareBulk(ctx)
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		all, err := s.resolveCredits(ctx, tx, slices.Concat(set, add), false)
		if err != nil {
			return err
		}
		if err := s.stmts.Rows(ctx, tx, s.db.Dialect(), creditWrite, creditRows(all[:len(set)])); err != nil {
			return err
		}
		return s.stmts.Rows(ctx, tx, s.db.Dialect(), creditAdd, creditRows(all[len(set):]))
	})
}

// FinishImport ends a bulk load: it enqueues one credits.changed keyed
// actor.AllPeople, which tells every consumer that any person and any
// credit may have changed (the actor's and the inventory's caches drop
// everything), instead of one event per row or title.
func (s *Store) FinishImport(ctx context.Context) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		return events.Enqueue(ctx, tx, actor.CreditsChanged.MustMessage(actor.AllPeople, actor.CreditsEvent{TitleID: actor.AllPeople}))
	})
}
