// Package keeper keeps a search index in step with the store it mirrors,
// for the services' search adapters (inventory/searchindex,
// actor/searchindex): single-document changes applied as the service's
// events arrive, and a rebuild that pages through the store in id order
// and upserts in batches.
//
// Consistency: an event handler reads the store and writes the index under
// the keeper's lock. A rebuild of the embedded index replaces its content
// from sorted sstables (search.Replacer) while the index records the
// changes handlers make meanwhile and applies them again on the new
// content, so a rebuild never overwrites a newer change with an older
// read; other indexes are upserted page by page under the lock. The
// adapters still drop hits the store no longer has, for the moment between
// a delete and its event.
//
// Readiness: when the index is empty at Start but the store is not (a
// `cdlc seed demo` or an import done while the server was down), Start
// rebuilds in the background and Ready is false until that rebuild
// completes; the adapters answer from the SQL fallback meanwhile, so a
// search never sees a half-filled index. When the index is not empty at
// Start and holds more or fewer documents than the store, a background
// sweep (Sweep) removes the documents the store lost while no process
// listened. Later rebuilds (the import's
// "every title/person" event) run in the background while the index keeps
// answering with what it holds.
package keeper

import (
	"context"
	"errors"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"

	"github.com/cdlc/cdlc/internal/platform/search"
)

// Source pages through the store: up to limit documents with an id after
// afterID, in id order.
type Source func(ctx context.Context, afterID string, limit int) ([]search.Doc, error)

// Existing returns the ids among ids that the store has.
type Existing func(ctx context.Context, ids []string) ([]string, error)

// Counter returns how many documents the store has.
type Counter func(ctx context.Context) (int, error)

// BatchSize is how many documents a rebuild reads and upserts at a time.
const BatchSize = 2000

// SweepBatch is how many ids a sweep checks against the store at a time.
const SweepBatch = 1000

// Keeper owns an index and keeps it current.
type Keeper struct {
	idx    search.Index
	src    Source
	exists Existing
	count  Counter
	log    *slog.Logger
	mu     sync.Mutex // orders store reads + index writes
	ready  atomic.Bool

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	rmu     sync.Mutex // guards running, again
	running bool
	again   bool
}

// New returns a keeper of idx fed by src; it is not Ready until Start.
// exists (may be nil) lets Start sweep out documents the store lost while
// no process listened; count (may be nil) lets it skip the sweep when the
// store holds as many documents as the index.
func New(idx search.Index, src Source, exists Existing, count Counter, log *slog.Logger) *Keeper {
	ctx, cancel := context.WithCancel(context.Background())
	return &Keeper{idx: idx, src: src, exists: exists, count: count, log: log, ctx: ctx, cancel: cancel}
}

// Index is the kept index.
func (k *Keeper) Index() search.Index { return k.idx }

// Ready reports whether the index can answer searches: it held documents
// at Start, the store was empty, or the first rebuild has completed.
func (k *Keeper) Ready() bool { return k.ready.Load() }

// Start makes the keeper ready, or starts the background rebuild that
// will when the index is empty and the store is not.
func (k *Keeper) Start(ctx context.Context) error {
	n, err := k.idx.Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		k.ready.Store(true)
		// Titles or people deleted while no process listened (the server
		// was down, or an import deleted them) are still in the index:
		// sweep them out in the background, unless the counts agree (the
		// cheap check: one COUNT, so a restart with nothing lost costs
		// nothing).
		if k.count != nil {
			if have, err := k.count(ctx); err == nil && have == n {
				return nil
			}
		}
		k.wg.Add(1)
		go func() {
			defer k.wg.Done()
			removed, err := k.Sweep(k.ctx)
			switch {
			case err != nil && k.ctx.Err() == nil:
				k.log.Error("search index sweep failed", "err", err)
			case removed > 0:
				k.log.Info("search index swept", "removed", removed)
			}
		}()
		return nil
	}
	first, err := k.src(ctx, "", 1)
	if err != nil {
		return err
	}
	if len(first) == 0 {
		k.ready.Store(true)
		return nil
	}
	k.RebuildAsync()
	return nil
}

