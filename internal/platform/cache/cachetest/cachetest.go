// Package cachetest is the contract every cache.Cache adapter must pass. One
// suite for all backends is what keeps the embedded default from drifting
// away from Redis: a behaviour the memory cache has and Redis lacks would only
// show up in production.
package cachetest

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/cache"
)

// Short TTLs keep the suite fast; the wait bound is generous because the
// race detector on a busy two-core CI machine slows everything down.
const (
	shortTTL = 150 * time.Millisecond
	waitFor  = 5 * time.Second
	tick     = 10 * time.Millisecond
)

// Run runs the contract against caches made by newCache. newCache is called
// once per subtest and must return an empty cache that only that subtest
// sees (a fresh key prefix for a shared server), and register its own clean
// up with t.Cleanup. The suite calls Close itself in one subtest, so Close
// must be idempotent.
func Run(t *testing.T, newCache func(t testing.TB) cache.Cache) {
	t.Helper()
	tests := []struct {
		name string
		run  func(t *testing.T, c cache.Cache)
	}{
		{"get missing", testGetMissing},
		{"set and get", testSetGet},
		{"overwrite", testOverwrite},
		{"delete one", testDeleteOne},
		{"delete many", testDeleteMany},
		{"ttl expiry", testTTLExpiry},
		{"overwrite replaces ttl", testOverwriteReplacesTTL},
		{"value isolation", testValueIsolation},
		{"binary values", testBinaryValues},
		{"empty value is not missing", testEmptyValue},
		{"unusual keys", testUnusualKeys},
		{"concurrent use", testConcurrent},
		{"ping", testPing},
		{"close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.run(t, newCache(t))
		})
	}
}

func requireValue(t testing.TB, c cache.Cache, key string, want []byte) {
	t.Helper()
	got, found, err := c.Get(context.Background(), key)
	require.NoError(t, err)
	require.True(t, found, "key %q should be present", key)
	require.Equal(t, want, got, "value of %q", key)
}

func requireMissing(t testing.TB, c cache.Cache, key string) {
	t.Helper()
	got, found, err := c.Get(context.Background(), key)
	require.NoError(t, err)
	require.False(t, found, "key %q should be missing", key)
	require.Nil(t, got)
}

// gone reports whether key is missing. It is a polling condition for
// require.Eventually and Never, so it must not call require: testify may
// still be running it when the test ends and its cleanup closes the cache.
// An error counts as "not known to be gone"; the explicit checks after the
// polling catch errors.
func gone(c cache.Cache, key string) bool {
	_, found, err := c.Get(context.Background(), key)
	return err == nil && !found
}

func testGetMissing(t *testing.T, c cache.Cache) {
	requireMissing(t, c, "never-set")
}

func testSetGet(t *testing.T, c cache.Cache) {
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "title:1", []byte("Stalker"), time.Minute))
	require.NoError(t, c.Set(ctx, "title:2", []byte("Solaris"), 0))
	requireValue(t, c, "title:1", []byte("Stalker"))
	requireValue(t, c, "title:2", []byte("Solaris"))
}

func testOverwrite(t *testing.T, c cache.Cache) {
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "k", []byte("first, and longer"), time.Minute))
	require.NoError(t, c.Set(ctx, "k", []byte("second"), time.Minute))
	requireValue(t, c, "k", []byte("second"))
}

func testDeleteOne(t *testing.T, c cache.Cache) {
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "a", []byte("1"), time.Minute))
	require.NoError(t, c.Set(ctx, "b", []byte("2"), time.Minute))
	require.NoError(t, c.Delete(ctx, "a"))
	requireMissing(t, c, "a")
	requireValue(t, c, "b", []byte("2"))
}

func testDeleteMany(t *testing.T, c cache.Cache) {
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c", "d"} {
		require.NoError(t, c.Set(ctx, k, []byte(k), time.Minute))
	}
	// Missing keys among the deleted ones are not an error: invalidating
	// something that was never cached is the common case.
	require.NoError(t, c.Delete(ctx, "a", "b", "c", "never-set"))
	require.NoError(t, c.Delete(ctx))
	for _, k := range []string{"a", "b", "c"} {
		requireMissing(t, c, k)
	}
	requireValue(t, c, "d", []byte("d"))
}

func testTTLExpiry(t *testing.T, c cache.Cache) {
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "short", []byte("v"), shortTTL))
	require.NoError(t, c.Set(ctx, "long", []byte("v"), time.Hour))
	require.NoError(t, c.Set(ctx, "forever", []byte("v"), 0))
	requireValue(t, c, "short", []byte("v"))
	require.Eventually(t, func() bool { return gone(c, "short") }, waitFor, tick,
		"a key set with a %s TTL should expire", shortTTL)
	requireMissing(t, c, "short")
	requireValue(t, c, "long", []byte("v"))
	requireValue(t, c, "forever", []byte("v"))
}

