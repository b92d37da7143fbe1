package cache_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/cdlc/cdlc/internal/platform/cache"
	"github.com/cdlc/cdlc/internal/platform/cache/cachetest"
	"github.com/cdlc/cdlc/internal/platform/errs"
)

func TestMemory(t *testing.T) {
	t.Parallel()
	cachetest.Run(t, func(t testing.TB) cache.Cache {
		c, err := cache.NewMemory(cache.MemoryOptions{MaxBytes: 16 << 20})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, c.Close()) })
		return c
	})
}

func TestRedis(t *testing.T) {
	t.Parallel()
	addr := redisAddr(t)
	cachetest.Run(t, func(t testing.TB) cache.Cache {
		return newRedisCache(t, addr)
	})
}

func TestRedisSharedClient(t *testing.T) {
	t.Parallel()
	addr := redisAddr(t)
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { require.NoError(t, rdb.Close()) })

	prefix := testPrefix(t)
	c := cache.NewRedisClient(rdb, prefix)
	t.Cleanup(func() { deletePrefix(t, addr, prefix) })
	ctx := context.Background()
	require.NoError(t, c.Set(ctx, "k", []byte("v"), time.Minute))

	// The key lands under the prefix, where other tools (and other
	// environments sharing the server) expect it.
	got, err := rdb.Get(ctx, prefix+"k").Bytes()
	require.NoError(t, err)
	require.Equal(t, []byte("v"), got)

	// Closing the cache leaves a client it does not own open.
	require.NoError(t, c.Close())
	require.NoError(t, rdb.Ping(ctx).Err())
}

func TestRedisUnreachable(t *testing.T) {
	t.Parallel()
	// Port 1 on localhost refuses at once: an outage must come back as an
	// error of kind unavailable, quickly, from every call.
	c, err := cache.NewRedis(cache.RedisOptions{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	ctx := context.Background()

	_, _, err = c.Get(ctx, "k")
	require.True(t, errs.Is(err, errs.KindUnavailable), "get: %v", err)
	require.True(t, errs.Is(c.Set(ctx, "k", []byte("v"), 0), errs.KindUnavailable))
	require.True(t, errs.Is(c.Delete(ctx, "k"), errs.KindUnavailable))
	require.True(t, errs.Is(c.Ping(ctx), errs.KindUnavailable))
}

// redisAddr returns the test server's address, skipping the test when it is
// not reachable, except in CI, where a missing server is a broken pipeline
// rather than a laptop without Redis.
func redisAddr(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("CDLC_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1})
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		msg := "redis not reachable at " + addr + " (set CDLC_TEST_REDIS_ADDR to point elsewhere): " + err.Error()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return addr
}

// newRedisCache returns a Redis cache under a key prefix of its own, so tests
// running in parallel (or two runs of the suite on one server) do not see
// each other's keys; cleanup deletes the prefix.
func newRedisCache(t testing.TB, addr string) *cache.Redis {
	t.Helper()
	prefix := testPrefix(t)
	c, err := cache.NewRedis(cache.RedisOptions{Addr: addr, KeyPrefix: prefix})
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, c.Close())
		deletePrefix(t, addr, prefix)
	})
	return c
}

func testPrefix(t testing.TB) string {
	t.Helper()
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	name := strings.NewReplacer("/", ".", " ", "_", "*", "_", "?", "_", "[", "_").Replace(t.Name())
	return "cdlctest:" + name + ":" + hex.EncodeToString(b) + ":"
}

func deletePrefix(t testing.TB, addr, prefix string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
	var keys []string
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	require.NoError(t, iter.Err())
	if len(keys) > 0 {
		require.NoError(t, rdb.Del(ctx, keys...).Err())
	}
}
