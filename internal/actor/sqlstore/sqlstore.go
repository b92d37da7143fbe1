// Package sqlstore keeps the actor service's people and credits in SQL
// (SQLite or MySQL/MariaDB through platform/db).
//
// Bulk API for the IMDb importer: UpsertPeople and UpsertCredits take
// thousands of rows per call, write them in one transaction with
// prepared multi-row statements (bulk.go), and are idempotent: running the
// same batch again never duplicates rows, and a person whose data did not
// change is not written (its version stays). They write only what the
// dataset supplies and enqueue no events; FinishImport enqueues one.
// People are keyed by id (nm… for IMDb people), credits by (title_id,
// person_id, job). Ids merged into another person are folded into the
// survivor: their people rows are skipped and their credits written for
// the survivor, so a re-import does not bring a merged duplicate back.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/platform/db"
	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/events"
)

//go:embed migrations
var migrationsFS embed.FS

// Migrations is the schema of the store.
var Migrations = db.Migrations{Name: "actor", FS: db.MustSub(migrationsFS, "migrations")}

// Store implements actor.Store.
type Store struct {
	db *db.DB
	// stmts are the bulk paths' prepared statements.
	stmts stmtCache
}

var (
	_ actor.Store    = (*Store)(nil)
	_ actor.Searcher = (*Store)(nil)
)

// New returns a store on d (migrated with Migrations and events.Migrations).
func New(d *db.DB) *Store { return &Store{db: d} }

const personCols = "id, name, birth_date, death_date, birth_place, death_place, biography, popularity, version, updated_at"

// personList is one of a person's lists, kept in a table of its own
// (person_id, ord, col).
type personList struct {
	table, col string
	add        func(p *actor.Person, v string)
}

var (
	akasList        = personList{"person_akas", "name", func(p *actor.Person, v string) { p.AlsoKnownAs = append(p.AlsoKnownAs, v) }}
	professionsList = personList{"person_professions", "profession", func(p *actor.Person, v string) { p.Professions = append(p.Professions, v) }}
	knownForList    = personList{"person_known_for", "title_id", func(p *actor.Person, v string) { p.KnownFor = append(p.KnownFor, v) }}
)

