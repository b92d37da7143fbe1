// Package cache is the platform's cache: a bounded in-process cache with TTL
// (the embedded default) and a Redis adapter, both behind Cache, plus Loader,
// which coalesces concurrent loads of a cold key into one.
package cache

import (
	"context"
	"time"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// Cache stores byte values under string keys with a time to live.
// Get reports found=false for a missing or expired key; an error means the
// cache itself failed (callers usually fall through to the source).
//
// Every adapter behaves the same way, as checked by package cachetest: Set
// copies the value and Get returns a copy, so neither side can change what
// the other sees; an empty value is found (distinct from a missing key); a
// ttl <= 0 means no expiry; Delete of missing keys is not an error; after
// Close every call but Close returns ErrClosed.
type Cache interface {
	Get(ctx context.Context, key string) (val []byte, found bool, err error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	Delete(ctx context.Context, keys ...string) error
	// Ping reports whether the cache is reachable (for /readyz).
	Ping(ctx context.Context) error
	Close() error
}

// ErrClosed is returned by every operation on a Cache after Close, so a
// module that outlives its cache fails loudly instead of caching into the void.
var ErrClosed = errs.E(errs.KindUnavailable, "cache is closed")

// The drivers Config.Driver accepts.
const (
	DriverMemory = "memory"
	DriverRedis  = "redis"
)

// Config selects and tunes the cache of a process. The zero value is the
// embedded default: an in-process cache of DefaultMaxBytes.
type Config struct {
	// Driver is "memory" (the default when empty) or "redis".
	Driver string `koanf:"driver"`
	// MaxBytes bounds the memory driver (keys plus values); 0 means DefaultMaxBytes.
	MaxBytes int64 `koanf:"max_bytes"`
	// Redis configures the redis driver.
	Redis RedisOptions `koanf:"redis"`
}

// Validate reports the first bad setting, naming its key under "cache.".
func (c Config) Validate() error {
	switch c.Driver {
	case "", DriverMemory:
	case DriverRedis:
		if err := c.Redis.validate("cache.redis"); err != nil {
			return err
		}
	default:
		return errs.Invalid("cache.driver", "must be memory or redis, got %q", c.Driver)
	}
	if c.MaxBytes < 0 {
		return errs.Invalid("cache.max_bytes", "must not be negative, got %d", c.MaxBytes)
	}
	return nil
}

// New builds the cache that cfg selects. It does no I/O: a Redis that is down
// shows up in Ping (and /readyz), not here, so a process can start before its
// cache does.
func New(cfg Config) (Cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch cfg.Driver {
	case DriverRedis:
		return NewRedis(cfg.Redis)
	default:
		return NewMemory(MemoryOptions{MaxBytes: cfg.MaxBytes})
	}
}
