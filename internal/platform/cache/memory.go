package cache

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	// otter is the in-process engine because it is well kept (active
	// maintainer, thorough tests, used by large Go projects), bounded by weight
	// with S3-FIFO eviction (better hit rates than LRU under scans, lock-free
	// reads), and supports an expiry per entry, which the Cache contract needs.
	"github.com/maypok86/otter/v2"

	"github.com/cdlc/cdlc/internal/platform/errs"
)

// DefaultMaxBytes bounds a memory cache whose MaxBytes is zero.
const DefaultMaxBytes int64 = 64 << 20

// noExpiry stands for "ttl <= 0". otter has no "never" per entry, so a
// century is as good; it must be a positive duration, since otter keeps the
// previous deadline for a non-positive one, and an overwrite without TTL must
// clear the TTL of the value it replaces.
const noExpiry = 100 * 365 * 24 * time.Hour

// MemoryOptions tunes NewMemory.
type MemoryOptions struct {
	// MaxBytes bounds the sum over entries of len(key)+len(value); 0 means
	// DefaultMaxBytes. Bookkeeping overhead per entry is not counted, so the
	// process uses somewhat more than this.
	MaxBytes int64
}

// Memory is the embedded Cache: bounded, in-process, per-entry TTL. It is
// safe for concurrent use.
type Memory struct {
	c      *otter.Cache[string, memEntry]
	closed atomic.Bool
}

// memEntry keeps the TTL next to the value so the expiry calculator, which
// only sees the entry, can give each entry its own lifetime.
type memEntry struct {
	val []byte
	ttl time.Duration
}

var _ Cache = (*Memory)(nil)

// NewMemory builds a memory cache. It fails only on a negative MaxBytes.
func NewMemory(opts MemoryOptions) (*Memory, error) {
	maxBytes := opts.MaxBytes
	if maxBytes < 0 {
		return nil, errs.Invalid("cache.max_bytes", "must not be negative, got %d", maxBytes)
	}
	if maxBytes == 0 {
		maxBytes = DefaultMaxBytes
	}
	c, err := otter.New(&otter.Options[string, memEntry]{
		MaximumWeight: uint64(maxBytes),
		Weigher: func(key string, e memEntry) uint32 {
			// A weight saturates rather than wraps: a 4 GiB value must look
			// heavy, not light.
			w := uint64(len(key)) + uint64(len(e.val))
			if w > math.MaxUint32 {
				return math.MaxUint32
			}
			return uint32(w)
		},
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, memEntry]) time.Duration {
			return e.Value.ttl
		}),
	})
	if err != nil {
		return nil, fmt.Errorf("new memory cache: %w", err)
	}
	return &Memory{c: c}, nil
}

// Get returns a copy of the value under key; the copy lets callers modify
// what they get without corrupting the cache for the next reader.
func (m *Memory) Get(_ context.Context, key string) ([]byte, bool, error) {
	if m.closed.Load() {
		return nil, false, ErrClosed
	}
	e, ok := m.c.GetIfPresent(key)
	if !ok {
		return nil, false, nil
	}
	return clone(e.val), true, nil
}

// Set stores a copy of val under key for ttl (ttl <= 0: no expiry).
func (m *Memory) Set(_ context.Context, key string, val []byte, ttl time.Duration) error {
	if m.closed.Load() {
		return ErrClosed
	}
	if ttl <= 0 {
		ttl = noExpiry
	}
	m.c.Set(key, memEntry{val: clone(val), ttl: ttl})
	return nil
}

// Delete removes keys; missing keys are ignored.
func (m *Memory) Delete(_ context.Context, keys ...string) error {
	if m.closed.Load() {
		return ErrClosed
	}
	for _, k := range keys {
		m.c.Invalidate(k)
	}
	return nil
}

// Ping reports nil while the cache is open: there is nothing to reach.
func (m *Memory) Ping(context.Context) error {
	if m.closed.Load() {
		return ErrClosed
	}
	return nil
}

// Close drops every entry and stops otter's maintenance goroutines. It is
// idempotent.
func (m *Memory) Close() error {
	if m.closed.CompareAndSwap(false, true) {
		m.c.InvalidateAll()
		m.c.StopAllGoroutines()
	}
	return nil
}

// clone copies b, keeping an empty value non-nil so "found but empty" never
// looks like "missing" to a caller that tests for nil.
func clone(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	return out
}
