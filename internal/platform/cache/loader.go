package cache

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// DefaultLoadTimeout bounds a shared load when LoaderOptions.LoadTimeout is zero.
const DefaultLoadTimeout = 10 * time.Second

// LoaderOptions tunes NewLoader.
type LoaderOptions struct {
	// LoadTimeout bounds one shared load. The load does not stop when the
	// caller that started it gives up (the other waiters still want the
	// value), so something else has to stop a load that hangs.
	LoadTimeout time.Duration
}

// Loader reads through a Cache: on a miss it calls the load function once per
// key, however many callers ask at the same time, and caches the result. This
// is what keeps a popular key that expires from sending a burst of identical
// queries to the database (a cache stampede).
//
// Coalescing is per process; several processes on one Redis each load once.
type Loader struct {
	cache   Cache
	timeout time.Duration
	group   singleflight.Group

	mu sync.Mutex
	// flights holds the loads in progress per key, so Invalidate can stop
	// them from storing a value read before the write that invalidated the
	// key. There can be more than one: Invalidate lets new callers start a
	// fresh load while the old one finishes.
	flights map[string]map[*flight]struct{}
}

type flight struct{ stale bool }

// NewLoader wraps c. The Loader does not own c: closing c is the caller's job.
func NewLoader(c Cache, opts LoaderOptions) *Loader {
	timeout := opts.LoadTimeout
	if timeout <= 0 {
		timeout = DefaultLoadTimeout
	}
	return &Loader{cache: c, timeout: timeout, flights: map[string]map[*flight]struct{}{}}
}

// Get returns the cached value of key, or loads it, caches it for ttl
// (ttl <= 0: no expiry) and returns it.
//
// Concurrent callers of a cold key share one call of load. The load runs with
// a context that keeps the first caller's values (trace, request id) but not
// its cancellation, bounded by LoadTimeout: a caller that gives up gets its
// context's error at once, and the others still get the value.
//
// A cache that fails is treated as a miss: the value is loaded and returned
// anyway, since a cache outage must not become a service outage. A load
// error is returned to every waiter and nothing is cached, so the next Get
// tries again.
func (l *Loader) Get(ctx context.Context, key string, ttl time.Duration, load func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	if val, found, err := l.cache.Get(ctx, key); err == nil && found {
		return val, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	ch := l.group.DoChan(key, func() (any, error) {
		return l.load(ctx, key, ttl, load)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		val := r.Val.([]byte)
		if r.Shared {
			// Every waiter got the same slice; a copy each keeps one caller's
			// changes from reaching the others.
			val = clone(val)
		}
		return val, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// load is the body of one shared load.
func (l *Loader) load(ctx context.Context, key string, ttl time.Duration, load func(ctx context.Context) ([]byte, error)) (val any, err error) {
	f := &flight{}
	l.mu.Lock()
	if l.flights[key] == nil {
		l.flights[key] = map[*flight]struct{}{}
	}
	l.flights[key][f] = struct{}{}
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.flights[key], f)
		if len(l.flights[key]) == 0 {
			delete(l.flights, key)
		}
		l.mu.Unlock()
	}()
	defer func() {
		// singleflight re-panics a DoChan panic on a fresh goroutine, where
		// no recovery middleware can catch it and the process dies; an error
		// for every waiter is the better failure.
		if p := recover(); p != nil {
			val, err = nil, errs.E(errs.KindInternal, "cache load of %q panicked: %v", key, p)
		}
	}()

	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), l.timeout)
	defer cancel()

	// A caller that missed just before the previous load of this key stored
	// its value starts a new flight; a second look saves it a second load.
	if v, found, err := l.cache.Get(lctx, key); err == nil && found {
		return v, nil
	}
	v, err := load(lctx)
	if err != nil {
		return nil, err
	}
	if v == nil {
		v = []byte{}
	}
	// Invalidate marks the flight stale before it deletes, so whichever of
	// the two checks below runs after the mark keeps the stale value out:
	// the first skips the Set, the second undoes it.
	if !l.isStale(f) {
		if err := l.cache.Set(lctx, key, v, ttl); err == nil && l.isStale(f) {
			_ = l.cache.Delete(lctx, key)
		}
	}
	return v, nil
}

func (l *Loader) isStale(f *flight) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return f.stale
}

// Invalidate deletes keys from the cache after a write to their source. A
// load of one of them in progress still answers its waiters but does not
// cache its (possibly old) value, and later callers start a fresh load
// instead of joining it.
func (l *Loader) Invalidate(ctx context.Context, keys ...string) error {
	l.mu.Lock()
	for _, k := range keys {
		for f := range l.flights[k] {
			f.stale = true
		}
		l.group.Forget(k)
	}
	l.mu.Unlock()
	return l.cache.Delete(ctx, keys...)
}
