package search

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"github.com/cdlc/cdlc/internal/platform/errs"
	"github.com/cdlc/cdlc/internal/platform/telemetry"
)

// Key prefixes; see the package doc for the layout.
const (
	prefixDoc     = 'd'
	prefixPosting = 'p'
	prefixRank    = 'r'
	prefixVocab   = 'v'
	keyCount      = "c"
	rankLen       = 8
	maxIDLen      = 512
	maxNames      = 64
	maxNameLen    = 1024
)

// embedded is the default Index: an inverted index in a Pebble database.
type embedded struct {
	// closeMu guards db against Close: every operation holds it shared, so
	// Close waits for them and later calls see closed instead of a freed DB.
	closeMu sync.RWMutex
	closed  bool
	// writeMu serialises Upsert and Delete: each reads a document's previous
	// version to remove its postings, which two concurrent writers of the
	// same ID would otherwise both do against the same old version.
	writeMu sync.Mutex
	db      *pebble.DB

	dir        string
	cacheBytes int64
	log        *slog.Logger
	opts       *pebble.Options // of db, for writing sstables to ingest
	// rec, when a Replace runs, records the changes made meanwhile, to be
	// applied again on the replacement (under writeMu).
	rec *[]change
}

var _ Index = (*embedded)(nil)

func openEmbedded(cfg Config, name string) (*embedded, error) {
	dir := filepath.Join(cfg.Dir, name)
	if err := recoverSwap(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("search: create %s: %w", dir, err)
	}
	e := &embedded{dir: dir, cacheBytes: cfg.CacheBytes, log: telemetry.Named(cfg.Log, "search").With("index", name)}
	db, err := e.openDB(dir)
	if err != nil {
		return nil, err
	}
	e.db = db
	return e, nil
}

// openDB opens the Pebble database of the index in dir.
func (e *embedded) openDB(dir string) (*pebble.DB, error) {
	size := e.cacheBytes
	if size == 0 {
		size = DefaultCacheBytes
	}
	cache := pebble.NewCache(size)
	defer cache.Unref() // the DB holds its own reference
	opts := &pebble.Options{
		Cache:  cache,
		Merger: addMerger,
		// Big memtables and a lenient L0 let a bulk load run at memory speed
		// and leave compaction to the background instead of stalling writes.
		MemTableSize:                64 << 20,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       24,
		LBaseMaxBytes:               256 << 20,
		FormatMajorVersion:          pebble.FormatNewest,
		Logger:                      quietLogger{e.log},
	}
	for i := range opts.Levels {
		// Upserts probe for a previous version of every document; most probes
		// miss during an import, and a bloom filter answers those without I/O.
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
	}
	opts.EnsureDefaults()
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, errs.Unavailable(err, "search: open index %s", dir)
	}
	e.opts = opts
	return db, nil
}

// quietLogger drops Pebble's informational chatter and routes its errors to
// the index's logger.
type quietLogger struct{ log *slog.Logger }

func (quietLogger) Infof(string, ...any) {}
func (l quietLogger) Errorf(format string, args ...any) {
	l.log.Error("search index", "err", fmt.Sprintf(format, args...))
}
func (l quietLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error("search index fatal", "err", msg)
	panic(msg)
}

// addMerger sums little-endian int64 operands: document frequencies and the
// document count are updated by every write without reading them first.
var addMerger = &pebble.Merger{
	Name: "cdlc.search.add.v1",
	Merge: func(_, value []byte) (pebble.ValueMerger, error) {
		m := &adder{}
		return m, m.MergeNewer(value)
	},
}

type adder struct{ sum int64 }

func (a *adder) MergeNewer(v []byte) error {
	if len(v) != 8 {
		return fmt.Errorf("search: counter operand of %d bytes", len(v))
	}
	a.sum += int64(binary.LittleEndian.Uint64(v))
	return nil
}

func (a *adder) MergeOlder(v []byte) error { return a.MergeNewer(v) }

func (a *adder) Finish(bool) ([]byte, io.Closer, error) {
	return binary.LittleEndian.AppendUint64(nil, uint64(a.sum)), nil, nil
}

func counterValue(n int64) []byte { return binary.LittleEndian.AppendUint64(nil, uint64(n)) }

func decodeCounter(v []byte) int64 {
	if len(v) != 8 {
		return 0
	}
	return int64(binary.LittleEndian.Uint64(v))
}

// rankOf encodes popularity so that byte order is descending popularity:
// the bits of a non-negative float64 sort like the number, inverted.
func rankOf(pop float64) [rankLen]byte {
	var r [rankLen]byte
	binary.BigEndian.PutUint64(r[:], ^math.Float64bits(pop))
	return r
}

func popOf(rank []byte) float64 { return math.Float64frombits(^binary.BigEndian.Uint64(rank)) }

// payload is what a posting carries about its document.
type payload struct {
	kind      string
	year      int
	name      string
	nameTerms []int    // distinct terms of each name, primary first
	terms     []string // distinct terms of all names
	masks     []uint64 // for each term, the names holding it (bit i = name i)
}