// readLists adds lists to the people of found, the ids of an IN list.
func readLists(ctx context.Context, q db.Querier, list string, args []any, found map[string]*actor.Person, lists ...personList) error {
	for _, l := range lists {
		err := db.Each(ctx, q, "SELECT person_id, "+l.col+" FROM "+l.table+" WHERE person_id IN ("+list+") ORDER BY person_id, ord", args, func(r db.Scanner) error {
			var id, v string
			if err := r.Scan(&id, &v); err != nil {
				return err
			}
			if p := found[id]; p != nil {
				l.add(p, v)
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// loadPeople reads the people among ids with their lists.
func loadPeople(ctx context.Context, q db.Querier, ids []string) (map[string]*actor.Person, error) {
	out := make(map[string]*actor.Person, len(ids))
	err := db.InChunks(ids, func(list string, args []any) error {
		err := db.Each(ctx, q, "SELECT "+personCols+" FROM people WHERE id IN ("+list+")", args, func(r db.Scanner) error {
			p := &actor.Person{AlsoKnownAs: []string{}, Professions: []string{}, KnownFor: []string{}}
			if err := r.Scan(&p.ID, &p.Name, &p.BirthDate, &p.DeathDate, &p.BirthPlace, &p.DeathPlace, &p.Biography, &p.Popularity, &p.Version, &p.UpdatedAt); err != nil {
				return err
			}
			p.UpdatedAt = p.UpdatedAt.UTC()
			out[p.ID] = p
			return nil
		})
		if err != nil {
			return err
		}
		return readLists(ctx, q, list, args, out, akasList, professionsList, knownForList)
	})
	return out, err
}

// redirects maps the merged ids among ids to their survivors.
func redirects(ctx context.Context, q db.Querier, ids []string) (map[string]string, error) {
	out := map[string]string{}
	err := db.EachIn(ctx, q, "SELECT old_id, new_id FROM person_redirects WHERE old_id IN (%s)", ids, func(r db.Scanner) error {
		var o, n string
		err := r.Scan(&o, &n)
		out[o] = n
		return err
	})
	return out, err
}

// Person implements actor.Store.
func (s *Store) Person(ctx context.Context, id string) (actor.Person, error) {
	found, merged, err := s.People(ctx, []string{id})
	if err != nil {
		return actor.Person{}, err
	}
	if p, ok := found[id]; ok {
		return p, nil
	}
	if into, ok := merged[id]; ok {
		return actor.Person{}, &actor.MergedError{ID: id, Into: into}
	}
	return actor.Person{}, errs.NotFound("person %s", id)
}

// People implements actor.Store.
func (s *Store) People(ctx context.Context, ids []string) (map[string]actor.Person, map[string]string, error) {
	ps, err := loadPeople(ctx, s.db.Reader(), ids)
	if err != nil {
		return nil, nil, err
	}
	found := make(map[string]actor.Person, len(ps))
	var missing []string
	for _, id := range ids {
		if p, ok := ps[id]; ok {
			found[id] = *p
		} else {
			missing = append(missing, id)
		}
	}
	merged := map[string]string{}
	if len(missing) > 0 {
		if merged, err = redirects(ctx, s.db.Reader(), missing); err != nil {
			return nil, nil, err
		}
	}
	return found, merged, nil
}

// Images implements actor.Store.
func (s *Store) Images(ctx context.Context, id string) ([]actor.Image, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT path, width, height, language, sizes FROM person_images WHERE person_id = ? ORDER BY ord", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []actor.Image{}
	for rows.Next() {
		var im actor.Image
		var sizes string
		if err := rows.Scan(&im.Path, &im.Width, &im.Height, &im.Language, &sizes); err != nil {
			return nil, err
		}
		if sizes != "" {
			im.Sizes = strings.Split(sizes, ",")
		}
		out = append(out, im)
	}
	return out, rows.Err()
}

// ExternalIDs implements actor.Store. A person may hold several IMDb ids
// after a merge; the one equal to its own id wins, then the smallest.
func (s *Store) ExternalIDs(ctx context.Context, id string) (actor.ExternalIDs, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT source, value FROM person_external_ids WHERE person_id = ? ORDER BY source, value", id)
	if err != nil {
		return actor.ExternalIDs{}, err
	}
	defer rows.Close()
	var x actor.ExternalIDs
	for rows.Next() {
		var src, v string
		if err := rows.Scan(&src, &v); err != nil {
			return x, err
		}
		switch src {
		case "imdb":
			if x.IMDb == "" || v == id {
				x.IMDb = v
			}
		case "tmdb":
			if x.TMDB == 0 {
				x.TMDB, _ = strconv.ParseInt(v, 10, 64)
			}
		}
	}
	return x, rows.Err()
}

// FindExternal implements actor.Store.
func (s *Store) FindExternal(ctx context.Context, source, value string) (string, error) {
	var id string
	err := s.db.Reader().QueryRowContext(ctx, "SELECT person_id FROM person_external_ids WHERE source = ? AND value = ?", source, value).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.NotFound("person with %s id %s", source, value)
	}
	return id, err
}

func scanCredits(rows *sql.Rows) ([]actor.Credit, error) {
	defer rows.Close()
	out := []actor.Credit{}
	for rows.Next() {
		var c actor.Credit
		var chars string
		var name sql.NullString
		if err := rows.Scan(&c.TitleID, &c.PersonID, &c.Department, &c.Job, &chars, &c.Order, &name); err != nil {
			return nil, err
		}
		if chars != "" && chars != "[]" {
			if err := json.Unmarshal([]byte(chars), &c.Characters); err != nil {
				return nil, fmt.Errorf("decode characters of %s/%s: %w", c.TitleID, c.PersonID, err)
			}
		}
		c.Name = name.String
		out = append(out, c)
	}
	return out, rows.Err()
}

const creditCols = "c.title_id, c.person_id, c.department, c.job, c.characters, c.ord, p.name"

// CreditsOfTitle implements actor.Store: cast by billing order, then crew
// by department (in actor.Departments order) and listing order.
func (s *Store) CreditsOfTitle(ctx context.Context, titleID string) ([]actor.Credit, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT "+creditCols+" FROM credits c LEFT JOIN people p ON p.id = c.person_id WHERE c.title_id = ? ORDER BY c.ord, c.person_id, c.job", titleID)
	if err != nil {
		return nil, err
	}
	cs, err := scanCredits(rows)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(cs, func(a, b actor.Credit) int {
		return actor.DepartmentRank(a.Department) - actor.DepartmentRank(b.Department)
	})
	return cs, nil
}

// CreditsOfPerson implements actor.Store.
func (s *Store) CreditsOfPerson(ctx context.Context, personID string) ([]actor.Credit, error) {
	rows, err := s.db.Reader().QueryContext(ctx, "SELECT "+creditCols+" FROM credits c LEFT JOIN people p ON p.id = c.person_id WHERE c.person_id = ? ORDER BY c.title_id, c.job", personID)
	if err != nil {
		return nil, err
	}
	return scanCredits(rows)
}

// likeEscape makes s match literally inside a LIKE pattern (ESCAPE '!').
func likeEscape(s string) string {
	r := strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")
	return r.Replace(s)
}

// SearchPeople implements actor.Searcher with LIKE: every word of the
// query must occur in the folded name (the last as a word prefix when
// autocompleting); names starting with the query rank first, then by
// popularity. It is the fallback until the search index takes over.
func (s *Store) SearchPeople(ctx context.Context, q actor.SearchQuery) ([]actor.PersonHit, error) {
	words := strings.Fields(actor.Fold(q.Text))
	if len(words) == 0 {
		return []actor.PersonHit{}, nil
	}
	var where []string
	var args []any
	for i, w := range words {
		if q.Autocomplete && i == len(words)-1 {
			where = append(where, "(search_name LIKE ? ESCAPE '!' OR search_name LIKE ? ESCAPE '!')")
			args = append(args, likeEscape(w)+"%", "% "+likeEscape(w)+"%")
			continue
		}
		where = append(where, "search_name LIKE ? ESCAPE '!'")
		args = append(args, "%"+likeEscape(w)+"%")
	}
	prefix := likeEscape(strings.Join(words, " ")) + "%"
	query := "SELECT id, CASE WHEN search_name LIKE ? ESCAPE '!' THEN 1 ELSE 0 END AS starts, popularity FROM people WHERE " +
		strings.Join(where, " AND ") + " ORDER BY starts DESC, popularity DESC, id LIMIT ?"
	args = append([]any{prefix}, args...)
	args = append(args, q.Limit)
	rows, err := s.db.Reader().QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	type hit struct {
		id     string
		starts int
		pop    float64
	}
	var hits []hit
	for rows.Next() {
		var h hit
		if err := rows.Scan(&h.id, &h.starts, &h.pop); err != nil {
			rows.Close()
			return nil, err
		}
		hits = append(hits, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	ps, err := loadPeople(ctx, s.db.Reader(), ids)
	if err != nil {
		return nil, err
	}
	out := make([]actor.PersonHit, 0, len(hits))
	for _, h := range hits {
		p := ps[h.id]
		if p == nil {
			continue // deleted meanwhile
		}
		out = append(out, actor.PersonHit{ID: p.ID, Name: p.Name, Professions: p.Professions, KnownFor: p.KnownFor,
			Popularity: p.Popularity, Score: float64(h.starts) + p.Popularity/(p.Popularity+100)})
		out[len(out)-1].Normalized = out[len(out)-1].Score / 3 // match rank 0..2 to the index's 0..1.5
	}
	return out, nil
}

// --- writes ---

var (
	peopleUpsert = db.Upsert{Table: "people", Key: []string{"id"},
		Cols: []string{"id", "name", "search_name", "birth_date", "death_date", "birth_place", "death_place", "biography", "popularity", "version", "updated_at"}}
	akasUpsert        = db.Upsert{Table: "person_akas", Key: []string{"person_id", "ord"}, Cols: []string{"person_id", "ord", "name"}}
	professionsUpsert = db.Upsert{Table: "person_professions", Key: []string{"person_id", "ord"}, Cols: []string{"person_id", "ord", "profession"}}
	knownForUpsert    = db.Upsert{Table: "person_known_for", Key: []string{"person_id", "ord"}, Cols: []string{"person_id", "ord", "title_id"}}
	imagesUpsert      = db.Upsert{Table: "person_images", Key: []string{"person_id", "ord"}, Cols: []string{"person_id", "ord", "path", "width", "height", "language", "sizes"}}
	externalUpsert    = db.Upsert{Table: "person_external_ids", Key: []string{"source", "value"}, Cols: []string{"source", "value", "person_id"}}
	creditsUpsert     = db.Upsert{Table: "credits", Key: []string{"title_id", "person_id", "job"}, Cols: []string{"title_id", "person_id", "job", "department", "characters", "ord"}}
)

// peopleSQL is the people upsert for n rows, with the version bumped on
// update rather than overwritten: an ETag made from the version must
// change whenever the row does, imports included.
func (s *Store) peopleSQL(n int) string {
	q := peopleUpsert.SQL(s.db.Dialect(), n)
	if s.db.Dialect() == db.MySQL {
		return strings.Replace(q, "version = VALUES(version)", "version = version + 1", 1)
	}
	return strings.Replace(q, "version = excluded.version", "version = people.version + 1", 1)
}

func personRow(p actor.Person) []any {
	return []any{p.ID, p.Name, actor.Fold(p.Name + " " + strings.Join(p.AlsoKnownAs, " ")), p.BirthDate, p.DeathDate, p.BirthPlace, p.DeathPlace, p.Biography, p.Popularity, int64(1), p.UpdatedAt}
}

// writeRows upserts rows of u with the statements peopleSQL or u.SQL make.
func (s *Store) execRows(ctx context.Context, tx *sql.Tx, u db.Upsert, rows [][]any, sqlFor func(int) string) error {
	per := max(1, 30000/len(u.Cols))
	for start := 0; start < len(rows); start += per {
		end := min(start+per, len(rows))
		args := make([]any, 0, (end-start)*len(u.Cols))
		for _, r := range rows[start:end] {
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, sqlFor(end-start), args...); err != nil {
			return fmt.Errorf("upsert %s: %w", u.Table, err)
		}
	}
	return nil
}

// writeLists replaces the ordered lists of the people in rs.
func (s *Store) writeLists(ctx context.Context, tx *sql.Tx, rs []actor.Record, images bool) error {
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.ID
	}
	tables := []string{"person_akas", "person_professions", "person_known_for"}
	if images {
		tables = append(tables, "person_images")
	}
	err := db.InChunks(ids, func(list string, args []any) error {
		for _, t := range tables {
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+t+" WHERE person_id IN ("+list+")", args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	var akas, profs, known, imgs [][]any
	for _, r := range rs {
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
	}
	d := s.db.Dialect()
	for _, w := range []struct {
		u    db.Upsert
		rows [][]any
	}{{akasUpsert, akas}, {professionsUpsert, profs}, {knownForUpsert, known}, {imagesUpsert, imgs}} {
		if len(w.rows) == 0 {
			continue
		}
		if err := w.u.Exec(ctx, tx, d, w.rows); err != nil {
			return err
		}
	}
	return nil
}

// externalRows lists the external ids of r (its own IMDb id included).
func externalRows(r actor.Record) [][]any {
	var out [][]any
	imdb := r.ExternalIDs.IMDb
	if strings.HasPrefix(r.ID, "nm") {
		out = append(out, []any{"imdb", r.ID, r.ID})
	}
	if imdb != "" && imdb != r.ID {
		out = append(out, []any{"imdb", imdb, r.ID})
	}
	if r.ExternalIDs.TMDB > 0 {
		out = append(out, []any{"tmdb", strconv.FormatInt(r.ExternalIDs.TMDB, 10), r.ID})
	}
	return out
}

// setExternal replaces a person's external ids (keeping those of people
// merged into it); Conflict when another person holds one of them.
func (s *Store) setExternal(ctx context.Context, tx *sql.Tx, r actor.Record) error {
	for _, row := range externalRows(r) {
		var holder string
		err := tx.QueryRowContext(ctx, "SELECT person_id FROM person_external_ids WHERE source = ? AND value = ?", row[0], row[1]).Scan(&holder)
		if err == nil && holder != r.ID {
			return errs.Conflict("%s id %s belongs to person %s", row[0], row[1], holder)
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	// The IMDb ids of people merged into this one stay: they are how
	// lookups and re-imports of the duplicates find the survivor.
	if _, err := tx.ExecContext(ctx, "DELETE FROM person_external_ids WHERE person_id = ? AND NOT (source = 'imdb' AND value IN (SELECT old_id FROM person_redirects WHERE new_id = ?))", r.ID, r.ID); err != nil {
		return err
	}
	if rows := externalRows(r); len(rows) > 0 {
		return externalUpsert.Exec(ctx, tx, s.db.Dialect(), rows)
	}
	return nil
}

func personEvent(topic events.Topic[actor.PersonEvent], p actor.Person) events.Message {
	return topic.MustMessage(p.ID, actor.PersonEvent{ID: p.ID, Version: p.Version})
}

func creditsEvents(titleIDs []string) []events.Message {
	slices.Sort(titleIDs)
	titleIDs = slices.Compact(titleIDs)
	out := make([]events.Message, len(titleIDs))
	for i, t := range titleIDs {
		out[i] = actor.CreditsChanged.MustMessage(t, actor.CreditsEvent{TitleID: t})
	}
	return out
}

// lockVersion reads a person's version inside tx, locking the row.
func (s *Store) lockVersion(ctx context.Context, tx *sql.Tx, id string) (int64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, "SELECT version FROM people WHERE id = ?"+s.db.ForUpdate(), id).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		var into string
		if tx.QueryRowContext(ctx, "SELECT new_id FROM person_redirects WHERE old_id = ?", id).Scan(&into) == nil {
			return 0, &actor.MergedError{ID: id, Into: into}
		}
		return 0, errs.NotFound("person %s", id)
	}
	return v, err
}

// writePerson writes one full record (row, lists, external ids) in tx.
func (s *Store) writePerson(ctx context.Context, tx *sql.Tx, r actor.Record) error {
	if err := s.execRows(ctx, tx, peopleUpsert, [][]any{personRow(r.Person)}, s.peopleSQL); err != nil {
		return err
	}
	if err := s.writeLists(ctx, tx, []actor.Record{r}, true); err != nil {
		return err
	}
	return s.setExternal(ctx, tx, r)
}

// CreatePerson implements actor.Store.
func (s *Store) CreatePerson(ctx context.Context, r actor.Record) (actor.Person, error) {
	r.Version, r.UpdatedAt = 1, db.Now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM people WHERE id = ?", r.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errs.Conflict("person %s exists", r.ID)
		}
		if err := s.writePerson(ctx, tx, r); err != nil {
			return err
		}
		return events.Enqueue(ctx, tx, personEvent(actor.PersonCreated, r.Person))
	})
	return r.Person, err
}

// UpdatePerson implements actor.Store.
func (s *Store) UpdatePerson(ctx context.Context, r actor.Record, expect int64) (actor.Person, error) {
	r.UpdatedAt = db.Now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		v, err := s.lockVersion(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		if expect >= 0 && v != expect {
			return errs.Precondition("person %s is at version %d, not %d; read it again and retry", r.ID, v, expect)
		}
		r.Version = v + 1
		if err := s.writePerson(ctx, tx, r); err != nil {
			return err
		}
		return events.Enqueue(ctx, tx, personEvent(actor.PersonUpdated, r.Person))
	})
	return r.Person, err
}

// titlesOf lists the titles a person is credited on.
func titlesOf(ctx context.Context, q db.Querier, personID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, "SELECT DISTINCT title_id FROM credits WHERE person_id = ?", personID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// DeletePerson implements actor.Store. Redirects to the person go too:
// their old ids answer 404 from then on.
func (s *Store) DeletePerson(ctx context.Context, id string, expect int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		v, err := s.lockVersion(ctx, tx, id)
		if err != nil {
			return err
		}
		if expect >= 0 && v != expect {
			return errs.Precondition("person %s is at version %d, not %d; read it again and retry", id, v, expect)
		}
		titles, err := titlesOf(ctx, tx, id)
		if err != nil {
			return err
		}
		for _, q := range []string{"DELETE FROM credits WHERE person_id = ?", "DELETE FROM person_redirects WHERE new_id = ?", "DELETE FROM people WHERE id = ?"} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return err
			}
		}
		return events.Enqueue(ctx, tx, append([]events.Message{personEvent(actor.PersonDeleted, actor.Person{ID: id, Version: v})}, creditsEvents(titles)...)...)
	})
}

// resolveCredits points credits of merged people at the survivors and,
// when strict, fails with Invalid naming the first credit whose person
// does not exist.
func (s *Store) resolveCredits(ctx context.Context, q db.Querier, cs []actor.Credit, strict bool) ([]actor.Credit, error) {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.PersonID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	red := map[string]string{}
	if some, err := anyRedirects(ctx, q); err != nil {
		return nil, err
	} else if some {
		if red, err = redirects(ctx, q, ids); err != nil {
			return nil, err
		}
	}
	out := slices.Clone(cs)
	for i := range out {
		if into, ok := red[out[i].PersonID]; ok {
			out[i].PersonID = into
		}
	}
	if strict {
		exist := map[string]bool{}
		for i, id := range ids {
			if into, ok := red[id]; ok {
				ids[i] = into
			}
		}
		err := db.EachIn(ctx, q, "SELECT id FROM people WHERE id IN (%s)", ids, func(r db.Scanner) error {
			var id string
			err := r.Scan(&id)
			exist[id] = true
			return err
		})
		if err != nil {
			return nil, err
		}
		for i, c := range out {
			if !exist[c.PersonID] {
				return nil, errs.Invalid(fmt.Sprintf("body.credits[%d].person_id", i), "no person %s", cs[i].PersonID)
			}
		}
	}
	// The last write of a key wins, as it would row by row.
	seen := map[[3]string]int{}
	var dedup []actor.Credit
	for _, c := range out {
		k := [3]string{c.TitleID, c.PersonID, c.Job}
		if i, ok := seen[k]; ok {
			dedup[i] = c
			continue
		}
		seen[k] = len(dedup)
		dedup = append(dedup, c)
	}
	return dedup, nil
}

func creditRows(cs []actor.Credit) [][]any {
	rows := make([][]any, len(cs))
	for i, c := range cs {
		chars := "[]"
		if len(c.Characters) > 0 {
			b, _ := json.Marshal(c.Characters)
			chars = string(b)
		}
		rows[i] = []any{c.TitleID, c.PersonID, c.Job, string(c.Department), chars, c.Order}
	}
	return rows
}

func titleIDs(cs []actor.Credit) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.TitleID
	}
	return out
}

