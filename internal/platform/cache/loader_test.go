package cache_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

func newMemory(t testing.TB) *cache.Memory {
	t.Helper()
	c, err := cache.NewMemory(cache.MemoryOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// gatedLoad is a load function that counts its calls, says when one starts,
// and holds every call until the gate opens, so a test can pile callers up
// on a load in progress.
type gatedLoad struct {
	calls   atomic.Int32
	started chan struct{} // one send per call
	gate    chan struct{} // closed to let the calls finish
	val     []byte
	err     error
}

func newGatedLoad(val []byte, err error) *gatedLoad {
	return &gatedLoad{started: make(chan struct{}, 100), gate: make(chan struct{}), val: val, err: err}
}

func (g *gatedLoad) load(ctx context.Context) ([]byte, error) {
	g.calls.Add(1)
	g.started <- struct{}{}
	select {
	case <-g.gate:
		return g.val, g.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

type result struct {
	val []byte
	err error
}

// getAsync calls l.Get on a goroutine of its own and delivers the result.
func getAsync(ctx context.Context, l *cache.Loader, key string, load func(context.Context) ([]byte, error)) <-chan result {
	ch := make(chan result, 1)
	go func() {
		v, err := l.Get(ctx, key, time.Minute, load)
		ch <- result{v, err}
	}()
	return ch
}

func TestLoaderCoalescesColdKey(t *testing.T) {
	t.Parallel()
	const callers = 50
	c := &countingCache{Cache: newMemory(t)}
	l := cache.NewLoader(c, cache.LoaderOptions{})
	g := newGatedLoad([]byte("poster"), nil)

	results := make([]<-chan result, callers)
	for i := range results {
		results[i] = getAsync(context.Background(), l, "title:1", g.load)
	}
	<-g.started
	// Every caller has missed the cache (plus the load's own second look)
	// before the load may finish; whether a straggler joins the flight or
	// finds the value cached, the load must still run once.
	require.Eventually(t, func() bool { return c.gets.Load() >= callers+1 }, 5*time.Second, time.Millisecond)
	close(g.gate)

	for _, ch := range results {
		r := <-ch
		require.NoError(t, r.err)
		require.Equal(t, []byte("poster"), r.val)
	}
	require.EqualValues(t, 1, g.calls.Load(), "load runs once for concurrent callers of a cold key")

	v, err := l.Get(context.Background(), "title:1", time.Minute, g.load)
	require.NoError(t, err)
	require.Equal(t, []byte("poster"), v)
	require.EqualValues(t, 1, g.calls.Load(), "a warm key is not loaded again")
}

func TestLoaderErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("database is down")
	tests := []struct {
		name    string
		callers int
	}{
		{"one caller", 1},
		{"many waiters", 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := cache.NewLoader(newMemory(t), cache.LoaderOptions{})
			g := newGatedLoad(nil, boom)
			results := make([]<-chan result, tt.callers)
			for i := range results {
				results[i] = getAsync(context.Background(), l, "k", g.load)
			}
			<-g.started
			close(g.gate)
			for _, ch := range results {
				r := <-ch
				require.ErrorIs(t, r.err, boom, "every waiter sees the load's error")
				require.Nil(t, r.val)
			}
			calls := g.calls.Load()

			// The error was not cached: the next Get loads again.
			_, err := l.Get(context.Background(), "k", time.Minute, g.load)
			require.ErrorIs(t, err, boom)
			require.Equal(t, calls+1, g.calls.Load())
		})
	}
}

func TestLoaderCancelledCallerDoesNotFailOthers(t *testing.T) {
	t.Parallel()
	c := &countingCache{Cache: newMemory(t)}
	l := cache.NewLoader(c, cache.LoaderOptions{})
	g := newGatedLoad([]byte("v"), nil)

	firstCtx, cancelFirst := context.WithCancel(context.Background())
	first := getAsync(firstCtx, l, "k", g.load)
	<-g.started
	second := getAsync(context.Background(), l, "k", g.load)
	// The second caller has missed the cache (the first caller's miss and
	// the load's second look come first), so it is on its way into the flight.
	require.Eventually(t, func() bool { return c.gets.Load() >= 3 }, 5*time.Second, time.Millisecond)

	cancelFirst()
	r := <-first
	require.ErrorIs(t, r.err, context.Canceled, "the caller that gave up returns at once")

	close(g.gate)
	r = <-second
	require.NoError(t, r.err, "the load outlives the caller that started it")
	require.Equal(t, []byte("v"), r.val)
	require.EqualValues(t, 1, g.calls.Load())
	requireCached(t, c, "k", []byte("v"))
}

func TestLoaderLoadTimeout(t *testing.T) {
	t.Parallel()
	l := cache.NewLoader(newMemory(t), cache.LoaderOptions{LoadTimeout: 50 * time.Millisecond})
	g := newGatedLoad([]byte("v"), nil) // the gate never opens
	_, err := l.Get(context.Background(), "k", time.Minute, g.load)
	require.ErrorIs(t, err, context.DeadlineExceeded, "a hung load is bounded by LoadTimeout")
}

func TestLoaderCacheFailureFallsThrough(t *testing.T) {
	t.Parallel()
	l := cache.NewLoader(failingCache{}, cache.LoaderOptions{})
	var calls atomic.Int32
	load := func(context.Context) ([]byte, error) {
		calls.Add(1)
		return []byte("from source"), nil
	}
	for range 2 {
		v, err := l.Get(context.Background(), "k", time.Minute, load)
		require.NoError(t, err, "a cache outage is not an outage of the service")
		require.Equal(t, []byte("from source"), v)
	}
	require.EqualValues(t, 2, calls.Load())
}

func TestLoaderInvalidateDuringLoad(t *testing.T) {
	t.Parallel()
	c := newMemory(t)
	l := cache.NewLoader(c, cache.LoaderOptions{})
	g := newGatedLoad([]byte("old"), nil)

	pending := getAsync(context.Background(), l, "k", g.load)
	<-g.started
	// A write lands while the load still holds the value it read before.
	require.NoError(t, l.Invalidate(context.Background(), "k"))
	close(g.gate)
	r := <-pending
	require.NoError(t, r.err)
	require.Equal(t, []byte("old"), r.val, "the waiter still gets its answer")

	_, found, err := c.Get(context.Background(), "k")
	require.NoError(t, err)
	require.False(t, found, "a value loaded before Invalidate must not be cached after it")

	v, err := l.Get(context.Background(), "k", time.Minute, func(context.Context) ([]byte, error) {
		return []byte("new"), nil
	})
	require.NoError(t, err)
	require.Equal(t, []byte("new"), v)
}

func TestLoaderInvalidateDeletes(t *testing.T) {
	t.Parallel()
	c := newMemory(t)
	l := cache.NewLoader(c, cache.LoaderOptions{})
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		require.NoError(t, c.Set(ctx, k, []byte(k), time.Minute))
	}
	require.NoError(t, l.Invalidate(ctx, "a", "b"))
	for k, want := range map[string]bool{"a": false, "b": false, "c": true} {
		_, found, err := c.Get(ctx, k)
		require.NoError(t, err)
		require.Equal(t, want, found, "key %q", k)
	}
}

func TestLoaderPanicBecomesError(t *testing.T) {
	t.Parallel()
	l := cache.NewLoader(newMemory(t), cache.LoaderOptions{})
	_, err := l.Get(context.Background(), "k", time.Minute, func(context.Context) ([]byte, error) {
		panic("bug in loader")
	})
	require.Error(t, err)
	require.Equal(t, errs.KindInternal, errs.KindOf(err))
	require.Contains(t, err.Error(), "bug in loader")
}

func TestLoaderSharedValuesAreIndependent(t *testing.T) {
	t.Parallel()
	l := cache.NewLoader(newMemory(t), cache.LoaderOptions{})
	g := newGatedLoad([]byte("shared"), nil)
	a := getAsync(context.Background(), l, "k", g.load)
	b := getAsync(context.Background(), l, "k", g.load)
	<-g.started
	close(g.gate)
	ra, rb := <-a, <-b
	require.NoError(t, ra.err)
	require.NoError(t, rb.err)
	ra.val[0] = 'X'
	require.Equal(t, []byte("shared"), rb.val, "one waiter's changes do not reach another")
}

func requireCached(t testing.TB, c cache.Cache, key string, want []byte) {
	t.Helper()
	got, found, err := c.Get(context.Background(), key)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, want, got)
}

// countingCache counts Gets, so tests can tell when callers have missed.
type countingCache struct {
	cache.Cache
	gets atomic.Int32
}

func (c *countingCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	c.gets.Add(1)
	return c.Cache.Get(ctx, key)
}

// failingCache is a cache that is down.
type failingCache struct{}

var errCacheDown = errs.Unavailable(errors.New("connection refused"), "cache")

func (failingCache) Get(context.Context, string) ([]byte, bool, error) {
	return nil, false, errCacheDown
}
func (failingCache) Set(context.Context, string, []byte, time.Duration) error {
	return errCacheDown
}
func (failingCache) Delete(context.Context, ...string) error { return errCacheDown }
func (failingCache) Ping(context.Context) error              { return errCacheDown }
func (failingCache) Close() error                            { return nil }