func (p *payload) encode(dst []byte) []byte {
	dst = appendString(dst, p.kind)
	dst = binary.AppendUvarint(dst, uint64(p.year))
	dst = appendString(dst, p.name)
	dst = binary.AppendUvarint(dst, uint64(len(p.nameTerms)))
	for _, n := range p.nameTerms {
		dst = binary.AppendUvarint(dst, uint64(n))
	}
	dst = binary.AppendUvarint(dst, uint64(len(p.terms)))
	for i, t := range p.terms {
		dst = appendString(dst, t)
		dst = binary.AppendUvarint(dst, p.masks[i])
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// payloadReader decodes a payload in place, field by field, so that a
// candidate rejected by a filter costs no allocation.
type payloadReader struct {
	b   []byte
	err bool
}

func (r *payloadReader) uvarint() int {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = true
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

func (r *payloadReader) bytes() []byte {
	n := r.uvarint()
	if r.err || n > len(r.b) {
		r.err = true
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func errCorrupt(what string) error {
	return errs.E(errs.KindInternal, "search: corrupt %s", what)
}

// buildDoc turns a Doc into its terms and payload.
func buildDoc(d Doc) payload {
	p := payload{kind: d.Kind, year: d.Year, name: d.Names[0]}
	at := make(map[string]int)
	for i, name := range d.Names {
		n := 0
		for _, t := range Terms(name) {
			j, ok := at[t]
			if !ok {
				if len(p.terms) == maxDocTerms {
					continue
				}
				j = len(p.terms)
				at[t] = j
				p.terms = append(p.terms, t)
				p.masks = append(p.masks, 0)
			}
			if p.masks[j]&(1<<i) == 0 {
				p.masks[j] |= 1 << i
				n++
			}
		}
		p.nameTerms = append(p.nameTerms, n)
	}
	return p
}

func validateDoc(i int, d Doc) error {
	field := func(f string) string { return fmt.Sprintf("docs[%d].%s", i, f) }
	switch {
	case d.ID == "":
		return errs.Invalid(field("id"), "is required")
	case len(d.ID) > maxIDLen:
		return errs.Invalid(field("id"), "longer than %d bytes", maxIDLen)
	case len(d.Names) == 0 || d.Names[0] == "":
		return errs.Invalid(field("names"), "needs a primary name")
	case len(d.Names) > maxNames:
		return errs.Invalid(field("names"), "more than %d names", maxNames)
	case d.Year < 0 || d.Year > 9999:
		return errs.Invalid(field("year"), "must be 0 (unknown) to 9999, got %d", d.Year)
	case math.IsNaN(d.Popularity) || math.IsInf(d.Popularity, 0) || d.Popularity < 0:
		return errs.Invalid(field("popularity"), "must be a finite number >= 0, got %v", d.Popularity)
	case len(d.Kind) > 64:
		return errs.Invalid(field("kind"), "longer than 64 bytes")
	}
	for _, n := range d.Names {
		if len(n) > maxNameLen {
			return errs.Invalid(field("names"), "a name is longer than %d bytes", maxNameLen)
		}
	}
	return nil
}

func docKey(id string) []byte { return append([]byte{prefixDoc}, id...) }

func postingKey(dst []byte, term string, rank []byte, id string) []byte {
	dst = append(dst, prefixPosting)
	dst = append(dst, term...)
	dst = append(dst, 0)
	dst = append(dst, rank...)
	return append(dst, id...)
}

func rankKey(dst []byte, rank []byte, id string) []byte {
	dst = append(dst, prefixRank)
	dst = append(dst, rank...)
	return append(dst, id...)
}

// use runs fn unless the index is closed, and keeps it open meanwhile.
func (e *embedded) use(fn func() error) error {
	e.closeMu.RLock()
	defer e.closeMu.RUnlock()
	if e.closed {
		return ErrClosed
	}
	return fn()
}

// writer accumulates one atomic change: postings removed and added, and the
// counter deltas they imply, merged once per term at commit.
type writer struct {
	e      *embedded
	b      *pebble.Batch
	counts map[string]int64
	docs   int64
	key    []byte
}

func (e *embedded) newWriter() *writer {
	return &writer{e: e, b: e.db.NewBatch(), counts: make(map[string]int64)}
}

// removeOld removes the stored version of id, if any, and returns its
// stored value (nil when there is none).
func (w *writer) removeOld(id string) ([]byte, error) {
	v, closer, err := w.e.db.Get(docKey(id))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, errs.Unavailable(err, "search: read %s", id)
	}
	old := bytes.Clone(v)
	closer.Close()
	return old, nil
}

func (w *writer) deleteStored(id string, stored []byte) error {
	if len(stored) < rankLen {
		return errCorrupt("document " + id)
	}
	rank := stored[:rankLen]
	terms, err := payloadTerms(stored[rankLen:])
	if err != nil {
		return err
	}
	for _, t := range terms {
		w.key = postingKey(w.key[:0], t, rank, id)
		if err := w.b.Delete(w.key, nil); err != nil {
			return err
		}
		w.counts[t]--
	}
	w.key = rankKey(w.key[:0], rank, id)
	if err := w.b.Delete(w.key, nil); err != nil {
		return err
	}
	return w.b.Delete(docKey(id), nil)
}

func payloadTerms(b []byte) ([]string, error) {
	r := payloadReader{b: b}
	r.bytes()   // kind
	r.uvarint() // year
	r.bytes()   // name
	for range r.uvarint() {
		r.uvarint() // terms of a name
	}
	n := r.uvarint()
	if r.err || n > maxDocTerms {
		return nil, errCorrupt("payload")
	}
	terms := make([]string, n)
	for i := range terms {
		terms[i] = string(r.bytes())
		r.uvarint() // mask
	}
	if r.err {
		return nil, errCorrupt("payload")
	}
	return terms, nil
}

func (w *writer) put(d Doc, old []byte) error {
	p := buildDoc(d)
	rank := rankOf(d.Popularity)
	val := make([]byte, rankLen, 128)
	copy(val, rank[:])
	val = p.encode(val)
	if old != nil && bytes.Equal(old, val) {
		return nil // a re-import of an unchanged document writes nothing
	}
	if old != nil {
		if err := w.deleteStored(d.ID, old); err != nil {
			return err
		}
	} else {
		w.docs++
	}
	pay := val[rankLen:]
	for _, t := range p.terms {
		w.key = postingKey(w.key[:0], t, rank[:], d.ID)
		if err := w.b.Set(w.key, pay, nil); err != nil {
			return err
		}
		w.counts[t]++
	}
	w.key = rankKey(w.key[:0], rank[:], d.ID)
	if err := w.b.Set(w.key, pay, nil); err != nil {
		return err
	}
	return w.b.Set(docKey(d.ID), val, nil)
}

func (w *writer) commit() error {
	defer w.b.Close()
	key := []byte{prefixVocab}
	for t, n := range w.counts {
		if n == 0 {
			continue
		}
		key = append(key[:1], t...)
		if err := w.b.Merge(key, counterValue(n), nil); err != nil {
			return err
		}
	}
	if w.docs != 0 {
		if err := w.b.Merge([]byte(keyCount), counterValue(w.docs), nil); err != nil {
			return err
		}
	}
	if w.b.Empty() {
		return nil
	}
	if err := w.b.Commit(pebble.Sync); err != nil {
		return errs.Unavailable(err, "search: commit")
	}
	return nil
}

// Upsert implements Index.
func (e *embedded) Upsert(ctx context.Context, docs ...Doc) error {
	for i, d := range docs {
		if err := validateDoc(i, d); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The last version of an ID in one call wins, as if upserted one by one.
	last := make(map[string]int, len(docs))
	for i, d := range docs {
		last[d.ID] = i
	}
	return e.use(func() error {
		e.writeMu.Lock()
		defer e.writeMu.Unlock()
		w := e.newWriter()
		for i, d := range docs {
			if last[d.ID] != i {
				continue
			}
			old, err := w.removeOld(d.ID)
			if err != nil {
				w.b.Close()
				return err
			}
			if err := w.put(d, old); err != nil {
				w.b.Close()
				return err
			}
		}
		if err := w.commit(); err != nil {
			return err
		}
		if e.rec != nil {
			for i, d := range docs {
				if last[d.ID] == i {
					*e.rec = append(*e.rec, change{id: d.ID, doc: &d})
				}
			}
		}
		return nil
	})
}

// Delete implements Index.
func (e *embedded) Delete(ctx context.Context, ids ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return e.use(func() error {
		e.writeMu.Lock()
		defer e.writeMu.Unlock()
		w := e.newWriter()
		done := make(map[string]bool, len(ids))
		for _, id := range ids {
			if id == "" || done[id] {
				continue
			}
			done[id] = true
			old, err := w.removeOld(id)
			if err == nil && old != nil {
				err = w.deleteStored(id, old)
				w.docs--
			}
			if err != nil {
				w.b.Close()
				return err
			}
		}
		if err := w.commit(); err != nil {
			return err
		}
		if e.rec != nil {
			for id := range done {
				*e.rec = append(*e.rec, change{id: id})
			}
		}
		return nil
	})
}

// Count implements Index.
func (e *embedded) Count(ctx context.Context) (int, error) {
	n := 0
	err := e.use(func() error {
		v, closer, err := e.db.Get([]byte(keyCount))
		if errors.Is(err, pebble.ErrNotFound) {
			return nil
		}
		if err != nil {
			return errs.Unavailable(err, "search: count")
		}
		n = int(decodeCounter(v))
		return closer.Close()
	})
	return n, err
}

// Close implements Index.
func (e *embedded) Close() error {
	e.closeMu.Lock()
	defer e.closeMu.Unlock()
	if e.closed {
		return nil
	}
	e.closed = true
	// Flushing the memtable now makes the next Open fast: otherwise it
	// replays up to a memtable's worth of write-ahead log.
	ferr := e.db.Flush()
	return errors.Join(ferr, e.db.Close())
}