func testOverwriteReplacesTTL(t *testing.T, c cache.Cache) {
	ctx := context.Background()
	// A short TTL overwritten without TTL must not keep the old deadline...
	require.NoError(t, c.Set(ctx, "extended", []byte("v1"), shortTTL))
	require.NoError(t, c.Set(ctx, "extended", []byte("v2"), 0))
	// ...and a key without TTL overwritten with one must expire.
	require.NoError(t, c.Set(ctx, "shortened", []byte("v1"), 0))
	require.NoError(t, c.Set(ctx, "shortened", []byte("v2"), shortTTL))
	require.Eventually(t, func() bool { return gone(c, "shortened") }, waitFor, tick)
	requireMissing(t, c, "shortened")
	require.Never(t, func() bool { return gone(c, "extended") }, 2*shortTTL, tick)
	requireValue(t, c, "extended", []byte("v2"))
}

func testValueIsolation(t *testing.T, c cache.Cache) {
	ctx := context.Background()
	val := []byte("original")
	require.NoError(t, c.Set(ctx, "k", val, time.Minute))
	copy(val, "MUTATED!")
	requireValue(t, c, "k", []byte("original"))

	got, found, err := c.Get(ctx, "k")
	require.NoError(t, err)
	require.True(t, found)
	copy(got, "MUTATED!")
	requireValue(t, c, "k", []byte("original"))
}

func testBinaryValues(t *testing.T, c cache.Cache) {
	ctx := context.Background()
	every := make([]byte, 256)
	for i := range every {
		every[i] = byte(i)
	}
	values := map[string][]byte{
		"every-byte":   every,
		"nul-bytes":    {0, 0, 0},
		"invalid-utf8": {0xff, 0xfe, 0xc3, 0x28},
		"crlf":         []byte("line\r\nline\r\n"),
		"one-mib":      bytes.Repeat([]byte{0xab, 0x00, 0xcd}, 1<<20/3),
	}
	for k, v := range values {
		require.NoError(t, c.Set(ctx, k, v, time.Minute))
	}
	for k, v := range values {
		requireValue(t, c, k, v)
	}
}

func testEmptyValue(t *testing.T, c cache.Cache) {
	ctx := context.Background()
	for _, tt := range []struct {
		key string
		val []byte
	}{
		{"empty", []byte{}},
		{"nil", nil},
	} {
		require.NoError(t, c.Set(ctx, tt.key, tt.val, time.Minute))
		got, found, err := c.Get(ctx, tt.key)
		require.NoError(t, err)
		require.True(t, found, "an empty value under %q is a hit, not a miss", tt.key)
		require.NotNil(t, got, "a hit returns a non-nil slice, even when empty")
		require.Empty(t, got)
	}
	requireMissing(t, c, "missing")
}

func testUnusualKeys(t *testing.T, c cache.Cache) {
	ctx := context.Background()
	keys := []string{"", " ", "with space", "colon:separated:key", "ünïcødé/🎬", "*", "[glob]?", "a\nb"}
	for i, k := range keys {
		require.NoError(t, c.Set(ctx, k, fmt.Appendf(nil, "v%d", i), time.Minute))
	}
	for i, k := range keys {
		requireValue(t, c, k, fmt.Appendf(nil, "v%d", i))
	}
}

func testConcurrent(t *testing.T, c cache.Cache) {
	const (
		workers = 8
		ops     = 200
		keys    = 5
	)
	ctx := context.Background()
	errc := make(chan error, workers*ops)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range ops {
				key := fmt.Sprintf("shared:%d", i%keys)
				// Values name their key, so a reader can tell a torn or
				// misfiled value from a legitimately different writer's.
				val := fmt.Appendf(nil, "%s:worker%d:op%d", key, w, i)
				switch i % 4 {
				case 0, 1:
					if err := c.Set(ctx, key, val, time.Minute); err != nil {
						errc <- err
					}
				case 2:
					got, found, err := c.Get(ctx, key)
					if err != nil {
						errc <- err
					} else if found && !bytes.HasPrefix(got, []byte(key+":worker")) {
						errc <- fmt.Errorf("get %q returned %q", key, got)
					}
				case 3:
					if err := c.Delete(ctx, key); err != nil {
						errc <- err
					}
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		require.NoError(t, err)
	}
}

func testPing(t *testing.T, c cache.Cache) {
	require.NoError(t, c.Ping(context.Background()))
}

func testClose(t *testing.T, c cache.Cache) {
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "k", []byte("v"), time.Minute))
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "Close is idempotent")
	_, _, err := c.Get(ctx, "k")
	require.ErrorIs(t, err, cache.ErrClosed)
	require.ErrorIs(t, c.Set(ctx, "k", []byte("v"), 0), cache.ErrClosed)
	require.ErrorIs(t, c.Delete(ctx, "k"), cache.ErrClosed)
	require.ErrorIs(t, c.Ping(ctx), cache.ErrClosed)
}
