package search

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/objstorage/objstorageprovider"
	"github.com/cockroachdb/pebble/v2/sstable"
	"github.com/cockroachdb/pebble/v2/vfs"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Replacer is an Index that can replace its whole content in one go, much
// faster than Upsert for a large load (a rebuild after an import).
type Replacer interface {
	// Replace makes the index hold exactly the documents next yields, batch
	// by batch until an empty batch; documents are cleaned by the caller
	// (an invalid one fails the call, which then changes nothing) and IDs
	// must be unique across batches. The index keeps answering from its
	// previous content until the replacement is complete; Upsert and Delete
	// calls made meanwhile are applied on the replacement too.
	Replace(ctx context.Context, next func(ctx context.Context) ([]Doc, error)) error
}

var _ Replacer = (*embedded)(nil)

// Lister is an Index that can list the IDs it holds.
type Lister interface {
	// IDs returns up to limit IDs after afterID, in byte order.
	IDs(ctx context.Context, afterID string, limit int) ([]string, error)
}

var _ Lister = (*embedded)(nil)

// IDs implements Lister.
func (e *embedded) IDs(ctx context.Context, afterID string, limit int) ([]string, error) {
	var out []string
	err := e.use(func() error {
		lo := append(docKey(afterID), 0) // the first key after afterID's
		it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: []byte{prefixDoc + 1}})
		if err != nil {
			return errs.Unavailable(err, "search: list ids")
		}
		for ok := it.First(); ok && len(out) < limit; ok = it.Next() {
			out = append(out, string(it.Key()[1:]))
		}
		return errors.Join(it.Error(), it.Close())
	})
	return out, err
}

// change is an Upsert (doc set) or a Delete made while a Replace runs.
type change struct {
	id  string
	doc *Doc
}

// Bulk-load tuning (variables for the tests).
var (
	// runBytes is how much key and value data is sorted in memory before a
	// run is spilled to disk: the loader's memory is about twice this.
	runBytes = 64 << 20
	// tableBytes is the size of the sstables handed to Pebble.
	tableBytes = 256 << 20
)

// Replace implements Replacer. The documents become sorted sstables: keys
// and values are collected in memory runs, each sorted and spilled to a
// file, then merged into sstables that do not overlap, which a new Pebble
// database ingests straight into its bottom level (no write-ahead log, no
// memtable, no compaction). The new database then takes the old one's
// place: searches wait for that moment only (a close and an open).
func (e *embedded) Replace(ctx context.Context, next func(ctx context.Context) ([]Doc, error)) error {
	var rec []change
	if err := e.use(func() error {
		e.writeMu.Lock()
		defer e.writeMu.Unlock()
		if e.rec != nil {
			return errs.E(errs.KindConflict, "search: a replace is already running")
		}
		e.rec = &rec
		return nil
	}); err != nil {
		return err
	}
	stopRecording := func() {
		e.writeMu.Lock()
		e.rec = nil
		e.writeMu.Unlock()
	}
	work := e.dir + ".build"
	if err := os.RemoveAll(work); err != nil {
		stopRecording()
		return fmt.Errorf("search: clear %s: %w", work, err)
	}
	defer os.RemoveAll(work)
	b := &bulk{dir: filepath.Join(work, "runs"), vocab: make(map[string]int64), opts: e.opts}
	if err := os.MkdirAll(b.dir, 0o755); err != nil {
		stopRecording()
		return fmt.Errorf("search: create %s: %w", b.dir, err)
	}
	tables, err := b.load(ctx, next)
	if err == nil {
		err = e.ingest(ctx, filepath.Join(work, "db"), tables)
	}
	if err != nil {
		stopRecording()
		return err
	}
	return e.swap(ctx, filepath.Join(work, "db"))
}

// ingest makes a new database in dir from tables.
func (e *embedded) ingest(ctx context.Context, dir string, tables []string) error {
	db, err := e.openDB(dir)
	if err != nil {
		return err
	}
	if len(tables) > 0 {
		if err := db.Ingest(ctx, tables); err != nil {
			return errors.Join(errs.Unavailable(err, "search: ingest"), db.Close())
		}
	}
	if err := db.Close(); err != nil {
		return errs.Unavailable(err, "search: close the new index")
	}
	return nil
}

