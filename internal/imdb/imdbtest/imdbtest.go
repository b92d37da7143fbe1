// Package imdbtest holds test doubles for the IMDb importer: an in-memory
// Sink that behaves like the stores (upserts by key) and a generator of
// synthetic dataset files of any size.
package imdbtest

import (
	"context"
	"reflect"
	"sync"

	"github.com/cdlc/cdlc/internal/actor"
	"github.com/cdlc/cdlc/internal/imdb"
	"github.com/cdlc/cdlc/internal/inventory"
)

// AkaKey is the key of an aka.
type AkaKey struct {
	TitleID  string
	Ordering int
}

// CreditKey is the key of a credit.
type CreditKey struct {
	TitleID, PersonID string
	Department        actor.Department
}

// Sink keeps what it is given in maps, keyed as the stores key it, so a
// test can check idempotence by comparing counts and contents. It is for
// tests of small datasets only (it holds everything).
type Sink struct {
	mu        sync.Mutex
	TitleByID map[string]inventory.Title
	AkaByKey  map[AkaKey]imdb.TitleAka
	PersonBy  map[string]actor.Person
	CreditBy  map[CreditKey]actor.Credit
	// CreditChanges counts credits inserted or changed (a write that
	// leaves a credit as it was is not counted).
	CreditChanges int
	// Batches counts calls per method ("Titles", "Credits"...).
	Batches map[string]int
	// Finished counts Finish calls.
	Finished int
	// Before, when set, runs before each batch is stored; an error fails
	// the batch (nothing of it is kept), like a failed transaction.
	Before func(method string, n int) error
}

var _ imdb.Sink = (*Sink)(nil)

// NewSink returns an empty Sink.
func NewSink() *Sink {
	return &Sink{
		TitleByID: map[string]inventory.Title{},
		AkaByKey:  map[AkaKey]imdb.TitleAka{},
		PersonBy:  map[string]actor.Person{},
		CreditBy:  map[CreditKey]actor.Credit{},
		Batches:   map[string]int{},
	}
}

func (s *Sink) begin(method string, n int) error {
	if s.Before != nil {
		if err := s.Before(method, n); err != nil {
			return err
		}
	}
	s.Batches[method]++
	return nil
}

// Titles upserts the basics columns, keeping rating and episode fields.
func (s *Sink) Titles(_ context.Context, b []inventory.Title) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin("Titles", len(b)); err != nil {
		return err
	}
	for _, t := range b {
		if old, ok := s.TitleByID[t.ID]; ok {
			t.Rating, t.ParentID, t.SeasonNumber, t.EpisodeNumber = old.Rating, old.ParentID, old.SeasonNumber, old.EpisodeNumber
		}
		s.TitleByID[t.ID] = t
	}
	return nil
}

// Episodes sets episode fields of existing titles.
func (s *Sink) Episodes(_ context.Context, b []imdb.Episode) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin("Episodes", len(b)); err != nil {
		return err
	}
	for _, e := range b {
		if t, ok := s.TitleByID[e.ID]; ok {
			t.ParentID, t.SeasonNumber, t.EpisodeNumber = e.ParentID, e.Season, e.Episode
			s.TitleByID[e.ID] = t
		}
	}
	return nil
}

// Akas upserts akas.
func (s *Sink) Akas(_ context.Context, b []imdb.TitleAka) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin("Akas", len(b)); err != nil {
		return err
	}
	for _, a := range b {
		s.AkaByKey[AkaKey{a.TitleID, a.Ordering}] = a
	}
	return nil
}

// Ratings sets ratings of existing titles.
func (s *Sink) Ratings(_ context.Context, b []imdb.TitleRating) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin("Ratings", len(b)); err != nil {
		return err
	}
	for _, r := range b {
		if t, ok := s.TitleByID[r.TitleID]; ok {
			t.Rating = r.Rating
			s.TitleByID[r.TitleID] = t
		}
	}
	return nil
}

// People upserts people.
func (s *Sink) People(_ context.Context, b []actor.Person) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin("People", len(b)); err != nil {
		return err
	}
	for _, p := range b {
		s.PersonBy[p.ID] = p
	}
	return nil
}

// Credits writes the credits of set by (title, person, department), and
// those of add whose key is not held yet.
func (s *Sink) Credits(_ context.Context, set, add []actor.Credit) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.begin("Credits", len(set)+len(add)); err != nil {
		return err
	}
	for _, c := range set {
		k := CreditKey{c.TitleID, c.PersonID, c.Department}
		if old, ok := s.CreditBy[k]; !ok || !reflect.DeepEqual(old, c) {
			s.CreditChanges++
		}
		s.CreditBy[k] = c
	}
	for _, c := range add {
		k := CreditKey{c.TitleID, c.PersonID, c.Department}
		if _, ok := s.CreditBy[k]; !ok {
			s.CreditChanges++
			s.CreditBy[k] = c
		}
	}
	return nil
}

// Finish counts the call.
func (s *Sink) Finish(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.Finished++
	return nil
}

// Counts returns the number of titles, akas, people and credits held.
func (s *Sink) Counts() (titles, akas, people, credits int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.TitleByID), len(s.AkaByKey), len(s.PersonBy), len(s.CreditBy)
}

// Discard is a Sink that counts items and keeps nothing: it measures the
// importer alone, at any size.
type Discard struct {
	mu    sync.Mutex
	Items map[string]int64
}

var _ imdb.Sink = (*Discard)(nil)

func (d *Discard) add(m string, n int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Items == nil {
		d.Items = map[string]int64{}
	}
	d.Items[m] += int64(n)
	return nil
}

// Titles counts.
func (d *Discard) Titles(_ context.Context, b []inventory.Title) error {
	return d.add("Titles", len(b))
}

// Episodes counts.
func (d *Discard) Episodes(_ context.Context, b []imdb.Episode) error {
	return d.add("Episodes", len(b))
}

// Akas counts.
func (d *Discard) Akas(_ context.Context, b []imdb.TitleAka) error { return d.add("Akas", len(b)) }

// Ratings counts.
func (d *Discard) Ratings(_ context.Context, b []imdb.TitleRating) error {
	return d.add("Ratings", len(b))
}

// People counts.
func (d *Discard) People(_ context.Context, b []actor.Person) error { return d.add("People", len(b)) }

// Credits counts.
func (d *Discard) Credits(_ context.Context, set, add []actor.Credit) error {
	return d.add("Credits", len(set)+len(add))
}

// Finish does nothing.
func (d *Discard) Finish(context.Context) error { return nil }