// PutCredits implements actor.Store.
func (s *Store) PutCredits(ctx context.Context, cs []actor.Credit) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		cs, err := s.resolveCredits(ctx, tx, cs, true)
		if err != nil {
			return err
		}
		if err := creditsUpsert.Exec(ctx, tx, s.db.Dialect(), creditRows(cs)); err != nil {
			return err
		}
		return events.Enqueue(ctx, tx, creditsEvents(titleIDs(cs))...)
	})
}

// ReplaceTitleCredits implements actor.Store.
func (s *Store) ReplaceTitleCredits(ctx context.Context, titleID string, cs []actor.Credit) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		cs, err := s.resolveCredits(ctx, tx, cs, true)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM credits WHERE title_id = ?", titleID); err != nil {
			return err
		}
		if len(cs) > 0 {
			if err := creditsUpsert.Exec(ctx, tx, s.db.Dialect(), creditRows(cs)); err != nil {
				return err
			}
		}
		return events.Enqueue(ctx, tx, creditsEvents([]string{titleID})...)
	})
}

// RemoveCredits implements actor.Store.
func (s *Store) RemoveCredits(ctx context.Context, titleID, personID, job string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		q, args := "DELETE FROM credits WHERE title_id = ? AND person_id = ?", []any{titleID, personID}
		if job != "" {
			q += " AND job = ?"
			args = append(args, job)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err != nil {
				return err
			}
			return errs.NotFound("credit of %s on %s", personID, titleID)
		}
		return events.Enqueue(ctx, tx, creditsEvents([]string{titleID})...)
	})
}