// swap puts the database built in dir in the place of the live one and
// applies the changes recorded meanwhile. The old directory is renamed
// aside first, so that a crash in between leaves one of the two complete
// (recoverSwap puts the old one back).
func (e *embedded) swap(ctx context.Context, built string) error {
	e.closeMu.Lock()
	defer e.closeMu.Unlock()
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	rec := e.rec
	e.rec = nil
	if e.closed {
		return ErrClosed
	}
	old := e.dir + ".old"
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("search: clear %s: %w", old, err)
	}
	if err := e.db.Close(); err != nil {
		return errs.Unavailable(err, "search: close the index")
	}
	reopen := func(cause error) error {
		db, err := e.openDB(e.dir)
		if err != nil {
			e.closed = true // nothing to answer from
			return errors.Join(cause, err)
		}
		e.db = db
		return cause
	}
	if err := os.Rename(e.dir, old); err != nil {
		return reopen(fmt.Errorf("search: move the old index aside: %w", err))
	}
	if err := os.Rename(built, e.dir); err != nil {
		if rerr := os.Rename(old, e.dir); rerr != nil {
			e.closed = true
			return errors.Join(err, rerr)
		}
		return reopen(fmt.Errorf("search: move the new index in: %w", err))
	}
	db, err := e.openDB(e.dir)
	if err != nil {
		e.closed = true
		return err
	}
	e.db = db
	_ = os.RemoveAll(old)
	// The changes made during the build, in order, on the new content.
	w := e.newWriter()
	for _, c := range *rec {
		old, err := w.removeOld(c.id)
		if err == nil && c.doc != nil {
			err = w.put(*c.doc, old)
		} else if err == nil && old != nil {
			err = w.deleteStored(c.id, old)
			w.docs--
		}
		if err != nil {
			w.b.Close()
			return err
		}
		// A later change of the same id must see this one.
		if err := w.commit(); err != nil {
			return err
		}
		w = e.newWriter()
	}
	w.b.Close()
	return nil
}

// recoverSwap finishes or undoes a swap a crash interrupted: when the index
// directory is missing and the old one was set aside, it goes back.
func recoverSwap(dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Stat(dir + ".old"); err == nil {
			if err := os.Rename(dir+".old", dir); err != nil {
				return fmt.Errorf("search: restore %s: %w", dir, err)
			}
		}
	}
	_ = os.RemoveAll(dir + ".build")
	return nil
}

// bulk sorts the keys and values of a load.
type bulk struct {
	dir   string
	opts  *pebble.Options
	arena []byte
	ents  []entry
	runs  []string
	vocab map[string]int64
	docs  int64
	key   []byte
}

// entry is a key and value in the arena. head is the key's first 8 bytes
// big-endian (zero-padded), so that most comparisons while sorting need
// not touch the arena.
type entry struct {
	head       uint64
	off        int
	klen, vlen uint32
}

func keyHead(key []byte) uint64 {
	var b [8]byte
	copy(b[:], key)
	return binary.BigEndian.Uint64(b[:])
}

func (b *bulk) k(e entry) []byte { return b.arena[e.off : e.off+int(e.klen)] }

func (b *bulk) add(key, value []byte) {
	b.ents = append(b.ents, entry{head: keyHead(key), off: len(b.arena), klen: uint32(len(key)), vlen: uint32(len(value))})
	b.arena = append(b.arena, key...)
	b.arena = append(b.arena, value...)
}