// Sweep deletes from the index the documents the store no longer has:
// the index's ids are read a page at a time and checked against the store
// under the keeper's lock (so an event handler re-creating an id cannot
// interleave). It does nothing for an index that cannot list its ids or a
// keeper without Existing. It returns how many documents it deleted.
func (k *Keeper) Sweep(ctx context.Context) (int, error) {
	lister, ok := k.idx.(search.Lister)
	if !ok || k.exists == nil {
		return 0, nil
	}
	after, removed := "", 0
	for {
		ids, err := lister.IDs(ctx, after, SweepBatch)
		if err != nil || len(ids) == 0 {
			return removed, err
		}
		after = ids[len(ids)-1]
		err = k.Locked(func() error {
			have, err := k.exists(ctx, ids)
			if err != nil {
				return err
			}
			if len(have) == len(ids) {
				return nil
			}
			kept := make(map[string]bool, len(have))
			for _, id := range have {
				kept[id] = true
			}
			var gone []string
			for _, id := range ids {
				if !kept[id] {
					gone = append(gone, id)
				}
			}
			removed += len(gone)
			return k.idx.Delete(ctx, gone...)
		})
		if err != nil {
			return removed, err
		}
	}
}

// Locked runs fn under the lock that orders changes: read the store and
// write the index inside fn.
func (k *Keeper) Locked(fn func() error) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return fn()
}

// Rebuild makes the index hold every document of the store and nothing
// else, and makes the keeper ready when it completes. An index that can
// replace its content (search.Replacer: the embedded one, through sorted
// sstables) is replaced, which also drops documents the store no longer
// has; changes applied meanwhile are kept (the index records them).
// Another is upserted page by page.
func (k *Keeper) Rebuild(ctx context.Context) error {
	if r, ok := k.idx.(search.Replacer); ok {
		return k.replace(ctx, r)
	}
	after, total := "", 0
	for {
		var n int
		err := k.Locked(func() error {
			docs, err := k.src(ctx, after, BatchSize)
			if err != nil || len(docs) == 0 {
				return err
			}
			n = len(docs)
			after = docs[len(docs)-1].ID
			return k.idx.Upsert(ctx, Clean(docs)...)
		})
		if err != nil {
			return err
		}
		total += n
		if n < BatchSize {
			break
		}
	}
	k.ready.Store(true)
	k.log.Info("search index rebuilt", "documents", total)
	return nil
}

func (k *Keeper) replace(ctx context.Context, r search.Replacer) error {
	after, total := "", 0
	err := r.Replace(ctx, func(ctx context.Context) ([]search.Doc, error) {
		for {
			docs, err := k.src(ctx, after, BatchSize)
			if err != nil || len(docs) == 0 {
				return nil, err
			}
			after = docs[len(docs)-1].ID
			if docs = Clean(docs); len(docs) > 0 {
				total += len(docs)
				return docs, nil
			}
		}
	})
	if err != nil {
		return err
	}
	k.ready.Store(true)
	k.log.Info("search index rebuilt", "documents", total)
	return nil
}

// RebuildAsync rebuilds in the background; a call while a rebuild runs
// makes it run once more when it ends.
func (k *Keeper) RebuildAsync() {
	k.rmu.Lock()
	defer k.rmu.Unlock()
	if k.running {
		k.again = true
		return
	}
	if k.ctx.Err() != nil {
		return
	}
	k.running = true
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		for {
			if err := k.Rebuild(k.ctx); err != nil && k.ctx.Err() == nil {
				k.log.Error("search index rebuild failed", "err", err)
			}
			k.rmu.Lock()
			if !k.again || k.ctx.Err() != nil {
				k.running = false
				k.rmu.Unlock()
				return
			}
			k.again = false
			k.rmu.Unlock()
		}
	}()
}

// Close stops a running rebuild and closes the index.
func (k *Keeper) Close() error {
	k.cancel()
	k.wg.Wait()
	err := k.idx.Close()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// Index limits on a document (see search.Doc).
const (
	maxNames   = 64
	maxNameLen = 1024
	maxIDLen   = 512
)

// Clean makes documents fit the index's rules so that one odd row cannot
// fail a batch: names kept to the first 64 of at most 1024 bytes, a
// negative popularity or a year out of 0..9999 made 0, and documents with
// no usable id or name dropped.
func Clean(docs []search.Doc) []search.Doc {
	out := make([]search.Doc, 0, len(docs))
	for _, d := range docs {
		names := make([]string, 0, min(len(d.Names), maxNames))
		for _, n := range d.Names {
			if n != "" && len(n) <= maxNameLen && len(names) < maxNames {
				names = append(names, n)
			}
		}
		if d.ID == "" || len(d.ID) > maxIDLen || len(names) == 0 {
			continue
		}
		d.Names = names
		if !(d.Popularity >= 0) || math.IsInf(d.Popularity, 0) {
			d.Popularity = 0
		}
		if d.Year < 0 || d.Year > 9999 {
			d.Year = 0
		}
		out = append(out, d)
	}
	return out
}