// union appends the values of add missing from base (and not skip).
func union(base, add []string, skip string) []string {
	out := slices.Clone(base)
	for _, v := range add {
		if v != skip && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Merge implements actor.Store: in one transaction the duplicate's
// credits move to the survivor (where the survivor already holds the same
// title and job, the survivor's credit stays), its external ids and
// images move, its name and also-known-as names, professions and
// known-for titles join the survivor's, empty fields of the survivor are
// filled from it, the duplicate is deleted and a redirect recorded (with
// redirects that pointed at the duplicate re-pointed at the survivor).
func (s *Store) Merge(ctx context.Context, into, from string, expect int64) (actor.Person, error) {
	var out actor.Person
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		// Lock in id order so that two merges of the same pair do not deadlock.
		first, second := into, from
		if second < first {
			first, second = second, first
		}
		vs := map[string]int64{}
		for _, id := range []string{first, second} {
			v, err := s.lockVersion(ctx, tx, id)
			var m *actor.MergedError
			if errors.As(err, &m) && id == from {
				return errs.Conflict("person %s was already merged into %s", from, m.Into)
			}
			if err != nil {
				return err
			}
			vs[id] = v
		}
		if expect >= 0 && vs[into] != expect {
			return errs.Precondition("person %s is at version %d, not %d; read it again and retry", into, vs[into], expect)
		}
		ps, err := loadPeople(ctx, tx, []string{into, from})
		if err != nil {
			return err
		}
		a, b := *ps[into], *ps[from]
		titles, err := titlesOf(ctx, tx, from)
		if err != nil {
			return err
		}
		var maxOrd sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT MAX(ord) FROM person_images WHERE person_id = ?", into).Scan(&maxOrd); err != nil {
			return err
		}
		offset := int64(0)
		if maxOrd.Valid {
			offset = maxOrd.Int64 + 1
		}
		steps := []struct {
			q    string
			args []any
		}{
			{s.db.InsertIgnore() + " credits (title_id, person_id, job, department, characters, ord) SELECT title_id, ?, job, department, characters, ord FROM credits WHERE person_id = ?", []any{into, from}},
			{"DELETE FROM credits WHERE person_id = ?", []any{from}},
			{"UPDATE person_external_ids SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"UPDATE person_images SET person_id = ?, ord = ord + ? WHERE person_id = ?", []any{into, offset, from}},
			{"DELETE FROM people WHERE id = ?", []any{from}},
			{"UPDATE person_redirects SET new_id = ? WHERE new_id = ?", []any{into, from}},
			{"INSERT INTO person_redirects (old_id, new_id, merged_at) VALUES (?, ?, ?)", []any{from, into, db.Now()}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.q, st.args...); err != nil {
				return fmt.Errorf("merge %s into %s: %w", from, into, err)
			}
		}
		a.AlsoKnownAs = union(a.AlsoKnownAs, append([]string{b.Name}, b.AlsoKnownAs...), a.Name)
		a.Professions = union(a.Professions, b.Professions, "")
		a.KnownFor = union(a.KnownFor, b.KnownFor, "")
		for _, f := range []struct{ dst, src *string }{{&a.BirthDate, &b.BirthDate}, {&a.DeathDate, &b.DeathDate}, {&a.BirthPlace, &b.BirthPlace}, {&a.DeathPlace, &b.DeathPlace}, {&a.Biography, &b.Biography}} {
			if *f.dst == "" {
				*f.dst = *f.src
			}
		}
		a.Popularity = max(a.Popularity, b.Popularity)
		a.Version, a.UpdatedAt = vs[into]+1, db.Now()
		if err := s.execRows(ctx, tx, peopleUpsert, [][]any{personRow(a)}, s.peopleSQL); err != nil {
			return err
		}
		if err := s.writeLists(ctx, tx, []actor.Record{{Person: a}}, false); err != nil {
			return err
		}
		msgs := []events.Message{actor.PersonMerged.MustMessage(from, actor.PersonEvent{ID: from, MergedInto: into, Version: a.Version}), personEvent(actor.PersonUpdated, a)}
		out = a
		return events.Enqueue(ctx, tx, append(msgs, creditsEvents(titles)...)...)
	})
	return out, err
}