// load reads every batch, spills sorted runs, and merges them into
// sstables; it returns their paths.
func (b *bulk) load(ctx context.Context, next func(ctx context.Context) ([]Doc, error)) ([]string, error) {
	b.arena = make([]byte, 0, runBytes+runBytes/8)
	b.ents = make([]entry, 0, runBytes/64)
	for n := 0; ; {
		docs, err := next(ctx)
		if err != nil {
			return nil, err
		}
		if len(docs) == 0 {
			break
		}
		for i, d := range docs {
			if err := validateDoc(n+i, d); err != nil {
				return nil, err
			}
			b.addDoc(d)
		}
		n += len(docs)
		if len(b.arena) >= runBytes {
			if err := b.spill(); err != nil {
				return nil, err
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	// The vocabulary and the count join the last run, in memory.
	for t, n := range b.vocab {
		b.add(append([]byte{prefixVocab}, t...), counterValue(n))
	}
	if b.docs > 0 {
		b.add([]byte(keyCount), counterValue(b.docs))
	}
	b.sort()
	return b.merge(ctx)
}

func (b *bulk) addDoc(d Doc) {
	p := buildDoc(d)
	rank := rankOf(d.Popularity)
	val := make([]byte, rankLen, 128)
	copy(val, rank[:])
	val = p.encode(val)
	pay := val[rankLen:]
	for _, t := range p.terms {
		b.key = postingKey(b.key[:0], t, rank[:], d.ID)
		b.add(b.key, pay)
		b.vocab[t]++
	}
	b.key = rankKey(b.key[:0], rank[:], d.ID)
	b.add(b.key, pay)
	b.key = append(append(b.key[:0], prefixDoc), d.ID...)
	b.add(b.key, val)
	b.docs++
}

func (b *bulk) sort() {
	slices.SortFunc(b.ents, func(x, y entry) int {
		if x.head != y.head {
			if x.head < y.head {
				return -1
			}
			return 1
		}
		// Equal heads: when both keys are 8 bytes or longer their first 8
		// bytes are equal; a shorter key (padded) needs the full compare.
		kx, ky := b.k(x), b.k(y)
		if len(kx) >= 8 && len(ky) >= 8 {
			return bytes.Compare(kx[8:], ky[8:])
		}
		return bytes.Compare(kx, ky)
	})
}

// spill sorts the arena and writes it to a run file.
func (b *bulk) spill() error {
	b.sort()
	path := filepath.Join(b.dir, fmt.Sprintf("run-%05d", len(b.runs)))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("search: spill: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var hdr []byte
	for _, e := range b.ents {
		hdr = binary.AppendUvarint(hdr[:0], uint64(e.klen))
		hdr = binary.AppendUvarint(hdr, uint64(e.vlen))
		w.Write(hdr)
		w.Write(b.arena[e.off : e.off+int(e.klen)+int(e.vlen)])
	}
	err = errors.Join(w.Flush(), f.Close())
	if err != nil {
		return fmt.Errorf("search: spill: %w", err)
	}
	b.runs = append(b.runs, path)
	b.arena, b.ents = b.arena[:0], b.ents[:0]
	return nil
}

// source is one sorted input of the merge: a run file or the memory run.
type source struct {
	r          *bufio.Reader
	f          *os.File
	b          *bulk // the memory run, when r is nil
	i          int
	buf        []byte
	key, value []byte
}

func (s *source) next() (bool, error) {
	if s.r == nil {
		if s.i >= len(s.b.ents) {
			return false, nil
		}
		e := s.b.ents[s.i]
		s.i++
		s.key = s.b.arena[e.off : e.off+int(e.klen)]
		s.value = s.b.arena[e.off+int(e.klen) : e.off+int(e.klen)+int(e.vlen)]
		return true, nil
	}
	kl, err := binary.ReadUvarint(s.r)
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	vl, err := binary.ReadUvarint(s.r)
	if err != nil {
		return false, err
	}
	// The previous entry has been written (or copied) by now: reuse its
	// buffer.
	s.buf = slices.Grow(s.buf[:0], int(kl+vl))[:kl+vl]
	if _, err := io.ReadFull(s.r, s.buf); err != nil {
		return false, err
	}
	s.key, s.value = s.buf[:kl], s.buf[kl:]
	return true, nil
}

type sourceHeap []*source

func (h sourceHeap) Len() int           { return len(h) }
func (h sourceHeap) Less(i, j int) bool { return bytes.Compare(h[i].key, h[j].key) < 0 }
func (h sourceHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *sourceHeap) Push(x any)        { *h = append(*h, x.(*source)) }
func (h *sourceHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merge merges the runs into sstables of about tableBytes each.
func (b *bulk) merge(ctx context.Context) ([]string, error) {
	var h sourceHeap
	defer func() {
		for _, s := range h {
			if s.f != nil {
				s.f.Close()
			}
		}
	}()
	push := func(s *source) error {
		ok, err := s.next()
		if err != nil {
			return fmt.Errorf("search: read run: %w", err)
		}
		if ok {
			heap.Push(&h, s)
		} else if s.f != nil {
			s.f.Close()
		}
		return nil
	}
	for _, path := range b.runs {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("search: read run: %w", err)
		}
		if err := push(&source{f: f, r: bufio.NewReaderSize(f, 256<<10)}); err != nil {
			f.Close()
			return nil, err
		}
	}
	if err := push(&source{b: b}); err != nil {
		return nil, err
	}

	var (
		tables []string
		w      *sstable.Writer
		size   int
		prev   []byte
		n      int
	)
	wopts := b.opts.MakeWriterOptions(len(b.opts.Levels)-1, b.opts.FormatMajorVersion.MaxTableFormat())
	finish := func() error {
		if w == nil {
			return nil
		}
		err := w.Close()
		w = nil
		return err
	}
	for h.Len() > 0 {
		s := h[0]
		if bytes.Equal(s.key, prev) {
			finish()
			return nil, errs.Invalid("docs", "document %q is given twice", bytes.TrimPrefix(s.key, []byte{prefixDoc}))
		}
		if w == nil || size >= tableBytes {
			if err := finish(); err != nil {
				return nil, errs.Unavailable(err, "search: write table")
			}
			path := filepath.Join(b.dir, fmt.Sprintf("table-%05d.sst", len(tables)))
			f, err := vfs.Default.Create(path, vfs.WriteCategoryUnspecified)
			if err != nil {
				return nil, fmt.Errorf("search: write table: %w", err)
			}
			w = sstable.NewWriter(objstorageprovider.NewFileWritable(f), wopts)
			tables = append(tables, path)
			size = 0
		}
		if err := w.Set(s.key, s.value); err != nil {
			finish()
			return nil, errs.Unavailable(err, "search: write table")
		}
		size += len(s.key) + len(s.value)
		prev = append(prev[:0], s.key...)
		if err := s.advance(&h); err != nil {
			finish()
			return nil, err
		}
		if n++; n%65536 == 0 {
			if err := ctx.Err(); err != nil {
				finish()
				return nil, err
			}
		}
	}
	if err := finish(); err != nil {
		return nil, errs.Unavailable(err, "search: write table")
	}
	return tables, nil
}

// advance moves the top source of h to its next entry.
func (s *source) advance(h *sourceHeap) error {
	ok, err := s.next()
	if err != nil {
		return fmt.Errorf("search: read run: %w", err)
	}
	if ok {
		heap.Fix(h, 0)
		return nil
	}
	if s.f != nil {
		s.f.Close()
	}
	heap.Pop(h)
	return nil
}
