// Package cache is the platform's cache: a bounded in-process cache with TTL
// (the embedded default) and a Redis adapter, both behind Cache, plus Loader,
// which coalesces concurrent loads of a cold key into one.
package cache

import (
	"context"
	"time"
)

// Cache stores byte values under string keys with a time to live.
// Get reports found=false for a missing or expired key; an error means the
// cache itself failed (callers usually fall through to the source).
type Cache interface {
	Get(ctx context.Context, key string) (val []byte, found bool, err error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	Delete(ctx context.Context, keys ...string) error
	// Ping reports whether the cache is reachable (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}
